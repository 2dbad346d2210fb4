import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import * as z from './zod.ts';

/**
 * Runtime configuration, parsed once from the environment. A missing or malformed value fails at
 * start-up with the variable's name, not at the first request.
 */
const schema = z.object({
  STAGE: z._default(z.string().check(z.minLength(1)), 'local'),
  /** Lambda always sets it; elsewhere the SDK's own resolution (profile, IMDS) applies when unset. */
  AWS_REGION: z.optional(z.string().check(z.minLength(1))),
  /** Set for functions that declare the table in the manifest. */
  TABLE_NAME: z.optional(z.string().check(z.minLength(1))),
  EVENT_BUS_NAME: z.optional(z.string().check(z.minLength(1))),
  /** Set for functions that declare the files bucket in the manifest. */
  FILES_BUCKET: z.optional(z.string().check(z.minLength(1))),
  /** Set only on the local stack: endpoints of the local engines. */
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  SQS_ENDPOINT: z.optional(z.url()),
  EVENTBRIDGE_ENDPOINT: z.optional(z.url()),
  SES_ENDPOINT: z.optional(z.url()),
  PINPOINT_ENDPOINT: z.optional(z.url()),
  /** fauxqs serves S3 too; it is addressed path-style (http://host:port/bucket/key). */
  S3_ENDPOINT: z.optional(z.url()),
  /** ISO 3166-1 region used to read phone numbers written without a country code. */
  DEFAULT_PHONE_REGION: z._default(
    z.string().check(z.regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as CN or US')),
    'CN',
  ),
  /** Days a raw (non-order) event is kept after it happened; orders and refunds are kept. */
  EVENT_RETENTION_DAYS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(3650)), 395),
  /**
   * What an event or order naming an email, phone or externalId that no customer has does: `create`
   * a minimal customer with that identity, or `reject` the batch with 422 naming the item.
   */
  UNKNOWN_IDENTITY: z._default(z.enum(['create', 'reject']), 'create'),
  /** Days export files (and their jobs) are kept; the bucket's lifecycle rule expires them alike. */
  FILE_RETENTION_DAYS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(365)), 3),
  /**
   * Secret that signs preference, unsubscribe and confirmation links. Given directly on the local stack;
   * in AWS the functions that need it get LINK_SECRET_ARN and read it from Secrets Manager.
   */
  LINK_SECRET: z.optional(z.string().check(z.minLength(32, 'must be at least 32 characters'))),
  LINK_SECRET_ARN: z.optional(z.string().check(z.minLength(1))),
  /** Public base URL of the API, for links in messages (no trailing slash needed). */
  PUBLIC_BASE_URL: z.optional(z.url()),
  /** Email opt-ins wait for a click on a confirmation link (double opt-in). Per stage. */
  EMAIL_DOUBLE_OPT_IN: z._default(z.stringbool(), false),
  /** Sender of the mail Cohort sends itself (double opt-in confirmations); a verified SES identity. */
  EMAIL_FROM: z._default(z.email(), 'no-reply@cohort.local'),
  SES_CONFIGURATION_SET: z.optional(z.string().check(z.minLength(1))),
  /** End User Messaging (Pinpoint) app that SMS and push go through. */
  PINPOINT_APP_ID: z.optional(z.string().check(z.minLength(1))),
  /** SMS sender id (alphanumeric, where the country allows one) and origination number (E.164). */
  SMS_SENDER_ID: z.optional(
    z.string().check(z.regex(/^[A-Za-z0-9 -]{1,11}$/, 'must be 1-11 letters or digits')),
  ),
  SMS_ORIGINATION_NUMBER: z.optional(z.string().check(z.regex(/^\+[1-9]\d{3,14}$/, 'must be E.164'))),
  /** Sending rates the fan-out keeps to, per stage: SES mail per second, SMS parts and push per second. */
  EMAIL_PER_SECOND: z._default(z.coerce.number().check(z.positive()), 14),
  SMS_PARTS_PER_SECOND: z._default(z.coerce.number().check(z.positive()), 20),
  PUSH_PER_SECOND: z._default(z.coerce.number().check(z.positive()), 100),
  /** Webhook requests: one attempt's timeout, and the time all attempts of one message may take. */
  WEBHOOK_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.minimum(100), z.maximum(30_000)), 5_000),
  WEBHOOK_RETRY_BUDGET_MS: z._default(
    z.coerce.number().check(z.int(), z.minimum(0), z.maximum(120_000)),
    15_000,
  ),
  /**
   * The default webhook signing secret (Standard Webhooks `whsec_<base64>` or any string of 24+
   * characters): given directly on the local stack, or the name/ARN of a Secrets Manager secret in AWS.
   */
  WEBHOOK_SECRET: z.optional(z.string().check(z.minLength(24, 'must be at least 24 characters'))),
  WEBHOOK_SECRET_ARN: z.optional(z.string().check(z.minLength(1))),
  /** Largest request body accepted, in bytes. */
  MAX_BODY_BYTES: z._default(z.coerce.number().check(z.int(), z.minimum(1024)), 1_048_576),
  /** Campaigns whose audience is larger need approval by another key with the approve scope. */
  CAMPAIGN_APPROVAL_THRESHOLD: z._default(z.coerce.number().check(z.int(), z.minimum(0)), 1000),
  /** How long a send worker trusts the campaign status it read; pause and cancel land within it. */
  CAMPAIGN_STATE_CACHE_MS: z._default(
    z.coerce.number().check(z.int(), z.minimum(0), z.maximum(10_000)),
    2000,
  ),
  /**
   * Sends per second per channel across all workers (SMS in parts). Email: `quota` reads SES
   * GetAccount's MaxSendRate at start-up, a number sets it.
   */
  SEND_RATE_EMAIL: z._default(z.union([z.literal('quota'), z.coerce.number().check(z.minimum(1))]), 'quota'),
  SEND_RATE_SMS_PARTS: z._default(z.coerce.number().check(z.minimum(1)), 20),
  SEND_RATE_PUSH: z._default(z.coerce.number().check(z.minimum(1)), 500),
  SEND_RATE_WEBHOOK: z._default(z.coerce.number().check(z.minimum(1)), 50),
});

