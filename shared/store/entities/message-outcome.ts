import { Entity, type EntityConfiguration } from 'electrodb';
import { channels } from './consent.ts';

export const outcomeStatuses = [
  'sent',
  'delayed',
  'soft_bounced',
  'delivered',
  'rejected',
  'failed',
  'opted_out',
  'bounced',
  'complained',
] as const;
export type OutcomeStatus = (typeof outcomeStatuses)[number];

/**
 * What became of one message after the channel took it: its delivery status (only ever moving forward,
 * see shared/results/outcome.ts), its touches (first open, last open and click, for attribution) and the
 * result metrics already counted for it. Keyed like the send ledger, by (source, customer, channel), and
 * kept under the customer, so an erasure removes it with the rest of the customer's items.
 */
export const buildMessageOutcome = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'messageOutcome', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        /** `kind:id` of the ledger, e.g. `campaign:01K…`. */
        source: { type: 'string', required: true },
        channel: { type: channels, required: true },
        /** Cohort's message id (the SES `message` tag, the Pinpoint Context `messageId`). */
        messageId: { type: 'string' },
        providerMessageId: { type: 'string' },
        run: { type: 'string', required: true },
        variant: { type: 'string', required: true },
        tier: { type: 'string', required: true },
        /** None while the message is only targeted or excluded. */
        status: { type: outcomeStatuses },
        statusAt: { type: 'string' },
        /** What the provider said last about the status (bounce type, SMTP status, HTTP status), no content. */
        detail: { type: 'string' },
        /** Webhooks: the receiver's HTTP status and how long it took to answer. */
        responseStatus: { type: 'number' },
        latencyMs: { type: 'number' },
        openedAt: { type: 'string' },
        lastOpenAt: { type: 'string' },
        lastClickAt: { type: 'string' },
        /** Result metrics this message has added to the counters: each at most once. */
        counted: { type: 'set', items: 'string' },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
        /** Optimistic concurrency between feedback events of the same message. */
        version: { type: 'number', required: true },
      },
      indexes: {
        byMessage: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: {
            field: 'sk',
            composite: ['source', 'channel'],
            template: 'MSGOUT#${source}#${channel}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type MessageOutcome = ReturnType<typeof buildMessageOutcome>;
