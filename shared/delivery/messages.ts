import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import type { ChannelAdapters, OutboundMessage } from '../channels/types.ts';
import { topicsByName } from '../consent/topics.ts';
import { declaredAttributes } from '../customers/attributes.ts';
import type { CustomerView } from '../customers/schema.ts';
import { getCustomer } from '../customers/service.ts';
import {
  GoneError,
  NotFoundError,
  ServiceUnavailableError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors.ts';
import type { ComputedView } from '../scoring/profile.ts';
import type { Channel } from '../store/entities/consent.ts';
import { render, templateProblems } from '../templates/render.ts';
import { definitionOf, getTemplate } from '../templates/service.ts';
import type { RenderedContent, TemplateDefinition } from '../templates/types.ts';
import type { GateAnswer } from './contract.ts';
import { admit, confirmFailed, confirmSent, releaseReservation } from './gate.ts';
import type { MessageSendInput } from './schema.ts';

/**
 * Transactional sends (`POST /v1/messages`): one customer, one template, now, through the same gate as
 * campaigns. Consent applies (the topic must be a declared service topic), caps do not by default, and
 * the Idempotency-Key is the ledger's source key, so a retry — concurrent, or a day later when the
 * HTTP idempotency record has expired — never sends twice.
 */

export interface MessageResult {
  source: string;
  status: 'sent' | 'deferred' | 'not_sent' | 'duplicate' | 'failed';
  channel?: Channel;
  messageId?: string;
  providerMessageId?: string;
  deferUntil?: string;
  detail?: string;
  skipped: { channel: Channel; reason: string; deferUntil?: string }[];
}

/** The ledger source of a transactional send: the caller's key, hashed with the API key it came with. */
export function transactionalSourceId(keyId: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return ulid();
  return createHash('sha256').update(`${keyId}\n${idempotencyKey}`).digest('base64url').slice(0, 32);
}

async function customerFor(customerId: string): Promise<CustomerView> {
  try {
    return await getCustomer(customerId);
  } catch (error) {
    if (error instanceof GoneError) throw UnprocessableError.field('customerId', 'names an erased customer');
    if (error instanceof NotFoundError)
      throw UnprocessableError.field('customerId', 'is not a known customer');
    throw error;
  }
}

async function templateFor(input: MessageSendInput): Promise<TemplateDefinition> {
  if (input.template) {
    // Checked as a stored template is: declared variables, declared custom attributes.
    const definition = definitionOf(input.template);
    const declared = { ...definition.variables };
    for (const [name] of await declaredAttributes())
      declared[`customer.attributes.${name}`] ??= { type: 'string' };
    const problems = templateProblems({ ...definition, variables: declared });
    if (problems.length > 0)
      throw new ValidationError(problems.map((p) => ({ ...p, path: `template.${p.path}` })));
    return definitionOf(input.template);
  }
  try {
    const stored = await getTemplate(input.templateId as string);
    if (stored.status !== 'active')
      throw UnprocessableError.field('templateId', 'names an archived template');
    return definitionOf(stored);
  } catch (error) {
    if (error instanceof NotFoundError) throw UnprocessableError.field('templateId', 'is not a template');
    throw error;
  }
}

function outbound(
  channel: Channel,
  content: RenderedContent,
  address: string,
  input: MessageSendInput,
  attribution: { messageId: string; customerId: string; source: string },
): OutboundMessage {
  const base = { ...attribution, tags: { topic: input.topic } };
  if (content.channel === 'email')
    return {
      channel: 'email',
      to: address,
      subject: content.subject,
      ...(content.html !== undefined && { html: content.html }),
      ...(content.text !== undefined && { text: content.text }),
      ...(content.unsubscribeUrl !== undefined && { unsubscribe: { url: content.unsubscribeUrl } }),
      ...base,
    };
  if (content.channel === 'sms')
    return { channel: 'sms', to: address, body: content.body, messageType: 'TRANSACTIONAL', ...base };
  if (content.channel === 'push')
    return {
      channel: 'push',
      to: address,
      platform: input.pushPlatform,
      title: content.title,
      body: content.body,
      ...(content.data !== undefined && { data: content.data }),
      ...(content.url !== undefined && { url: content.url }),
      ...base,
    };
  if (channel !== 'webhook') throw new Error(`No ${channel} content rendered`);
  return { channel: 'webhook', url: address, body: content.body, ...base };
}

function skippedView(answer: GateAnswer): MessageResult['skipped'] {
  return answer.skipped.map((s) => ({
    channel: s.channel,
    reason: s.reason,
    ...(s.deferUntil && { deferUntil: s.deferUntil }),
  }));
}

export async function sendTransactional(
  input: MessageSendInput,
  sourceId: string,
  adapters: () => ChannelAdapters,
): Promise<MessageResult> {
  const topic = (await topicsByName([input.topic])).get(input.topic);
  if (!topic) throw UnprocessableError.field('topic', 'is not a declared topic');
  if (topic.kind !== 'service')
    throw UnprocessableError.field(
      'topic',
      'must be a service topic: transactional sends carry no promotions',
    );
  const customer = await customerFor(input.customerId);
  // The unsubscribe link of a transactional message withdraws its own topic.
  const template: TemplateDefinition = { ...(await templateFor(input)), topic: input.topic };

  // Everything is rendered before the gate writes anything: a template that cannot render is the
  // caller's 422, never a reserved message that then fails.
  const { computed, ...profile } = customer;
  const rendered = new Map<Channel, RenderedContent>();
  for (const [i, channel] of input.channels.entries()) {
    try {
      const message = await render(
        template,
        {
          customer: profile,
          ...(computed && { computed: computed as ComputedView }),
          event: input.data ?? {},
        },
        {
          channel,
          ...(customer.locale && { locale: customer.locale }),
          ...(customer.timeZone && { timeZone: customer.timeZone }),
        },
      );
      rendered.set(channel, message.content);
    } catch (error) {
      if (error instanceof ValidationError && error.errors[0]?.path === 'channel')
        throw UnprocessableError.field(`channels[${i}]`, `the template has no ${channel} content`);
      if (error instanceof ValidationError)
        throw new UnprocessableError(error.errors.map((e) => ({ ...e, path: `template.${e.path}` })));
      throw error;
    }
  }

  const source = { kind: 'transactional' as const, id: sourceId };
  const messageId = ulid();
  const answer = await admit({
    source,
    customerId: customer.id,
    channels: input.channels,
    topic: input.topic,
    addresses: input.addresses,
    ...(input.quietHours && { quietHours: input.quietHours }),
    meta: { template: input.templateId ?? template.name, messageId },
  });
  const key = `transactional:${sourceId}`;
  if (answer.outcome === 'skip') return { source: key, status: 'not_sent', skipped: skippedView(answer) };
  if (answer.outcome === 'duplicate')
    return { source: key, status: 'duplicate', channel: answer.channel, skipped: skippedView(answer) };
  if (answer.outcome === 'defer')
    return {
      source: key,
      status: 'deferred',
      channel: answer.channel,
      deferUntil: answer.deferUntil,
      skipped: skippedView(answer),
    };

  const content = rendered.get(answer.channel) as RenderedContent;
  const attribution = { messageId, customerId: customer.id, source: 'transactional' };
  const message = outbound(answer.channel, content, answer.address, input, attribution);
  let adapter: { send(m: OutboundMessage): ReturnType<ChannelAdapters['email']['send']> };
  try {
    adapter = adapters()[answer.channel] as typeof adapter;
  } catch (error) {
    // Nothing reached a provider: the reservation goes back, so a retry decides again.
    await releaseReservation(answer.ticket, 'channel_unavailable', 'no adapter for the channel');
    throw error;
  }
  // An adapter that throws leaves the reservation in place: whether the provider took it is unknown.
  const result = await adapter.send(message);
  const base = { source: key, channel: answer.channel, messageId, skipped: skippedView(answer) };
  if (result.status === 'accepted') {
    await confirmSent(answer.ticket, result.providerMessageId);
    return {
      ...base,
      status: 'sent',
      ...(result.providerMessageId !== undefined && { providerMessageId: result.providerMessageId }),
    };
  }
  if (result.retryable) {
    await releaseReservation(answer.ticket, `channel_${result.status}`, result.detail);
    throw new ServiceUnavailableError(
      `The ${answer.channel} provider did not take the message (${result.status}); retry with the same Idempotency-Key`,
      Math.max(1, Math.ceil((result.retryAfterMs ?? 1000) / 1000)),
    );
  }
  await confirmFailed(answer.ticket, { detail: result.detail });
  return { ...base, status: 'failed', detail: result.detail };
}
