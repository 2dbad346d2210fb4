import { inject } from 'vitest';
import { waitFor } from './wait.ts';

/**
 * Waits until the local runtime's stream consumer `functionName` has handled every table change written
 * before this call (GET /_local/streams): background work a test would otherwise race with is done.
 */
export async function streamSettled(functionName: string, timeoutMs = 120_000): Promise<void> {
  const since = Date.now();
  await waitFor(
    async () => {
      const response = await fetch(`${inject('apiUrl')}/_local/streams`);
      const { streams } = (await response.json()) as {
        streams: { functionName: string; caughtUpAt: string | null }[];
      };
      const stream = streams.find((s) => s.functionName === functionName);
      if (!stream) throw new Error(`The local runtime has no stream consumer named ${functionName}`);
      return stream.caughtUpAt !== null && Date.parse(stream.caughtUpAt) > since ? true : undefined;
    },
    `${functionName} to handle the table changes written so far`,
    timeoutMs,
  );
}
