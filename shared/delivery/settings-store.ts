import type { Actor } from '../customers/service.ts';
import { PreconditionFailedError } from '../platform/errors.ts';
import { store } from '../store/service.ts';
import { type DeliverySettings, defaultDeliverySettings, deliverySettingsSchema } from './settings.ts';

/**
 * The stage's delivery settings in the table. Version 0 stands for "nothing stored, the defaults". The
 * gate keeps what it read for a few seconds, so a change reaches every sender within that time.
 */

const NAME = 'current';
const CACHE_MS = 10_000;

export interface StoredDeliverySettings {
  settings: DeliverySettings;
  version: number;
  updatedAt?: string;
}

let cached: { value: StoredDeliverySettings; at: number } | undefined;

export async function readDeliverySettings(): Promise<StoredDeliverySettings> {
  const item = await store().entities.deliverySettings.get({ name: NAME }).go({ consistent: true });
  if (!item.data) return { settings: defaultDeliverySettings(), version: 0 };
  return {
    // Parsing again fills defaults added since the settings were stored.
    settings: deliverySettingsSchema.parse(item.data.settings),
    version: item.data.version,
    updatedAt: item.data.updatedAt,
  };
}

export async function deliverySettings(): Promise<DeliverySettings> {
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.value.settings;
  const value = await readDeliverySettings();
  cached = { value, at: Date.now() };
  return value.settings;
}

export async function putDeliverySettings(
  settings: DeliverySettings,
  expectedVersion: number,
  actor: Actor,
): Promise<StoredDeliverySettings> {
  const s = store().entities.deliverySettings;
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
    const current = await readDeliverySettings();
    throw new PreconditionFailedError(
      `The delivery settings are at version ${current.version}, not ${expectedVersion}; read them again and reapply your change`,
    );
  }
  const value = { settings, version: item.version, updatedAt };
  cached = { value, at: Date.now() };
  return value;
}

/** Forgets what was read, so the next read goes to the table (tests). */
export function forgetDeliverySettings(): void {
  cached = undefined;
}
