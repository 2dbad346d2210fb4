import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mayContact } from '../consent/gate.ts';
import type { CapLimit, ChannelSkip, GateAnswer, SendRequest, SendTicket } from '../delivery/contract.ts';
import { documentClient } from '../platform/aws.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { newId } from '../platform/ids.ts';
import type { Channel } from '../store/entities/consent.ts';

/**
 * What the campaign pipeline needs of the send gate (shared/delivery/contract.ts), plus two things the
 * contract does not have yet:
 *  - `evaluate`: the same decision without writing anything, for dry runs;
 *  - `confirmFailed(..., { retryable: true })`: the channel throttled, so the reservation is released
 *    (cap counts given back) and a later `admit` decides again — the contract's `failed` state would
 *    skip the channel for good and lose the message.
 */
export interface SendGate {
  admit(request: SendRequest): Promise<GateAnswer>;
  evaluate(request: SendRequest): Promise<GateAnswer>;
  confirmSent(ticket: SendTicket, providerMessageId?: string): Promise<void>;
  confirmFailed(ticket: SendTicket, failure: { detail: string; retryable: boolean }): Promise<void>;
}

/**
 * INTERIM gate, until shared/delivery's gate lands (branch send-gate): consent and suppression through
 * shared/consent/gate.ts `mayContact`, the dedup ledger and per-channel day caps (UTC day) in one
 * conditional transaction. No quiet hours, no week or tier caps: the real gate owns those. Ledger items
 * are raw: `LEDGER#<source>#<customer>` / `CH#<channel>`; cap counters `CAP#<customer>` /
 * `<channel>#<day>` with a TTL.
 */
const LEASE_MS = 5 * 60_000;

interface LedgerItem {
  channel: Channel;
  state: 'skipped' | 'reserved' | 'sent' | 'failed' | 'released';
  leaseUntil?: number;
}

function ledgerPk(source: string, customerId: string): string {
  return `LEDGER#${source}#${customerId}`;
}

function sourceKey(request: SendRequest): string {
  return `${request.source.kind}:${request.source.id}`;
}

function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

async function readLedger(source: string, customerId: string): Promise<LedgerItem[]> {
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: tableNameFromEnv(),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': ledgerPk(source, customerId) },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []) as LedgerItem[];
}

function capFor(request: SendRequest, channel: Channel): CapLimit | undefined {
  if (request.caps === 'exempt') return undefined;
  return request.capOverrides?.[channel];
}

