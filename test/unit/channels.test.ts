import { PinpointClient, SendMessagesCommand } from '@aws-sdk/client-pinpoint';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { deliveryResult, requestErrorResult, smsAdapter } from '../../shared/channels/pinpoint.ts';
import { emailTags, sesAdapter, sesErrorResult } from '../../shared/channels/ses.ts';
import { secretKey, verifyWebhook, webhookSignature } from '../../shared/channels/webhook.ts';

/** An SDK service error as the clients throw it. */
function awsError(name: string, status: number, message = name) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

const base = { messageId: '01KMESSAGE0000000000000000', customerId: '01KCUSTOMER000000000000000' };

describe('SES results', () => {
  it.each([
    [awsError('TooManyRequestsException', 429), 'throttled', true],
    [awsError('Throttling', 400, 'Maximum sending rate exceeded.'), 'throttled', true],
    [awsError('LimitExceededException', 400), 'throttled', true],
    [awsError('SendingPausedException', 400), 'failed', true],
    [awsError('AccountSuspendedException', 400), 'failed', false],
    [awsError('MailFromDomainNotVerifiedException', 400), 'failed', false],
    [awsError('MessageRejected', 400), 'rejected', false],
    [awsError('InternalFailure', 500), 'failed', true],
    [Object.assign(new Error('socket hang up'), { name: 'Error' }), 'failed', true],
  ] as const)('case %#', (error, status, retryable) => {
    // Act
    const result = sesErrorResult(error);

    // Assess
    expect(result).toMatchObject({ status, retryable });
  });

  it('sends through the configured client and answers a throttled send as a result', async () => {
    // Prepare
    const ses = mockClient(SESv2Client);
    ses
      .on(SendEmailCommand)
      .rejectsOnce(awsError('TooManyRequestsException', 429))
      .resolves({ MessageId: 'm-1' });
    const adapter = sesAdapter({
      client: ses as unknown as SESv2Client,
      from: 'shop@example.com',
      configurationSet: 'set-1',
    });
    const message = {
      ...base,
      channel: 'email' as const,
      to: 'a@example.com',
      subject: 'x',
      text: 'y',
      campaignId: 'C 1',
    };

    // Act
    const results = await adapter.sendBatch([message, message]);

    // Assess
    expect(results.map((r) => r.status).sort()).toEqual(['accepted', 'throttled']);
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toMatchObject({
      FromEmailAddress: 'shop@example.com',
      ConfigurationSetName: 'set-1',
    });
    ses.restore();
  });

  it('keeps tag values within what SES accepts', () => {
    // Act
    const tags = emailTags({
      ...base,
      channel: 'email',
      to: 'a@example.com',
      subject: 's',
      campaignId: '春 sale/1',
      tags: { 'bad name!': 'x' },
    });

    // Assess
    expect(tags).toContainEqual({ Name: 'campaign', Value: '__sale_1' });
    expect(tags.map((t) => t.Name).sort()).toEqual(['campaign', 'customer', 'message']);
  });
});

describe('End User Messaging results', () => {
  it.each([
    ['SUCCESSFUL', 'accepted', false],
    ['THROTTLED', 'throttled', true],
    ['TEMPORARY_FAILURE', 'failed', true],
    ['PERMANENT_FAILURE', 'rejected', false],
    ['OPT_OUT', 'rejected', false],
    ['DUPLICATE', 'rejected', false],
    ['UNKNOWN_FAILURE', 'failed', false],
  ] as const)('%s', (DeliveryStatus, status, retryable) => {
    // Act
    const result = deliveryResult({ DeliveryStatus, StatusCode: 200 });

    // Assess
    expect(result).toMatchObject({ status, retryable });
  });

  it.each([
    [awsError('TooManyRequestsException', 429), 'throttled', true],
    [awsError('BadRequestException', 400), 'rejected', false],
    [awsError('ForbiddenException', 403), 'failed', false],
    [awsError('InternalServerErrorException', 500), 'failed', true],
  ] as const)('request error %#', (error, status, retryable) => {
    // Act
    const result = requestErrorResult(error);

    // Assess
    expect(result).toMatchObject({ status, retryable });
  });

  it('splits a batch that names one number twice into two requests, and answers a failed request for each of its addresses', async () => {
    // Prepare
    const pinpoint = mockClient(PinpointClient);
    pinpoint
      .on(SendMessagesCommand)
      .resolvesOnce({
        MessageResponse: {
          ApplicationId: 'app',
          Result: { '+8613800000000': { DeliveryStatus: 'SUCCESSFUL', StatusCode: 200, MessageId: 'p-1' } },
        },
      })
      .rejects(awsError('TooManyRequestsException', 429));
    const adapter = smsAdapter({ client: pinpoint as unknown as PinpointClient, applicationId: 'app' });
    const sms = (body: string) => ({ ...base, channel: 'sms' as const, to: '+8613800000000', body });

    // Act
    const results = await adapter.sendBatch([sms('one'), sms('two')]);

    // Assess
    expect(pinpoint.commandCalls(SendMessagesCommand)).toHaveLength(2);
    expect(results).toEqual([
      expect.objectContaining({ status: 'accepted', providerMessageId: 'p-1' }),
      expect.objectContaining({ status: 'throttled', retryable: true }),
    ]);
    pinpoint.restore();
  });
});

describe('webhook signatures', () => {
  const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

  it('match the Standard Webhooks construction and verify only within the tolerance', () => {
    // Prepare
    const body = '{"a":"中文 😀"}';
    const signature = webhookSignature(secret, 'msg_1', 1_800_000_000, body);

    // Act
    const ok = verifyWebhook(secret, { id: 'msg_1', timestamp: '1800000000', signature }, body, {
      nowSeconds: 1_800_000_100,
    });
    const stale = verifyWebhook(secret, { id: 'msg_1', timestamp: '1800000000', signature }, body, {
      nowSeconds: 1_800_001_000,
    });
    const otherId = verifyWebhook(secret, { id: 'msg_2', timestamp: '1800000000', signature }, body, {
      nowSeconds: 1_800_000_000,
    });
    const rotated = verifyWebhook(
      secret,
      { id: 'msg_1', timestamp: '1800000000', signature: `v1,old ${signature}` },
      body,
      { nowSeconds: 1_800_000_000 },
    );

    // Assess
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(secret).toString()).toBe('0123456789abcdef0123456789abcdef');
    expect([ok, stale, otherId, rotated]).toEqual([true, false, false, true]);
  });
});
