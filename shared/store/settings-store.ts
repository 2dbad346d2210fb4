import type { Actor } from '../customers/service.ts';
import { PreconditionFailedError } from '../platform/errors.ts';
import { type StoreEntities, store } from './service.ts';

/**
 * A stage-wide settings document in the table (scoring, delivery): one item, replaced whole under
 * If-Match. Version 0 stands for "nothing stored, the defaults", so a first PUT sends If-Match "0" like any
 * other. Readers on hot paths keep what they read for a few seconds: a change reaches them within that
 * time, and at once in the process that made it.
 */

export interface StoredSettings<T> {
  settings: T;
  version: number;
  updatedAt?: string;
}

export interface SettingsStore<T> {
  /** What is stored now (consistent read), or the defaults at version 0. */
  read(): Promise<StoredSettings<T>>;
  /** The settings as of at most a few seconds ago. */
  current(): Promise<T>;
  /** Replaces the settings if they are still at `expectedVersion`; 412 otherwise. */
  put(settings: T, expectedVersion: number, actor: Actor): Promise<StoredSettings<T>>;
  /** Forgets what was read, so the next read goes to the table (tests, benchmarks). */
  forget(): void;
}

const NAME = 'current';
const CACHE_MS = 10_000;

export function settingsStore<T>(options: {
  /** The entity holding the document; both have the same attributes, only their keys differ. */
  entity: 'scoringSettings' | 'deliverySettings';
  /** Names the settings in the 412 message: "The <label> settings are at version …". */
  label: string;
  defaults: () => T;
  /** Parses what was stored; parsing again fills defaults added since it was written. */
  parse: (stored: unknown) => T;
}): SettingsStore<T> {
  // The entities share their attributes, so one of their types serves for both.
  const entity = () => store().entities[options.entity] as StoreEntities['scoringSettings'];
  let cached: { value: StoredSettings<T>; at: number } | undefined;

  async function read(): Promise<StoredSettings<T>> {
    const item = await entity().get({ name: NAME }).go({ consistent: true });
    if (!item.data) return { settings: options.defaults(), version: 0 };
    return {
      settings: options.parse(item.data.settings),
      version: item.data.version,
      updatedAt: item.data.updatedAt,
    };
  }

  return {
    read,
    async current() {
      if (cached && Date.now() - cached.at < CACHE_MS) return cached.value.settings;
      const value = await read();
      cached = { value, at: Date.now() };
      return value.settings;
    },
    async put(settings, expectedVersion, actor) {
      const updatedAt = new Date().toISOString();
      const item = { name: NAME, settings, version: expectedVersion + 1, updatedAt, updatedBy: actor.keyId };
      try {
        if (expectedVersion === 0) await entity().create(item).go();
        else
          await entity()
            .put(item)
            .where((attr, op) => op.eq(attr.version, expectedVersion))
            .go();
      } catch (error) {
        const e = error as { cause?: { name?: string } };
        if (e?.cause?.name !== 'ConditionalCheckFailedException') throw error;
        const stored = await read();
        throw new PreconditionFailedError(
          `The ${options.label} settings are at version ${stored.version}, not ${expectedVersion}; read them again and reapply your change`,
        );
      }
      const value = { settings, version: item.version, updatedAt };
      cached = { value, at: Date.now() };
      return value;
    },
    forget() {
      cached = undefined;
    },
  };
}
