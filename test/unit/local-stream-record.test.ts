import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { lambdaRecord } from '../../infra/local/stream-poller.ts';

const arn = 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000';

describe('a stream record as Lambda delivers it', () => {
  it('writes binary values in base64, times in epoch seconds, and keeps every attribute type', () => {
    // Prepare
    const record: StreamRecord = {
      eventID: 'e1',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'ddblocal',
      dynamodb: {
        ApproximateCreationDateTime: new Date('2026-01-01T00:00:30.000Z'),
        Keys: { pk: { S: 'c#1' } },
        NewImage: {
          pk: { S: 'c#1' },
          photo: { B: new Uint8Array([1, 2, 3]) },
          chunks: { BS: [new Uint8Array([255])] },
          nested: { M: { list: { L: [{ N: '1' }, { NULL: true }, { BOOL: false }] } } },
          tags: { SS: ['vip'] },
          // The SDK reads an empty map as {}.
          empty: {} as never,
        },
        OldImage: { pk: { S: 'c#1' } },
        SequenceNumber: '100',
        SizeBytes: 42,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };

    // Act
    const converted = lambdaRecord(record, arn);

    // Assess
    expect(converted).toEqual({
      eventID: 'e1',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        ApproximateCreationDateTime: 1767225630,
        Keys: { pk: { S: 'c#1' } },
        NewImage: {
          pk: { S: 'c#1' },
          photo: { B: 'AQID' },
          chunks: { BS: ['/w=='] },
          nested: { M: { list: { L: [{ N: '1' }, { NULL: true }, { BOOL: false }] } } },
          tags: { SS: ['vip'] },
          empty: { M: {} },
        },
        OldImage: { pk: { S: 'c#1' } },
        SequenceNumber: '100',
        SizeBytes: 42,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: arn,
    });
  });

  it('keeps the service identity of a TTL deletion', () => {
    // Prepare
    const record: StreamRecord = {
      eventName: 'REMOVE',
      dynamodb: { Keys: { pk: { S: 'e#1' } }, SequenceNumber: '7' },
      userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
    };

    // Act
    const converted = lambdaRecord(record, arn);

    // Assess
    expect(converted.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
  });
});
