import * as z from '../../shared/platform/zod.ts';

/**
 * Contracts for every message Cohort puts on its queues and its event bus. Producers build messages
 * with these types; consumers parse with these schemas, so a malformed message fails loudly.
 */

/** SQS `erasure` queue body. */
export const erasureMessage = z.strictObject({ customerId: z.string().check(z.minLength(1)) });
export type ErasureMessage = z.output<typeof erasureMessage>;

/** SQS `merge` queue body. */
export const mergeMessage = z.strictObject({ mergeId: z.string().check(z.minLength(1)) });
export type MergeMessage = z.output<typeof mergeMessage>;

/** SQS `dedupe` queue body: one step of a duplicate-detection scan. */
export const dedupeMessage = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('plan'), scanId: z.string().check(z.minLength(1)) }),
  z.strictObject({
    kind: z.literal('segment'),
    scanId: z.string().check(z.minLength(1)),
    segment: z.number().check(z.int(), z.minimum(0)),
    page: z.number().check(z.int(), z.minimum(0)),
    /** The table's LastEvaluatedKey of the previous page, as JSON. */
    startKey: z.optional(z.string()),
  }),
  z.strictObject({
    kind: z.literal('score'),
    scanId: z.string().check(z.minLength(1)),
    shard: z.number().check(z.int(), z.minimum(0)),
    page: z.number().check(z.int(), z.minimum(0)),
    /** Sort key of the last entry of the previous page. */
    after: z.optional(z.string()),
  }),
]);
export type DedupeMessage = z.output<typeof dedupeMessage>;

/** SQS `export` queue body: advance this export job. */
export const exportMessage = z.strictObject({ exportId: z.string().check(z.minLength(1)) });
export type ExportMessage = z.output<typeof exportMessage>;

/** SQS `import-read` body: read (more of) an import's file. */
export const importReadMessage = z.strictObject({ jobId: z.string().check(z.minLength(1)) });
export type ImportReadMessage = z.output<typeof importReadMessage>;

/**
 * SQS `import-rows` body: one chunk of rows of an import, numbered so that a chunk sent twice (a reader
 * resuming after a crash) or delivered twice is counted once. A row holds the cells of a CSV record, the
 * object of an NDJSON line, or the reason the reader could not read it.
 */
export const importChunkMessage = z.strictObject({
  jobId: z.string().check(z.minLength(1)),
  chunkNo: z.number().check(z.int(), z.minimum(0)),
  rows: z.array(
    z.strictObject({
      row: z.number().check(z.int(), z.minimum(1)),
      values: z.optional(z.array(z.string())),
      object: z.optional(z.record(z.string(), z.unknown())),
      error: z.optional(z.strictObject({ field: z.string(), reason: z.string(), value: z.string() })),
    }),
  ),
});
export type ImportChunkMessage = z.output<typeof importChunkMessage>;

/** Bus `customer.changed`: a profile was created, updated or removed (erasure included). */
export const customerChangedDetail = z.object({
  customerId: z.string(),
  change: z.enum(['created', 'updated', 'removed']),
  /** Profile fields whose values changed (names only, never values). */
  fields: z.array(z.string()),
  version: z.optional(z.number().check(z.int())),
  at: z.string(),
});
export type CustomerChangedDetail = z.output<typeof customerChangedDetail>;

/** Bus `customer.erased`: an erasure was requested; consumers drop what they hold about the customer. */
export const customerErasedDetail = z.object({ customerId: z.string(), at: z.string() });
export type CustomerErasedDetail = z.output<typeof customerErasedDetail>;

/**
 * Bus `customer.merged`: customers were merged into a survivor. Their ids and identities resolve to the
 * survivor from now on; their events and orders move to it shortly after (consumers that keep
 * per-customer state fold the merged ids into the survivor).
 */
export const customerMergedDetail = z.object({
  mergeId: z.string(),
  survivorId: z.string(),
  mergedIds: z.array(z.string()),
  at: z.string(),
});
export type CustomerMergedDetail = z.output<typeof customerMergedDetail>;

/** Bus `event.ingested`: a new event or order was stored (replays of a stored id are not repeated). */
export const eventIngestedDetail = z.object({
  eventId: z.string(),
  customerId: z.string(),
  type: z.string(),
  occurredAt: z.string(),
  orderId: z.optional(z.string()),
  amount: z.optional(z.number()),
  currency: z.optional(z.string()),
});
export type EventIngestedDetail = z.output<typeof eventIngestedDetail>;

