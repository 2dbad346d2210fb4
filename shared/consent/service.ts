import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { EntityItem } from 'electrodb';
import { getCustomer } from '../customers/service.ts';
import { config } from '../platform/config.ts';
import { ConflictError, type FieldError, UnprocessableError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { log } from '../platform/log.ts';
import { sesClient } from '../platform/ses.ts';
import type { Channel, Consent, ConsentStatus } from '../store/entities/consent.ts';
import type { Frequency } from '../store/entities/contact-preferences.ts';
import { store } from '../store/service.ts';
import { languageOf, t } from './i18n.ts';
import { confirmUrl } from './links.ts';
import { topicsByName } from './topics.ts';

export type ConsentItem = EntityItem<Consent>;

export interface ConsentChange {
  channel: Channel;
  topic: string;
  status: 'opted_in' | 'opted_out';
  source: string;
  proof?: string | undefined;
}

export interface SetConsentsOptions {
  /** Email opt-ins wait for a confirmation click; defaults to the stage's EMAIL_DOUBLE_OPT_IN. */
  doubleOptIn?: boolean;
  /**
   * The customer has just shown they read mail at their address (they came through a link mailed to
   * it), so an email opt-in needs no second confirmation.
   */
  emailConfirmed?: boolean;
}

export interface SetConsentsResult {
  items: ReturnType<typeof consentView>[];
  changed: number;
  /** True when an email opt-in waits for the customer's click and a confirmation mail went out. */
  confirmationSent: boolean;
}

function consentView(item: ConsentItem) {
  return {
    channel: item.channel,
    topic: item.topic,
    status: item.status,
    source: item.source,
    ...(item.proof !== undefined && { proof: item.proof }),
    updatedAt: item.updatedAt,
  };
}

export async function readConsents(customerId: string): Promise<ConsentItem[]> {
  const result = await store()
    .entities.consent.query.byCustomer({ customerId })
    .go({ consistent: true, pages: 'all' });
  return result.data;
}

export async function readFrequency(customerId: string): Promise<Frequency | undefined> {
  const result = await store().entities.contactPreferences.get({ customerId }).go({ consistent: true });
  return result.data?.frequency;
}

/** Current consents, the preferred frequency and the latest 100 changes (newest first). */
export async function getConsents(customerId: string) {
  await getCustomer(customerId);
  const [items, frequency, history] = await Promise.all([
    readConsents(customerId),
    readFrequency(customerId),
    store().entities.consentHistory.query.byCustomer({ customerId }).go({ order: 'desc', limit: 100 }),
  ]);
  return {
    customerId,
    items: items.map(consentView),
    ...(frequency && { frequency }),
    history: history.data.map((h) => ({
      id: h.historyId,
      channel: h.channel,
      topic: h.topic,
      status: h.status,
      ...(h.previousStatus !== undefined && { previousStatus: h.previousStatus }),
      source: h.source,
      ...(h.proof !== undefined && { proof: h.proof }),
      actor: h.actor,
      at: h.at,
    })),
  };
}

const keyOf = (channel: string, topic: string) => `${channel}#${topic}`;

/**
 * Applies consent changes together: the consent items and one history entry per change in a single
 * transaction, conditioned on what was read, so a concurrent change is never silently lost. A change to
 * the status already held writes nothing, so a retried request changes nothing twice.
 */
export async function setConsents(
  customerId: string,
  changes: ConsentChange[],
  actor: string,
  options: SetConsentsOptions = {},
): Promise<SetConsentsResult> {
  const customer = await getCustomer(customerId);
  const topics = await topicsByName(changes.map((change) => change.topic));
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  changes.forEach((change, i) => {
    const key = keyOf(change.channel, change.topic);
    if (seen.has(key))
      errors.push({ path: `consents[${i}]`, message: `repeats ${change.channel}/${change.topic}` });
    seen.add(key);
    if (change.topic === '*') return;
    const topic = topics.get(change.topic);
    if (!topic)
      errors.push({ path: `consents[${i}].topic`, message: `"${change.topic}" is not a declared topic` });
    else if (!topic.channels.includes(change.channel)) {
      errors.push({
        path: `consents[${i}].channel`,
        message: `topic "${change.topic}" is not offered on ${change.channel} (only ${topic.channels.join(', ')})`,
      });
    }
  });
  if (errors.length > 0) throw new UnprocessableError(errors);

  const doubleOptIn = (options.doubleOptIn ?? config().EMAIL_DOUBLE_OPT_IN) && !options.emailConfirmed;
  const needsConfirmation = (c: ConsentChange) =>
    doubleOptIn && c.channel === 'email' && c.status === 'opted_in' && c.source !== 'double_opt_in';
  if (!customer.email && changes.some(needsConfirmation)) {
    const i = changes.findIndex(needsConfirmation);
    throw new UnprocessableError([
      { path: `consents[${i}].channel`, message: 'the customer has no email address to confirm the opt-in' },
    ]);
  }

  const confirmationId = newId();
  // A concurrent change makes the transaction fail; read again and re-plan. A retry of the same request
  // then finds its changes in place and writes nothing.
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = new Map((await readConsents(customerId)).map((c) => [keyOf(c.channel, c.topic), c]));
    const now = new Date().toISOString();
    let confirmationDue = false;
    const writes: { before: ConsentItem | undefined; after: ConsentItem }[] = [];
    for (const change of changes) {
      const before = current.get(keyOf(change.channel, change.topic));
      let status: ConsentStatus = change.status;
      let proof = change.proof;
      if (needsConfirmation(change) && before?.status !== 'opted_in') {
        status = 'pending';
        // Asking again while pending sends the mail again (the first may be lost), changing nothing.
        confirmationDue = true;
        proof = JSON.stringify({
          confirmationId,
          ...(change.proof !== undefined && { request: change.proof }),
        });
      }
      if (before?.status === status) continue;
      writes.push({
        before,
        after: {
          customerId,
          channel: change.channel,
          topic: change.topic,
          status,
          source: change.source,
          ...(proof !== undefined && { proof }),
          updatedAt: now,
        },
      });
    }
    if (writes.length > 0 && !(await commitConsents(writes, actor))) continue;
    for (const { after } of writes) current.set(keyOf(after.channel, after.topic), after);
    if (confirmationDue && customer.email) {
      await sendConfirmation(customerId, customer.email, customer.locale, confirmationId);
    }
    return {
      items: [...current.values()].map(consentView),
      changed: writes.length,
      confirmationSent: confirmationDue,
    };
  }
  throw new ConflictError('The consents are being changed by other requests at the same time; try again');
}

