/**
 * Per-stage settings, all in one file. `cdk synth -c stage=prod` picks a row; the local stack uses `local`.
 */
export interface StageSettings {
  /** Keep data when the stack is deleted (staging and prod) or destroy it (dev). */
  retainData: boolean;
  /** Days CloudWatch keeps function logs. */
  logRetentionDays: 7 | 14 | 30 | 90 | 365;
  /** Region for phone numbers written without a country code. */
  defaultPhoneRegion: string;
  /** Days raw events are kept after they happened (orders and refunds are kept). */
  eventRetentionDays: number;
  /** An event naming an unknown email, phone or externalId: create a customer for it, or reject it. */
  unknownIdentity: 'create' | 'reject';
  /** Days uploaded import files and export files are kept in the files bucket before they expire. */
  fileRetentionDays: number;
  /** Days rejected import rows (which hold personal data) are kept. */
  importRejectRetentionDays: number;
  /** Messages in a dead-letter queue before its alarm fires. */
  dlqAlarmThreshold: number;
  /** Messages waiting in a work queue before its depth alarm fires. */
  queueDepthAlarmThreshold: number;
  /** Lambda memory for functions that do not set their own. */
  defaultMemoryMb: number;
  /** HTTP API throttling (requests per second, burst). */
  apiRateLimit: number;
  apiBurstLimit: number;
  /** Email opt-ins wait for a click on a mailed confirmation link. */
  emailDoubleOptIn: boolean;
  /** Sender of Cohort's own mail (double opt-in); an SES identity verified by an admin. */
  senderEmail: string;
  /** Base URL of customer links (a custom domain); the API's own URL when omitted. */
  publicBaseUrl?: string;
}

export const stages = {
  dev: {
    fileRetentionDays: 3,
    importRejectRetentionDays: 7,
    retainData: false,
    logRetentionDays: 14,
    defaultPhoneRegion: 'CN',
    eventRetentionDays: 90,
    unknownIdentity: 'create',
    dlqAlarmThreshold: 1,
    queueDepthAlarmThreshold: 1000,
    defaultMemoryMb: 512,
    apiRateLimit: 50,
    apiBurstLimit: 100,
    emailDoubleOptIn: false,
    senderEmail: 'no-reply@example.com',
  },
  staging: {
    fileRetentionDays: 7,
    importRejectRetentionDays: 30,
    retainData: true,
    logRetentionDays: 30,
    defaultPhoneRegion: 'CN',
    eventRetentionDays: 395,
    unknownIdentity: 'create',
    dlqAlarmThreshold: 1,
    queueDepthAlarmThreshold: 10_000,
    defaultMemoryMb: 1024,
    apiRateLimit: 200,
    apiBurstLimit: 400,
    emailDoubleOptIn: true,
    senderEmail: 'no-reply@example.com',
  },
  prod: {
    fileRetentionDays: 7,
    importRejectRetentionDays: 30,
    retainData: true,
    logRetentionDays: 365,
    defaultPhoneRegion: 'CN',
    eventRetentionDays: 395,
    unknownIdentity: 'create',
    dlqAlarmThreshold: 1,
    queueDepthAlarmThreshold: 100_000,
    defaultMemoryMb: 1024,
    apiRateLimit: 1000,
    apiBurstLimit: 2000,
    emailDoubleOptIn: true,
    senderEmail: 'no-reply@example.com',
  },
  local: {
    fileRetentionDays: 7,
    importRejectRetentionDays: 30,
    retainData: false,
    logRetentionDays: 7,
    defaultPhoneRegion: 'CN',
    eventRetentionDays: 395,
    unknownIdentity: 'create',
    dlqAlarmThreshold: 1,
    queueDepthAlarmThreshold: 1000,
    defaultMemoryMb: 512,
    apiRateLimit: 1000,
    apiBurstLimit: 2000,
    emailDoubleOptIn: false,
    senderEmail: 'no-reply@example.com',
  },
} as const satisfies Record<string, StageSettings>;

export type StageName = keyof typeof stages;

export function stageSettings(name: string | undefined): { name: StageName; settings: StageSettings } {
  if (!name || !(name in stages)) {
    throw new Error(`Unknown stage "${name ?? ''}": pass -c stage=<${Object.keys(stages).join('|')}> to cdk`);
  }
  return { name: name as StageName, settings: stages[name as StageName] };
}
