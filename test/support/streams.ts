import { inject } from 'vitest';
import { streamsSettled } from '../../infra/local/streams-settled.ts';

/**
 * Waits until the local runtime's stream consumer `functionName` has handled every table change written
 * before this call: background work a test would otherwise race with is done.
 */
export function streamSettled(functionName: string, timeoutMs = 120_000): Promise<void> {
  return streamsSettled(inject('apiUrl'), { functionName, timeoutMs });
}
