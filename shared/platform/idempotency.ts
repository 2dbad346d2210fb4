import { createHash } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { store } from '../store/service.ts';
import { ConflictError, UnprocessableError, ValidationError } from './errors.ts';
import type { HttpEvent, HttpResponse } from './http.ts';

const TTL_SECONDS = 24 * 3600;

interface State {
  idempotencyKey?: string;
  idempotencyScope?: string;
}

/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): the first request with a key is
 * executed and its answer kept for a day; a retry with the same key and body gets the same answer,
 * the same key with another body gets 422, and a retry while the first is running gets 409.
 */
export function idempotency(): MiddlewareObj<HttpEvent, HttpResponse, Error, Context> {
  return {
    before: async (request) => {
      const key = request.event.headers['idempotency-key'];
      const keyId = request.event.requestContext.authorizer?.lambda?.keyId;
      if (key === undefined || !keyId) return;
      if (!/^[\x21-\x7E]{1,255}$/.test(key)) {
        throw ValidationError.field('header.Idempotency-Key', 'must be 1-255 visible ASCII characters');
      }
      const scope = `${keyId}#${request.event.routeKey}`;
      const requestHash = createHash('sha256')
        .update(`${request.event.rawPath}\n${request.event.body ?? ''}`)
        .digest('hex');
      const entity = store().entities.idempotency;
      const created = await entity
        .create({
          scope,
          key,
          requestHash,
          status: 'pending',
          createdAt: new Date().toISOString(),
          expiresAt: Math.floor(Date.now() / 1000) + TTL_SECONDS,
        })
        .go()
        .then(() => true)
        .catch((error: { cause?: { name?: string } }) => {
          if (error.cause?.name === 'ConditionalCheckFailedException') return false;
          throw error;
        });
      if (created) {
        Object.assign(request.internal, { idempotencyKey: key, idempotencyScope: scope } satisfies State);
        return;
      }
      const existing = await entity.get({ scope, key }).go({ consistent: true });
      const record = existing.data;
      if (!record) throw new ConflictError('A request with this Idempotency-Key just finished; retry it');
      if (record.requestHash !== requestHash) {
        throw UnprocessableError.field('header.Idempotency-Key', 'was already used for a different request');
      }
      if (record.status === 'pending') {
        throw new ConflictError('A request with this Idempotency-Key is still being processed');
      }
      return record.response as HttpResponse;
    },
    after: async (request) => {
      const { idempotencyKey: key, idempotencyScope: scope } = request.internal as State;
      if (!key || !scope || !request.response) return;
      await store()
        .entities.idempotency.patch({ scope, key })
        .set({ status: 'done', response: request.response })
        .go();
    },
    onError: async (request) => {
      const { idempotencyKey: key, idempotencyScope: scope } = request.internal as State;
      if (!key || !scope) return;
      // A failed attempt leaves no record, so the client can retry with the same key.
      await store().entities.idempotency.delete({ scope, key }).go();
    },
  };
}