async function decide(request: SendRequest, write: boolean): Promise<GateAnswer> {
  const source = sourceKey(request);
  const at = request.at ?? new Date();
  const ledger = await readLedger(source, request.customerId);
  const skipped: ChannelSkip[] = [];
  for (const channel of request.channels) {
    const entry = ledger.find((l) => l.channel === channel);
    if (entry && (entry.state === 'reserved' || entry.state === 'sent')) {
      const inDoubt = entry.state === 'reserved' && (entry.leaseUntil ?? 0) < at.getTime();
      return { outcome: 'duplicate', channel, state: entry.state, inDoubt, skipped };
    }
  }
  for (const channel of request.channels) {
    if (ledger.find((l) => l.channel === channel)?.state === 'failed') {
      skipped.push({ channel, reason: 'channel_rejected' });
      continue;
    }
    const decision = await mayContact({
      customerId: request.customerId,
      channel,
      ...(request.topic && { topic: request.topic }),
      ...(request.addresses?.[channel] && { address: request.addresses[channel] }),
      at,
    });
    if (!decision.allowed || !decision.address) {
      skipped.push({ channel, reason: decision.reason === 'ok' ? 'no_address' : decision.reason });
      continue;
    }
    const cap = capFor(request, channel);
    const capKey = { pk: `CAP#${request.customerId}`, sk: `${channel}#${dayOf(at)}` };
    if (!write) {
      if (cap?.day !== undefined) {
        const { Item } = await documentClient().send(
          new GetCommand({ TableName: tableNameFromEnv(), Key: capKey, ConsistentRead: true }),
        );
        if (Number(Item?.n ?? 0) >= cap.day) {
          skipped.push({ channel, reason: `cap_reached:${channel}:day` });
          continue;
        }
      }
      return send(channel, decision.address, request, source, '', [], skipped);
    }
    const attemptId = newId();
    const counted = cap?.day !== undefined ? [`${capKey.pk}|${capKey.sk}`] : [];
    try {
      await documentClient().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tableNameFromEnv(),
                Item: {
                  pk: ledgerPk(source, request.customerId),
                  sk: `CH#${channel}`,
                  channel,
                  state: 'reserved',
                  attemptId,
                  address: decision.address,
                  leaseUntil: at.getTime() + LEASE_MS,
                  meta: request.meta,
                  at: at.toISOString(),
                },
                ConditionExpression: 'attribute_not_exists(pk) OR #state IN (:skipped, :released)',
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: { ':skipped': 'skipped', ':released': 'released' },
              },
            },
            ...(cap?.day !== undefined
              ? [
                  {
                    Update: {
                      TableName: tableNameFromEnv(),
                      Key: capKey,
                      UpdateExpression: 'ADD n :one SET expiresAt = :ttl',
                      ConditionExpression: 'attribute_not_exists(n) OR n < :limit',
                      ExpressionAttributeValues: {
                        ':one': 1,
                        ':limit': cap.day,
                        ':ttl': Math.floor(at.getTime() / 1000) + 8 * 86_400,
                      },
                    },
                  },
                ]
              : []),
          ],
        }),
      );
    } catch (error) {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
      if ((error as { name?: string }).name !== 'TransactionCanceledException' || !reasons) throw error;
      if (reasons[0]?.Code === 'ConditionalCheckFailed') {
        // Another worker reserved it between our read and our write: the ledger decides.
        return decide(request, write);
      }
      if (reasons[1]?.Code === 'ConditionalCheckFailed') {
        skipped.push({ channel, reason: `cap_reached:${channel}:day` });
        continue;
      }
      throw error;
    }
    return send(channel, decision.address, request, source, attemptId, counted, skipped);
  }
  return { outcome: 'skip', skipped };
}

function send(
  channel: Channel,
  address: string,
  request: SendRequest,
  source: string,
  attemptId: string,
  counted: string[],
  skipped: ChannelSkip[],
): GateAnswer {
  return {
    outcome: 'send',
    channel,
    address,
    ticket: { customerId: request.customerId, source, channel, attemptId, counted },
    skipped,
    timeZone: 'UTC',
    from: 'default',
  };
}

async function settle(
  ticket: SendTicket,
  state: 'sent' | 'failed' | 'released',
  extra: Record<string, unknown>,
) {
  const names: Record<string, string> = { '#state': 'state' };
  const values: Record<string, unknown> = { ':state': state, ':attempt': ticket.attemptId };
  const sets = ['#state = :state'];
  for (const [k, v] of Object.entries(extra)) {
    names[`#${k}`] = k;
    values[`:${k}`] = v;
    sets.push(`#${k} = :${k}`);
  }
  await documentClient().send(
    new UpdateCommand({
      TableName: tableNameFromEnv(),
      Key: { pk: ledgerPk(ticket.source, ticket.customerId), sk: `CH#${ticket.channel}` },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attemptId = :attempt',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
  if (state === 'sent') return;
  for (const counter of ticket.counted) {
    const [pk, sk] = counter.split('|');
    await documentClient().send(
      new UpdateCommand({
        TableName: tableNameFromEnv(),
        Key: { pk, sk },
        UpdateExpression: 'ADD n :minus',
        ExpressionAttributeValues: { ':minus': -1 },
      }),
    );
  }
}

export const interimGate: SendGate = {
  admit: (request) => decide(request, true),
  evaluate: (request) => decide(request, false),
  confirmSent: (ticket, providerMessageId) =>
    settle(ticket, 'sent', {
      sentAt: new Date().toISOString(),
      ...(providerMessageId && { providerMessageId }),
    }),
  confirmFailed: (ticket, failure) =>
    settle(ticket, failure.retryable ? 'released' : 'failed', { detail: failure.detail.slice(0, 500) }),
};

/** The ledger entries of one source, for tests and the reliability check. */
export async function ledgerOf(source: string, customerId: string): Promise<LedgerItem[]> {
  return readLedger(source, customerId);
}
