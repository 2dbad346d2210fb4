import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envNames } from '../../functions/manifest.ts';
import { channelEnvironment, stages } from '../stages.ts';
import { localBusName, localCredentials, localRegion, localStage } from './aws-constants.ts';

/**
 * The environment every local function sees: what the CDK app gives a deployed function, plus the
 * endpoints of the local engines. One process runs all functions, so it is one environment for all.
 */
export interface FunctionEnvironmentInput {
  tableName: string;
  endpoints: {
    dynamodb: string;
    sqs: string;
    ses: string;
    eventbridge: string;
    pinpoint: string;
    /** fauxqs serves S3 on the SQS endpoint; defaults to it. */
    s3?: string;
  };
  /** The files bucket; omitted when the runtime serves functions that need none. */
  bucket?: string;
  /** Queue name (manifest key) to its URL. */
  queueUrls: Record<string, string>;
  /** Signs customer links; what Secrets Manager holds in AWS. */
  linkSecret: string;
  /** Where customer links point: the local API. */
  publicBaseUrl: string;
}

export const localPinpointAppId = 'cohort-local';
export const localSesConfigurationSet = 'cohort-local';

export function functionEnvironment(input: FunctionEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {
    STAGE: localStage,
    AWS_REGION: localRegion,
    AWS_DEFAULT_REGION: localRegion,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    [envNames.table]: input.tableName,
    [envNames.bus]: localBusName,
    DYNAMODB_ENDPOINT: input.endpoints.dynamodb,
    SQS_ENDPOINT: input.endpoints.sqs,
    SES_ENDPOINT: input.endpoints.ses,
    EVENTBRIDGE_ENDPOINT: input.endpoints.eventbridge,
    PINPOINT_ENDPOINT: input.endpoints.pinpoint,
    S3_ENDPOINT: input.endpoints.s3 ?? input.endpoints.sqs,
    ...(input.bucket && { [envNames.bucket]: input.bucket }),
    [envNames.sesConfigurationSet]: localSesConfigurationSet,
    [envNames.pinpointApp]: localPinpointAppId,
    DEFAULT_PHONE_REGION: stages.local.defaultPhoneRegion,
    UNKNOWN_IDENTITY: stages.local.unknownIdentity,
    LINK_SECRET: input.linkSecret,
    PUBLIC_BASE_URL: input.publicBaseUrl,
    // Off unless the developer turns it on (`EMAIL_DOUBLE_OPT_IN=true npm start`), as per stage in AWS.
    EMAIL_DOUBLE_OPT_IN: process.env.EMAIL_DOUBLE_OPT_IN ?? 'false',
    ...channelEnvironment(stages.local.channels),
    // What Secrets Manager holds in AWS; derived from the link secret so local receivers can verify.
    WEBHOOK_SECRET: `whsec_${createHmac('sha256', input.linkSecret).update('webhooks').digest('base64')}`,
  };
  for (const [queue, url] of Object.entries(input.queueUrls)) {
    env[envNames.queueUrl(queue as Parameters<typeof envNames.queueUrl>[0])] = url;
  }
  return env;
}

/**
 * Puts the environment into process.env, where the handlers (and shared/platform/config.ts, which reads
 * it once) find it. A developer's own AWS profile or session token must not leak into local calls.
 */
export function applyFunctionEnvironment(env: Record<string, string>): void {
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  Object.assign(process.env, env);
}

/**
 * The local link secret: kept in the data folder, so links mailed in one run still open in the next;
 * without a data folder a fresh one per run.
 */
export function localLinkSecret(dataDir?: string): string {
  if (!dataDir) return randomBytes(32).toString('base64url');
  const file = join(dataDir, 'link-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
