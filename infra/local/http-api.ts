import { randomBytes } from 'node:crypto';
import type {
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
} from 'aws-lambda';
import { localAccountId, localRegion, traceId } from './aws-constants.ts';
import type { LambdaHost } from './lambda.ts';
import type { Logger } from './log.ts';
import { compileRoutes, type RouteMatch } from './routes.ts';

/**
 * API Gateway HTTP API in front of the local functions: payload format 2.0 events, a Lambda REQUEST
 * authorizer with simple responses and a result cache, and API Gateway's own answers (401, 403, 404,
 * 413, 500) where API Gateway, not the function, would answer.
 */

export const localApiId = 'local';
/** API Gateway's request payload limit. */
export const maxPayloadBytes = 10 * 1024 * 1024;
/** HTTP APIs give up on an integration after 30 s, whatever the function's own timeout. */
const integrationTimeoutMs = 30_000;

export interface IncomingApiRequest {
  method: string;
  /** Path and query exactly as received. */
  url: string;
  /** Header name (lower case) to every value received for it. */
  headers: Record<string, string[]>;
  body: Buffer;
  sourceIp: string;
  protocol: string;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

interface RouteTarget {
  functionName: string;
  scope: string;
}

interface CachedAuthorization {
  expiresAt: number;
  authorized: boolean;
  context: Record<string, unknown>;
}

const maxCachedAuthorizations = 10_000;

export function createHttpApi(options: { host: LambdaHost; log: Logger }) {
  const { host, log } = options;
  const routes = host.byTrigger('http').map(({ name, trigger }) => ({
    method: trigger.method,
    path: trigger.path,
    target: { functionName: name, scope: trigger.scope } satisfies RouteTarget,
  }));
  const match = compileRoutes(routes);
  const authorizer = host.byTrigger('authorizer')[0];
  const cache = new Map<string, CachedAuthorization>();

  async function handle(request: IncomingApiRequest): Promise<ApiResponse> {
    const requestId = apiRequestId();
    const { rawPath, rawQueryString } = splitUrl(request.url);
    const found: RouteMatch<RouteTarget> = match(request.method, rawPath);
    if (found.kind === 'bad-path') return gatewayAnswer(400, 'Bad Request', requestId);
    if (found.kind === 'not-found') return gatewayAnswer(404, 'Not Found', requestId);
    if (request.body.length > maxPayloadBytes)
      return gatewayAnswer(413, 'Request Entity Too Large', requestId);

    const routeKey = `${found.route.method} ${found.route.path}`;
    const base = baseEvent(request, { rawPath, rawQueryString, routeKey, requestId });
    const pathParameters = Object.keys(found.pathParameters).length > 0 ? found.pathParameters : undefined;

    let authorizerContext: Record<string, unknown> | undefined;
    if (found.route.target.scope !== 'public') {
      if (!authorizer) {
        log.error(`Route ${routeKey} needs an authorizer but the function table has none`);
        return gatewayAnswer(500, 'Internal Server Error', requestId);
      }
      const identitySource = identityValues(authorizer.trigger.identitySource, base);
      if (!identitySource) return gatewayAnswer(401, 'Unauthorized', requestId);
      const decision = await authorize(authorizer.name, authorizer.trigger.cacheTtlSeconds, {
        version: '2.0',
        type: 'REQUEST',
        routeArn: `arn:aws:execute-api:${localRegion}:${localAccountId}:${localApiId}/$default/${found.route.method}${found.route.path}`,
        identitySource,
        routeKey,
        rawPath,
        rawQueryString,
        cookies: base.cookies ?? [],
        headers: base.headers,
        ...(base.queryStringParameters && { queryStringParameters: base.queryStringParameters }),
        requestContext: base.requestContext,
        ...(pathParameters && { pathParameters }),
      });
      if (decision === 'error') return gatewayAnswer(500, 'Internal Server Error', requestId);
      if (!decision.authorized) return gatewayAnswer(403, 'Forbidden', requestId);
      authorizerContext = decision.context;
    }

    const event: APIGatewayProxyEventV2 = {
      ...base,
      ...(pathParameters && { pathParameters }),
      requestContext: {
        ...base.requestContext,
        ...(authorizerContext && { authorizer: { lambda: authorizerContext } }),
      },
      ...bodyFields(request),
    };
    const functionName = found.route.target.functionName;
    let timer: NodeJS.Timeout | undefined;
    const integrationTimeout = new Promise<'timeout'>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout('timeout'), integrationTimeoutMs);
    });
    try {
      const result = await Promise.race([host.invoke(functionName, event), integrationTimeout]);
      if (result === 'timeout') {
        log.error(`${functionName} did not answer ${routeKey} within API Gateway's 30 s`);
        return gatewayAnswer(503, 'Service Unavailable', requestId);
      }
      return toHttpResponse(result, requestId) ?? invalidResponse(functionName, requestId);
    } catch (error) {
      log.error(`${functionName} failed on ${routeKey}`, error);
      return gatewayAnswer(500, 'Internal Server Error', requestId);
    } finally {
      clearTimeout(timer);
    }
  }

  /** API Gateway caches the authorizer's answer per identity source value, allow and deny alike. */
  async function authorize(
    name: string,
    ttlSeconds: number,
    event: APIGatewayRequestAuthorizerEventV2,
  ): Promise<CachedAuthorization | 'error'> {
    const key = JSON.stringify(event.identitySource);
    const cached = cache.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached;
    let decision: CachedAuthorization | undefined;
    try {
      decision = readAuthorizerResult(await host.invoke(name, event), ttlSeconds);
    } catch (error) {
      log.error(`Authorizer ${name} failed`, error);
      return 'error';
    }
    if (!decision) {
      log.error(`Authorizer ${name} returned neither {isAuthorized} nor an IAM policy`);
      return 'error';
    }
    if (ttlSeconds > 0) {
      if (cache.size >= maxCachedAuthorizations) cache.delete(cache.keys().next().value ?? '');
      cache.set(key, decision);
    }
    return decision;
  }

  function invalidResponse(functionName: string, requestId: string): ApiResponse {
    log.error(`${functionName} returned a response API Gateway cannot map (statusCode must be 100-599)`);
    return gatewayAnswer(500, 'Internal Server Error', requestId);
  }

  return { handle, routes };
}

