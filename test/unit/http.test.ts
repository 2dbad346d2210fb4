import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { HttpEvent } from '../../shared/platform/http.ts';
import { httpRoute } from '../../shared/platform/http.ts';
import { expectedVersion } from '../../shared/platform/preconditions.ts';
import * as z from '../../shared/platform/zod.ts';

const context = { getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

function event(init: {
  body?: string;
  headers?: Record<string, string>;
  scopes?: string;
  authenticated?: boolean;
}) {
  return {
    version: '2.0',
    routeKey: 'POST /v1/things',
    rawPath: '/v1/things',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body,
    isBase64Encoded: false,
    requestContext: {
      authorizer: {
        lambda: {
          authenticated: init.authenticated ?? true,
          keyId: 'K',
          keyName: 'test',
          scopes: init.scopes ?? 'write',
        },
      },
    },
  } as unknown as HttpEvent;
}

const route = httpRoute({ scope: 'write', body: z.strictObject({ n: z.number() }) }, async ({ body }) => ({
  status: 200,
  body: { doubled: body.n * 2 },
}));

const boom = httpRoute({ scope: 'write' }, async () => {
  throw new Error('secret internals');
});

describe('httpRoute', () => {
  it('runs the handler with a validated body', async () => {
    const response = await route(event({ body: '{"n":21}' }), context);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '')).toEqual({ doubled: 42 });
  });

  it('answers problem details naming the field', async () => {
    const response = await route(event({ body: '{"n":"x","extra":1}' }), context);
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(response.body ?? '');
    expect(problem).toMatchObject({ status: 400, title: 'Invalid request' });
    expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual(['extra', 'n']);
  });

  it('rejects malformed JSON, a missing body and other media types', async () => {
    expect((await route(event({ body: '{"n":' }), context)).statusCode).toBe(400);
    expect((await route(event({}), context)).statusCode).toBe(400);
    const xml = await route(event({ body: '<n/>', headers: { 'content-type': 'application/xml' } }), context);
    expect(xml.statusCode).toBe(415);
  });

  it('rejects bodies over the size limit', async () => {
    const big = JSON.stringify({ n: 1, pad: 'x'.repeat(1_100_000) });
    expect((await route(event({ body: big }), context)).statusCode).toBe(413);
  });

  it('answers 401 without a valid key and 403 without the scope', async () => {
    const unauthenticated = await route(event({ body: '{"n":1}', authenticated: false }), context);
    expect(unauthenticated.statusCode).toBe(401);
    expect(unauthenticated.headers?.['WWW-Authenticate']).toContain('Bearer');
    expect((await route(event({ body: '{"n":1}', scopes: 'read ingest' }), context)).statusCode).toBe(403);
    expect((await route(event({ body: '{"n":1}', scopes: 'admin' }), context)).statusCode).toBe(200);
  });

  it('hides internals of unexpected errors behind a plain 500', async () => {
    const response = await boom(event({}), context);
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret internals');
  });
});

describe('If-Match', () => {
  it('reads strong, weak and bare versions', () => {
    expect(expectedVersion({ 'if-match': '"7"' })).toBe(7);
    expect(expectedVersion({ 'if-match': 'W/"7"' })).toBe(7);
    expect(expectedVersion({ 'if-match': '7' })).toBe(7);
  });

  it('requires it (428) and rejects garbage (400)', () => {
    expect(() => expectedVersion({})).toThrowError(/If-Match/);
    expect(() => expectedVersion({ 'if-match': '"abc"' })).toThrowError(/ETag/);
  });
});
