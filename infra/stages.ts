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
  /** Sending: who messages come from and how fast the fan-out may go. */
  channels: ChannelSettings;
}

/**
 * Channel settings of a stage. The SES configuration set and the End User Messaging app come from the
 * stack; identities, sender ids and origination numbers are registered by an admin and named here.
 */
export interface ChannelSettings {
  /** SMS sender id, where the destination country allows alphanumeric ones (not CN or US). */
  smsSenderId?: string;
  /** A registered origination number (E.164) or pool; End User Messaging picks one when omitted. */
  smsOriginationNumber?: string;
  /** SES mail per second: the account's sending rate (GetSendQuota MaxSendRate) or less. */
  emailPerSecond: number;
  /** SMS parts per second: the origination identity's throughput (MPS). */
  smsPartsPerSecond: number;
  pushPerSecond: number;
  /** One webhook attempt's timeout, and the time all attempts of one message may take. */
  webhookTimeoutMs: number;
  webhookRetryBudgetMs: number;
  /** Name of a Secrets Manager secret with the default webhook signing secret (created by an admin). */
  webhookSecretName?: string;
}

const sandboxChannels: ChannelSettings = {
  // A new SES account starts in the sandbox at 1 mail per second; SMS at 1 part per second.
  emailPerSecond: 1,
  smsPartsPerSecond: 1,
  pushPerSecond: 50,
  webhookTimeoutMs: 5_000,
  webhookRetryBudgetMs: 15_000,
};

/** What the functions that send read (shared/platform/config.ts), from a stage's channel settings. */
export function channelEnvironment(channels: ChannelSettings): Record<string, string> {
  return {
    ...(channels.smsSenderId && { SMS_SENDER_ID: channels.smsSenderId }),
    ...(channels.smsOriginationNumber && { SMS_ORIGINATION_NUMBER: channels.smsOriginationNumber }),
    EMAIL_PER_SECOND: String(channels.emailPerSecond),
    SMS_PARTS_PER_SECOND: String(channels.smsPartsPerSecond),
    PUSH_PER_SECOND: String(channels.pushPerSecond),
    WEBHOOK_TIMEOUT_MS: String(channels.webhookTimeoutMs),
    WEBHOOK_RETRY_BUDGET_MS: String(channels.webhookRetryBudgetMs),
    ...(channels.webhookSecretName && { WEBHOOK_SECRET_ARN: channels.webhookSecretName }),
  };
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
    channels: sandboxChannels,
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
    channels: { ...sandboxChannels, emailPerSecond: 14, smsPartsPerSecond: 10 },
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
    channels: { ...sandboxChannels, emailPerSecond: 50, smsPartsPerSecond: 20, pushPerSecond: 200 },
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
    channels: { ...sandboxChannels, emailPerSecond: 200, smsPartsPerSecond: 200, pushPerSecond: 500 },
  },
} as const satisfies Record<string, StageSettings>;

export type StageName = keyof typeof stages;

export function stageSettings(name: string | undefined): { name: StageName; settings: StageSettings } {
  if (!name || !(name in stages)) {
    throw new Error(`Unknown stage "${name ?? ''}": pass -c stage=<${Object.keys(stages).join('|')}> to cdk`);
  }
  return { name: name as StageName, settings: stages[name as StageName] };
}