export type Config = z.infer<typeof schema>;

let cached: Config | undefined;

export function config(env: NodeJS.ProcessEnv = process.env): Config {
  if (cached && env === process.env) return cached;
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  if (env === process.env) cached = parsed.data;
  return parsed.data;
}

/**
 * Region and endpoint for an SDK client: the local stack sets the endpoints, and without AWS_REGION the
 * SDK's own resolution applies.
 */
/**
 * The SDK's logger middleware runs every request and response through its sensitive-data filters
 * whenever the logger has an `info` method, even the default no-op one; our own log lines say what
 * matters, so the clients get a logger without `info` and skip that work on every call.
 */
type Logger = NonNullable<DynamoDBClientConfig['logger']>;
const quietSdkLogger = { debug: () => {}, warn: () => {}, error: () => {} } as unknown as Logger;

export function sdkClientConfig(
  endpoint:
    | 'DYNAMODB_ENDPOINT'
    | 'SQS_ENDPOINT'
    | 'EVENTBRIDGE_ENDPOINT'
    | 'S3_ENDPOINT'
    | 'SES_ENDPOINT'
    | 'PINPOINT_ENDPOINT',
): {
  region?: string;
  endpoint?: string;
  logger: Logger;
} {
  const c = config();
  return {
    ...(c.AWS_REGION && { region: c.AWS_REGION }),
    ...(c[endpoint] && { endpoint: c[endpoint] }),
    logger: quietSdkLogger,
  };
}

/** Reads a queue URL by the manifest's naming rule; fails fast when the function did not declare it. */
export function queueUrl(envName: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[envName];
  if (!value) throw new Error(`Invalid configuration: ${envName} is not set`);
  return value;
}

/** The table name, for code that needs it; a function that did not declare the table fails here. */
export function tableNameFromEnv(): string {
  const name = config().TABLE_NAME;
  if (!name)
    throw new Error('Invalid configuration: TABLE_NAME is not set (declare the table in the manifest)');
  return name;
}

/** The files bucket (imports, exports); a function that did not declare it fails here. */
export function filesBucketFromEnv(): string {
  const name = config().FILES_BUCKET;
  if (!name)
    throw new Error('Invalid configuration: FILES_BUCKET is not set (declare the bucket in the manifest)');
  return name;
}
