import { toJSONSchema } from 'zod/v4/core';
import { type FunctionName, functions } from '../../functions/manifest.ts';
import { apiKeyCreateSchema, apiKeyIdParams, apiKeySchema } from '../apikeys/schema.ts';
import {
  campaignActionBody,
  campaignActionParams,
  campaignCreateSchema,
  campaignIdParams,
  campaignListQuery,
  campaignPatchSchema,
  campaignSchema,
} from '../campaigns/schema.ts';
import {
  consentsPutSchema,
  consentsView,
  suppressionParams,
  suppressionPutSchema,
  suppressionView,
  tokenParams,
  topicParams,
  topicPutSchema,
  topicView,
} from '../consent/schema.ts';
import {
  dismissalSchema,
  duplicateListSchema,
  duplicatesQuery,
  pairIdParams,
  scanIdParams,
  scanStartSchema,
  scanView,
} from '../customers/dedupe/schema.ts';
import {
  mergeIdParams,
  mergeJobSchema,
  mergePreviewSchema,
  mergeRequestSchema,
} from '../customers/merge-schema.ts';
import {
  attributeDefinitionSchema,
  attributeDefinitionView,
  attributeNameParams,
  auditQuery,
  customerIdParams,
  customerListQuery,
  customerListSchema,
  customerPatchSchema,
  customerSchema,
  customerUpsertSchema,
} from '../customers/schema.ts';
import {
  deliveriesQuery,
  deliveryListSchema,
  deliverySettingsView,
  messageResultSchema,
  messageSendSchema,
} from '../delivery/schema.ts';
import { deliverySettingsSchema } from '../delivery/settings.ts';
import {
  eventBatchSchema,
  ingestResultSchema,
  orderBatchSchema,
  timelineQuery,
  timelineSchema,
} from '../events/schema.ts';
import { exportCreateSchema, exportIdParams, exportJobSchema } from '../exports/schema.ts';
import {
  importCreateSchema,
  importIdParams,
  importJobSchema,
  importListQuery,
  importListSchema,
  rejectsQuery,
} from '../imports/schema.ts';
import * as z from '../platform/zod.ts';
import { resultsParams, resultsQuery, resultsView } from '../results/schema.ts';
import {
  clustersQuery,
  clustersView,
  distributionQuery,
  distributionView,
  runIdParams,
  scoringRunView,
  timeseriesQuery,
  timeseriesView,
} from '../scoring/schema.ts';
import { scoringSettingsSchema } from '../scoring/settings.ts';
import {
  membersQuery,
  previewSchema,
  runStartSchema,
  segmentCreateSchema,
  segmentIdParams,
  segmentListQuery,
  segmentMemberParams,
  segmentPatchSchema,
  segmentRunParams,
} from '../segments/schema.ts';
import {
  renderedView,
  templateInputSchema,
  templateListQuery,
  templateParams,
  templateRenderSchema,
  templateView,
} from '../templates/schema.ts';

/**
 * The OpenAPI 3.1 document, built from the manifest's routes and the zod schemas that validate the
 * requests: a route or a field cannot be documented differently from how it behaves.
 */
interface RouteDoc {
  summary: string;
  description?: string;
  params?: z.ZodMiniObject;
  query?: z.ZodMiniObject;
  body?: z.ZodMiniType;
  responses: Record<
    number,
    { description: string; schema?: z.ZodMiniType; headers?: string[]; html?: boolean }
  >;
  /** The body is a form (application/x-www-form-urlencoded or multipart/form-data), not JSON. */
  form?: Record<string, string>;
  idempotent?: boolean;
  ifMatch?: boolean;
}

const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().check(z.int()),
    detail: z.string(),
    instance: z.optional(z.string()),
    errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
  })
  .check(z.meta({ id: 'Problem', description: 'RFC 9457 problem details' }));

const erasureSchema = z
  .object({ id: z.string(), status: z.enum(['erasing', 'erased']), requestedAt: z.string() })
  .check(z.meta({ id: 'Erasure' }));

const auditSchema = z
  .object({
    items: z.array(
      z.object({
        id: z.string(),
        action: z.string(),
        actor: z.object({ keyId: z.string(), name: z.optional(z.string()) }),
        fields: z.array(z.string()),
        at: z.string(),
        relatedIds: z.optional(z.array(z.string())),
        mergedFrom: z.optional(z.string()),
      }),
    ),
    next: z.optional(z.string()),
  })
  .check(z.meta({ id: 'AuditTrail' }));

const scoringSettingsView = z
  .object({
    settings: scoringSettingsSchema,
    version: z.number().check(z.int()),
    updatedAt: z.optional(z.string()),
  })
  .check(z.meta({ id: 'ScoringSettings' }));

/** The functions behind HTTP routes: each must be documented, and only they. */
type HttpFunctionName = {
  [K in FunctionName]: (typeof functions)[K]['trigger'] extends { kind: 'http' } ? K : never;
}[FunctionName];
type HttpTrigger = Extract<(typeof functions)[FunctionName]['trigger'], { kind: 'http' }>;

