import { randomUUID } from 'node:crypto';

/**
 * A recorder behind the Pinpoint SendMessages API (AWS End User Messaging has no emulator): the SDK's
 * PinpointClient posts `/v1/apps/{ApplicationId}/messages` with a MessageRequest body; each recipient
 * is recorded for GET /_local/messages and answered as delivered, in Pinpoint's MessageResponse shape.
 */

export interface RecordedMessage {
  messageId: string;
  requestId: string;
  receivedAt: string;
  applicationId: string;
  /** A phone number, device token or address when sent to Addresses; the endpoint id when sent to Endpoints. */
  address: string;
  kind: 'address' | 'endpoint';
  channelType: string | undefined;
  /** The channel's part of MessageConfiguration (SMSMessage for SMS, GCMMessage for GCM ...). */
  message: unknown;
  templateConfiguration?: unknown;
  context?: unknown;
  /** The address's own Context (Cohort puts its message, customer and campaign ids there). */
  addressContext?: Record<string, string>;
  traceId?: string;
}

/**
 * An answer the recorder gives one address instead of SUCCESSFUL, so tests (and fault injection on the
 * local stack) see what End User Messaging can say: THROTTLED, TEMPORARY_FAILURE, PERMANENT_FAILURE,
 * OPT_OUT, DUPLICATE, UNKNOWN_FAILURE. `times` answers that many sends so, then the address recovers.
 * A faulted send is not recorded: nothing was sent.
 */
export interface AddressFault {
  deliveryStatus: string;
  statusCode?: number;
  statusMessage?: string;
  times?: number;
}

export interface RestJsonAnswer {
  statusCode: number;
  body: unknown;
  errorType?: string;
  requestId: string;
}

const pushChannels = new Set([
  'GCM',
  'APNS',
  'APNS_SANDBOX',
  'APNS_VOIP',
  'APNS_VOIP_SANDBOX',
  'BAIDU',
  'ADM',
]);

const channelMessageKey: Record<string, string> = {
  SMS: 'SMSMessage',
  GCM: 'GCMMessage',
  APNS: 'APNSMessage',
  APNS_SANDBOX: 'APNSMessage',
  APNS_VOIP: 'APNSMessage',
  APNS_VOIP_SANDBOX: 'APNSMessage',
  BAIDU: 'BaiduMessage',
  ADM: 'ADMMessage',
  EMAIL: 'EmailMessage',
  VOICE: 'VoiceMessage',
};

const maxRecorded = 50_000;

export interface PinpointRecorder {
  /** Answers a request whose path starts at `/v1/...`; undefined when the path is not SendMessages. */
  handle(method: string, path: string, body: string): RestJsonAnswer | undefined;
  messages(filter?: { since?: Date; channelType?: string; limit?: number }): RecordedMessage[];
  /** Sets (or with undefined, clears) the answer for one address. */
  fault(address: string, fault: AddressFault | undefined): void;
}

const faultStatusCodes: Record<string, number> = {
  THROTTLED: 429,
  TEMPORARY_FAILURE: 500,
  PERMANENT_FAILURE: 400,
  OPT_OUT: 400,
  DUPLICATE: 400,
  UNKNOWN_FAILURE: 500,
};

