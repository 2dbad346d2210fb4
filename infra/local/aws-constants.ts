import { randomBytes } from 'node:crypto';

/** The identity the local stack pretends to run as; fauxqs uses the same account id in its ARNs. */
export const localAccountId = '000000000000';
export const localRegion = 'us-east-1';
/** Any static credentials do: the engines accept every signature. */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const localStage = 'local';
export const localBusName = 'cohort-local';

/** AWS writes event times without milliseconds: 2026-01-01T12:00:00Z. */
export function awsTime(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** An X-Ray style trace id, as API Gateway adds in `x-amzn-trace-id`. */
export function traceId(now: Date = new Date()): string {
  return `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    if (signal?.aborted) {
      resolveSleep();
      return;
    }
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolveSleep();
    }
  });
}