export const routeDocs: Record<HttpFunctionName, RouteDoc> = {
  openapi: { summary: 'This document', responses: { 200: { description: 'The OpenAPI 3.1 document' } } },
  importsCreate: {
    summary: 'Create an import job',
    description:
      'Creates a job for a CSV or NDJSON file of customers, orders or events and answers with a presigned URL: PUT the file there (e.g. `curl -T file.csv "<uploadUrl>"`), then start the job.',
    body: importCreateSchema,
    idempotent: true,
    responses: { 201: { description: 'The job, awaiting its upload', schema: importJobSchema } },
  },
  importsStart: {
    summary: 'Start an import',
    description: 'Queues the uploaded file for reading. Starting a job that already started changes nothing.',
    params: importIdParams,
    responses: {
      202: { description: 'The job, queued', schema: importJobSchema },
      404: { description: 'No such import' },
      409: { description: 'The file has not been uploaded yet' },
    },
  },
  importsGet: {
    summary: 'An import job: status, progress, counts',
    params: importIdParams,
    responses: {
      200: { description: 'The job', schema: importJobSchema },
      404: { description: 'No such import' },
    },
  },
  importsList: {
    summary: 'Import jobs, newest first',
    query: importListQuery,
    responses: { 200: { description: 'A page of jobs', schema: importListSchema } },
  },
  importsRejects: {
    summary: 'The rejected rows of an import, as CSV',
    description:
      'text/csv with the columns row, field, reason, value: one line per problem, in row order. When more remain, the `Link` header (rel="next") and `Cohort-Next-Cursor` give the next page.',
    params: importIdParams,
    query: rejectsQuery,
    responses: {
      200: { description: 'text/csv', headers: ['Link', 'Cohort-Next-Cursor'] },
      404: { description: 'No such import' },
    },
  },
  customersUpsert: {
    summary: 'Create or update a customer by identity',
    description:
      'Resolves externalId, email and phone to an existing customer and updates it with the fields sent, or creates a new one. Concurrent requests for the same identity create exactly one customer.',
    body: customerUpsertSchema,
    idempotent: true,
    responses: {
      201: { description: 'Created', schema: customerSchema, headers: ['ETag', 'Location'] },
      200: {
        description: 'Updated, or unchanged (see the Cohort-Outcome header)',
        schema: customerSchema,
        headers: ['ETag'],
      },
      409: { description: 'The identities belong to different customers' },
    },
  },
  customersList: {
    summary: 'List customers',
    description: 'Ordered by last update, oldest first. Follow `next` as `cursor` for the following page.',
    query: customerListQuery,
    responses: { 200: { description: 'A page of customers', schema: customerListSchema } },
  },
  customersGet: {
    summary: 'Get a customer',
    description:
      'An id merged into another customer answers with the survivor (its own `id`), and `Content-Location` names it.',
    params: customerIdParams,
    responses: {
      200: {
        description: 'The customer',
        schema: customerSchema,
        headers: ['ETag', 'Content-Location'],
      },
      404: { description: 'No such customer' },
      410: { description: 'The customer was erased' },
    },
  },
  customersPatch: {
    summary: 'Update a customer (JSON merge patch)',
    params: customerIdParams,
    body: customerPatchSchema,
    ifMatch: true,
    responses: {
      200: { description: 'The updated customer', schema: customerSchema, headers: ['ETag'] },
      409: { description: 'An identity in the patch belongs to another customer' },
      412: { description: 'The If-Match version is stale' },
      428: { description: 'If-Match is missing' },
    },
  },
  customersErase: {
    summary: 'Erase a customer',
    description:
      'Removes the profile and identities at once and the events and orders shortly after (the erasure runs as a job; GET the customer answers 410 from now on).',
    params: customerIdParams,
    responses: { 202: { description: 'Erasure started', schema: erasureSchema } },
  },
  customersTimeline: {
    summary: 'A customer’s events and orders, newest first',
    params: customerIdParams,
    query: timelineQuery,
    responses: { 200: { description: 'A page of the timeline', schema: timelineSchema } },
  },
  customersAudit: {
    summary: 'Audit trail of a customer',
    params: customerIdParams,
    query: auditQuery,
    responses: { 200: { description: 'Who changed what, newest first', schema: auditSchema } },
  },
  customersMerge: {
    summary: 'Merge customers into this one',
    description:
      'With dryRun=true: the merged profile as it would be, which source won each field and why, and what would move; nothing is written. With dryRun=false: the profiles and identities merge at once (the merged ids resolve to the survivor from then on) and events, orders, consents and audit entries follow as a job (GET its Location). If-Match is optional and checks the survivor.',
    params: customerIdParams,
    body: mergeRequestSchema,
    idempotent: true,
    responses: {
      200: { description: 'Dry run: the result, nothing written', schema: mergePreviewSchema },
      202: { description: 'Merged; the rest moves as a job', schema: mergeJobSchema, headers: ['Location'] },
      404: { description: 'No such survivor' },
      409: {
        description:
          'The survivor was merged away, different externalIds without fields.externalId, too many addresses, or a merge still moving',
      },
      412: { description: 'If-Match does not match the survivor' },
      422: { description: 'A customer in mergeIds is missing, erased or already merged' },
    },
  },
  mergesGet: {
    summary: 'A merge job',
    params: mergeIdParams,
    responses: {
      200: { description: 'Status and progress', schema: mergeJobSchema },
      404: { description: 'No such merge' },
    },
  },
  attributesPut: {
    summary: 'Declare a custom attribute',
    params: attributeNameParams,
    body: attributeDefinitionSchema,
    responses: {
      201: { description: 'Declared', schema: attributeDefinitionView },
      200: { description: 'Redeclared', schema: attributeDefinitionView },
    },
  },
  attributesList: {
    summary: 'List declared custom attributes',
    responses: {
      200: { description: 'The declarations', schema: z.object({ items: z.array(attributeDefinitionView) }) },
    },
  },
  topicsPut: {
    summary: 'Declare a subscription topic',
    description:
      'Topics are what customers subscribe to per channel (promotions, service notices, surveys). Marketing topics need an explicit opt-in unless defaultStatus says otherwise; service topics default to opted_in.',
    params: topicParams,
    body: topicPutSchema,
    responses: {
      201: { description: 'Declared', schema: topicView },
      200: { description: 'Redeclared', schema: topicView },
    },
  },
  topicsList: {
    summary: 'List subscription topics',
    responses: { 200: { description: 'The topics', schema: z.object({ items: z.array(topicView) }) } },
  },
  consentsGet: {
    summary: 'A customer’s consents and their history',
    params: customerIdParams,
    responses: {
      200: { description: 'Current consents and the latest 100 changes', schema: consentsView },
      404: { description: 'No such customer' },
      410: { description: 'The customer was erased' },
    },
  },
  consentsPut: {
    summary: 'Record consent changes',
    description:
      'Applies up to 50 changes together, each with its source and proof, and appends them to the consent history. Repeating a change writes nothing. With double opt-in on (EMAIL_DOUBLE_OPT_IN), an email opt-in becomes pending and a confirmation link is mailed.',
    params: customerIdParams,
    body: consentsPutSchema,
    responses: {
      200: {
        description: 'The consents after the change',
        schema: z.object({
          customerId: z.string(),
          items: z.array(z.object({ channel: z.string(), topic: z.string(), status: z.string() })),
          changed: z.number(),
          confirmationSent: z.boolean(),
        }),
      },
      409: { description: 'The consents changed concurrently; retry' },
      422: { description: 'A topic is not declared or not offered on the channel' },
    },
  },
  suppressionsGet: {
    summary: 'Read the suppression of an address',
    description: 'The address is normalized as the profile stores it (lower-cased email, E.164 phone).',
    params: suppressionParams,
    responses: {
      200: { description: 'The entry', schema: suppressionView },
      404: { description: 'The address is not suppressed' },
    },
  },
  suppressionsPut: {
    summary: 'Suppress an address',
    params: suppressionParams,
    body: suppressionPutSchema,
    responses: {
      201: { description: 'Suppressed', schema: suppressionView },
      200: { description: 'Updated', schema: suppressionView },
    },
  },
  suppressionsDelete: {
    summary: 'Lift a suppression',
    params: suppressionParams,
    responses: { 204: { description: 'Lifted' }, 404: { description: 'The address is not suppressed' } },
  },
  preferencesGet: {
    summary: 'The preference page (HTML)',
    description:
      'Reached by a signed, expiring link (preferenceUrl); no API key. In Chinese or English by ?lang, the customer’s locale or Accept-Language. A bad link answers a localized HTML page, or problem+json when Accept asks for JSON.',
    params: tokenParams,
    responses: {
      200: { description: 'The page', html: true },
      400: { description: 'The link was changed or cut short', html: true },
      410: { description: 'The link expired, or the customer was erased', html: true },
    },
  },
  preferencesPost: {
    summary: 'Save the preference page',
    params: tokenParams,
    form: {
      nonce: 'The form nonce the page rendered',
      version: 'The customer version the page rendered',
      name: 'Name',
      email: 'Email',
      phone: 'Phone',
      locale: 'en or zh-CN',
      frequency: 'any, weekly or monthly',
      'channel.<channel>': '"on" when the channel is wanted',
      'topic.<topic>.<channel>': '"on" when the topic is wanted on the channel',
    },
    responses: {
      303: { description: 'Saved; see Location' },
      400: { description: 'The page again with the fields in error', html: true },
      409: {
        description: 'The details changed meanwhile, or an address belongs to another customer',
        html: true,
      },
    },
  },
  unsubscribeGet: {
    summary: 'The unsubscribe page (HTML)',
    description: 'Shows one button; a GET never unsubscribes, since mail scanners prefetch links.',
    params: tokenParams,
    responses: { 200: { description: 'The page', html: true } },
  },
  unsubscribePost: {
    summary: 'One-click unsubscribe (RFC 8058)',
    description:
      'The target of List-Unsubscribe with List-Unsubscribe-Post: List-Unsubscribe=One-Click. Opts out of the link’s channel and topic at once; repeating it changes nothing.',
    params: tokenParams,
    form: { 'List-Unsubscribe': 'One-Click' },
    responses: { 200: { description: 'Unsubscribed', html: true } },
  },
  consentConfirmGet: {
    summary: 'The double opt-in confirmation page (HTML)',
    params: tokenParams,
    responses: { 200: { description: 'The page', html: true } },
  },
  consentConfirmPost: {
    summary: 'Confirm a double opt-in',
    params: tokenParams,
    form: { confirm: 'yes' },
    responses: { 200: { description: 'Confirmed', html: true } },
  },
  eventsIngest: {
    summary: 'Ingest up to 100 events',
    description:
      'Every item is validated and its customer resolved before anything is stored; one bad item rejects the batch with its path. An id already stored is reported as a duplicate and not stored again.',
    body: eventBatchSchema,
    responses: {
      200: { description: 'Per-item results', schema: ingestResultSchema },
      422: { description: 'Unknown or erased customer' },
    },
  },
  ordersIngest: {
    summary: 'Ingest up to 100 orders and refunds',
    body: orderBatchSchema,
    responses: {
      200: { description: 'Per-item results', schema: ingestResultSchema },
      422: { description: 'Unknown or erased customer' },
    },
  },
  duplicatesScanStart: {
    summary: 'Start a duplicate-detection scan',
    description:
      'Finds customers that are likely one person although their identities differ (other emails, name spellings in other scripts or orders, phone formats, same birthday and city). Runs as a job over table segments and block shards; poll the scan, then list its pairs.',
    body: scanStartSchema,
    idempotent: true,
    responses: { 202: { description: 'Scan started', schema: scanView, headers: ['Location'] } },
  },
  duplicatesScanGet: {
    summary: 'Status and progress of a duplicate-detection scan',
    params: scanIdParams,
    responses: {
      200: { description: 'The scan', schema: scanView },
      404: { description: 'No such scan, or it expired' },
    },
  },
  duplicatesList: {
    summary: 'Likely duplicates a scan found, best first',
    description:
      'Each pair with its score, the reasons (rendered from the profiles as they are now, contacts masked), small summaries and the merge call a client can make. Dismissed pairs and pairs whose customer is gone are left out, so a page may be shorter than `limit`; follow `next`.',
    query: duplicatesQuery,
    responses: {
      200: { description: 'A page of pairs', schema: duplicateListSchema },
      404: { description: 'No such scan, or it expired' },
    },
  },
  duplicatesDismiss: {
    summary: 'Mark a pair as not a duplicate',
    description:
      'Later scans do not list the pair again, and listings of earlier scans leave it out. Repeating it changes nothing.',
    params: pairIdParams,
    responses: {
      201: { description: 'Dismissed', schema: dismissalSchema },
      200: { description: 'Dismissed before', schema: dismissalSchema },
      404: { description: 'A customer of the pair does not exist' },
    },
  },
  exportsCreate: {
    summary: 'Export customers as CSV or NDJSON',
    description:
      'Starts an export job of every customer, or those matching the listing filters. CSV cells that a spreadsheet would run as a formula are prefixed with an apostrophe; column names are the attribute paths the import accepts. Poll the job; once completed it carries a short-lived download link.',
    body: exportCreateSchema,
    idempotent: true,
    responses: { 202: { description: 'Export started', schema: exportJobSchema, headers: ['Location'] } },
  },
  exportsGet: {
    summary: 'An export job',
    params: exportIdParams,
    responses: {
      200: { description: 'Status and progress; a download link once completed', schema: exportJobSchema },
      404: { description: 'No such export' },
    },
  },
  customersDataExport: {
    summary: 'Export everything held about a customer',
    description:
      'For a request under PIPL Art. 45 or GDPR Art. 15: profile, identities, consents, events, orders, messages and the audit trail, as one JSON file. Poll the export job for the download link. The file is deleted with the customer on erasure and expires with the other export files.',
    params: customerIdParams,
    responses: {
      202: { description: 'Export started', schema: exportJobSchema, headers: ['Location'] },
      404: { description: 'No such customer' },
      410: { description: 'The customer was erased' },
    },
  },
  deliverySettingsGet: {
    summary: 'Delivery settings',
    description:
      'Frequency caps per channel per day and ISO week (in each customer’s time zone), per-tier caps, quiet hours, the time zone used when a customer has none, and how transactional sends are treated. Version 0 means the defaults apply.',
    responses: { 200: { description: 'The settings', schema: deliverySettingsView, headers: ['ETag'] } },
  },
  deliverySettingsPut: {
    summary: 'Replace the delivery settings',
    description:
      'Send the whole settings object (omitted parts take their defaults) with If-Match: the ETag of your last read ("0" before anything is stored). Senders see a change within 10 seconds.',
    body: deliverySettingsSchema,
    ifMatch: true,
    responses: {
      200: { description: 'Stored', schema: deliverySettingsView, headers: ['ETag'] },
      412: { description: 'The settings changed since your read' },
    },
  },
  deliveryList: {
    summary: 'A customer’s deliveries: what was sent, and why not',
    description:
      'The send ledger of one customer: one entry per (source, channel) with its state (`skipped`, `reserved`, `sent`, `failed`) and, for messages not sent, the reason (`no_consent`, `opted_out`, `suppressed:<why>`, `no_address`, `cap_reached:<cap>`, `quiet_hours` with `deferUntil`, `channel_rejected`…). `source` narrows to one campaign (`campaign:<id>`), automation or transactional send, or a kind (`campaign:`).',
    params: customerIdParams,
    query: deliveriesQuery,
    responses: {
      200: { description: 'A page of ledger entries', schema: deliveryListSchema },
      404: { description: 'No such customer' },
      410: { description: 'The customer was erased' },
    },
  },
  deliveryMessagesSend: {
    summary: 'Send a transactional message',
    description:
      'One customer, one template, now, through the send gate: the first channel of `channels` the customer may get it on is used (consent for the service `topic`, a verified address, not suppressed); frequency caps do not apply unless the settings say so; quiet hours follow `transactional.quietHours`. With an Idempotency-Key a retry never sends twice, even after the key’s stored answer has expired: the ledger keeps it. Status 201 sent, 202 deferred (quiet hours: send again at `deferUntil` with the same key), 200 not sent, duplicate or refused by the channel (see `status` and `skipped`).',
    body: messageSendSchema,
    idempotent: true,
    responses: {
      201: { description: 'Sent', schema: messageResultSchema, headers: ['Location'] },
      202: { description: 'Deferred by quiet hours', schema: messageResultSchema, headers: ['Location'] },
      200: { description: 'Not sent, a duplicate, or refused by the channel', schema: messageResultSchema },
      422: {
        description:
          'Unknown or erased customer, a topic that is not a service topic, a template that cannot render',
      },
      503: {
        description: 'The channel provider is throttling or unavailable; retry with the same Idempotency-Key',
      },
    },
  },
  scoringSettingsGet: {
    summary: 'Scoring settings',
    description:
      'Bins, thresholds, schedule, currency and discount rate of the customer-intelligence models. Version 0 means nothing is stored and the defaults apply.',
    responses: { 200: { description: 'The settings', schema: scoringSettingsView, headers: ['ETag'] } },
  },
  templatesCreate: {
    summary: 'Create a message template',
    description:
      'Content per channel (email subject/html/text, sms body, push title/body/data/url, webhook JSON body whose string values are Liquid) and locale variants in `locales` (zh-CN falls back to zh, then to the default content, channel by channel). Liquid output is HTML-escaped in email html (use `| raw` to opt out) and nowhere else. Variables: `customer.*` (profile fields), `computed.*` (purchase figures and scores), `links.preferences`, `links.unsubscribe`, `locale`, `now`, and what `variables` declares under `event.` and `customer.attributes.` (declared custom attributes need no declaration). Filters: format_date, format_datetime, format_number, money, unsubscribe_url (topic), preference_url, plus the standard Liquid ones. Unknown variables or filters and Liquid that does not parse are 400 naming the field and line.',
    body: templateInputSchema,
    idempotent: true,
    responses: {
      201: { description: 'Created', schema: templateView, headers: ['ETag', 'Location'] },
    },
  },
  templatesList: {
    summary: 'Templates, newest first',
    query: templateListQuery,
    responses: {
      200: {
        description: 'A page of templates',
        schema: z.object({ items: z.array(templateView), next: z.optional(z.string()) }),
      },
    },
  },
  templatesGet: {
    summary: 'Read a template',
    params: templateParams,
    responses: {
      200: { description: 'The template', schema: templateView, headers: ['ETag'] },
      404: { description: 'No such template' },
    },
  },
  templatesUpdate: {
    summary: 'Replace a template',
    description: 'Send the whole template with If-Match: the ETag of your last read. Checked as on create.',
    params: templateParams,
    body: templateInputSchema,
    ifMatch: true,
    responses: {
      200: { description: 'Stored', schema: templateView, headers: ['ETag'] },
      404: { description: 'No such template' },
      409: { description: 'The template is archived' },
      412: { description: 'The template changed since your read' },
    },
  },
  templatesArchive: {
    summary: 'Archive a template',
    description:
      'An archived template stays readable and renderable, leaves the active list and can no longer change.',
    params: templateParams,
    ifMatch: true,
    responses: {
      200: { description: 'Archived', schema: templateView, headers: ['ETag'] },
      404: { description: 'No such template' },
      412: { description: 'The template changed since your read' },
    },
  },
  templatesRender: {
    summary: 'Render a template for a customer (preview)',
    description:
      'Renders one channel as it would be sent to the customer: their profile, custom attributes and scores, in the locale asked for (else theirs), with `event` as the event data. Email includes the one-click unsubscribe URL for List-Unsubscribe; SMS includes the encoding (GSM-7 or UCS-2), characters, units and parts. Writes nothing.',
    params: templateParams,
    body: templateRenderSchema,
    responses: {
      200: { description: 'The rendered parts and warnings', schema: renderedView },
      404: { description: 'No such template' },
      422: {
        description:
          'The customer does not exist, the template has no content for the channel, or a required variable is missing',
      },
    },
  },
  scoringSettingsPut: {
    summary: 'Replace the scoring settings',
    description:
      'Send the whole settings object (omitted parts take their defaults) with If-Match: the ETag of your last read ("0" before anything is stored). Orders in a currency other than `currency.base` need a rate in `currency.rates`.',
    body: scoringSettingsSchema,
    ifMatch: true,
    responses: {
      200: { description: 'Stored', schema: scoringSettingsView, headers: ['ETag'] },
      412: { description: 'The settings changed since your read' },
    },
  },
  segmentsCreate: {
    summary: 'Create a segment',
    description:
      'A dynamic segment has a `rule` (a JSON tree, validated with the path of each error, e.g. `rule.and[1].event.within.days`); it is filled by a recomputation of the segment, started here and returned as `recompute`, and kept current from then on. A static segment has `members`: customers named by `id`, `externalId` or `email` (at most 10,000 a request; any that names no customer is a 422 and nothing is created). `expectedSize` sizes the membership write shards (default 16).',
    body: segmentCreateSchema,
    idempotent: true,
    responses: {
      201: { description: 'Created', headers: ['Location', 'ETag'] },
      422: { description: 'A static list names a customer that does not exist' },
    },
  },
  segmentsList: {
    summary: 'List segments',
    query: segmentListQuery,
    responses: { 200: { description: 'Segments with their sizes, and `next` when there are more' } },
  },
  segmentsGet: {
    summary: 'A segment',
    params: segmentIdParams,
    responses: {
      200: { description: 'The segment with its current size and size history', headers: ['ETag'] },
      404: { description: 'No such segment' },
    },
  },
  segmentsPatch: {
    summary: 'Update a segment',
    description:
      'A JSON merge patch of name, description, rule and freshnessMinutes, under If-Match. A changed rule re-evaluates every customer (the recomputation is returned as `recompute`).',
    params: segmentIdParams,
    body: segmentPatchSchema,
    ifMatch: true,
    responses: {
      200: { description: 'Updated', headers: ['ETag'] },
      412: { description: 'The segment changed since your read' },
    },
  },
  segmentsArchive: {
    summary: 'Archive a segment',
    description:
      'The segment is no longer evaluated; a recomputation takes its members out (segment.exited each).',
    params: segmentIdParams,
    responses: { 200: { description: 'Archived', headers: ['ETag'] } },
  },
  segmentsMembers: {
    summary: 'Members of a segment',
    description: 'Streams through the membership shards; pass `next` back as `cursor` for the next page.',
    params: segmentIdParams,
    query: membersQuery,
    responses: {
      200: { description: '`members` ({ customerId, enteredAt }) and `next` while there are more' },
    },
  },
  segmentsCheck: {
    summary: 'Is a customer in a segment, and why',
    description:
      'The stored membership (member, enteredAt, evaluatedAt) and, for a dynamic segment, the rule evaluated now: `matchesNow`, the explanation tree and `failed`, the conditions that made it false.',
    params: segmentMemberParams,
    responses: {
      200: { description: 'Membership and explanation' },
      404: { description: 'No such segment or customer' },
    },
  },
  segmentsPreview: {
    summary: 'Preview a draft rule',
    description: 'Counts the customers the rule matches now and returns a sample of them; nothing is stored.',
    body: previewSchema,
    responses: {
      200: { description: '`count`, `customers` evaluated, `sample`, `dependencies` and `tookMs`' },
    },
  },
  segmentRunsStart: {
    summary: 'Start a segment recomputation',
    description:
      'Re-evaluates every customer against every active segment (or the one named), repairs any drift and reports the entries and exits per segment. The schedule runs one daily.',
    body: runStartSchema,
    responses: { 202: { description: 'Run started', headers: ['Location'] } },
  },
  segmentRunsGet: {
    summary: 'A segment recomputation',
    params: segmentRunParams,
    responses: {
      200: { description: 'Status, progress and `entered`/`exited` counts per segment' },
      404: { description: 'No such run' },
    },
  },
  scoringRunsStart: {
    summary: 'Start a rescoring run',
    description:
      'Scores every customer with purchases now, as the schedule does: RFM, ABC and value tiers, lifecycle stage, historical and predicted CLV, churn risk. Poll the run; changes go on the event bus as customer.tier_changed, customer.lifecycle_changed and customer.churn_risk_raised.',
    responses: { 202: { description: 'Run started', schema: scoringRunView, headers: ['Location'] } },
  },
  scoringRunsGet: {
    summary: 'A rescoring run',
    params: runIdParams,
    responses: {
      200: {
        description: 'Status, progress, fitted models and counts of what changed',
        schema: scoringRunView,
      },
      404: { description: 'No such run' },
    },
  },
  reportsDistribution: {
    summary: 'Distribution of a score',
    description:
      'Customers per RFM group, ABC tier, value tier, lifecycle stage, CLV decile or churn-risk band, as of the latest rescoring run.',
    query: distributionQuery,
    responses: { 200: { description: 'Counts per value', schema: distributionView } },
  },
  reportsTimeseries: {
    summary: 'Distribution of a score over time',
    description:
      'One entry per day that had a rescoring run, from `from` to `to` inclusive (at most 366 days).',
    query: timeseriesQuery,
    responses: { 200: { description: 'Daily counts', schema: timeseriesView } },
  },
  reportsClusters: {
    summary: 'Customer clusters',
    description:
      'k-means over standardized recency, frequency, revenue, order value and predicted CLV of a bounded sample (5,000) of customers with purchases; k fixed or chosen by silhouette.',
    query: clustersQuery,
    responses: { 200: { description: 'Clusters with profiles in original units', schema: clustersView } },
  },
  resultsGet: {
    summary: 'Results of a campaign, automation or transactional source',
    description:
      'Counts and rates per run, variant, tier and channel, per variant and in total: targeted, excluded:<reason>, sent, delivered, soft_bounced, bounced, complained, rejected, failed, opted_out, opened and clicked (unique per message), converted (last touch within the attribution window), revenue:<currency>, unsubscribed. Variants are compared on open, click and conversion rates over delivered: a two-proportion z-test for two variants, chi-square for more.',
    params: resultsParams,
    query: resultsQuery,
    responses: {
      200: { description: 'The results', schema: resultsView },
      404: { description: 'Nothing recorded for this source (or run)' },
    },
  },
  apiKeysCreate: {
    summary: 'Create an API key',
    body: apiKeyCreateSchema,
    idempotent: true,
    responses: { 201: { description: 'The key; its secret is shown only now', schema: apiKeySchema } },
  },
  apiKeysRevoke: {
    summary: 'Revoke an API key',
    params: apiKeyIdParams,
    responses: {
      200: { description: 'The revoked key', schema: apiKeySchema },
      404: { description: 'No such key' },
    },
  },
  campaignsCreate: {
    summary: 'Create a campaign draft',
    description:
      'A campaign names its audience (include and exclude segments, a holdout percentage), its channel order with fallback, its variants (content per channel; tiers for per-tier messages; weights for A/B/n) and its schedule (now, at a time, at a local time of day in each customer’s zone, or recurring).',
    body: campaignCreateSchema,
    idempotent: true,
    responses: {
      201: { description: 'The draft', schema: campaignSchema, headers: ['ETag'] },
      400: { description: 'A field is invalid, or a segment does not exist' },
    },
  },
  campaignsList: {
    summary: 'List campaigns',
    query: campaignListQuery,
    responses: { 200: { description: 'Campaigns, newest first, and `next` when there are more' } },
  },
  campaignsGet: {
    summary: 'A campaign and its current run',
    params: campaignIdParams,
    responses: {
      200: {
        description:
          'The campaign; `run` carries the current run’s progress and counts by outcome, variant and channel',
        schema: campaignSchema,
        headers: ['ETag'],
      },
      404: { description: 'No such campaign' },
    },
  },
  campaignsPatch: {
    summary: 'Edit a draft campaign (JSON merge patch)',
    params: campaignIdParams,
    body: campaignPatchSchema,
    ifMatch: true,
    responses: {
      200: { description: 'The edited draft', schema: campaignSchema, headers: ['ETag'] },
      409: { description: 'The campaign is not a draft' },
      412: { description: 'The If-Match version is stale' },
      428: { description: 'If-Match is missing' },
    },
  },
  campaignsAudit: {
    summary: 'The audit trail of a campaign',
    params: campaignIdParams,
    query: auditQuery,
    responses: {
      200: { description: 'Transitions and edits, oldest first' },
      404: { description: 'No such campaign' },
    },
  },
  campaignsAct: {
    summary:
      'Act on a campaign: submit, approve, reject, schedule, pause, resume, cancel, test-send, dry-run',
    description:
      'Lifecycle: draft -> submit -> approve -> schedule -> sending -> completed; pause/resume/cancel take effect within seconds. Approving a campaign whose audience is above the approval threshold needs the `approve` scope on another key than the submitter’s. `test-send` sends to the test recipients now (caps exempt, never counted). `dry-run` evaluates the audience through every exclusion and the send gate without writing. If-Match is optional; when given, a stale version answers 412.',
    params: campaignActionParams,
    body: campaignActionBody,
    responses: {
      200: {
        description: 'The campaign after the action (with `result` for test-send and dry-run)',
        headers: ['ETag'],
      },
      403: { description: 'Approval needs the approve scope, or another key than the submitter’s' },
      409: { description: 'The action is not allowed in the campaign’s status' },
      412: { description: 'The If-Match version is stale' },
    },
  },
};

