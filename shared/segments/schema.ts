import { limitSchema } from '../customers/schema.ts';
import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';
import { ruleSchema } from './rule.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** Customers a static segment may be created with in one request (a 1 MB body holds about this many). */
export const MAX_STATIC_MEMBERS = 10_000;

const ulid = (what: string) => z.string().check(z.regex(ULID, `must be ${what} (26-character ULID)`));

export const segmentIdParams = /* @__PURE__ */ schema(() =>
  z.strictObject({ segmentId: ulid('a segment id') }),
);

export const segmentMemberParams = /* @__PURE__ */ schema(() =>
  z.strictObject({ segmentId: ulid('a segment id'), customerId: ulid('a customer id') }),
);

export const segmentRunParams = /* @__PURE__ */ schema(() => z.strictObject({ runId: ulid('a run id') }));

const name = /* @__PURE__ */ schema(() =>
  z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200)),
);
const description = /* @__PURE__ */ schema(() => z.string().check(z.maxLength(2000)));
const freshnessMinutes = /* @__PURE__ */ schema(() =>
  z
    .number()
    .check(
      z.int('must be a whole number'),
      z.minimum(1, 'must be at least 1'),
      z.maximum(10_080, 'must be at most 10080 (a week)'),
    ),
);

/** One entry of an uploaded list: exactly one of id, externalId, email. */
export const staticMemberRef = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      id: z.optional(ulid('a customer id')),
      externalId: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
      email: z.optional(z.email('must be a valid email address')),
    })
    .check(
      z.refine((r) => [r.id, r.externalId, r.email].filter((v) => v !== undefined).length === 1, {
        message: 'must name the customer by exactly one of id, externalId, email',
      }),
    ),
);
export type StaticMemberRef = z.output<typeof staticMemberRef>;

export const segmentCreateSchema = /* @__PURE__ */ schema(() =>
  z.strictObject({
    name,
    description: z.optional(description),
    kind: z.optional(z.enum(['dynamic', 'static'], { message: 'must be dynamic or static' })),
    rule: z.optional(ruleSchema),
    freshnessMinutes: z.optional(freshnessMinutes),
    /** Expected members; sizes the write shards (default 16 shards). */
    expectedSize: z.optional(z.number().check(z.int('must be a whole number'), z.minimum(0), z.maximum(1e9))),
    members: z.optional(
      z
        .array(staticMemberRef)
        .check(z.maxLength(MAX_STATIC_MEMBERS, `must have at most ${MAX_STATIC_MEMBERS} entries`)),
    ),
  }),
);
export type SegmentCreateInput = z.output<typeof segmentCreateSchema>;

export const segmentPatchSchema = /* @__PURE__ */ schema(() =>
  z.strictObject({
    name: z.optional(name),
    description: z.optional(description),
    rule: z.optional(ruleSchema),
    freshnessMinutes: z.optional(freshnessMinutes),
  }),
);
export type SegmentPatchInput = z.output<typeof segmentPatchSchema>;

export const segmentListQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    limit: limitSchema,
    cursor: z.optional(z.string().check(z.maxLength(4096))),
    status: z.optional(z.enum(['active', 'archived'], { message: 'must be active or archived' })),
  }),
);

export const membersQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    limit: limitSchema,
    cursor: z.optional(z.string().check(z.maxLength(4096))),
  }),
);

export const previewSchema = /* @__PURE__ */ schema(() =>
  z.strictObject({
    rule: ruleSchema,
    sampleSize: z._default(
      z.number().check(z.int('must be a whole number'), z.minimum(0), z.maximum(100, 'must be at most 100')),
      20,
    ),
  }),
);

export const runStartSchema = /* @__PURE__ */ schema(() =>
  z.strictObject({ segmentId: z.optional(ulid('a segment id')) }),
);
