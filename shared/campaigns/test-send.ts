import { channelAdapters } from '../channels/index.ts';
import { newId } from '../platform/ids.ts';
import { deliveryGate } from './deps.ts';
import { type CampaignItem, sendOne } from './pipeline.ts';
import { configuredRates, rateLimiter } from './rate-limit.ts';

/**
 * A test send: the campaign's message to its test recipients, now, through the gate as a transactional
 * send (consent still applies; caps exempt, quiet hours bypassed) under a source of its own per test
 * send, so it never counts against the campaign's ledger, its caps or its results. Each recipient gets
 * the variant the real send would give them.
 */
export async function testSend(campaign: CampaignItem) {
  const testId = newId();
  const deps = {
    gate: deliveryGate,
    adapters: channelAdapters(),
    limiter: rateLimiter(await configuredRates()),
  };
  const recipients = [];
  for (const customerId of campaign.testRecipients ?? []) {
    const result = await sendOne(campaign, testId, customerId, deps, { test: true });
    recipients.push({ customerId, ...('throttled' in result ? { outcome: 'throttled' } : result) });
  }
  return { testId, sent: recipients.filter((r) => r.outcome === 'sent').length, recipients };
}
