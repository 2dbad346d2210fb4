import { startScan } from '../../shared/customers/dedupe/scan.ts';
import { scanStartSchema } from '../../shared/customers/dedupe/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';
import { idempotency } from '../../shared/platform/idempotency.ts';

export const handler = httpRoute(
  { scope: 'admin', body: scanStartSchema },
  async ({ body, principal }) => {
    const scan = await startScan(body, principal);
    return { status: 202, body: scan, headers: { Location: `/v1/duplicates/scans/${scan.id}` } };
  },
  [idempotency()],
);
