/**
 * The function manifest: every Lambda, its trigger and the resources it may touch, declared once.
 * The CDK app (infra/) builds functions, routes, queues, schedules and IAM grants from it; the local
 * runtime (infra/local/) serves the same routes, polls the same queues and fires the same schedules.
 */

export type Scope = 'ingest' | 'read' | 'write' | 'approve' | 'admin';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type TableAccess = 'read' | 'readwrite';
export type BucketAccess = 'read' | 'readwrite';

/** Queues the system owns. Each gets a dead-letter queue and a depth alarm. */
export const queues = {
  erasure: {
    description: 'Erases a customer’s events and orders after the profile is gone',
    // Six times the worker's timeout, as AWS advises, so a slow page is not handed to a second worker.
    visibilityTimeoutSeconds: 360,
    maxReceiveCount: 5,
  },
  merge: {
    description: 'Moves a merged customer’s events, orders, consents and audit entries to the survivor',
    visibilityTimeoutSeconds: 360,
    maxReceiveCount: 5,
  },
  dedupe: {
    description: 'Duplicate-detection scans: plan, one page of a table segment, one page of a block shard',
    // Six times the worker's timeout.
    visibilityTimeoutSeconds: 720,
    maxReceiveCount: 5,
  },
  export: {
    description: 'Advances export jobs: a message per step, each step as many parts as fit in one invocation',
    // Six times the worker's timeout.
    visibilityTimeoutSeconds: 5400,
    maxReceiveCount: 5,
  },
  'import-read': {
    description: 'Reads an uploaded import file into chunks of rows, one invocation after another',
    // Six times the reader's timeout.
    visibilityTimeoutSeconds: 5400,
    maxReceiveCount: 5,
  },
  'import-rows': {
    description: 'Validates and writes one chunk of imported rows',
    visibilityTimeoutSeconds: 720,
    maxReceiveCount: 5,
  },
  scoring: {
    description: 'Rescoring runs: plan, one page of a segment per pass, settle the population between passes',
    // Six times the worker's timeout.
    visibilityTimeoutSeconds: 720,
    maxReceiveCount: 5,
  },
  'campaign-plan': {
    description:
      'Campaign runs: start (one message per include segment shard), then one page of members each',
    // Six times the planner's timeout.
    visibilityTimeoutSeconds: 360,
    maxReceiveCount: 5,
  },
  send: {
    description: 'Recipients of a campaign run, up to 50 a message, for the send workers',
    // Six times the send worker's timeout; throttled remainders come back as new delayed messages.
    visibilityTimeoutSeconds: 360,
    maxReceiveCount: 8,
  },
  segments: {
    description: 'Segment recomputations: plan, then one page of customers of a scan segment per message',
    // Six times the worker's timeout.
    visibilityTimeoutSeconds: 720,
    maxReceiveCount: 5,
  },
} as const satisfies Record<string, QueueSpec>;
export type QueueName = keyof typeof queues;

export interface QueueSpec {
  description: string;
  visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount: number;
}

/** Detail types the system publishes on its event bus; contracts live in events/schemas. */
export const busDetailTypes = [
  'customer.changed',
  'customer.erased',
  'customer.merged',
  'event.ingested',
  'customer.lifecycle_changed',
  'customer.tier_changed',
  'customer.churn_risk_raised',
  'segment.entered',
  'segment.exited',
] as const;
export type BusDetailType = (typeof busDetailTypes)[number];

/**
 * Events of AWS services that reach Cohort's bus (SES's configuration set publishes to the default bus
 * and a rule forwards them, see infra/constructs/messaging.ts), by source, with the detail types Cohort
 * consumes. A bus trigger names its `source` to subscribe to one of them.
 */
export const externalBusSources = {
  'aws.ses': [
    'Email Sent',
    'Email Delivered',
    'Email Bounced',
    'Email Complaint Received',
    'Email Rejected',
    'Email Opened',
    'Email Clicked',
    'Email Delivery Delayed',
    'Email Rendering Failed',
  ],
} as const;
export type ExternalBusSource = keyof typeof externalBusSources;
export type SesDetailType = (typeof externalBusSources)['aws.ses'][number];

export interface Resources {
  table?: TableAccess;
  /** The files bucket (uploaded imports, exports): objects only, never bucket configuration. */
  bucket?: BucketAccess;
  queues?: Partial<Record<QueueName, 'send'>>;
  bus?: 'put';
  ses?: 'send';
  pinpoint?: 'send';
  /** The secret that signs customer links (preference, unsubscribe, confirmation). */
  linkSecret?: 'read';
}

export type Trigger =
  | { kind: 'http'; method: HttpMethod; path: string; scope: Scope | 'public' }
  | { kind: 'authorizer'; identitySource: string; cacheTtlSeconds: number }
  | {
      kind: 'queue';
      queue: QueueName;
      batchSize: number;
      maxBatchingWindowSeconds: number;
      /**
       * Batches of this queue in flight at once: the event source mapping's maximum concurrency when
       * deployed, the number of pollers the local runtime runs. 2 to 1000; see {@link queueConcurrency}.
       */
      maxConcurrency?: number;
    }
  | {
      kind: 'stream';
      batchSize: number;
      maxBatchingWindowSeconds: number;
      startingPosition: 'LATEST' | 'TRIM_HORIZON';
    }
  | { kind: 'schedule'; expression: string; description: string }
  | {
      kind: 'bus';
      /** Cohort's own events unless named: detail types of `busDetailTypes`, else of `externalBusSources`. */
      source?: ExternalBusSource;
      detailTypes: readonly (BusDetailType | SesDetailType)[];
    };

