import { parseArgs } from 'node:util';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';

/**
 * `npm run replay-dlq -- --queue send`: moves the messages of a queue's dead-letter queue back to the
 * queue (after the cause is fixed). The queue is found by name (`<queue>` and `<queue>-dlq` locally, or
 * `--queue-url`/`--dlq-url` for the deployed stage's queues, which the stack outputs and the console
 * show). Safe to repeat: the planner's page markers and the send gate's ledger make a replayed message
 * do nothing twice. Exit code 0 on success, 2 on a usage error.
 */
const help = `Replays a dead-letter queue into its queue.

Usage: npm run replay-dlq -- --queue send|campaign-plan [--max N]
       npm run replay-dlq -- --queue-url <url> --dlq-url <url> [--max N]

  --endpoint <url>   SQS endpoint (the local stack's, e.g. http://127.0.0.1:9324); default: AWS
  --max <n>          at most this many messages (default all)
  -h, --help`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      queue: { type: 'string' },
      'queue-url': { type: 'string' },
      'dlq-url': { type: 'string' },
      endpoint: { type: 'string' },
      max: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (values.endpoint) process.env.SQS_ENDPOINT = values.endpoint;
  const { sqsClient } = await import('../../shared/platform/sqs.ts');
  const { replayDeadLetters } = await import('../../shared/campaigns/dlq.ts');
  let queueUrl = values['queue-url'];
  let dlqUrl = values['dlq-url'];
  if (values.queue) {
    const url = async (name: string) =>
      (await sqsClient().send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
    queueUrl ??= await url(values.queue);
    dlqUrl ??= await url(`${values.queue}-dlq`);
  }
  if (!queueUrl || !dlqUrl) {
    console.error(help);
    return 2;
  }
  const max = values.max ? Number(values.max) : Number.POSITIVE_INFINITY;
  if (Number.isNaN(max) || max < 1) {
    console.error('--max must be a positive number');
    return 2;
  }
  const moved = await replayDeadLetters(dlqUrl, queueUrl, max);
  console.log(`Replayed ${moved} message(s) from ${dlqUrl} to ${queueUrl}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