function splitUrl(url: string): { rawPath: string; rawQueryString: string } {
  const q = url.indexOf('?');
  return q < 0
    ? { rawPath: url, rawQueryString: '' }
    : { rawPath: url.slice(0, q), rawQueryString: url.slice(q + 1) };
}

function apiRequestId(): string {
  // API Gateway request ids look like `JKJaXmPLvHcESHA=`.
  return randomBytes(10).toString('base64');
}

type BaseEvent = Omit<APIGatewayProxyEventV2, 'pathParameters' | 'body' | 'isBase64Encoded'>;

function baseEvent(
  request: IncomingApiRequest,
  parts: { rawPath: string; rawQueryString: string; routeKey: string; requestId: string },
): BaseEvent {
  const now = new Date();
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(request.headers)) {
    if (name === 'cookie') continue;
    headers[name] = values.join(',');
  }
  const port = /:(\d+)$/.exec(headers.host ?? '')?.[1] ?? '80';
  headers['x-forwarded-for'] = request.sourceIp;
  headers['x-forwarded-port'] = port;
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] = traceId(now);
  const cookies = (request.headers.cookie ?? [])
    .flatMap((value) => value.split(';'))
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie !== '');
  const queryStringParameters = parseQuery(parts.rawQueryString);
  const domainName = (headers.host ?? `127.0.0.1:${port}`).replace(/:\d+$/, '');
  const requestContext: APIGatewayEventRequestContextV2 = {
    accountId: localAccountId,
    apiId: localApiId,
    domainName,
    domainPrefix: domainName.split('.')[0] ?? domainName,
    http: {
      method: request.method,
      path: parts.rawPath,
      protocol: request.protocol,
      sourceIp: request.sourceIp,
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: parts.requestId,
    routeKey: parts.routeKey,
    stage: '$default',
    time: clfTime(now),
    timeEpoch: now.getTime(),
  };
  return {
    version: '2.0',
    routeKey: parts.routeKey,
    rawPath: parts.rawPath,
    rawQueryString: parts.rawQueryString,
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(queryStringParameters && { queryStringParameters }),
    requestContext,
  };
}

