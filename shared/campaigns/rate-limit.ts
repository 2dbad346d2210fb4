import { GetAccountCommand } from '@aws-sdk/client-sesv2';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../platform/aws.ts';
import { config, tableNameFromEnv } from '../platform/config.ts';
import { log } from '../platform/log.ts';
import { sesClient } from '../platform/ses.ts';
import type { Channel } from '../store/entities/consent.ts';

/**
 * Per-channel send rates enforced across every worker: a token bucket per channel and second in
 * DynamoDB (`RATE#<channel>` / `<epoch second>`, conditional ADD, expiring after a minute). A worker
 * takes a block of tokens at once and spends it locally, so the bucket costs one write per block, not
 * one per message; tokens left over when the second ends are dropped, so the rate is never exceeded
 * and is at worst slightly under-used.
 */
export type Rates = Record<Channel, number>;

const BLOCK = 50;

let sesRate: number | undefined;

/** The stage's rates: SES from GetAccount's MaxSendRate (or the setting), the rest from settings. */
export async function configuredRates(): Promise<Rates> {
  const c = config();
  let email = typeof c.SEND_RATE_EMAIL === 'number' ? c.SEND_RATE_EMAIL : undefined;
  if (email === undefined) {
    if (sesRate === undefined) {
      try {
        const account = await sesClient().send(new GetAccountCommand({}));
        sesRate = account.SendQuota?.MaxSendRate ?? 14;
      } catch (error) {
        // The SES emulator has no GetAccount; 14/s is a fresh production account's rate.
        log.warn('SES GetAccount failed; using 14 emails per second', { error });
        sesRate = 14;
      }
    }
    email = sesRate;
  }
  return { email, sms: c.SEND_RATE_SMS_PARTS, push: c.SEND_RATE_PUSH, webhook: c.SEND_RATE_WEBHOOK };
}

export interface RateLimiter {
  /** Takes `n` tokens of the channel: 0 when granted, else the milliseconds until the next window. */
  take(channel: Channel, n?: number): Promise<number>;
}

export function rateLimiter(rates: Rates, now: () => number = Date.now): RateLimiter {
  const local = new Map<Channel, { second: number; left: number }>();

  async function reserve(channel: Channel, second: number, amount: number): Promise<boolean> {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: tableNameFromEnv(),
          Key: { pk: `RATE#${channel}`, sk: String(second) },
          UpdateExpression: 'ADD used :n SET expiresAt = :ttl',
          ConditionExpression: 'attribute_not_exists(used) OR used <= :room',
          ExpressionAttributeValues: { ':n': amount, ':room': rates[channel] - amount, ':ttl': second + 60 },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  return {
    async take(channel, n = 1) {
      const at = now();
      const second = Math.floor(at / 1000);
      const held = local.get(channel);
      if (held && held.second === second && held.left >= n) {
        held.left -= n;
        return 0;
      }
      const wait = 1000 - (at % 1000);
      if (n > rates[channel]) return wait;
      const block = Math.max(n, Math.min(BLOCK, Math.floor(rates[channel] / 4) || 1));
      for (const amount of block > n ? [block, n] : [n]) {
        if (await reserve(channel, second, amount)) {
          local.set(channel, { second, left: amount - n });
          return 0;
        }
      }
      return wait;
    },
  };
}