/** Lambda's smallest maximum concurrency for an SQS event source, and the default here. */
export const minQueueConcurrency = 2;

/**
 * How many batches of a queue trigger run at once, the same number deployed (ScalingConfig
 * MaximumConcurrency of the event source mapping) and locally (pollers), so a local measurement of a
 * queue-driven pipeline measures the code rather than a single poller. Bounded, unlike Lambda's default of
 * up to 1,000, because the table, the bus and downstream queues take what the workers send.
 */
export function queueConcurrency(trigger: { maxConcurrency?: number }): number {
  const value = trigger.maxConcurrency ?? minQueueConcurrency;
  if (!Number.isInteger(value) || value < minQueueConcurrency || value > 1000) {
    throw new Error(`maxConcurrency ${value} is not an integer from ${minQueueConcurrency} to 1000`);
  }
  return value;
}

export interface FunctionSpec {
  /** Entry file, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  trigger: Trigger;
  resources: Resources;
  memoryMb?: number;
  timeoutSeconds?: number;
  /**
   * The nested stack (infra) the function is deployed in, with its role, logs, triggers and alarms. Leave it
   * out: the default, {@link functionGroup}, derives it from the name. Set it only to move a function whose
   * name does not start with its domain; moving a deployed function replaces it.
   */
  group?: string;
}

