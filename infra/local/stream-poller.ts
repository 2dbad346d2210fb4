import { DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  type AttributeValue,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type ShardIteratorType,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent, AttributeValue as LambdaAttributeValue } from 'aws-lambda';
import { localCredentials, localRegion, sleep } from './aws-constants.ts';
import type { CheckpointStore } from './checkpoints.ts';
import type { LambdaHost } from './lambda.ts';
import type { Logger } from './log.ts';
import { batchItemFailures, type Poller } from './queue-poller.ts';

/**
 * The DynamoDB Streams event source mapping: reads every shard of the table's stream (parents before
 * children, new shards as they appear), hands records to the function in batches, and on failure retries
 * from the first failed record (ReportBatchItemFailures) up to `retryAttempts` times before skipping,
 * as Lambda does with MaximumRetryAttempts. Positions are checkpointed so a restart resumes.
 */

export interface StreamPollerOptions {
  host: LambdaHost;
  functionName: string;
  batchSize: number;
  startingPosition: 'LATEST' | 'TRIM_HORIZON';
  tableName: string;
  dynamodbEndpoint: string;
  checkpoints: CheckpointStore;
  log: Logger;
  retryAttempts?: number;
  /** Pause when no shard had records. Short: the change-to-bus latency is measured. */
  idleDelayMs?: number;
}

interface ShardState {
  shardId: string;
  parentShardId: string | undefined;
  iterator: string | undefined;
  position: { type: ShardIteratorType; sequenceNumber?: string };
  finished: boolean;
}

const shardRefreshMs = 1_000;

export interface StreamPoller extends Poller {
  /**
   * The start of the latest pass over the stream that found every open shard empty: each change written
   * before it has been handed to the function and the invocation has finished (tests wait on it).
   */
  caughtUpAt(): number | undefined;
}

/** Resolves once the current shards are positioned, so a write made after it is seen. */
export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const { host, functionName, checkpoints, log } = options;
  const retryAttempts = options.retryAttempts ?? 3;
  const idleDelayMs = options.idleDelayMs ?? 100;
  const config = { endpoint: options.dynamodbEndpoint, region: localRegion, credentials: localCredentials };
  const streams = new DynamoDBStreamsClient(config);
  const stopping = new AbortController();

  const streamArn = await latestStreamArn(config, options.tableName);
  const lambdaSourceArn = streamArn.replace(
    /^arn:aws:dynamodb:ddblocal:/,
    `arn:aws:dynamodb:${localRegion}:`,
  );
  const saved = checkpoints.read(functionName, streamArn);
  const shards = new Map<string, ShardState>();
  let lastRefresh = 0;

  function addShard(shard: Shard, firstStart: boolean) {
    const shardId = shard.ShardId;
    if (!shardId || shards.has(shardId)) return;
    const savedShard = saved?.[shardId];
    const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
    let position: ShardState['position'] = { type: 'TRIM_HORIZON' };
    let finished = false;
    if (savedShard?.finished) finished = true;
    else if (savedShard?.sequenceNumber) {
      position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: savedShard.sequenceNumber };
    } else if (firstStart && !saved && options.startingPosition === 'LATEST') {
      // LATEST at the first start: closed shards hold only the past, open ones are read from now on.
      finished = closed;
      position = { type: 'LATEST' };
    }
    shards.set(shardId, {
      shardId,
      parentShardId: shard.ParentShardId,
      iterator: undefined,
      position,
      finished,
    });
  }

  async function refreshShards(firstStart: boolean) {
    lastRefresh = Date.now();
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({
          StreamArn: streamArn,
          ...(exclusiveStartShardId && { ExclusiveStartShardId: exclusiveStartShardId }),
        }),
      );
      for (const shard of StreamDescription?.Shards ?? []) addShard(shard, firstStart);
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
  }

  async function positionIterator(shard: ShardState) {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.shardId,
        ShardIteratorType: shard.position.type,
        ...(shard.position.sequenceNumber && { SequenceNumber: shard.position.sequenceNumber }),
      }),
    );
    shard.iterator = ShardIterator;
    if (!ShardIterator) shard.finished = true;
  }

  function readyToRead(shard: ShardState): boolean {
    if (shard.finished) return false;
    const parent = shard.parentShardId ? shards.get(shard.parentShardId) : undefined;
    return !parent || parent.finished;
  }

  /** Reads one page from the shard; returns whether it had records (or could not be read this time). */
  async function readShard(shard: ShardState): Promise<boolean> {
    if (!shard.iterator) await positionIterator(shard);
    if (!shard.iterator) return false;
    let page: { Records?: StreamRecord[]; NextShardIterator?: string };
    try {
      page = await streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }));
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') {
        if (name === 'TrimmedDataAccessException') shard.position = { type: 'TRIM_HORIZON' };
        shard.iterator = undefined;
        // Not read: this pass must not count as caught up.
        return true;
      }
      throw error;
    }
    const records = page.Records ?? [];
    for (let i = 0; i < records.length && !stopping.signal.aborted; i += options.batchSize) {
      await deliver(shard, records.slice(i, i + options.batchSize));
    }
    if (stopping.signal.aborted) return records.length > 0;
    shard.iterator = page.NextShardIterator;
    if (!page.NextShardIterator) {
      shard.finished = true;
      checkpoints.write(functionName, streamArn, shard.shardId, { finished: true });
    }
    return records.length > 0;
  }

  async function deliver(shard: ShardState, batch: StreamRecord[]) {
    let pending = batch.map((r) => lambdaRecord(r, lambdaSourceArn));
    for (let attempt = 0; pending.length > 0 && !stopping.signal.aborted; attempt++) {
      const failedFrom = await invokeBatch(pending);
      const succeeded = failedFrom === undefined ? pending : pending.slice(0, failedFrom);
      const lastDone = succeeded.at(-1)?.dynamodb?.SequenceNumber;
      if (lastDone) advance(shard, lastDone);
      if (failedFrom === undefined) return;
      pending = pending.slice(failedFrom);
      if (attempt >= retryAttempts) {
        const skipped = pending.map((r) => r.dynamodb?.SequenceNumber).join(', ');
        log.error(`${functionName} kept failing; skipping ${pending.length} stream records (${skipped})`);
        const lastSkipped = pending.at(-1)?.dynamodb?.SequenceNumber;
        if (lastSkipped) advance(shard, lastSkipped);
        return;
      }
      await sleep(200 * 2 ** attempt, stopping.signal);
    }
  }

  /** Undefined when the whole batch succeeded, else the index of the first record to retry. */
  async function invokeBatch(records: DynamoDBRecord[]): Promise<number | undefined> {
    const event: DynamoDBStreamEvent = { Records: records };
    const sequenceNumbers = records.map((r) => r.dynamodb?.SequenceNumber ?? '');
    let result: unknown;
    try {
      result = await host.invoke(functionName, event);
    } catch (error) {
      log.error(`${functionName} failed on ${records.length} stream records; retrying the batch`, error);
      return 0;
    }
    const failures = batchItemFailures(result, sequenceNumbers);
    if (failures === 'invalid') {
      log.error(`${functionName} returned batchItemFailures that name no record of the batch; retrying all`);
      return 0;
    }
    if (failures.size === 0) return undefined;
    return Math.min(...[...failures].map((id) => sequenceNumbers.indexOf(id)));
  }

  function advance(shard: ShardState, sequenceNumber: string) {
    shard.position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber };
    checkpoints.write(functionName, streamArn, shard.shardId, { sequenceNumber });
  }

  await refreshShards(true);
  for (const shard of shards.values()) {
    if (!shard.finished && shard.position.type === 'LATEST') await positionIterator(shard);
  }

  let consecutiveErrors = 0;
  let caughtUpAt: number | undefined;
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        if (Date.now() - lastRefresh > shardRefreshMs) await refreshShards(false);
        // A pass counts as caught up only if it read every open shard (none waited on its parent), saw
        // no records, and the shard list was read before it began.
        const passStarted = Math.min(Date.now(), lastRefresh);
        let busy = false;
        let skipped = false;
        for (const shard of shards.values()) {
          if (stopping.signal.aborted) break;
          if (!readyToRead(shard)) skipped ||= !shard.finished;
          else if (await readShard(shard)) busy = true;
        }
        consecutiveErrors = 0;
        if (!busy && !skipped && !stopping.signal.aborted) caughtUpAt = passStarted;
        if (!busy) await sleep(idleDelayMs, stopping.signal);
      } catch (error) {
        if (stopping.signal.aborted) break;
        consecutiveErrors++;
        if (consecutiveErrors % 30 === 1)
          log.error(`Reading the stream of ${options.tableName} for ${functionName} failed`, error);
        await sleep(Math.min(500 * consecutiveErrors, 5_000), stopping.signal);
      }
    }
  })();

  return {
    caughtUpAt: () => caughtUpAt,
    async stop() {
      stopping.abort();
      await loop;
      checkpoints.flush();
      streams.destroy();
    },
  };
}

