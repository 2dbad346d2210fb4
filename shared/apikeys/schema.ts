import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';

export const scopeSchema = /* @__PURE__ */ schema(() =>
  z.enum(['ingest', 'read', 'write', 'approve', 'admin']),
);

export const apiKeyCreateSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      name: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(100)),
      scopes: z.array(scopeSchema).check(z.minLength(1, 'must name at least one scope')),
    })
    .check(z.meta({ id: 'ApiKeyCreate' })),
);

export const apiKeySchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string(),
      name: z.string(),
      scopes: z.array(scopeSchema),
      createdAt: z.string(),
      createdBy: z.optional(z.string()),
      revokedAt: z.optional(z.string()),
      key: z.optional(z.string()).check(z.meta({ description: 'The secret; returned once, at creation' })),
    })
    .check(z.meta({ id: 'ApiKey' })),
);

export const apiKeyIdParams = /* @__PURE__ */ schema(() =>
  z.strictObject({
    keyId: z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an API key id (26-character ULID)')),
  }),
);