/** Duplicate query parameters arrive comma-joined, as API Gateway sends them in payload 2.0. */
export function parseQuery(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    params[name] = name in params ? `${params[name]},${value}` : value;
  }
  return Object.keys(params).length > 0 ? params : undefined;
}

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's requestContext.time. */
function clfTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** `$request.header.Authorization` -> the header's value; undefined when any source is missing or empty. */
function identityValues(identitySource: string, event: BaseEvent): string[] | undefined {
  const values: string[] = [];
  for (const source of identitySource.split(',').map((s) => s.trim())) {
    const header = /^\$request\.header\.(.+)$/i.exec(source)?.[1];
    const query = /^\$request\.querystring\.(.+)$/i.exec(source)?.[1];
    const value = header
      ? event.headers[header.toLowerCase()]
      : query
        ? event.queryStringParameters?.[query]
        : undefined;
    if (!value) return undefined;
    values.push(value);
  }
  return values;
}

function readAuthorizerResult(result: unknown, ttlSeconds: number): CachedAuthorization | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const expiresAt = Date.now() + ttlSeconds * 1000;
  const record = result as Record<string, unknown>;
  const context = typeof record.context === 'object' && record.context !== null ? record.context : {};
  if (typeof record.isAuthorized === 'boolean') {
    return { expiresAt, authorized: record.isAuthorized, context: context as Record<string, unknown> };
  }
  // The IAM policy format: allowed when some statement allows and none denies.
  const statements = (record.policyDocument as { Statement?: { Effect?: string }[] } | undefined)?.Statement;
  if (!Array.isArray(statements)) return undefined;
  const authorized =
    statements.some((s) => s.Effect === 'Allow') && !statements.some((s) => s.Effect === 'Deny');
  return { expiresAt, authorized, context: context as Record<string, unknown> };
}

const textTypes = [
  /^text\//,
  /^application\/(json|xml|javascript|x-www-form-urlencoded|graphql)\b/,
  /^application\/[\w.+-]+\+(json|xml)\b/,
];

function bodyFields(request: IncomingApiRequest): { body?: string; isBase64Encoded: boolean } {
  if (request.body.length === 0) return { isBase64Encoded: false };
  const contentType = (request.headers['content-type']?.[0] ?? '').toLowerCase();
  const isText =
    contentType === '' ? isUtf8(request.body) : textTypes.some((pattern) => pattern.test(contentType));
  return isText
    ? { body: request.body.toString('utf8'), isBase64Encoded: false }
    : { body: request.body.toString('base64'), isBase64Encoded: true };
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Maps a payload 2.0 result the way API Gateway does: a structured result as given, anything else
 * (a string, an object without statusCode) as a 200 JSON body. Undefined when the result is unusable.
 */
export function toHttpResponse(result: unknown, requestId: string): ApiResponse | undefined {
  const headers: Record<string, string | string[]> = { 'apigw-requestid': requestId };
  if (typeof result === 'string') {
    return {
      statusCode: 200,
      headers: { ...headers, 'content-type': 'application/json' },
      body: Buffer.from(result),
    };
  }
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    const body = JSON.stringify(result ?? null);
    return {
      statusCode: 200,
      headers: { ...headers, 'content-type': 'application/json' },
      body: Buffer.from(body),
    };
  }
  const structured = result as APIGatewayProxyStructuredResultV2 & {
    multiValueHeaders?: Record<string, unknown[]>;
  };
  const statusCode = structured.statusCode;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return undefined;
  }
  for (const [name, value] of Object.entries(structured.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  for (const [name, values] of Object.entries(structured.multiValueHeaders ?? {})) {
    if (Array.isArray(values)) headers[name.toLowerCase()] = values.map(String);
  }
  if (structured.cookies && structured.cookies.length > 0) headers['set-cookie'] = structured.cookies;
  const rawBody = structured.body ?? '';
  const body = structured.isBase64Encoded ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody);
  if (body.length > 0 && !headers['content-type']) headers['content-type'] = 'application/json';
  return { statusCode, headers, body };
}

/** An answer API Gateway itself gives, before or instead of the function. */
export function gatewayAnswer(statusCode: number, message: string, requestId?: string): ApiResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...(requestId && { 'apigw-requestid': requestId }) },
    body: Buffer.from(JSON.stringify({ message })),
  };
}
