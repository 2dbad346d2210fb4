import { readFileSync } from 'node:fs';
import { ulid } from 'ulid';

export type SesSample =
  | 'send'
  | 'delivery'
  | 'bounce-permanent'
  | 'bounce-transient'
  | 'complaint'
  | 'reject'
  | 'open'
  | 'click'
  | 'delivery-delay'
  | 'rendering-failure';

export interface SesMessage {
  address: string;
  sesMessageId: string;
  tags: Record<string, string>;
}

/** A message as Cohort's SES adapter would send it: a fresh SES id and the results tags. */
export function sesMessage(input: {
  address: string;
  customerId: string;
  campaignId: string;
  variant?: string;
  tier?: string;
}): SesMessage {
  return {
    address: input.address,
    sesMessageId: `0100019a${ulid().toLowerCase()}-000000`,
    tags: {
      message: ulid(),
      customer: input.customerId,
      'source-kind': 'campaign',
      'source-id': input.campaignId,
      ...(input.variant && { variant: input.variant }),
      ...(input.tier && { tier: input.tier }),
    },
  };
}

/**
 * An EventBridge SES event from events/samples/ses, re-addressed to one message: its recipient, SES
 * message id and tags (SES gives tag values as lists and adds its own `ses:` tags, kept from the sample).
 */
export function sesEvent(sample: SesSample, message: SesMessage, at?: string) {
  const event = JSON.parse(readFileSync(`events/samples/ses/${sample}.json`, 'utf8'));
  const text = JSON.stringify(event).replaceAll('recipient@example.com', message.address);
  const shaped = JSON.parse(text);
  const mail = shaped.detail.mail;
  mail.messageId = message.sesMessageId;
  mail.commonHeaders.messageId = message.sesMessageId;
  const own = Object.fromEntries(Object.entries(mail.tags).filter(([k]) => k.startsWith('ses:')));
  mail.tags = { ...own, ...Object.fromEntries(Object.entries(message.tags).map(([k, v]) => [k, [v]])) };
  shaped.id = ulid();
  if (at) {
    for (const part of ['delivery', 'bounce', 'complaint', 'open', 'click', 'deliveryDelay']) {
      if (shaped.detail[part]) shaped.detail[part].timestamp = at;
    }
  }
  return shaped as { 'detail-type': string; source: string; detail: Record<string, unknown> };
}
