import type { EntityItem } from 'electrodb';
import type { Channel } from '../store/entities/consent.ts';
import type { Topic } from '../store/entities/topic.ts';
import { store } from '../store/service.ts';
import type { TopicRule } from './gate.ts';
import type { TopicPutInput } from './schema.ts';

/**
 * Declared subscription topics. Read by the send gate and the preference page, so cached per process
 * for a short time like custom attributes; a declaration reaches every function within a minute.
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
let cache: { at: number; list: TopicDefinition[] } | undefined;

function toDefinition(item: EntityItem<typeof Topic>): TopicDefinition {
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

export async function topicsByName(): Promise<Map<string, TopicDefinition>> {
  return new Map((await listTopics()).map((t) => [t.topic, t]));
}

export function forgetTopics(): void {
  cache = undefined;
}

export async function declareTopic(topic: string, input: TopicPutInput) {
  const now = new Date().toISOString();
  const existing = await store().entities.topic.get({ topic }).go({ consistent: true });
  const item: EntityItem<typeof Topic> = {
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
