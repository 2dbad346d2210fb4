import { z } from 'zod';

export const scopeSchema = z.enum(['ingest', 'read', 'write', 'admin']);

export const apiKeyCreateSchema = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(100),
    scopes: z.array(scopeSchema).min(1, 'must name at least one scope'),
  })
  .meta({ id: 'ApiKeyCreate' });

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(scopeSchema),
    createdAt: z.string(),
    createdBy: z.string().optional(),
    revokedAt: z.string().optional(),
    key: z.string().optional().meta({ description: 'The secret; returned once, at creation' }),
  })
  .meta({ id: 'ApiKey' });

export const apiKeyIdParams = z.strictObject({
  keyId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an API key id (26-character ULID)'),
});
