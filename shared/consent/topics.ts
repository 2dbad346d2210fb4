import type { EntityItem } from 'electrodb';
import type { Channel } from '../store/entities/consent.ts';
import type { Topic } from '../store/entities/topic.ts';
import { store } from '../store/service.ts';
import type { TopicRule } from './gate.ts';
import type { TopicPutInput } from './schema.ts';

/**
 * Declared subscription topics. Read by the send gate and the preference page, so cached per process
 * for a short time like custom attributes: a change to a declaration reaches every function within a
 * minute. A name the cached list lacks is looked up again (at most once a second), so a topic declared
 * a moment ago is known at once to whoever asks for it by name.
 */
export interface TopicDefinition extends TopicRule {
  topic: string;
  name: { en: string; zh: string };
  description?: string;
  channels: Channel[];
  createdAt: string;
  updatedAt: string;
}

const TTL_MS = 60_000;
/** How old a cached list must be before a missing name makes the next caller read the topics again. */
const MISS_REFRESH_MS = 1_000;
let cache: { at: number; list: TopicDefinition[] } | undefined;

function toDefinition(item: EntityItem<Topic>): TopicDefinition {
  return {
    topic: item.topic,
    name: { en: item.nameEn, zh: item.nameZh },
    ...(item.description !== undefined && { description: item.description }),
    kind: item.kind,
    channels: item.channels as Channel[],
    defaultStatus: item.defaultStatus,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
}

export async function listTopics(): Promise<TopicDefinition[]> {
  if (cache && Date.now() - cache.at < TTL_MS) return cache.list;
  const result = await store().entities.topic.query.byName({}).go({ pages: 'all' });
  const list = result.data.map(toDefinition);
  cache = { at: Date.now(), list };
  return list;
}

/** The declared topics by name; `wanted` names the topics the caller is about to look up. */
export async function topicsByName(wanted: readonly string[] = []): Promise<Map<string, TopicDefinition>> {
  let byName = new Map((await listTopics()).map((t) => [t.topic, t]));
  const missing = wanted.some((name) => name !== '*' && !byName.has(name));
  if (missing && cache && Date.now() - cache.at >= MISS_REFRESH_MS) {
    cache = undefined;
    byName = new Map((await listTopics()).map((t) => [t.topic, t]));
  }
  return byName;
}

export function forgetTopics(): void {
  cache = undefined;
}

export async function declareTopic(topic: string, input: TopicPutInput) {
  const now = new Date().toISOString();
  const existing = await store().entities.topic.get({ topic }).go({ consistent: true });
  const item: EntityItem<Topic> = {
    topic,
    nameEn: input.name.en,
    nameZh: input.name.zh,
    ...(input.description !== undefined && { description: input.description }),
    kind: input.kind,
    channels: [...new Set(input.channels)],
    defaultStatus: input.defaultStatus ?? (input.kind === 'service' ? 'opted_in' : 'opted_out'),
    createdAt: existing.data?.createdAt ?? now,
    updatedAt: now,
  };
  await store().entities.topic.put(item).go();
  forgetTopics();
  return { topic: toDefinition(item), created: !existing.data };
}