const MAX_ATTEMPTS = 5;

/** Writes the consents and their history together; false when a condition failed (a concurrent writer). */
async function commitConsents(
  writes: { before: ConsentItem | undefined; after: ConsentItem }[],
  actor: string,
): Promise<boolean> {
  const result = await store()
    .transaction.write(({ consent, consentHistory }) =>
      writes.flatMap(({ before, after }) => [
        before
          ? consent
              .put(after)
              .where((attr, op) => op.eq(attr.updatedAt, before.updatedAt))
              .commit()
          : consent.create(after).commit(),
        consentHistory
          .create({
            customerId: after.customerId,
            historyId: newId(),
            channel: after.channel,
            topic: after.topic,
            status: after.status,
            ...(before && { previousStatus: before.status }),
            source: after.source,
            ...(after.proof !== undefined && { proof: after.proof }),
            actor,
            at: after.updatedAt,
          })
          .commit(),
      ]),
    )
    .go();
  return !result.canceled;
}

async function sendConfirmation(customerId: string, email: string, locale: string | undefined, ref: string) {
  const lang = languageOf(locale);
  const link = await confirmUrl(customerId, 'email', '*', ref);
  const c = config();
  await sesClient().send(
    new SendEmailCommand({
      FromEmailAddress: c.EMAIL_FROM,
      Destination: { ToAddresses: [email] },
      ...(c.SES_CONFIGURATION_SET && { ConfigurationSetName: c.SES_CONFIGURATION_SET }),
      Content: {
        Simple: {
          Subject: { Data: t(lang, 'confirm.mailSubject'), Charset: 'UTF-8' },
          Body: {
            Text: { Data: `${t(lang, 'confirm.mailBody')}\n\n${link}\n`, Charset: 'UTF-8' },
          },
        },
      },
    }),
  );
  log.info('double opt-in confirmation sent', { customerId, confirmationId: ref });
}

/**
 * The click on a double opt-in link: every pending email consent of the customer becomes opted_in, with
 * the confirmation id and the request's IP and user agent as proof. Idempotent: a second click finds
 * nothing pending and changes nothing.
 */
export async function confirmEmailConsents(
  customerId: string,
  ref: string,
  evidence: { ip?: string | undefined; userAgent?: string | undefined },
): Promise<number> {
  const pending = (await readConsents(customerId)).filter(
    (c) => c.channel === 'email' && c.status === 'pending',
  );
  if (pending.length === 0) return 0;
  const proof = JSON.stringify({ confirmationId: ref, ...evidence });
  const result = await setConsents(
    customerId,
    pending.map((c) => ({
      channel: c.channel,
      topic: c.topic,
      status: 'opted_in',
      source: 'double_opt_in',
      proof,
    })),
    'double opt-in link',
    { doubleOptIn: false },
  );
  return result.changed;
}

export async function setFrequency(customerId: string, frequency: Frequency): Promise<boolean> {
  const current = await readFrequency(customerId);
  if (current === frequency) return false;
  await store()
    .entities.contactPreferences.put({ customerId, frequency, updatedAt: new Date().toISOString() })
    .go();
  return true;
}
