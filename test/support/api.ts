import { inject } from 'vitest';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answered
  body: any;
}

/**
 * Calls the local stack's API: the admin key unless `key` names another one (or null for none), an
 * object body sent as JSON, and the answer's JSON parsed.
 */
export async function call(
  method: string,
  path: string,
  init: { key?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const key = init.key === undefined ? inject('adminKey') : init.key;
  const response = await fetch(`${inject('apiUrl')}${path}`, {
    method,
    headers: {
      ...(key && { authorization: `Bearer ${key}` }),
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
      ...init.headers,
    },
    ...(init.body !== undefined && {
      body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}
