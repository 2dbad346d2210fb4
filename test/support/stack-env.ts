import { inject } from 'vitest';

/**
 * Points this test process at the stack started by the global set-up. Call it before importing domain
 * modules dynamically: they read their configuration (table name, endpoints) once, on first use.
 */
export function useStackEnv(): Record<string, string> {
  const env = inject('stackEnv');
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  Object.assign(process.env, env);
  return env;
}
