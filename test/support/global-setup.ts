import type { TestProject } from 'vitest/node';
import { startLocalStack } from '../../infra/local/stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The local stack's API, e.g. http://127.0.0.1:41234 (no trailing slash). */
    apiUrl: string;
    /** A Bearer key with the admin scope. */
    adminKey: string;
    /** The environment the stack gives its functions: table name, endpoints, queue URLs. */
    stackEnv: Record<string, string>;
  }
}

/**
 * One local stack for the whole `stack` project, in memory and on free ports, so it runs beside a
 * developer's `npm start`. Tests reach it over HTTP (apiUrl) or through the domain modules after
 * useStackEnv() has copied its environment into their process.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startLocalStack({ apiPort: 0, quiet: true });
  try {
    // Imported only now: the service reads its configuration from the environment the stack has set.
    const { createApiKey } = await import('../../shared/apikeys/service.ts');
    const { key } = await createApiKey({ name: 'test admin', scopes: ['admin'] });
    project.provide('apiUrl', stack.apiUrl);
    project.provide('adminKey', key);
    project.provide('stackEnv', stack.env);
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return () => stack.stop();
}
