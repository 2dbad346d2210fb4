import { backoff } from '../platform/backoff.ts';
import { log } from '../platform/log.ts';
import { type Store, store } from './service.ts';

type Actions = Parameters<Store['transaction']['write']>[0];

/**
 * Counts a piece of work once: one transaction whose first action creates the piece's marker (a create,
 * conditional on the marker not existing) and whose others add the piece's counts to its job. True when
 * it was counted now; false when the marker existed, so a redelivered piece counted nothing twice.
 *
 * Any other cancellation is a collision with a concurrent write of the same job item (DynamoDB cancels
 * a transaction with TransactionConflict when another touches one of its items); the transaction is
 * tried again after a back-off, since taking it for "counted already" would lose the piece's counts and
 * leave the job short for ever.
 */
export async function countOnce(what: string, actions: Actions): Promise<boolean> {
  for (let attempt = 0; attempt < 12; attempt++) {
    await backoff(attempt, { capMs: 2_000 });
    const result = await store().transaction.write(actions).go();
    if (!result.canceled) return true;
    const codes = (result.data as { code?: string }[]).map((d) => d.code);
    if (codes[0] === 'ConditionalCheckFailed') return false;
    log.debug('counting transaction collided; retrying', { what, codes });
  }
  throw new Error(`Could not count ${what}`);
}
