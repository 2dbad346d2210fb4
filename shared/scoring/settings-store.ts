import type { Actor } from '../customers/service.ts';
import { type StoredSettings as Stored, settingsStore } from '../store/settings-store.ts';
import { defaultScoringSettings, type ScoringSettings, scoringSettingsSchema } from './settings.ts';

/** The stage's scoring settings: read on hot paths (ingest, the stream consumer), so cached for seconds. */
const scoring = settingsStore<ScoringSettings>({
  entity: 'scoringSettings',
  label: 'scoring',
  defaults: defaultScoringSettings,
  parse: (stored) => scoringSettingsSchema.parse(stored),
});

export type StoredSettings = Stored<ScoringSettings>;

export const readScoringSettings = (): Promise<StoredSettings> => scoring.read();
export const scoringSettings = (): Promise<ScoringSettings> => scoring.current();
export const putScoringSettings = (
  settings: ScoringSettings,
  expectedVersion: number,
  actor: Actor,
): Promise<StoredSettings> => scoring.put(settings, expectedVersion, actor);
export const forgetScoringSettings = (): void => scoring.forget();
