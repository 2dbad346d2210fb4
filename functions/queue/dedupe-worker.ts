import { dedupeMessage } from '../../events/schemas/index.ts';
import { runStep } from '../../shared/customers/dedupe/scan.ts';
import { sqsBatch } from '../../shared/platform/batch.ts';

export const handler = sqsBatch(dedupeMessage, runStep);
