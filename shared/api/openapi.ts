import { toJSONSchema } from 'zod/v4/core';
import { type FunctionName, functions } from '../../functions/manifest.ts';
import { apiKeyCreateSchema, apiKeyIdParams, apiKeySchema } from '../apikeys/schema.ts';
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
  eventBatchSchema,
  ingestResultSchema,
  orderBatchSchema,
  timelineQuery,
  timelineSchema,
} from '../events/schema.ts';
import {
  importCreateSchema,
  importIdParams,
  importJobSchema,
  importListQuery,
  importListSchema,
  rejectsQuery,
} from '../imports/schema.ts';
import * as z from '../platform/zod.ts';

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
  responses: Record<number, { description: string; schema?: z.ZodMiniType; headers?: string[] }>;
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
      }),
    ),
    next: z.optional(z.string()),
  })
  .check(z.meta({ id: 'AuditTrail' }));

export const routeDocs: Record<
  Exclude<
    FunctionName,
    'authorizer' | 'erasureWorker' | 'erasureSweeper' | 'changePublisher' | 'importReader' | 'importWorker'
  >,
  RouteDoc
> = {
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
    params: customerIdParams,
    responses: {
      200: { description: 'The customer', schema: customerSchema, headers: ['ETag'] },
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
    const trigger = functions[name].trigger;
    const isPublic = trigger.scope === 'public';
    const responses: Json = {};
    for (const [status, r] of Object.entries(doc.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.schema && {
          content: { 'application/json': { schema: collector.convert(r.schema, 'output') } },
        }),
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
