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
  traceId?: string;
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
}

export function createPinpointRecorder(options: { applicationId: string }): PinpointRecorder {
  const recorded: RecordedMessage[] = [];

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
      const recordOne = (address: string, kind: RecordedMessage['kind'], channelType: string | undefined) => {
        const messageId = randomUUID();
        recorded.push({
          messageId,
          requestId,
          receivedAt,
          applicationId,
          address,
          kind,
          channelType,
          message: configuration ? channelMessage(configuration, channelType) : undefined,
          ...(request.TemplateConfiguration !== undefined && {
            templateConfiguration: request.TemplateConfiguration,
          }),
          ...(request.Context !== undefined && { context: request.Context }),
          ...(typeof request.TraceId === 'string' && { traceId: request.TraceId }),
        });
        if (recorded.length > maxRecorded) recorded.splice(0, recorded.length - maxRecorded);
        return messageId;
      };
      const result: Record<string, unknown> = {};
      for (const [address, config] of Object.entries(addresses)) {
        const channelType = asRecord(config)?.ChannelType;
        const messageId = recordOne(
          address,
          'address',
          typeof channelType === 'string' ? channelType : undefined,
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
