import type { Channel } from '../store/entities/consent.ts';

/**
 * Which message a piece of feedback is about, and the dimensions its results are counted under. Senders
 * attach it to every message as SES message tags and as the Pinpoint Context (both string maps, see
 * `refTags`); feedback carries it back.
 */
export interface MessageRef {
  /** The ledger's source key, `kind:id` (`campaign:01K…`, `automation:…`, `transactional:…`). */
  source: string;
  customerId: string;
  channel: Channel;
  /** Cohort's id of the message (ULID). */
  messageId?: string | undefined;
  /** The occurrence of a recurring campaign or automation. */
  run?: string | undefined;
  variant?: string | undefined;
  tier?: string | undefined;
}

/** Stands for "none" in a dimension (keys need a value). */
export const NONE = '-';

export const sourceKinds = ['campaign', 'automation', 'transactional'] as const;

/**
 * SES tag names and values may hold only ASCII letters, digits, `_` and `-` (at most 256 characters), so
 * the source travels as kind and id in two tags. Pinpoint's Context takes the same map.
 */
export const TAG = {
  message: 'message',
  customer: 'customer',
  sourceKind: 'source-kind',
  sourceId: 'source-id',
  /** Campaign sends may name the campaign alone; it stands for source-kind campaign. */
  campaign: 'campaign',
  run: 'run',
  variant: 'variant',
  tier: 'tier',
} as const;

const TAG_VALUE = /^[A-Za-z0-9_-]{1,256}$/;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The Cohort message id a message's tags carry, if any. */
export function messageIdOf(
  tags: Record<string, string | readonly string[] | undefined>,
): string | undefined {
  const value = tags[TAG.message];
  const text = Array.isArray(value) ? value[0] : value;
  return typeof text === 'string' && text !== '' ? text : undefined;
}

/** The tags a sender attaches; values that SES would refuse are left out rather than failing the send. */
export function refTags(ref: MessageRef): Record<string, string> {
  const [kind = '', ...rest] = ref.source.split(':');
  const tags: Record<string, string> = {
    [TAG.customer]: ref.customerId,
    [TAG.sourceKind]: kind,
    [TAG.sourceId]: rest.join(':'),
    ...(ref.messageId && { [TAG.message]: ref.messageId }),
    ...(ref.run && { [TAG.run]: ref.run }),
    ...(ref.variant && { [TAG.variant]: ref.variant }),
    ...(ref.tier && { [TAG.tier]: ref.tier }),
  };
  return Object.fromEntries(Object.entries(tags).filter(([, v]) => TAG_VALUE.test(v)));
}

/**
 * The reference a message's tags carry (SES gives each tag as a list of values), or undefined when the
 * message was not sent by Cohort's senders (a double opt-in confirmation, mail of another system using
 * the configuration set).
 */
export function refFromTags(
  tags: Record<string, string | readonly string[] | undefined>,
  channel: Channel,
): MessageRef | undefined {
  const one = (name: string) => {
    const value = tags[name];
    const text = Array.isArray(value) ? value[0] : value;
    return typeof text === 'string' && text !== '' ? text : undefined;
  };
  const customerId = one(TAG.customer);
  // The SES adapter tags a hash of the customer id; only a sender that tags the id itself (a ULID) is
  // read here, the others are resolved through the message id (resolveRef in feedback.ts).
  if (!customerId || !ULID.test(customerId)) return undefined;
  const campaign = one(TAG.campaign);
  const kind = one(TAG.sourceKind) ?? (campaign ? 'campaign' : undefined);
  const id = one(TAG.sourceId) ?? (kind === 'campaign' ? campaign : undefined);
  if (!kind || !id || !(sourceKinds as readonly string[]).includes(kind)) return undefined;
  return {
    source: `${kind}:${id}`,
    customerId,
    channel,
    messageId: one(TAG.message),
    run: one(TAG.run),
    variant: one(TAG.variant),
    tier: one(TAG.tier),
  };
}
