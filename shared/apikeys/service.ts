import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../../functions/manifest.ts';
import { NotFoundError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { store } from '../store/service.ts';

/**
 * API keys look like `ck_<keyId>.<secret>`. The key id finds the item with one read; only the
 * SHA-256 of the secret is stored (the secret is 32 random bytes, so a slow hash adds nothing).
 */
const PREFIX = 'ck_';

export interface ApiKeyView {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  createdBy?: string;
  revokedAt?: string;
}

export type Authentication =
  | { authenticated: true; keyId: string; keyName: string; scopes: Scope[] }
  | { authenticated: false; reason: string };

function hash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function parseKey(presented: string): { keyId: string; secret: string } | undefined {
  if (!presented.startsWith(PREFIX)) return undefined;
  const [keyId, secret, ...rest] = presented.slice(PREFIX.length).split('.');
  if (!keyId || !secret || rest.length > 0 || !/^[0-9A-Z]{26}$/.test(keyId)) return undefined;
  return { keyId, secret };
}

export async function createApiKey(
  input: { name: string; scopes: Scope[] },
  createdBy?: string,
): Promise<{ key: string; apiKey: ApiKeyView }> {
  const keyId = newId();
  const secret = randomBytes(32).toString('base64url');
  const createdAt = new Date().toISOString();
  await store()
    .entities.apiKey.create({
      keyId,
      name: input.name,
      scopes: [...new Set(input.scopes)],
      secretHash: hash(secret),
      createdAt,
      ...(createdBy && { createdBy }),
    })
    .go();
  return {
    key: `${PREFIX}${keyId}.${secret}`,
    apiKey: { id: keyId, name: input.name, scopes: input.scopes, createdAt, ...(createdBy && { createdBy }) },
  };
}

export async function revokeApiKey(keyId: string): Promise<ApiKeyView> {
  const found = await store().entities.apiKey.get({ keyId }).go();
  if (!found.data) throw new NotFoundError(`API key ${keyId} does not exist`);
  const revokedAt = found.data.revokedAt ?? new Date().toISOString();
  if (!found.data.revokedAt) await store().entities.apiKey.patch({ keyId }).set({ revokedAt }).go();
  const { secretHash: _, keyId: id, ...rest } = found.data;
  return { ...rest, id, scopes: rest.scopes as Scope[], revokedAt };
}

/** Resolves an Authorization header value to a principal, or says why not (never which part failed). */
export async function authenticate(authorization: string | undefined): Promise<Authentication> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  if (!match?.[1]) return { authenticated: false, reason: 'Send Authorization: Bearer <API key>' };
  const parsed = parseKey(match[1]);
  if (!parsed) return { authenticated: false, reason: 'The API key is malformed' };
  const found = await store().entities.apiKey.get({ keyId: parsed.keyId }).go();
  const item = found.data;
  const expected = Buffer.from(item?.secretHash ?? '0'.repeat(64), 'hex');
  const actual = Buffer.from(hash(parsed.secret), 'hex');
  const same = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!item || !same) return { authenticated: false, reason: 'The API key is not valid' };
  if (item.revokedAt) return { authenticated: false, reason: 'The API key has been revoked' };
  return { authenticated: true, keyId: item.keyId, keyName: item.name, scopes: item.scopes as Scope[] };
}
