import { store } from '../store/service.ts';
import type { AttributeType } from './normalize.ts';

/**
 * Declared custom attributes. Read on every customer write that sets attributes, so the list is
 * cached per process for a short time; a declaration reaches every function within a minute.
 */
const TTL_MS = 60_000;
let cache: { at: number; map: Map<string, AttributeType> } | undefined;

export async function declaredAttributes(): Promise<Map<string, AttributeType>> {
  if (cache && Date.now() - cache.at < TTL_MS) return cache.map;
  const result = await store().entities.attributeDefinition.query.byName({}).go({ pages: 'all' });
  const map = new Map(result.data.map((d) => [d.name, d.type] as const));
  cache = { at: Date.now(), map };
  return map;
}

export function forgetDeclaredAttributes(): void {
  cache = undefined;
}

export async function declareAttribute(
  name: string,
  input: { type: AttributeType; description?: string | undefined },
) {
  const now = new Date().toISOString();
  const existing = await store().entities.attributeDefinition.get({ name }).go({ consistent: true });
  const item = {
    name,
    type: input.type,
    ...(input.description !== undefined && { description: input.description }),
    createdAt: existing.data?.createdAt ?? now,
    updatedAt: now,
  };
  await store().entities.attributeDefinition.put(item).go();
  forgetDeclaredAttributes();
  return { attribute: item, created: !existing.data };
}

export async function listAttributes() {
  const result = await store().entities.attributeDefinition.query.byName({}).go({ pages: 'all' });
  return result.data.map(({ name, type, description, createdAt, updatedAt }) => ({
    name,
    type,
    ...(description !== undefined && { description }),
    createdAt,
    updatedAt,
  }));
}
