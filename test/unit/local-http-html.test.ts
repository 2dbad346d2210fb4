import { describe, expect, it } from 'vitest';
import { toHttpResponse } from '../../infra/local/http-api.ts';

describe('the local API Gateway with HTML pages', () => {
  it('passes a text/html result through with its headers, and decodes a base64 body', () => {
    // Prepare
    const page = '<!doctype html><html lang="zh-CN"><title>偏好</title></html>';

    // Act
    const plain = toHttpResponse(
      { statusCode: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: page },
      'r1',
    );
    const encoded = toHttpResponse(
      {
        statusCode: 410,
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: Buffer.from(page).toString('base64'),
        isBase64Encoded: true,
      },
      'r2',
    );
    const redirect = toHttpResponse(
      { statusCode: 303, headers: { Location: '/v1/preferences/t?saved=1' } },
      'r3',
    );

    // Assess
    expect(plain?.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(plain?.body.toString('utf8')).toBe(page);
    expect(encoded).toMatchObject({ statusCode: 410 });
    expect(encoded?.body.toString('utf8')).toBe(page);
    expect(redirect?.headers.location).toBe('/v1/preferences/t?saved=1');
    expect(redirect?.body.length).toBe(0);
  });
});
