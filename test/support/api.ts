import { inject } from 'vitest';

/**
 * fetch against the local stack's API with the admin key and JSON headers. `path` starts with a slash;
 * an object body is sent as JSON. Headers given in `init` win, so a test can drop or replace the key.
 */
export async function api(
  path: string,
  init: Omit<RequestInit, 'body'> & { body?: unknown } = {},
): Promise<Response> {
  const { body, headers, ...rest } = init;
  const merged = new Headers({ accept: 'application/json', authorization: `Bearer ${inject('adminKey')}` });
  if (body !== undefined) merged.set('content-type', 'application/json');
  for (const [name, value] of new Headers(headers)) merged.set(name, value);
  return fetch(`${inject('apiUrl')}${path}`, {
    ...rest,
    headers: merged,
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}