/** SQS `scoring` queue body: one step of a rescoring run. */
export const scoringMessage = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('plan'), runId: z.string().check(z.minLength(1)) }),
  z.strictObject({
    kind: z.literal('page'),
    runId: z.string().check(z.minLength(1)),
    /** 1 measures the population, 2 scores each customer against it. */
    pass: z.union([z.literal(1), z.literal(2)]),
    segment: z.number().check(z.int(), z.minimum(0)),
    page: z.number().check(z.int(), z.minimum(0)),
    /** The table's LastEvaluatedKey of the previous page, as JSON. */
    startKey: z.optional(z.string()),
  }),
  z.strictObject({ kind: z.literal('settle'), runId: z.string().check(z.minLength(1)) }),
]);
export type ScoringMessage = z.output<typeof scoringMessage>;

/** Bus `customer.lifecycle_changed`: a rescoring run moved a customer to another lifecycle stage. */
export const customerLifecycleChangedDetail = z.object({
  customerId: z.string(),
  from: z.nullable(z.string()),
  to: z.string(),
  runId: z.string(),
  at: z.string(),
});
export type CustomerLifecycleChangedDetail = z.output<typeof customerLifecycleChangedDetail>;

/** Bus `customer.tier_changed`: the ABC tier or the value tier moved (`from` null on the first scoring). */
export const customerTierChangedDetail = z.object({
  customerId: z.string(),
  dimension: z.enum(['abc', 'valueTier']),
  from: z.nullable(z.string()),
  to: z.string(),
  runId: z.string(),
  at: z.string(),
});
export type CustomerTierChangedDetail = z.output<typeof customerTierChangedDetail>;

/**
 * Bus `customer.churn_risk_raised`: a customer's churn score crossed the threshold. At least once per
 * crossing: a retried page may repeat it with the same runId, by which consumers deduplicate.
 */
export const customerChurnRiskRaisedDetail = z.object({
  customerId: z.string(),
  score: z.number(),
  threshold: z.number(),
  reasons: z.array(z.string()),
  runId: z.string(),
  at: z.string(),
});
export type CustomerChurnRiskRaisedDetail = z.output<typeof customerChurnRiskRaisedDetail>;

/**
 * Bus `segment.entered` / `segment.exited`: a customer entered or left a segment. Published from the
 * table stream when a membership flips, so at least once per flip; `at` is the flip's time, by which
 * (with the ids) consumers deduplicate. `reason` says what decided it.
 */
export const segmentMembershipDetail = z.object({
  segmentId: z.string(),
  customerId: z.string(),
  at: z.string(),
  reason: z.optional(z.string()),
});
export type SegmentMembershipDetail = z.output<typeof segmentMembershipDetail>;

/** SQS `segments` queue body: one step of a segment recomputation. */
export const segmentMessage = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('plan'), runId: z.string().check(z.minLength(1)) }),
  z.strictObject({
    kind: z.literal('page'),
    runId: z.string().check(z.minLength(1)),
    segment: z.number().check(z.int(), z.minimum(0)),
    page: z.number().check(z.int(), z.minimum(0)),
    /** The table's LastEvaluatedKey of the previous page, as JSON. */
    startKey: z.optional(z.string()),
  }),
]);
export type SegmentMessage = z.output<typeof segmentMessage>;

/** SQS `campaign-plan` body: start a campaign run, or list one page of one shard of an include segment. */
export const campaignPlanMessage = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('start'),
    campaignId: z.string().check(z.minLength(1)),
    runId: z.string().check(z.minLength(1)),
  }),
  z.strictObject({
    kind: z.literal('page'),
    campaignId: z.string().check(z.minLength(1)),
    runId: z.string().check(z.minLength(1)),
    /** Position of the segment in the campaign's include list: a customer in several is sent from the first. */
    include: z.number().check(z.int(), z.minimum(0)),
    shard: z.number().check(z.int(), z.minimum(0)),
    page: z.number().check(z.int(), z.minimum(0)),
    cursor: z.optional(z.string()),
  }),
]);
export type CampaignPlanMessage = z.output<typeof campaignPlanMessage>;

