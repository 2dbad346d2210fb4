import type { Actor } from '../customers/service.ts';
import { PreconditionFailedError } from '../platform/errors.ts';
import { store } from '../store/service.ts';
import { defaultScoringSettings, type ScoringSettings } from './settings.ts';

/**
 * The stage's scoring settings in the table. Version 0 stands for "nothing stored, the defaults": a first
 * PUT sends If-Match "0" like any other. Readers on hot paths (ingest, the stream consumer) keep what they
 * read for a few seconds; a change reaches them within that time, and at once in the process that made it.
 */

const NAME = 'current';
const CACHE_MS = 10_000;

export interface StoredSettings {
  settings: ScoringSettings;
  version: number;
  updatedAt?: string;
}

let cached: { value: StoredSettings; at: number } | undefined;

export async function readScoringSettings(): Promise<StoredSettings> {
  const item = await store().entities.scoringSettings.get({ name: NAME }).go({ consistent: true });
  if (!item.data) return { settings: defaultScoringSettings(), version: 0 };
  // Stored settings were parsed when written; parsing again fills defaults added since.
  const { scoringSettingsSchema } = await import('./settings.ts');
  return {
    settings: scoringSettingsSchema.parse(item.data.settings),
    version: item.data.version,
    updatedAt: item.data.updatedAt,
  };
}

/** The settings as of at most a few seconds ago. */
export async function scoringSettings(): Promise<ScoringSettings> {
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.value.settings;
  const value = await readScoringSettings();
  cached = { value, at: Date.now() };
  return value.settings;
}

export async function putScoringSettings(
  settings: ScoringSettings,
  expectedVersion: number,
  actor: Actor,
): Promise<StoredSettings> {
  const s = store().entities.scoringSettings;
  const updatedAt = new Date().toISOString();
  const item = { name: NAME, settings, version: expectedVersion + 1, updatedAt, updatedBy: actor.keyId };
  try {
    if (expectedVersion === 0) await s.create(item).go();
    else
      await s
        .put(item)
        .where((attr, op) => op.eq(attr.version, expectedVersion))
        .go();
  } catch (error) {
    const e = error as { cause?: { name?: string } };
    if (e?.cause?.name !== 'ConditionalCheckFailedException') throw error;
    const current = await readScoringSettings();
    throw new PreconditionFailedError(
      `The scoring settings are at version ${current.version}, not ${expectedVersion}; read them again and reapply your change`,
    );
  }
  const value = { settings, version: item.version, updatedAt };
  cached = { value, at: Date.now() };
  return value;
}

/** Forgets what was read, so the next read goes to the table (tests, benchmarks). */
export function forgetScoringSettings(): void {
  cached = undefined;
}
