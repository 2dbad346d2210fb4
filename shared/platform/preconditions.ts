import { PreconditionRequiredError, ValidationError } from './errors.ts';

/** Reads the version a client expects from If-Match (`"3"`, `W/"3"` or `3`). */
export function expectedVersion(headers: Record<string, string | undefined>): number {
  const raw = headers['if-match'];
  if (raw === undefined) {
    throw new PreconditionRequiredError(
      'Send If-Match with the ETag from your last read, so a concurrent change is not overwritten',
    );
  }
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(raw);
  if (!match?.[1])
    throw ValidationError.field('header.If-Match', 'must be the ETag of the customer, e.g. "3"');
  return Number(match[1]);
}
