import type { EntityItem } from 'electrodb';
import { topicsByName } from '../consent/topics.ts';
import { declaredAttributes } from '../customers/attributes.ts';
import { type Actor, getCustomer } from '../customers/service.ts';
import { withClientCursor } from '../platform/cursor.ts';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import type { ComputedView } from '../scoring/profile.ts';
import type { TemplateItem } from '../store/entities/template.ts';
import { store } from '../store/service.ts';
import { render, templateProblems } from './render.ts';
import type { TemplateInput, TemplateRenderInput, TemplateView } from './schema.ts';
import type { RenderedMessage, TemplateDefinition } from './types.ts';

type Item = EntityItem<TemplateItem>;

const templates = () => store().entities.template;

/** A DynamoDB item holds 400 KB; the definition is most of it, so it stays well below. */
const MAX_DEFINITION_BYTES = 300_000;

function toView(item: Item): TemplateView {
  const d = item.definition as TemplateDefinition;
  return {
    id: item.templateId,
    name: item.name,
    status: item.status,
    ...(d.description !== undefined && { description: d.description }),
    defaultLocale: d.defaultLocale,
    content: d.content as Record<string, unknown>,
    ...(d.locales !== undefined && { locales: d.locales }),
    ...(d.variables !== undefined && { variables: d.variables }),
    ...(d.topic !== undefined && { topic: d.topic }),
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    ...(item.archivedAt !== undefined && { archivedAt: item.archivedAt }),
  };
}

export function definitionOf(view: TemplateView | TemplateInput): TemplateDefinition {
  return {
    name: view.name,
    defaultLocale: view.defaultLocale,
    content: view.content as TemplateDefinition['content'],
    ...(view.description !== undefined && { description: view.description }),
    ...(view.locales !== undefined && { locales: view.locales as TemplateDefinition['locales'] }),
    ...(view.variables !== undefined && { variables: view.variables as TemplateDefinition['variables'] }),
    ...(view.topic !== undefined && { topic: view.topic }),
  };
}

/**
 * Everything wrong with a template before it is stored, as `body.<path>` errors: Liquid that does not
 * parse, unknown filters, variables neither built in, declared by the template nor declared as custom
 * attributes, and a topic that is not declared.
 */
