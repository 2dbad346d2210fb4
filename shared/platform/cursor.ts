import { ValidationError } from './errors.ts';

/**
 * Runs a query that continues from a client's cursor. A cursor that cannot be decoded, or that
 * DynamoDB refuses as a start key (edited, or taken from another listing), is the client's error:
 * 400 naming `query.cursor`, never a 500.
 */
export async function withClientCursor<T>(cursor: string | undefined, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (cursor !== undefined && isCursorError(error)) {
      throw ValidationError.field('query.cursor', 'is not a cursor from this listing');
    }
    throw error;
  }
}

function isCursorError(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const { name, message } = e as { name?: string; message?: string };
    if (message?.includes('Unable to parse cursor') || message?.includes('Invalid cursor')) return true;
    if (name === 'ValidationException' && /start(ing)? key|ExclusiveStartKey/i.test(message ?? ''))
      return true;
  }
  return false;
}