type Json = Record<string, unknown>;

class SchemaCollector {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodMiniType, io: 'input' | 'output'): Json {
    const json = toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
    const defs = (json.$defs ?? {}) as Record<string, Json>;
    delete json.$defs;
    delete json.$schema;
    for (const [name, def] of Object.entries(defs)) this.components[name] = this.rewrite(def) as Json;
    const id = json.id;
    if (typeof id === 'string') {
      delete json.id;
      this.components[
        io === 'input' && this.components[id] && !sameShape(this.components[id], json) ? `${id}Input` : id
      ] = this.rewrite(json) as Json;
      return { $ref: `#/components/schemas/${id}` };
    }
    return this.rewrite(json) as Json;
  }

  private rewrite(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.rewrite(v));
    if (value && typeof value === 'object') {
      const out: Json = {};
      for (const [k, v] of Object.entries(value)) {
        if (k === '$ref' && typeof v === 'string') out[k] = v.replace('#/$defs/', '#/components/schemas/');
        else if (k !== 'id') out[k] = this.rewrite(v);
      }
      return out;
    }
    return value;
  }
}

function sameShape(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function parameters(
  collector: SchemaCollector,
  schema: z.ZodMiniObject | undefined,
  where: 'path' | 'query',
): Json[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const fieldSchema = field as z.ZodMiniType;
    const optional = fieldSchema.safeParse(undefined).success;
    return {
      name,
      in: where,
      required: where === 'path' || !optional,
      schema: collector.convert(fieldSchema, 'input'),
    };
  });
}

