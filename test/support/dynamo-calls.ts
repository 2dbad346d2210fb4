import { randomUUID } from 'node:crypto';
import { documentClient } from '../../shared/platform/aws.ts';

/**
 * Runs `act` counting the TransactWriteItems requests the shared document client sends meanwhile (its
 * middleware sees every command, document-client or raw). Import it after the stack environment is set.
 */
export async function countingTransactions<T>(
  act: () => Promise<T>,
): Promise<{ value: T; transactions: number }> {
  let transactions = 0;
  const name = `count-transactions-${randomUUID()}`;
  documentClient().middlewareStack.add(
    (next, context) => async (args) => {
      if (String(context.commandName).startsWith('TransactWrite')) transactions++;
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    return { value: await act(), transactions };
  } finally {
    documentClient().middlewareStack.remove(name);
  }
}