export const functions = {
  authorizer: {
    entry: 'functions/http/authorizer.ts',
    description: 'Resolves the API key in the Authorization header to a principal and its scopes',
    trigger: { kind: 'authorizer', identitySource: '$request.header.Authorization', cacheTtlSeconds: 60 },
    resources: { table: 'read' },
  },
  openapi: {
    entry: 'functions/http/openapi.ts',
    description: 'Serves the OpenAPI 3.1 document',
    trigger: { kind: 'http', method: 'GET', path: '/v1/openapi.json', scope: 'public' },
    resources: {},
  },
  customersUpsert: {
    entry: 'functions/http/customers-upsert.ts',
    description: 'Creates a customer or updates the one its identities resolve to',
    trigger: { kind: 'http', method: 'POST', path: '/v1/customers', scope: 'write' },
    resources: { table: 'readwrite' },
  },
  customersList: {
    entry: 'functions/http/customers-list.ts',
    description: 'Lists customers with filters and a cursor',
    trigger: { kind: 'http', method: 'GET', path: '/v1/customers', scope: 'read' },
    resources: { table: 'read' },
  },
  customersGet: {
    entry: 'functions/http/customers-get.ts',
    description: 'Reads one customer',
    trigger: { kind: 'http', method: 'GET', path: '/v1/customers/{customerId}', scope: 'read' },
    resources: { table: 'read' },
  },
  customersPatch: {
    entry: 'functions/http/customers-patch.ts',
    description: 'Updates a customer with a merge patch under If-Match',
    trigger: { kind: 'http', method: 'PATCH', path: '/v1/customers/{customerId}', scope: 'write' },
    resources: { table: 'readwrite' },
  },
  customersErase: {
    entry: 'functions/http/customers-erase.ts',
    description: 'Erases a customer: profile and identities now, events and orders through the erasure queue',
    trigger: { kind: 'http', method: 'DELETE', path: '/v1/customers/{customerId}', scope: 'admin' },
    resources: { table: 'readwrite', queues: { erasure: 'send' } },
  },
  customersTimeline: {
    entry: 'functions/http/customers-timeline.ts',
    description: 'A customer’s events and orders, newest first',
    trigger: { kind: 'http', method: 'GET', path: '/v1/customers/{customerId}/timeline', scope: 'read' },
    resources: { table: 'read' },
  },
  customersAudit: {
    entry: 'functions/http/customers-audit.ts',
    description: 'The audit trail of one customer',
    trigger: { kind: 'http', method: 'GET', path: '/v1/customers/{customerId}/audit', scope: 'admin' },
    resources: { table: 'read' },
  },
  customersMerge: {
    entry: 'functions/http/customers-merge.ts',
    description: 'Merges customers into a survivor, or shows the result of doing so (dry run)',
    trigger: { kind: 'http', method: 'POST', path: '/v1/customers/{customerId}/merge', scope: 'admin' },
    resources: { table: 'readwrite', queues: { merge: 'send' } },
  },
  mergesGet: {
    entry: 'functions/http/merges-get.ts',
    description: 'Reads a merge job: its status and how much has moved',
    trigger: { kind: 'http', method: 'GET', path: '/v1/merges/{mergeId}', scope: 'admin' },
    resources: { table: 'read' },
  },
  attributesPut: {
    entry: 'functions/http/attributes-put.ts',
    description: 'Declares a custom attribute and its type',
    trigger: { kind: 'http', method: 'PUT', path: '/v1/attributes/{name}', scope: 'admin' },
    resources: { table: 'readwrite' },
  },
  attributesList: {
    entry: 'functions/http/attributes-list.ts',
    description: 'Lists declared custom attributes',
    trigger: { kind: 'http', method: 'GET', path: '/v1/attributes', scope: 'read' },
    resources: { table: 'read' },
  },
  topicsPut: {
    entry: 'functions/http/topics-put.ts',
    description: 'Declares a subscription topic: names, kind, channels and default consent',
    trigger: { kind: 'http', method: 'PUT', path: '/v1/topics/{topic}', scope: 'admin' },
    resources: { table: 'readwrite' },
  },
  topicsList: {
    entry: 'functions/http/topics-list.ts',
    description: 'Lists declared subscription topics',
    trigger: { kind: 'http', method: 'GET', path: '/v1/topics', scope: 'read' },
    resources: { table: 'read' },
  },
  consentsGet: {
    entry: 'functions/http/consents-get.ts',
    description: 'A customer’s consents per channel and topic, with their history',
    trigger: { kind: 'http', method: 'GET', path: '/v1/customers/{customerId}/consents', scope: 'read' },
    resources: { table: 'read' },
  },
  consentsPut: {
    entry: 'functions/http/consents-put.ts',
    description: 'Records consent changes; email opt-ins may wait for a double opt-in click',
    trigger: { kind: 'http', method: 'PUT', path: '/v1/customers/{customerId}/consents', scope: 'write' },
    resources: { table: 'readwrite', ses: 'send', linkSecret: 'read' },
  },
  suppressionsGet: {
    entry: 'functions/http/suppressions-get.ts',
    description: 'Reads the suppression entry of an address',
    trigger: { kind: 'http', method: 'GET', path: '/v1/suppressions/{channel}/{address}', scope: 'read' },
    resources: { table: 'read' },
  },
  suppressionsPut: {
    entry: 'functions/http/suppressions-put.ts',
    description: 'Suppresses an address on a channel',
    trigger: { kind: 'http', method: 'PUT', path: '/v1/suppressions/{channel}/{address}', scope: 'write' },
    resources: { table: 'readwrite' },
  },
  suppressionsDelete: {
    entry: 'functions/http/suppressions-delete.ts',
    description: 'Lifts the suppression of an address',
    trigger: { kind: 'http', method: 'DELETE', path: '/v1/suppressions/{channel}/{address}', scope: 'admin' },
    resources: { table: 'readwrite' },
  },
  preferencesGet: {
    entry: 'functions/http/preferences-get.ts',
    description: 'Serves the preference page of the customer a signed link names',
    trigger: { kind: 'http', method: 'GET', path: '/v1/preferences/{token}', scope: 'public' },
    resources: { table: 'read', linkSecret: 'read' },
  },
  preferencesPost: {
    entry: 'functions/http/preferences-post.ts',
    description: 'Saves the preference page: contact details, consents, frequency and language',
    trigger: { kind: 'http', method: 'POST', path: '/v1/preferences/{token}', scope: 'public' },
    resources: { table: 'readwrite', ses: 'send', linkSecret: 'read' },
  },
  unsubscribeGet: {
    entry: 'functions/http/unsubscribe-get.ts',
    description: 'Shows the unsubscribe page of a signed link (a GET never unsubscribes)',
    trigger: { kind: 'http', method: 'GET', path: '/v1/unsubscribe/{token}', scope: 'public' },
    resources: { table: 'read', linkSecret: 'read' },
  },
  unsubscribePost: {
    entry: 'functions/http/unsubscribe-post.ts',
    description: 'RFC 8058 one-click unsubscribe: opts out of the link’s channel and topic at once',
    trigger: { kind: 'http', method: 'POST', path: '/v1/unsubscribe/{token}', scope: 'public' },
    resources: { table: 'readwrite', linkSecret: 'read' },
  },
  consentConfirmGet: {
    entry: 'functions/http/consent-confirm-get.ts',
    description: 'Shows the double opt-in confirmation page of a signed link',
    trigger: { kind: 'http', method: 'GET', path: '/v1/consents/confirm/{token}', scope: 'public' },
    resources: { table: 'read', linkSecret: 'read' },
  },
  consentConfirmPost: {
    entry: 'functions/http/consent-confirm-post.ts',
    description: 'Confirms a double opt-in: pending email consents become opted in',
    trigger: { kind: 'http', method: 'POST', path: '/v1/consents/confirm/{token}', scope: 'public' },
    resources: { table: 'readwrite', linkSecret: 'read' },
  },
  eventsIngest: {
    entry: 'functions/http/events-ingest.ts',
    description: 'Ingests a batch of up to 100 events, each with a client id',
    trigger: { kind: 'http', method: 'POST', path: '/v1/events', scope: 'ingest' },
    resources: { table: 'readwrite' },
  },
  ordersIngest: {
    entry: 'functions/http/orders-ingest.ts',
    description: 'Ingests a batch of up to 100 orders and refunds',
    trigger: { kind: 'http', method: 'POST', path: '/v1/orders', scope: 'ingest' },
    resources: { table: 'readwrite' },
  },
  apiKeysCreate: {
    entry: 'functions/http/api-keys-create.ts',
    description: 'Creates an API key with scopes; the secret is shown once',
    trigger: { kind: 'http', method: 'POST', path: '/v1/api-keys', scope: 'admin' },
    resources: { table: 'readwrite' },
  },
  apiKeysRevoke: {
    entry: 'functions/http/api-keys-revoke.ts',
    description: 'Revokes an API key',
    trigger: { kind: 'http', method: 'DELETE', path: '/v1/api-keys/{keyId}', scope: 'admin' },
    resources: { table: 'readwrite' },
  },
  exportsCreate: {
    entry: 'functions/http/exports-create.ts',
    description: 'Starts an export of customers as CSV or NDJSON',
    trigger: { kind: 'http', method: 'POST', path: '/v1/exports', scope: 'admin' },
    resources: { table: 'readwrite', queues: { export: 'send' } },
  },
  exportsGet: {
    entry: 'functions/http/exports-get.ts',
    description: 'An export job: status, progress and, once done, a short-lived download link',
    trigger: { kind: 'http', method: 'GET', path: '/v1/exports/{exportId}', scope: 'admin' },
    resources: { table: 'read', bucket: 'read' },
  },
  customersDataExport: {
    entry: 'functions/http/customers-data-export.ts',
    description: 'Starts an export of everything held about one customer (PIPL Art. 45, GDPR Art. 15)',
    trigger: { kind: 'http', method: 'POST', path: '/v1/customers/{customerId}/data-export', scope: 'admin' },
    resources: { table: 'readwrite', queues: { export: 'send' } },
  },
  exportWorker: {
    entry: 'functions/queue/export-worker.ts',
    description: 'Writes export files to the files bucket, part by part, resuming from the job checkpoint',
    trigger: { kind: 'queue', queue: 'export', batchSize: 1, maxBatchingWindowSeconds: 0 },
    resources: { table: 'readwrite', bucket: 'readwrite', queues: { export: 'send' } },
    memoryMb: 512,
    timeoutSeconds: 900,
  },
  erasureWorker: {
    entry: 'functions/queue/erasure-worker.ts',
    description: 'Deletes the events and orders of an erased customer, page by page',
    trigger: { kind: 'queue', queue: 'erasure', batchSize: 5, maxBatchingWindowSeconds: 1 },
    // The bucket: a customer's data exports hold their personal data and are deleted with them.
    resources: { table: 'readwrite', bucket: 'readwrite', queues: { erasure: 'send' } },
    timeoutSeconds: 60,
  },
  importsCreate: {
    entry: 'functions/http/imports-create.ts',
    description: 'Creates an import job and a presigned URL to upload its file to',
    trigger: { kind: 'http', method: 'POST', path: '/v1/imports', scope: 'write' },
    resources: { table: 'readwrite', bucket: 'readwrite' },
  },
  importsStart: {
    entry: 'functions/http/imports-start.ts',
    description: 'Starts an import once its file is uploaded',
    trigger: { kind: 'http', method: 'POST', path: '/v1/imports/{importId}/start', scope: 'write' },
    resources: { table: 'readwrite', bucket: 'read', queues: { 'import-read': 'send' } },
  },
  importsGet: {
    entry: 'functions/http/imports-get.ts',
    description: 'An import job: status, progress and counts',
    trigger: { kind: 'http', method: 'GET', path: '/v1/imports/{importId}', scope: 'write' },
    resources: { table: 'read' },
  },
  importsList: {
    entry: 'functions/http/imports-list.ts',
    description: 'Import jobs, newest first',
    trigger: { kind: 'http', method: 'GET', path: '/v1/imports', scope: 'write' },
    resources: { table: 'read' },
  },
  importsRejects: {
    entry: 'functions/http/imports-rejects.ts',
    description: 'The rejected rows of an import as CSV: row, field, reason, value',
    trigger: { kind: 'http', method: 'GET', path: '/v1/imports/{importId}/rejects', scope: 'write' },
    resources: { table: 'read' },
  },
  importReader: {
    entry: 'functions/queue/import-reader.ts',
    description:
      'Streams an import file from S3 into chunks on the import-rows queue, with a checkpoint per chunk',
    trigger: { kind: 'queue', queue: 'import-read', batchSize: 1, maxBatchingWindowSeconds: 0 },
    resources: {
      table: 'readwrite',
      bucket: 'readwrite',
      queues: { 'import-read': 'send', 'import-rows': 'send' },
    },
    timeoutSeconds: 900,
    memoryMb: 512,
  },
  importWorker: {
    entry: 'functions/queue/import-worker.ts',
    description: 'Validates and upserts one chunk of imported rows, counted once per chunk',
    // Chunks are independent: four at once keep the table busy without starving the API of it.
    trigger: {
      kind: 'queue',
      queue: 'import-rows',
      batchSize: 1,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: 4,
    },
    resources: { table: 'readwrite', bucket: 'readwrite' },
    timeoutSeconds: 120,
  },
  erasureSweeper: {
    entry: 'functions/schedule/erasure-sweeper.ts',
    description: 'Re-queues erasures that have not finished, so none is left half-done',
    trigger: {
      kind: 'schedule',
      expression: 'rate(15 minutes)',
      description: 'Re-drive unfinished erasures',
    },
    resources: { table: 'read', queues: { erasure: 'send' } },
  },
  mergeWorker: {
    entry: 'functions/queue/merge-worker.ts',
    description: 'Moves a merged customer’s events, orders, consents and audit entries to the survivor',
    trigger: { kind: 'queue', queue: 'merge', batchSize: 5, maxBatchingWindowSeconds: 1 },
    resources: { table: 'readwrite', queues: { merge: 'send' } },
    timeoutSeconds: 60,
  },
  mergeSweeper: {
    entry: 'functions/schedule/merge-sweeper.ts',
    description: 'Re-queues merges that have not finished, so none is left half-moved',
    trigger: { kind: 'schedule', expression: 'rate(15 minutes)', description: 'Re-drive unfinished merges' },
    resources: { table: 'read', queues: { merge: 'send' } },
  },
  duplicatesScanStart: {
    entry: 'functions/http/duplicates-scan-start.ts',
    description: 'Starts a duplicate-detection scan over all customers',
    trigger: { kind: 'http', method: 'POST', path: '/v1/duplicates/scans', scope: 'admin' },
    resources: { table: 'readwrite', queues: { dedupe: 'send' } },
  },
  duplicatesScanGet: {
    entry: 'functions/http/duplicates-scan-get.ts',
    description: 'Status and progress of a duplicate-detection scan',
    trigger: { kind: 'http', method: 'GET', path: '/v1/duplicates/scans/{scanId}', scope: 'read' },
    resources: { table: 'read' },
  },
  duplicatesList: {
    entry: 'functions/http/duplicates-list.ts',
    description: 'Lists the likely duplicates a scan found, best first, with reasons',
    trigger: { kind: 'http', method: 'GET', path: '/v1/duplicates', scope: 'read' },
    resources: { table: 'read' },
  },
  duplicatesDismiss: {
    entry: 'functions/http/duplicates-dismiss.ts',
    description: 'Marks a pair of customers as not a duplicate, for this and later scans',
    trigger: { kind: 'http', method: 'POST', path: '/v1/duplicates/{pairId}/dismiss', scope: 'write' },
    resources: { table: 'readwrite' },
  },
  dedupeWorker: {
    entry: 'functions/queue/dedupe-worker.ts',
    description: 'Runs a scan a page at a time: table segments to blocking keys, then blocks to scored pairs',
    trigger: { kind: 'queue', queue: 'dedupe', batchSize: 1, maxBatchingWindowSeconds: 0 },
    resources: { table: 'readwrite', queues: { dedupe: 'send' } },
    memoryMb: 1024,
    timeoutSeconds: 120,
  },
  changePublisher: {
    entry: 'functions/stream/change-publisher.ts',
    description:
      'Turns table changes into customer.changed, customer.erased, customer.merged and event.ingested on the bus',
    trigger: { kind: 'stream', batchSize: 100, maxBatchingWindowSeconds: 1, startingPosition: 'LATEST' },
    resources: { bus: 'put' },
  },
  scoringSettingsGet: {
    entry: 'functions/http/scoring-settings-get.ts',
    description: 'The stage’s scoring settings (the defaults when none are stored)',
    trigger: { kind: 'http', method: 'GET', path: '/v1/scoring/settings', scope: 'read' },
    resources: { table: 'read' },
  },
  templatesCreate: {
    entry: 'functions/http/templates-create.ts',
    description: 'Creates a message template after checking its Liquid, filters and variables',
    trigger: { kind: 'http', method: 'POST', path: '/v1/templates', scope: 'write' },
    resources: { table: 'readwrite' },
  },
  templatesList: {
    entry: 'functions/http/templates-list.ts',
    description: 'Lists active or archived templates, newest first',
    trigger: { kind: 'http', method: 'GET', path: '/v1/templates', scope: 'read' },
    resources: { table: 'read' },
  },
  templatesGet: {
    entry: 'functions/http/templates-get.ts',
    description: 'Reads one template with its ETag',
    trigger: { kind: 'http', method: 'GET', path: '/v1/templates/{templateId}', scope: 'read' },
    resources: { table: 'read' },
  },
  templatesUpdate: {
    entry: 'functions/http/templates-update.ts',
    description: 'Replaces a template under If-Match',
    trigger: { kind: 'http', method: 'PUT', path: '/v1/templates/{templateId}', scope: 'write' },
    resources: { table: 'readwrite' },
  },
  templatesArchive: {
    entry: 'functions/http/templates-archive.ts',
    description: 'Archives a template under If-Match',
    trigger: { kind: 'http', method: 'POST', path: '/v1/templates/{templateId}/archive', scope: 'write' },
    resources: { table: 'readwrite' },
  },
  templatesRender: {
    entry: 'functions/http/templates-render.ts',
    description: 'Renders a template for one customer and channel: the parts, SMS counts and warnings',
    trigger: { kind: 'http', method: 'POST', path: '/v1/templates/{templateId}/render', scope: 'read' },
    resources: { table: 'read', linkSecret: 'read' },
  },
  scoringSettingsPut: {
    entry: 'functions/http/scoring-settings-put.ts',
    description: 'Replaces the stage’s scoring settings under If-Match',
    trigger: { kind: 'http', method: 'PUT', path: '/v1/scoring/settings', scope: 'admin' },
    resources: { table: 'readwrite' },
  },
  scoringRunsStart: {
    entry: 'functions/http/scoring-runs-start.ts',
    description: 'Starts a rescoring run of every customer now',
    trigger: { kind: 'http', method: 'POST', path: '/v1/scoring/runs', scope: 'admin' },
    resources: { table: 'readwrite', queues: { scoring: 'send' } },
  },
  scoringRunsGet: {
    entry: 'functions/http/scoring-runs-get.ts',
    description: 'A rescoring run: status, progress, fitted models and what changed',
    trigger: { kind: 'http', method: 'GET', path: '/v1/scoring/runs/{runId}', scope: 'read' },
    resources: { table: 'read' },
  },
  scoringPlanner: {
    entry: 'functions/schedule/scoring-planner.ts',
    description: 'Starts a rescoring run when the schedule in the scoring settings is due',
    // Checks hourly: the settings' expression (changeable through the API) decides whether a run is due.
    trigger: { kind: 'schedule', expression: 'rate(1 hour)', description: 'Start a rescoring run when due' },
    resources: { table: 'readwrite', queues: { scoring: 'send' } },
  },
  scoringWorker: {
    entry: 'functions/queue/scoring-worker.ts',
    description: 'Runs a rescoring run a page at a time: measure, settle and fit, score and publish changes',
    // One page chain per parallel-scan segment of a run (DEFAULT_SEGMENTS in shared/scoring/runs.ts), so
    // every segment moves at once.
    trigger: {
      kind: 'queue',
      queue: 'scoring',
      batchSize: 1,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: 4,
    },
    resources: { table: 'readwrite', queues: { scoring: 'send' }, bus: 'put' },
    memoryMb: 1024,
    timeoutSeconds: 120,
  },
  reportsDistribution: {
    entry: 'functions/http/reports-distribution.ts',
    description: 'How customers spread over RFM groups, tiers, lifecycle stages, CLV deciles or churn risk',
    trigger: { kind: 'http', method: 'GET', path: '/v1/reports/distribution', scope: 'read' },
    resources: { table: 'read' },
  },
  reportsTimeseries: {
    entry: 'functions/http/reports-timeseries.ts',
    description: 'A distribution day by day, from the rescoring runs’ daily snapshots',
    trigger: { kind: 'http', method: 'GET', path: '/v1/reports/timeseries', scope: 'read' },
    resources: { table: 'read' },
  },
  reportsClusters: {
    entry: 'functions/http/reports-clusters.ts',
    description: 'k-means clusters of a sample of customers, with profiles',
    trigger: { kind: 'http', method: 'GET', path: '/v1/reports/clusters', scope: 'read' },
    resources: { table: 'read' },
    memoryMb: 1024,
    timeoutSeconds: 29,
  },
  aggregateUpdater: {
    entry: 'functions/stream/aggregate-updater.ts',
    description: 'Folds orders and refunds from the table stream into per-customer purchase aggregates',
    trigger: { kind: 'stream', batchSize: 100, maxBatchingWindowSeconds: 1, startingPosition: 'LATEST' },
    resources: { table: 'readwrite' },
    timeoutSeconds: 60,
  },
  campaignsCreate: {
    entry: 'functions/http/campaigns-create.ts',
    description: 'Creates a campaign draft: audience, variants per channel, schedule',
    trigger: { kind: 'http', method: 'POST', path: '/v1/campaigns', scope: 'write' },
    resources: { table: 'readwrite' },
  },
  campaignsList: {
    entry: 'functions/http/campaigns-list.ts',
    description: 'Lists campaigns, newest first',
    trigger: { kind: 'http', method: 'GET', path: '/v1/campaigns', scope: 'read' },
    resources: { table: 'read' },
  },
  campaignsGet: {
    entry: 'functions/http/campaigns-get.ts',
    description: 'A campaign with the progress and counts of its current run',
    trigger: { kind: 'http', method: 'GET', path: '/v1/campaigns/{campaignId}', scope: 'read' },
    resources: { table: 'read' },
  },
  campaignsPatch: {
    entry: 'functions/http/campaigns-patch.ts',
    description: 'Edits a draft campaign with a merge patch under If-Match',
    trigger: { kind: 'http', method: 'PATCH', path: '/v1/campaigns/{campaignId}', scope: 'write' },
    resources: { table: 'readwrite' },
  },
  campaignsAudit: {
    entry: 'functions/http/campaigns-audit.ts',
    description: 'Every transition and edit of a campaign: who, when, from and to',
    trigger: { kind: 'http', method: 'GET', path: '/v1/campaigns/{campaignId}/audit', scope: 'read' },
    resources: { table: 'read' },
  },
  campaignsAct: {
    entry: 'functions/http/campaigns-act.ts',
    description:
      'Lifecycle actions (submit, approve, reject, schedule, pause, resume, cancel), test send, dry run',
    trigger: { kind: 'http', method: 'POST', path: '/v1/campaigns/{campaignId}/{action}', scope: 'write' },
    resources: { table: 'readwrite', queues: { 'campaign-plan': 'send' }, ses: 'send', pinpoint: 'send' },
    timeoutSeconds: 29,
  },
  campaignScheduler: {
    entry: 'functions/schedule/campaign-scheduler.ts',
    description: 'Starts the runs of scheduled campaigns that are due (one-off, local-time and recurring)',
    trigger: { kind: 'schedule', expression: 'rate(1 minute)', description: 'Start due campaign runs' },
    resources: { table: 'readwrite', queues: { 'campaign-plan': 'send' } },
  },
  campaignPlanner: {
    entry: 'functions/queue/campaign-planner.ts',
    description: 'Plans a campaign run: lists segment members shard by shard and enqueues them to send',
    trigger: { kind: 'queue', queue: 'campaign-plan', batchSize: 1, maxBatchingWindowSeconds: 0 },
    resources: { table: 'readwrite', queues: { 'campaign-plan': 'send', send: 'send' } },
    timeoutSeconds: 60,
  },
  sendWorker: {
    // With the campaign functions: the send queue serves campaigns (and later automations) alike.
    group: 'campaign',
    entry: 'functions/queue/send-worker.ts',
    description:
      'Sends a message of recipients: gate, rate limit, channel, confirmation; throttled rest re-queued',
    trigger: { kind: 'queue', queue: 'send', batchSize: 5, maxBatchingWindowSeconds: 1 },
    resources: {
      table: 'readwrite',
      queues: { send: 'send' },
      ses: 'send',
      pinpoint: 'send',
      linkSecret: 'read',
    },
    timeoutSeconds: 60,
  },
  sesEvents: {
    entry: 'functions/bus/ses-events.ts',
    description:
      'SES delivery events (send, delivery, bounce, complaint, reject, open, click, delay, rendering failure) to message outcomes, results and suppression',
    trigger: {
      kind: 'bus',
      source: 'aws.ses',
      detailTypes: externalBusSources['aws.ses'],
    },
    resources: { table: 'readwrite' },
    timeoutSeconds: 30,
  },
  conversions: {
    entry: 'functions/bus/conversions.ts',
    description: 'Attributes an order to the last message the customer opened or clicked within its window',
    trigger: { kind: 'bus', detailTypes: ['event.ingested'] },
    resources: { table: 'readwrite' },
    timeoutSeconds: 30,
  },
  resultsGet: {
    entry: 'functions/http/results-get.ts',
    description: 'Results of a campaign, automation or transactional source per variant, tier and channel',
    trigger: { kind: 'http', method: 'GET', path: '/v1/results/{kind}/{sourceId}', scope: 'read' },
    resources: { table: 'read' },
  },
  deliverySettingsGet: {
    entry: 'functions/http/delivery-settings-get.ts',
    description: 'The stage’s delivery settings: caps, tier caps, quiet hours, default time zone',
    trigger: { kind: 'http', method: 'GET', path: '/v1/delivery/settings', scope: 'read' },
    resources: { table: 'read' },
  },
  deliverySettingsPut: {
    entry: 'functions/http/delivery-settings-put.ts',
    description: 'Replaces the stage’s delivery settings under If-Match',
    trigger: { kind: 'http', method: 'PUT', path: '/v1/delivery/settings', scope: 'admin' },
    resources: { table: 'readwrite' },
  },
  deliveryList: {
    entry: 'functions/http/delivery-list.ts',
    description: 'A customer’s send ledger: every message sent or not, by source, with the reason',
    trigger: { kind: 'http', method: 'GET', path: '/v1/customers/{customerId}/deliveries', scope: 'read' },
    resources: { table: 'read' },
  },
  deliveryMessagesSend: {
    entry: 'functions/http/delivery-messages-send.ts',
    description: 'Sends one transactional message to one customer now, through the send gate',
    trigger: { kind: 'http', method: 'POST', path: '/v1/messages', scope: 'write' },
    resources: { table: 'readwrite', ses: 'send', pinpoint: 'send', linkSecret: 'read' },
  },
  segmentEvaluator: {
    entry: 'functions/stream/segment-evaluator.ts',
    description:
      'Re-evaluates each changed customer against the active segments whose rules read what changed',
    trigger: { kind: 'stream', batchSize: 100, maxBatchingWindowSeconds: 0, startingPosition: 'LATEST' },
    resources: { table: 'readwrite' },
    timeoutSeconds: 60,
  },
  segmentSweeper: {
    entry: 'functions/schedule/segment-sweeper.ts',
    description: 'Re-evaluates customers whose time-dependent segment conditions are due to change',
    // Every minute: a transition is applied within about two minutes of its time (README, Segments).
    trigger: {
      kind: 'schedule',
      expression: 'rate(1 minute)',
      description: 'Apply due time-based segment transitions',
    },
    resources: { table: 'readwrite' },
    timeoutSeconds: 60,
  },
  segmentsCreate: {
    entry: 'functions/http/segments-create.ts',
    description: 'Creates a segment: a rule (filled by a recomputation) or a static list of customers',
    trigger: { kind: 'http', method: 'POST', path: '/v1/segments', scope: 'write' },
    resources: { table: 'readwrite', queues: { segments: 'send' } },
    timeoutSeconds: 29,
  },
  segmentsList: {
    entry: 'functions/http/segments-list.ts',
    description: 'Lists segments with their sizes',
    trigger: { kind: 'http', method: 'GET', path: '/v1/segments', scope: 'read' },
    resources: { table: 'read' },
  },
  segmentsGet: {
    entry: 'functions/http/segments-get.ts',
    description: 'Reads a segment with its size and size history',
    trigger: { kind: 'http', method: 'GET', path: '/v1/segments/{segmentId}', scope: 'read' },
    resources: { table: 'read' },
  },
  segmentsPatch: {
    entry: 'functions/http/segments-patch.ts',
    description: 'Updates a segment under If-Match; a new rule re-evaluates every customer',
    trigger: { kind: 'http', method: 'PATCH', path: '/v1/segments/{segmentId}', scope: 'write' },
    resources: { table: 'readwrite', queues: { segments: 'send' } },
  },
  segmentsArchive: {
    entry: 'functions/http/segments-archive.ts',
    description: 'Archives a segment; a recomputation takes its members out',
    trigger: { kind: 'http', method: 'POST', path: '/v1/segments/{segmentId}/archive', scope: 'write' },
    resources: { table: 'readwrite', queues: { segments: 'send' } },
  },
  segmentsMembers: {
    entry: 'functions/http/segments-members.ts',
    description: 'Lists the members of a segment, shard after shard, with a cursor',
    trigger: { kind: 'http', method: 'GET', path: '/v1/segments/{segmentId}/members', scope: 'read' },
    resources: { table: 'read' },
  },
  segmentsCheck: {
    entry: 'functions/http/segments-check.ts',
    description: 'Is a customer in a segment, and which condition of its rule failed',
    trigger: {
      kind: 'http',
      method: 'GET',
      path: '/v1/segments/{segmentId}/members/{customerId}',
      scope: 'read',
    },
    resources: { table: 'read' },
  },
  segmentsPreview: {
    entry: 'functions/http/segments-preview.ts',
    description: 'Counts the customers a draft rule matches now, with a sample; writes nothing',
    trigger: { kind: 'http', method: 'POST', path: '/v1/segments/preview', scope: 'read' },
    resources: { table: 'read' },
    memoryMb: 1769,
    timeoutSeconds: 29,
  },
  segmentRunsStart: {
    entry: 'functions/http/segment-runs-start.ts',
    description: 'Starts a full recomputation of every active segment, or of one',
    trigger: { kind: 'http', method: 'POST', path: '/v1/segments/runs', scope: 'admin' },
    resources: { table: 'readwrite', queues: { segments: 'send' } },
  },
  segmentRunsGet: {
    entry: 'functions/http/segment-runs-get.ts',
    description: 'A segment recomputation: status, progress and entries and exits per segment',
    trigger: { kind: 'http', method: 'GET', path: '/v1/segments/runs/{runId}', scope: 'read' },
    resources: { table: 'read' },
  },
  segmentPlanner: {
    entry: 'functions/schedule/segment-planner.ts',
    description: 'Starts the scheduled full recomputation of every active segment',
    trigger: { kind: 'schedule', expression: 'rate(1 day)', description: 'Recompute every segment' },
    resources: { table: 'readwrite', queues: { segments: 'send' } },
  },
  segmentWorker: {
    entry: 'functions/queue/segment-worker.ts',
    description: 'Recomputes segments a page of customers at a time, through the membership writer',
    // One invocation per scan segment of a run (DEFAULT_SCAN_SEGMENTS in shared/segments/recompute.ts).
    trigger: {
      kind: 'queue',
      queue: 'segments',
      batchSize: 1,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: 4,
    },
    resources: { table: 'readwrite', queues: { segments: 'send' } },
    memoryMb: 1024,
    timeoutSeconds: 120,
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functions;

/**
 * Name prefixes (as {@link functionGroup} reads them) that belong to a wider domain's group, so that a
 * handful of related functions share one nested stack rather than each prefix getting its own.
 */
export const groupOfPrefix: Readonly<Record<string, string>> = {
  // Not the authorizer: the API's authorizer points at it and the routes it guards point at the
  // authorizer, so a route in its stack would close a cycle.
  openapi: 'access',
  api: 'access',
  merge: 'customer',
  attribute: 'customer',
  duplicate: 'customer',
  dedupe: 'customer',
  erasure: 'customer',
  change: 'customer',
  event: 'customer',
  order: 'customer',
  topic: 'consent',
  suppression: 'consent',
  preference: 'consent',
  unsubscribe: 'consent',
  export: 'file',
  import: 'file',
  report: 'scoring',
  aggregate: 'scoring',
  // Delivery feedback and conversions feed the results.
  ses: 'result',
  conversion: 'result',
};

/**
 * The group (nested stack) a function is deployed in: its `group` if set, otherwise the first word of its
 * name in the singular (`segmentsCreate` and `segmentWorker` both give `segment`), folded by
 * {@link groupOfPrefix}. Derived, so adding a function to this manifest never needs an infra edit; stable,
 * so adding one never moves another (which would replace it).
 */
export function functionGroup(name: string, spec: Pick<FunctionSpec, 'group'>): string {
  if (spec.group !== undefined) return spec.group;
  const word = /^[a-z0-9]+/.exec(name)?.[0] ?? name;
  const singular = word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
  return groupOfPrefix[singular] ?? singular;
}

export function functionEntries(): [FunctionName, FunctionSpec][] {
  return Object.entries(functions) as [FunctionName, FunctionSpec][];
}

export { envNames } from './env-names.ts';
