import type { Actor } from '../customers/service.ts';
import { type StoredSettings, settingsStore } from '../store/settings-store.ts';
import { type DeliverySettings, defaultDeliverySettings, deliverySettingsSchema } from './settings.ts';

/** The stage's delivery settings: the gate keeps what it read for seconds, so a change reaches every sender within that time. */
const delivery = settingsStore<DeliverySettings>({
  entity: 'deliverySettings',
  label: 'delivery',
  defaults: defaultDeliverySettings,
  parse: (stored) => deliverySettingsSchema.parse(stored),
});

export type StoredDeliverySettings = StoredSettings<DeliverySettings>;

export const readDeliverySettings = (): Promise<StoredDeliverySettings> => delivery.read();
export const deliverySettings = (): Promise<DeliverySettings> => delivery.current();
export const putDeliverySettings = (
  settings: DeliverySettings,
  expectedVersion: number,
  actor: Actor,
): Promise<StoredDeliverySettings> => delivery.put(settings, expectedVersion, actor);
export const forgetDeliverySettings = (): void => delivery.forget();