async function checkTemplate(input: TemplateInput): Promise<TemplateDefinition> {
  const definition = definitionOf(input);
  const size = Buffer.byteLength(JSON.stringify(definition), 'utf8');
  if (size > MAX_DEFINITION_BYTES) {
    throw ValidationError.field(
      'body',
      `is ${size} bytes as stored; a template may have at most ${MAX_DEFINITION_BYTES}`,
    );
  }
  const attributes = await declaredAttributes();
  const declared = { ...definition.variables };
  for (const [name] of attributes) {
    declared[`customer.attributes.${name}`] ??= { type: 'string' };
  }
  const problems = templateProblems({ ...definition, variables: declared });
  if (
    definition.topic &&
    definition.topic !== '*' &&
    !(await topicsByName([definition.topic])).has(definition.topic)
  ) {
    problems.push({ path: 'topic', message: `"${definition.topic}" is not a declared topic` });
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return definition;
}

export async function createTemplate(input: TemplateInput, actor: Actor): Promise<TemplateView> {
  const definition = await checkTemplate(input);
  const now = new Date().toISOString();
  const item: Item = {
    templateId: newId(),
    name: definition.name,
    status: 'active',
    definition,
    version: 1,
    createdAt: now,
    createdBy: actor.keyId,
    updatedAt: now,
    updatedBy: actor.keyId,
  };
  await templates().create(item).go();
  return toView(item);
}

async function readItem(templateId: string): Promise<Item> {
  const { data } = await templates().get({ templateId }).go({ consistent: true });
  if (!data) throw new NotFoundError(`No template ${templateId}`);
  return data as Item;
}

export async function getTemplate(templateId: string): Promise<TemplateView> {
  return toView(await readItem(templateId));
}

export async function listTemplates(status: 'active' | 'archived', limit: number, cursor?: string) {
  const result = await withClientCursor(cursor, () =>
    templates()
      .query.byStatus({ status })
      .go({ order: 'desc', limit, ...(cursor && { cursor }) }),
  );
  return { items: result.data.map((t) => toView(t as Item)), ...(result.cursor && { next: result.cursor }) };
}

/** Writes the next version if the stored one is still `expected`; 412 naming the current one if not. */
async function replace(before: Item, after: Item, expected: number): Promise<void> {
  try {
    await templates()
      .put(after)
      .where((attr, op) => op.eq(attr.version, expected))
      .go();
  } catch (error) {
    const e = error as { cause?: { name?: string } };
    if (e?.cause?.name !== 'ConditionalCheckFailedException') throw error;
    const current = await readItem(before.templateId);
    throw new PreconditionFailedError(
      `The template is at version ${current.version}, not ${expected}; read it again and reapply your change`,
    );
  }
}

function checkVersion(item: Item, expected: number) {
  if (item.version !== expected) {
    throw new PreconditionFailedError(
      `The template is at version ${item.version}, not ${expected}; read it again and reapply your change`,
    );
  }
}

/** Replaces the whole definition under If-Match. Archived templates are kept as they were sent. */
export async function updateTemplate(
  templateId: string,
  input: TemplateInput,
  expected: number,
  actor: Actor,
): Promise<TemplateView> {
  const before = await readItem(templateId);
  checkVersion(before, expected);
  if (before.status === 'archived')
    throw new ConflictError('An archived template cannot be changed; create a new one');
  const definition = await checkTemplate(input);
  const after: Item = {
    ...before,
    name: definition.name,
    definition,
    version: expected + 1,
    updatedAt: new Date().toISOString(),
    updatedBy: actor.keyId,
  };
  await replace(before, after, expected);
  return toView(after);
}

/** Archiving keeps the template readable and renderable (sent messages refer to it) but out of the active list. */
export async function archiveTemplate(
  templateId: string,
  expected: number,
  actor: Actor,
): Promise<TemplateView> {
  const before = await readItem(templateId);
  checkVersion(before, expected);
  if (before.status === 'archived') return toView(before);
  const now = new Date().toISOString();
  const after: Item = {
    ...before,
    status: 'archived',
    archivedAt: now,
    version: expected + 1,
    updatedAt: now,
    updatedBy: actor.keyId,
  };
  await replace(before, after, expected);
  return toView(after);
}

export interface RenderPreview extends RenderedMessage {
  templateId: string;
  version: number;
  customerId: string;
  channel: TemplateRenderInput['channel'];
}

/**
 * A template rendered for one customer, as it would be sent: their profile, custom attributes and
 * computed scores, in their locale and time zone unless the request names a locale, with event data from
 * the request. Writes nothing.
 */
export async function renderForCustomer(
  templateId: string,
  input: TemplateRenderInput,
): Promise<RenderPreview> {
  const template = await getTemplate(templateId);
  const customer = await getCustomer(input.customerId).catch((error: unknown) => {
    // The customer is named in the body, so a missing one is the body's problem, not the URL's.
    if (error instanceof NotFoundError) throw UnprocessableError.field('customerId', 'is not a customer');
    throw error;
  });
  const { computed, ...profile } = customer;
  const rendered = await render(
    definitionOf(template),
    {
      customer: profile,
      ...(computed && { computed: computed as ComputedView }),
      ...(input.event && { event: input.event }),
    },
    {
      channel: input.channel,
      ...((input.locale ?? customer.locale) && { locale: input.locale ?? customer.locale }),
      ...(customer.timeZone && { timeZone: customer.timeZone }),
    },
  );
  return {
    templateId,
    version: template.version,
    customerId: customer.id,
    channel: input.channel,
    ...rendered,
  };
}
