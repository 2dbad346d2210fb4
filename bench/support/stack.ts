import { type LocalStack, startLocalStack } from '../../infra/local/stack.ts';
import { streamsSettled as waitForStreams } from '../../infra/local/streams-settled.ts';

/**
 * Runs a benchmark body against a local stack of its own (engines in memory, no schedules, an API on a
 * free port) and stops the stack however the body ends. Modules that read the table name or endpoints
 * from process.env must be imported inside the body: the stack puts them there when it starts.
 */
export async function withLocalStack<T>(body: (stack: LocalStack) => Promise<T>): Promise<T> {
  const stack = await startLocalStack({ apiPort: 0, quiet: true, schedules: false });
  try {
    return await body(stack);
  } finally {
    await stack.stop();
  }
}

/**
 * Waits until every stream consumer of the stack has handled the table changes written before the call,
 * so the next measurement does not pay for the previous one's background work.
 */
export function streamsSettled(stack: LocalStack, timeoutMs = 30 * 60_000): Promise<void> {
  return waitForStreams(stack.apiUrl, { timeoutMs });
}