async function latestStreamArn(config: DynamoDBClientConfig, tableName: string): Promise<string> {
  const client = new DynamoDBClient(config);
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!Table?.LatestStreamArn) throw new Error(`Table ${tableName} has no stream`);
    return Table.LatestStreamArn;
  } finally {
    client.destroy();
  }
}

/** A stream record as Lambda delivers it: times in epoch seconds, binary values in base64. */
export function lambdaRecord(record: StreamRecord, eventSourceARN: string): DynamoDBRecord {
  const change = record.dynamodb ?? {};
  const created = change.ApproximateCreationDateTime;
  return {
    ...(record.eventID && { eventID: record.eventID }),
    ...(record.eventName && { eventName: record.eventName }),
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: localRegion,
    dynamodb: {
      ...(created && { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) }),
      ...(change.Keys && { Keys: lambdaImage(change.Keys) }),
      ...(change.NewImage && { NewImage: lambdaImage(change.NewImage) }),
      ...(change.OldImage && { OldImage: lambdaImage(change.OldImage) }),
      ...(change.SequenceNumber && { SequenceNumber: change.SequenceNumber }),
      ...(change.SizeBytes !== undefined && { SizeBytes: change.SizeBytes }),
      ...(change.StreamViewType && { StreamViewType: change.StreamViewType }),
    },
    eventSourceARN,
    ...(record.userIdentity?.Type &&
      record.userIdentity.PrincipalId && {
        userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId },
      }),
  };
}

function lambdaImage(image: Record<string, AttributeValue>): Record<string, LambdaAttributeValue> {
  const converted: Record<string, LambdaAttributeValue> = {};
  for (const [name, value] of Object.entries(image)) converted[name] = lambdaAttribute(value);
  return converted;
}

function lambdaAttribute(value: AttributeValue): LambdaAttributeValue {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(lambdaAttribute) };
  if (value.M !== undefined) return { M: lambdaImage(value.M) };
  // The SDK reads an empty map `{"M":{}}` as `{}`: nothing else arrives without a type.
  if (Object.keys(value).length === 0) return { M: {} };
  throw new Error(`A stream record holds an attribute of unknown type ${Object.keys(value).join(', ')}`);
}
