import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { sqsClient } from '../platform/sqs.ts';

/**
 * Moves messages from a dead-letter queue back to its source queue: sent first, deleted after, so a
 * crash in between replays a message twice at worst — which the planner's markers and the send gate's
 * ledger absorb. Returns how many were moved; stops when the DLQ answers empty or after `max`.
 */
export async function replayDeadLetters(dlqUrl: string, targetUrl: string, max = Number.POSITIVE_INFINITY) {
  let moved = 0;
  while (moved < max) {
    const { Messages } = await sqsClient().send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - moved),
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
      }),
    );
    if (!Messages?.length) break;
    const sent = await sqsClient().send(
      new SendMessageBatchCommand({
        QueueUrl: targetUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '' })),
      }),
    );
    const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)));
    const entries = Messages.flatMap((m, i) =>
      ok.has(i) && m.ReceiptHandle ? [{ Id: String(i), ReceiptHandle: m.ReceiptHandle }] : [],
    );
    if (entries.length > 0) {
      await sqsClient().send(new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: entries }));
    }
    moved += entries.length;
  }
  return moved;
}
