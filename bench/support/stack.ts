import { type LocalStack, startLocalStack } from '../../infra/local/stack.ts';

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
