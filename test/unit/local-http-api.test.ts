import { describe, expect, it } from 'vitest';
import { parseQuery, toHttpResponse } from '../../infra/local/http-api.ts';
import { compileRoutes } from '../../infra/local/routes.ts';

const match = compileRoutes([
  { method: 'GET', path: '/v1/customers', target: 'list' },
  { method: 'GET', path: '/v1/customers/{customerId}', target: 'get' },
  { method: 'GET', path: '/v1/customers/{customerId}/timeline', target: 'timeline' },
  { method: 'GET', path: '/v1/customers/export', target: 'export' },
  { method: 'GET', path: '/files/{path+}', target: 'files' },
]);

describe('route matching', () => {
  it('decodes path parameters', () => {
    // Act
    const found = match('GET', '/v1/customers/%E7%8E%8B%20x');

    // Assess
    expect(found).toEqual({
      kind: 'matched',
      route: expect.objectContaining({ target: 'get' }),
      pathParameters: { customerId: '王 x' },
    });
  });

  it('prefers a literal segment over a parameter', () => {
    // Act
    const found = match('GET', '/v1/customers/export');

    // Assess
    expect(found).toMatchObject({ kind: 'matched', route: { target: 'export' } });
  });

  it('matches a greedy parameter over the rest of the path', () => {
    // Act
    const found = match('GET', '/files/a/b/c.txt');

    // Assess
    expect(found).toMatchObject({ kind: 'matched', pathParameters: { path: 'a/b/c.txt' } });
  });

  it('finds nothing for another method, an extra segment, an empty parameter or a trailing slash', () => {
    // Act
    const results = ['/v1/customers/1/timeline/x', '/v1/customers//timeline', '/v1/customers/'].map((p) =>
      match('GET', p),
    );
    const otherMethod = match('POST', '/v1/customers');

    // Assess
    expect([...results, otherMethod].map((r) => r.kind)).toEqual([
      'not-found',
      'not-found',
      'not-found',
      'not-found',
    ]);
  });

  it('reports a malformed escape as a bad path', () => {
    // Act
    const found = match('GET', '/v1/customers/%E7%8E');

    // Assess
    expect(found.kind).toBe('bad-path');
  });
});

describe('query strings', () => {
  it('joins repeated parameters with commas and decodes values', () => {
    // Act
    const params = parseQuery('tag=a&tag=b&q=%E7%8E%8B&empty=');

    // Assess
    expect(params).toEqual({ tag: 'a,b', q: '王', empty: '' });
  });

  it('is undefined when there is no query', () => {
    // Act
    const params = parseQuery('');

    // Assess
    expect(params).toBeUndefined();
  });
});

describe('mapping a handler result', () => {
  it('sends a structured result with its headers, cookies and base64 body', () => {
    // Act
    const response = toHttpResponse(
      {
        statusCode: 201,
        headers: { 'Content-Type': 'image/png', ETag: '"3"' },
        cookies: ['a=1', 'b=2'],
        body: Buffer.from([1, 2, 3]).toString('base64'),
        isBase64Encoded: true,
      },
      'req-1',
    );

    // Assess
    expect(response).toEqual({
      statusCode: 201,
      headers: {
        'apigw-requestid': 'req-1',
        'content-type': 'image/png',
        etag: '"3"',
        'set-cookie': ['a=1', 'b=2'],
      },
      body: Buffer.from([1, 2, 3]),
    });
  });

  it('treats a string or an object without statusCode as a 200 JSON body', () => {
    // Act
    const fromString = toHttpResponse('{"ok":true}', 'r');
    const fromObject = toHttpResponse({ ok: true }, 'r');

    // Assess
    for (const response of [fromString, fromObject]) {
      expect(response?.statusCode).toBe(200);
      expect(response?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(response?.body.toString() ?? '')).toEqual({ ok: true });
    }
  });

  it('refuses a status code API Gateway would refuse', () => {
    // Act
    const response = toHttpResponse({ statusCode: 42, body: '' }, 'r');

    // Assess
    expect(response).toBeUndefined();
  });
});
