import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { Scope } from '../../functions/manifest.ts';
import { config } from './config.ts';
import {
  DomainError,
  ForbiddenError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors.ts';
import { log } from './log.ts';
import { zodIssuesToFieldErrors } from './validation.ts';
import type * as z from './zod.ts';

/** What the authorizer puts into `requestContext.authorizer.lambda`. */
export interface AuthorizerContext {
  authenticated: boolean;
  keyId?: string;
  keyName?: string;
  /** Space-separated scopes: API Gateway passes context values as scalars. */
  scopes?: string;
  reason?: string;
}

export interface Principal {
  keyId: string;
  keyName: string;
  scopes: Scope[];
}

export type HttpEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>;
export type HttpResponse = APIGatewayProxyStructuredResultV2;

export interface HttpRequest<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  /** Header names lower-cased, as API Gateway v2 delivers them. */
  headers: Record<string, string | undefined>;
  principal: Principal;
  event: HttpEvent;
}

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteSpec<B extends z.ZodMiniType, Q extends z.ZodMiniType, P extends z.ZodMiniType> {
  scope: Scope | 'public';
  body?: B;
  query?: Q;
  params?: P;
  /** Media types accepted for the body, besides application/json. */
  bodyTypes?: string[];
}

const PROBLEM = 'application/problem+json';

export function problemResponse(error: DomainError, instance?: string): HttpResponse {
  const body: Record<string, unknown> = {
    type: `https://cohort.dev/problems/${error.title.toLowerCase().replaceAll(' ', '-')}`,
    title: error.title,
    status: error.status,
    detail: error.message,
  };
  if (instance) body.instance = instance;
  if (error instanceof ValidationError) body.errors = error.errors;
  return {
    statusCode: error.status,
    headers: { 'content-type': PROBLEM, ...error.headers },
    body: JSON.stringify(body),
  };
}

/** The one place errors become HTTP responses. Unknown errors are logged and answered as a bare 500. */
export function problemDetails(): MiddlewareObj<HttpEvent, HttpResponse> {
  return {
    onError: (request) => {
      const error = request.error;
      const path = request.event?.rawPath;
      if (error instanceof DomainError) {
        request.response = problemResponse(error, path);
        return;
      }
      log.error('unhandled error', { error, path });
      request.response = {
        statusCode: 500,
        headers: { 'content-type': PROBLEM },
        body: JSON.stringify({
          type: 'about:blank',
          title: 'Internal server error',
          status: 500,
          detail: 'The request could not be completed; it has been logged.',
        }),
      };
    },
  };
}

export function principalOf(event: HttpEvent, scope: Scope | 'public'): Principal {
  if (scope === 'public') return { keyId: 'anonymous', keyName: 'anonymous', scopes: [] };
  const ctx = event.requestContext.authorizer?.lambda;
  const authenticated = ctx?.authenticated === true || String(ctx?.authenticated) === 'true';
  if (!ctx || !authenticated || !ctx.keyId) {
    throw new UnauthorizedError(
      ctx?.reason ?? 'A valid API key is required: send Authorization: Bearer <key>',
    );
  }
  const scopes = (ctx.scopes ?? '').split(' ').filter(Boolean) as Scope[];
  if (!scopes.includes('admin') && !scopes.includes(scope)) {
    throw new ForbiddenError(`This API key lacks the "${scope}" scope`);
  }
  return { keyId: ctx.keyId, keyName: ctx.keyName ?? ctx.keyId, scopes };
}

function parseBody(event: HttpEvent, accepted: string[]): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw, 'utf8') > config().MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`The body is larger than ${config().MAX_BODY_BYTES} bytes`);
  }
  const contentType = event.headers['content-type'] ?? '';
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !accepted.includes(type)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type must be ${['application/json', ...accepted].join(' or ')}; got "${type || 'none'}"`,
    );
  }
  if (type === 'application/x-www-form-urlencoded') return formFields(new URLSearchParams(raw));
  if (type === 'multipart/form-data') return multipartFields(raw, contentType);
  try {
    return JSON.parse(raw);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : 'unreadable';
    throw new ValidationError([{ path: 'body', message: `is not valid JSON (${detail})` }]);
  }
}

/** Form fields by name; a name sent more than once keeps its last value. */
export type FormFields = Record<string, string>;

function formFields(params: Iterable<[string, string]>): FormFields {
  const fields: FormFields = {};
  for (const [name, value] of params) fields[name] = value;
  return fields;
}

/**
 * The text fields of a multipart/form-data body (RFC 7578), which RFC 8058 one-click unsubscribe POSTs
 * may use. Files are not expected anywhere, so parts with a filename are skipped.
 */
function multipartFields(raw: string, contentType: string): FormFields {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw ValidationError.field('header.Content-Type', 'multipart/form-data needs a boundary');
  const fields: [string, string][] = [];
  for (const part of raw.split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) break;
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const head = part.slice(0, split);
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined || /\bfilename=/i.test(head)) continue;
    fields.push([name, part.slice(split + 4).replace(/\r\n$/, '')]);
  }
  return formFields(fields);
}

function validate<T extends z.ZodMiniType>(schema: T, value: unknown, location: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(zodIssuesToFieldErrors(result.error.issues, location));
  return result.data;
}

/**
 * An HTTP route: authorization, body parsing and validation as middleware, then the handler, then the
 * response. Handlers receive typed, validated input and return `{ status, body, headers }`.
 */
export function httpRoute<B extends z.ZodMiniType, Q extends z.ZodMiniType, P extends z.ZodMiniType>(
  spec: RouteSpec<B, Q, P>,
  fn: (request: HttpRequest<z.output<B>, z.output<Q>, z.output<P>>) => Promise<HttpResult>,
  middlewares: MiddlewareObj<HttpEvent, HttpResponse>[] = [],
) {
  const handler = middy<HttpEvent, HttpResponse, Error, Context>().use(problemDetails());
  for (const m of middlewares) handler.use(m);
  return handler.handler(async (event) => {
    const principal = principalOf(event, spec.scope);
    const rawBody = parseBody(event, spec.bodyTypes ?? []);
    if (spec.body && rawBody === undefined) {
      throw new ValidationError([{ path: 'body', message: 'is required' }]);
    }
    const request = {
      // Without a schema the handler gets the parsed body as it came (a page reads its own form).
      body: spec.body ? validate(spec.body, rawBody, '') : rawBody,
      query: spec.query ? validate(spec.query, event.queryStringParameters ?? {}, 'query') : undefined,
      params: spec.params ? validate(spec.params, event.pathParameters ?? {}, 'path') : undefined,
      headers: event.headers,
      principal,
      event,
    } as HttpRequest<z.output<B>, z.output<Q>, z.output<P>>;
    const result = await fn(request);
    return toResponse(result);
  });
}

export function toResponse(result: HttpResult): HttpResponse {
  const headers: Record<string, string> = { ...result.headers };
  if (result.body === undefined) return { statusCode: result.status, headers };
  headers['content-type'] ??= 'application/json; charset=utf-8';
  return {
    statusCode: result.status,
    headers,
    body: typeof result.body === 'string' ? result.body : JSON.stringify(result.body),
  };
}

export function etag(version: number): string {
  return `"${version}"`;
}
