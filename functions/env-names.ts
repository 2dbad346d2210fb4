import type { QueueName } from './manifest.ts';

/**
 * Environment variables a function receives for the resources it declares. One place for the names, in
 * a module of its own: handlers read them at run time, and importing the manifest for them put its 25 KB
 * of function specs into every bundle. The manifest re-exports it for the CDK app and tests.
 */
export const envNames = {
  table: 'TABLE_NAME',
  bus: 'EVENT_BUS_NAME',
  bucket: 'FILES_BUCKET',
  sesConfigurationSet: 'SES_CONFIGURATION_SET',
  pinpointApp: 'PINPOINT_APP_ID',
  linkSecretArn: 'LINK_SECRET_ARN',
  // Queue names may hold dashes (import-rows); environment variable names may not.
  queueUrl: (queue: QueueName) => `QUEUE_URL_${queue.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`,
} as const;