export function createPinpointRecorder(options: { applicationId: string }): PinpointRecorder {
  const recorded: RecordedMessage[] = [];
  const faults = new Map<string, AddressFault>();

  /** The fault to answer for this address now, counting down a limited one. */
  function takeFault(address: string): AddressFault | undefined {
    const fault = faults.get(address);
    if (!fault) return undefined;
    if (fault.times !== undefined) {
      if (fault.times <= 1) faults.delete(address);
      else faults.set(address, { ...fault, times: fault.times - 1 });
    }
    return fault;
  }

  function channelMessage(configuration: Record<string, unknown>, channelType: string | undefined): unknown {
    const own = channelType ? configuration[channelMessageKey[channelType] ?? ''] : undefined;
    if (own !== undefined) return own;
    if (
      channelType &&
      pushChannels.has(channelType) &&
      configuration.DefaultPushNotificationMessage !== undefined
    ) {
      return configuration.DefaultPushNotificationMessage;
    }
    return configuration.DefaultMessage;
  }

  return {
    handle(method, path, body) {
      const match = /^\/v1\/apps\/([^/]+)\/messages$/.exec(path);
      if (!match?.[1] || method !== 'POST') return undefined;
      const requestId = randomUUID();
      const applicationId = decodeURIComponent(match[1]);
      if (applicationId !== options.applicationId) {
        return error(404, 'NotFoundException', `Application ${applicationId} not found`, requestId);
      }
      let request: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(body);
        if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
        request = parsed as Record<string, unknown>;
      } catch {
        return error(400, 'BadRequestException', 'The request body is not a JSON MessageRequest', requestId);
      }
      const configuration = asRecord(request.MessageConfiguration);
      if (!configuration && !request.TemplateConfiguration) {
        return error(
          400,
          'BadRequestException',
          'MessageConfiguration or TemplateConfiguration is required',
          requestId,
        );
      }
      const addresses = asRecord(request.Addresses) ?? {};
      const endpoints = asRecord(request.Endpoints) ?? {};
      if (Object.keys(addresses).length === 0 && Object.keys(endpoints).length === 0) {
        return error(
          400,
          'BadRequestException',
          'Addresses or Endpoints must name at least one recipient',
          requestId,
        );
      }
      const receivedAt = new Date().toISOString();
      const recordOne = (
        address: string,
        kind: RecordedMessage['kind'],
        channelType: string | undefined,
        overrides?: Record<string, unknown>,
      ) => {
        const messageId = randomUUID();
        recorded.push({
          messageId,
          requestId,
          receivedAt,
          applicationId,
          address,
          kind,
          channelType,
          message: configuration
            ? applyOverrides(channelMessage(configuration, channelType), overrides)
            : undefined,
          ...(request.TemplateConfiguration !== undefined && {
            templateConfiguration: request.TemplateConfiguration,
          }),
          ...(request.Context !== undefined && { context: request.Context }),
          ...(asRecord(overrides?.Context) && {
            addressContext: overrides?.Context as Record<string, string>,
          }),
          ...(typeof request.TraceId === 'string' && { traceId: request.TraceId }),
        });
        if (recorded.length > maxRecorded) recorded.splice(0, recorded.length - maxRecorded);
        return messageId;
      };
      const result: Record<string, unknown> = {};
      for (const [address, config] of Object.entries(addresses)) {
        const fault = takeFault(address);
        if (fault) {
          result[address] = {
            DeliveryStatus: fault.deliveryStatus,
            StatusCode: fault.statusCode ?? faultStatusCodes[fault.deliveryStatus] ?? 400,
            StatusMessage: fault.statusMessage ?? `Injected locally: ${fault.deliveryStatus}`,
          };
          continue;
        }
        const channelType = asRecord(config)?.ChannelType;
        const messageId = recordOne(
          address,
          'address',
          typeof channelType === 'string' ? channelType : undefined,
          asRecord(config),
        );
        result[address] = delivered(messageId);
      }
      const endpointResult: Record<string, unknown> = {};
      for (const endpointId of Object.keys(endpoints)) {
        const messageId = recordOne(endpointId, 'endpoint', undefined);
        endpointResult[endpointId] = { Address: endpointId, ...delivered(messageId) };
      }
      return {
        statusCode: 200,
        requestId,
        body: {
          ApplicationId: applicationId,
          RequestId: requestId,
          ...(Object.keys(result).length > 0 && { Result: result }),
          ...(Object.keys(endpointResult).length > 0 && { EndpointResult: endpointResult }),
        },
      };
    },
    messages(filter = {}) {
      let messages = recorded.filter(
        (m) =>
          (!filter.since || Date.parse(m.receivedAt) >= filter.since.getTime()) &&
          (!filter.channelType || m.channelType === filter.channelType),
      );
      if (filter.limit !== undefined) messages = messages.slice(-filter.limit);
      return messages;
    },
    fault(address, fault) {
      if (fault) faults.set(address, fault);
      else faults.delete(address);
    },
  };
}

/** What the address received: SendMessages applies the per-address title and body overrides. */
function applyOverrides(message: unknown, overrides: Record<string, unknown> | undefined): unknown {
  const own = asRecord(message);
  if (!own || !overrides) return message;
  return {
    ...own,
    ...(typeof overrides.BodyOverride === 'string' && { Body: overrides.BodyOverride }),
    ...(typeof overrides.TitleOverride === 'string' && { Title: overrides.TitleOverride }),
  };
}

function delivered(messageId: string) {
  return {
    DeliveryStatus: 'SUCCESSFUL',
    StatusCode: 200,
    StatusMessage: 'Recorded locally',
    MessageId: messageId,
  };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function error(statusCode: number, type: string, message: string, requestId: string): RestJsonAnswer {
  return { statusCode, errorType: type, requestId, body: { Message: message, RequestID: requestId } };
}
