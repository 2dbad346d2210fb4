import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Where each stream consumer got to, per shard, so a restarted stack neither replays nor skips the
 * stream. Kept in a small JSON file in the data folder; in memory only when the stack has no folder.
 */

export interface ShardCheckpoint {
  /** The last sequence number handed to the function (or skipped after its retries). */
  sequenceNumber?: string;
  /** The shard was closed and read to its end. */
  finished?: boolean;
}

interface ConsumerCheckpoint {
  streamArn: string;
  shards: Record<string, ShardCheckpoint>;
}

export interface CheckpointStore {
  /** The consumer's shards, or undefined when it has none for this stream (first start, or a new table). */
  read(consumer: string, streamArn: string): Record<string, ShardCheckpoint> | undefined;
  write(consumer: string, streamArn: string, shardId: string, checkpoint: ShardCheckpoint): void;
  flush(): void;
}

export function createCheckpointStore(file?: string): CheckpointStore {
  let state: Record<string, ConsumerCheckpoint> = {};
  if (file) {
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as Record<string, ConsumerCheckpoint>;
    } catch {
      state = {};
    }
  }
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;

  function flush() {
    clearTimeout(timer);
    timer = undefined;
    if (!file || !dirty) return;
    dirty = false;
    mkdirSync(dirname(file), { recursive: true });
    // Write then rename, so a crash mid-write leaves the previous checkpoint, not half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
    renameSync(`${file}.tmp`, file);
  }

  return {
    read(consumer, streamArn) {
      const checkpoint = state[consumer];
      return checkpoint?.streamArn === streamArn ? checkpoint.shards : undefined;
    },
    write(consumer, streamArn, shardId, checkpoint) {
      const current = state[consumer];
      const consumerState = current?.streamArn === streamArn ? current : { streamArn, shards: {} };
      consumerState.shards[shardId] = { ...consumerState.shards[shardId], ...checkpoint };
      state[consumer] = consumerState;
      dirty = true;
      if (file && !timer) {
        timer = setTimeout(flush, 500);
        timer.unref();
      }
    },
    flush,
  };
}
