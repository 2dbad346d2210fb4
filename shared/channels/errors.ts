import type { SendResult } from './types.ts';

/** What an SDK error says, without its message text reaching a result when it could hold an address. */
export interface ProviderError {
  name: string;
  status: number | undefined;
  message: string;
  retryAfterMs?: number;
}

export function providerError(error: unknown): ProviderError {
  const e = error as {
    name?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: number };
    $response?: { headers?: Record<string, string> };
  };
  const retryAfter = Number(e?.$response?.headers?.['retry-after']);
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    status: e?.$metadata?.httpStatusCode,
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(Number.isFinite(retryAfter) && retryAfter > 0 && { retryAfterMs: retryAfter * 1000 }),
  };
}

export const result = {
  throttled: (detail: string, retryAfterMs?: number): SendResult => ({
    status: 'throttled',
    retryable: true,
    detail,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  }),
  failed: (detail: string, retryable: boolean): SendResult => ({ status: 'failed', retryable, detail }),
  rejected: (detail: string): SendResult => ({ status: 'rejected', retryable: false, detail }),
};

/** Network failures and 5xx: the request may not have arrived, or the provider failed on its side. */
export function isTransient(error: ProviderError): boolean {
  return error.status === undefined || error.status >= 500;
}
