/**
 * Whether a write failed on its condition expression: the SDK's ConditionalCheckFailedException, thrown
 * directly by the document client or wrapped by ElectroDB (which keeps it as the cause). One place for
 * the test that callers use to tell "someone else got there first" from a real failure.
 */
export function isConditionFailure(error: unknown): boolean {
  const e = error as { name?: string; cause?: { name?: string } } | undefined;
  return (
    e?.name === 'ConditionalCheckFailedException' || e?.cause?.name === 'ConditionalCheckFailedException'
  );
}