/**
 * SQS `send` body: up to 50 recipients of one campaign run. `id` is stable across redeliveries and
 * re-enqueued remainders (after throttling), so each message is counted once.
 */
export const sendMessage = z.strictObject({
  campaignId: z.string().check(z.minLength(1)),
  runId: z.string().check(z.minLength(1)),
  id: z.string().check(z.minLength(1)),
  recipients: z.array(z.string().check(z.minLength(1))).check(z.minLength(1), z.maxLength(100)),
  /** Throttle back-offs so far; the next delay doubles. */
  backoffs: z._default(z.number().check(z.int(), z.minimum(0)), 0),
  /** Quiet-hours deferrals so far: the message came back this many times for recipients the gate deferred. */
  deferrals: z._default(z.number().check(z.int(), z.minimum(0)), 0),
  /** Not to be worked on before this instant (ISO 8601): the end of the deferred recipients' quiet hours. */
  notBefore: z.optional(z.iso.datetime()),
});
export type SendQueueMessage = z.input<typeof sendMessage>;
/**
 * Bus `aws.ses` events (detail types `Email Sent`, `Email Delivered`, `Email Bounced`, `Email Complaint
 * Received`, `Email Rejected`, `Email Opened`, `Email Clicked`, `Email Delivery Delayed`, `Email Rendering
 * Failed`): the SES event publishing record of the configuration set, forwarded from the default bus.
 * Only the fields Cohort reads are named; SES adds others (headers, user agents, IPs) that pass unread.
 * Samples: events/samples/ses/*.json.
 */
const sesRecipient = z.object({
  emailAddress: z.string(),
  action: z.optional(z.string()),
  status: z.optional(z.string()),
  diagnosticCode: z.optional(z.string()),
});
export const sesEventDetail = z.object({
  eventType: z.enum([
    'Send',
    'Delivery',
    'Bounce',
    'Complaint',
    'Reject',
    'Open',
    'Click',
    'DeliveryDelay',
    'Rendering Failure',
    'Subscription',
  ]),
  mail: z.object({
    timestamp: z.string(),
    messageId: z.string().check(z.minLength(1)),
    destination: z.array(z.string()),
    /** Message tags, each as a list of values; SES adds `ses:configuration-set` and others. */
    tags: z.optional(z.record(z.string(), z.array(z.string()))),
  }),
  send: z.optional(z.object({})),
  delivery: z.optional(
    z.object({
      timestamp: z.string(),
      recipients: z.array(z.string()),
      smtpResponse: z.optional(z.string()),
    }),
  ),
  bounce: z.optional(
    z.object({
      bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
      bounceSubType: z.string(),
      bouncedRecipients: z.array(sesRecipient),
      timestamp: z.string(),
      feedbackId: z.optional(z.string()),
    }),
  ),
  complaint: z.optional(
    z.object({
      complainedRecipients: z.array(z.object({ emailAddress: z.string() })),
      timestamp: z.string(),
      feedbackId: z.optional(z.string()),
      complaintFeedbackType: z.optional(z.string()),
    }),
  ),
  reject: z.optional(z.object({ reason: z.string() })),
  open: z.optional(z.object({ timestamp: z.string() })),
  click: z.optional(z.object({ timestamp: z.string(), link: z.optional(z.string()) })),
  deliveryDelay: z.optional(
    z.object({
      timestamp: z.string(),
      delayType: z.string(),
      delayedRecipients: z.optional(z.array(sesRecipient)),
    }),
  ),
  failure: z.optional(z.object({ errorMessage: z.string(), templateName: z.optional(z.string()) })),
});
export type SesEventDetail = z.output<typeof sesEventDetail>;

export const busDetailSchemas = {
  'customer.changed': customerChangedDetail,
  'customer.erased': customerErasedDetail,
  'customer.merged': customerMergedDetail,
  'event.ingested': eventIngestedDetail,
  'customer.lifecycle_changed': customerLifecycleChangedDetail,
  'customer.tier_changed': customerTierChangedDetail,
  'customer.churn_risk_raised': customerChurnRiskRaisedDetail,
  'segment.entered': segmentMembershipDetail,
  'segment.exited': segmentMembershipDetail,
} as const;
