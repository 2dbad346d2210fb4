import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { injectionProblem, type LocalEventBus } from './event-bus.ts';
import { type ApiResponse, gatewayAnswer, type IncomingApiRequest, maxPayloadBytes } from './http-api.ts';
import type { Logger } from './log.ts';
import type { AddressFault, PinpointRecorder } from './pinpoint.ts';
import type { LocalScheduler } from './scheduler.ts';

/**
 * One HTTP server for everything the runtime answers: the API (as API Gateway), the AWS APIs that have
 * no engine (EventBridge under /_aws/events, Pinpoint under /_aws/pinpoint) and the local-only pages
 * under /_local/.
 */

export const eventBridgePath = '/_aws/events';
export const pinpointPath = '/_aws/pinpoint';

export interface ServerParts {
  api: { handle(request: IncomingApiRequest): Promise<ApiResponse> };
  bus: LocalEventBus;
  pinpoint: PinpointRecorder;
  scheduler: LocalScheduler;
  health: () => unknown;
  /** Each stream consumer with the time it had last handled every change written before it. */
  streams: () => { functionName: string; caughtUpAt: number | undefined }[];
  log: Logger;
  /** Requests wait for this: the functions' environment is set only once the server's port is known. */
  ready: Promise<void>;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(parts: ServerParts, port: number): Promise<RunningServer> {
  const server = createServer((req, res) => {
    serve(parts, req, res).catch((error) => {
      parts.log.error(`Unexpected error serving ${req.method} ${pathOf(req.url)}`, error);
      if (!res.headersSent) send(res, gatewayAnswer(500, 'Internal Server Error'));
      else res.destroy();
    });
  });
  // Handlers may take a while (a cold import, a timeout of minutes): never cut a request short here.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 5_000;
  await listen(server, port);
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolveListen, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} is in use: stop what runs there or choose another port (--port)`)
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolveListen();
    });
  });
}

async function serve(parts: ServerParts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await parts.ready;
  const started = Date.now();
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const path = pathOf(url);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxPayloadBytes) {
    res.setHeader('connection', 'close');
    send(res, gatewayAnswer(413, 'Request Entity Too Large'));
    req.resume();
    return;
  }
  const body = await readBody(req);
  if (body === 'too-large') {
    res.setHeader('connection', 'close');
    send(res, gatewayAnswer(413, 'Request Entity Too Large'));
    return;
  }

  if (path === eventBridgePath || path === `${eventBridgePath}/`) {
    const target = req.headers['x-amz-target'];
    const answer = parts.bus.handle(typeof target === 'string' ? target : undefined, body.toString('utf8'));
    sendJson(res, answer.statusCode, answer.body, 'application/x-amz-json-1.1', answer.errorType);
    return;
  }
  if (path.startsWith(`${pinpointPath}/`)) {
    const answer = parts.pinpoint.handle(method, path.slice(pinpointPath.length), body.toString('utf8'));
    if (!answer) {
      sendJson(
        res,
        404,
        { Message: 'The local Pinpoint supports SendMessages only' },
        'application/json',
        'NotFoundException',
      );
      return;
    }
    res.setHeader('x-amzn-requestid', answer.requestId);
    sendJson(res, answer.statusCode, answer.body, 'application/json', answer.errorType);
    return;
  }
  if (path.startsWith('/_local/messages/faults/')) {
    serveFault(parts, method, decodeURIComponent(path.slice('/_local/messages/faults/'.length)), body, res);
    return;
  }
  if (path.startsWith('/_local/')) {
    await serveLocal(parts, method, url, body, res);
    return;
  }

  const response = await parts.api.handle({
    method,
    url,
    headers: distinctHeaders(req),
    body,
    sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    protocol: `HTTP/${req.httpVersion}`,
  });
  send(res, response);
  parts.log.info(`${method} ${path} ${response.statusCode} ${Date.now() - started} ms`);
}

/**
 * PUT /_local/messages/faults/{address} `{ deliveryStatus, statusCode?, statusMessage?, times? }` makes the
 * recorder answer that address so; DELETE clears it.
 */
function serveFault(parts: ServerParts, method: string, address: string, body: Buffer, res: ServerResponse) {
  if (method === 'DELETE') {
    parts.pinpoint.fault(address, undefined);
    sendJson(res, 204, undefined);
    return;
  }
  if (method !== 'PUT') {
    sendJson(res, 405, { message: 'PUT or DELETE' });
    return;
  }
  let fault: AddressFault;
  try {
    fault = JSON.parse(body.toString('utf8')) as AddressFault;
  } catch {
    sendJson(res, 400, { message: 'The body is not JSON' });
    return;
  }
  const known = [
    'THROTTLED',
    'TEMPORARY_FAILURE',
    'PERMANENT_FAILURE',
    'OPT_OUT',
    'DUPLICATE',
    'UNKNOWN_FAILURE',
  ];
  if (
    !known.includes(fault?.deliveryStatus) ||
    (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times > 0))
  ) {
    sendJson(res, 400, {
      message: `deliveryStatus must be one of ${known.join(', ')}; times a positive whole number`,
    });
    return;
  }
  parts.pinpoint.fault(address, fault);
  sendJson(res, 200, { address, ...fault });
}

async function serveLocal(
  parts: ServerParts,
  method: string,
  url: string,
  body: Buffer,
  res: ServerResponse,
): Promise<void> {
  const { pathname, searchParams } = new URL(url, 'http://local');
  const since = searchParams.get('since');
  const sinceDate = since ? new Date(since) : undefined;
  if (sinceDate && Number.isNaN(sinceDate.getTime())) {
    sendJson(res, 400, { message: 'since must be an ISO 8601 time' });
    return;
  }
  const limitText = searchParams.get('limit');
  const limit = limitText ? Number(limitText) : undefined;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    sendJson(res, 400, { message: 'limit must be a whole number' });
    return;
  }
  if (method === 'GET' && pathname === '/_local/health') {
    sendJson(res, 200, parts.health());
    return;
  }
  if (method === 'GET' && pathname === '/_local/streams') {
    const streams = parts.streams().map(({ functionName, caughtUpAt }) => ({
      functionName,
      caughtUpAt: caughtUpAt === undefined ? null : new Date(caughtUpAt).toISOString(),
    }));
    sendJson(res, 200, { streams });
    return;
  }
  if (method === 'GET' && pathname === '/_local/bus') {
    const detailType = searchParams.get('detailType') ?? undefined;
    const events = parts.bus.events({
      ...(detailType && { detailType }),
      ...(sinceDate && { since: sinceDate }),
      ...(limit !== undefined && { limit }),
    });
    sendJson(res, 200, { events });
    return;
  }
  if (method === 'POST' && pathname === '/_local/bus/events') {
    // An event of an AWS service (SES delivery events): one EventBridge event or an array of them.
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      sendJson(res, 400, { message: 'the body must be an EventBridge event (JSON) or an array of them' });
      return;
    }
    const events = Array.isArray(parsed) ? parsed : [parsed];
    // Every event is checked before any is put, so a bad one leaves the bus as it was.
    const problems = events.map(injectionProblem);
    const failed = problems.findIndex((p) => p !== undefined);
    if (failed >= 0) {
      sendJson(res, 400, { message: `event ${failed}: ${problems[failed]}` });
      return;
    }
    const results = events.map((e) => parts.bus.inject(e));
    sendJson(res, 202, { events: results.map((r) => ('event' in r ? r.event : r.error)) });
    return;
  }
  if (method === 'GET' && pathname === '/_local/messages') {
    const channelType = searchParams.get('channelType') ?? undefined;
    const messages = parts.pinpoint.messages({
      ...(channelType && { channelType }),
      ...(sinceDate && { since: sinceDate }),
      ...(limit !== undefined && { limit }),
    });
    sendJson(res, 200, { messages });
    return;
  }
  const schedule = /^\/_local\/schedules\/([^/]+)$/.exec(pathname);
  if (method === 'POST' && schedule?.[1]) {
    const functionName = decodeURIComponent(schedule[1]);
    const fired = await parts.scheduler.fire(functionName);
    if (!fired) {
      sendJson(res, 404, { message: `${functionName} has no schedule` });
      return;
    }
    const error = fired.error instanceof Error ? `${fired.error.name}: ${fired.error.message}` : fired.error;
    sendJson(res, fired.error === undefined ? 200 : 502, {
      functionName,
      event: fired.event,
      ...(fired.error !== undefined && { error: String(error) }),
    });
    return;
  }
  sendJson(res, 404, { message: 'Not Found' });
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxPayloadBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolveBody(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function distinctHeaders(req: IncomingMessage): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values) headers[name.toLowerCase()] = values;
  }
  return headers;
}

function pathOf(url: string | undefined): string {
  const path = url ?? '/';
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

function send(res: ServerResponse, response: ApiResponse) {
  res.writeHead(response.statusCode, response.headers);
  res.end(response.body);
}

function sendJson(
  res: ServerResponse,
  statusCode: number,
  body: unknown,
  contentType = 'application/json',
  errorType?: string,
) {
  res.writeHead(statusCode, {
    'content-type': contentType,
    ...(errorType && { 'x-amzn-errortype': errorType }),
  });
  res.end(JSON.stringify(body));
}
