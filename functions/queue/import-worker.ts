import { importChunkMessage } from '../../events/schemas/index.ts';
import { processChunk } from '../../shared/imports/worker.ts';
import { sqsBatch } from '../../shared/platform/batch.ts';

export const handler = sqsBatch(importChunkMessage, async (message) => {
  await processChunk(message);
});