let cached: Json | undefined;

export function openApiDocument(): Json {
  if (cached) return cached;
  const collector = new SchemaCollector();
  const problemRef = collector.convert(problem, 'output');
  const paths: Record<string, Record<string, Json>> = {};
  for (const [name, doc] of Object.entries(routeDocs) as [keyof typeof routeDocs, RouteDoc][]) {
    const trigger = functions[name].trigger as HttpTrigger;
    const isPublic = trigger.scope === 'public';
    const responses: Json = {};
    for (const [status, r] of Object.entries(doc.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.schema && {
          content: { 'application/json': { schema: collector.convert(r.schema, 'output') } },
        }),
        ...(r.html && { content: { 'text/html': { schema: { type: 'string' } } } }),
        ...(r.headers && {
          headers: Object.fromEntries(r.headers.map((h) => [h, { schema: { type: 'string' } }])),
        }),
      };
    }
    for (const [status, description] of [
      ['400', 'Invalid request: `errors` names each field and problem'],
      ...(isPublic
        ? []
        : [
            ['401', 'Missing or unknown API key'],
            ['403', `The key lacks the "${trigger.scope}" scope`],
          ]),
    ] as [string, string][]) {
      responses[status] ??= { description, content: { 'application/problem+json': { schema: problemRef } } };
    }
    for (const status of Object.keys(responses)) {
      const r = responses[status] as Json;
      if (Number(status) >= 400 && !r.content)
        r.content = { 'application/problem+json': { schema: problemRef } };
    }
    const operation: Json = {
      operationId: name,
      summary: doc.summary,
      ...(doc.description && { description: doc.description }),
      tags: [trigger.path.split('/')[2] ?? 'misc'],
      parameters: [
        ...parameters(collector, doc.params, 'path'),
        ...parameters(collector, doc.query, 'query'),
        ...(doc.idempotent
          ? [
              {
                name: 'Idempotency-Key',
                in: 'header',
                required: false,
                schema: { type: 'string', maxLength: 255 },
              },
            ]
          : []),
        ...(doc.ifMatch
          ? [{ name: 'If-Match', in: 'header', required: true, schema: { type: 'string' } }]
          : []),
      ],
      ...(doc.form && {
        requestBody: {
          required: true,
          content: Object.fromEntries(
            ['application/x-www-form-urlencoded', 'multipart/form-data'].map((type) => [
              type,
              {
                schema: {
                  type: 'object',
                  properties: Object.fromEntries(
                    Object.entries(doc.form ?? {}).map(([name, description]) => [
                      name,
                      { type: 'string', description },
                    ]),
                  ),
                },
              },
            ]),
          ),
        },
      }),
      ...(doc.body && {
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: collector.convert(doc.body, 'input') },
            ...(doc.ifMatch && {
              'application/merge-patch+json': { schema: collector.convert(doc.body, 'input') },
            }),
          },
        },
      }),
      responses,
      ...(isPublic ? { security: [] } : {}),
    };
    paths[trigger.path] ??= {};
    (paths[trigger.path] as Record<string, Json>)[trigger.method.toLowerCase()] = operation;
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Cohort API',
      version: '1',
      description:
        'Customer data and engagement: customers, identities, events and orders. Errors are RFC 9457 problem details.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    paths,
    components: {
      schemas: collector.components,
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: `ck_<id>.<secret>`' },
      },
    },
  };
  return cached;
}
