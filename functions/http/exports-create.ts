import { exportCreateSchema } from '../../shared/exports/schema.ts';
import { createCustomersExport } from '../../shared/exports/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';
import { idempotency } from '../../shared/platform/idempotency.ts';

export const handler = httpRoute(
  { scope: 'admin', body: exportCreateSchema },
  async ({ body, principal }) => {
    const job = await createCustomersExport(body, principal);
    return { status: 202, body: job, headers: { location: `/v1/exports/${job.id}` } };
  },
  [idempotency()],
);
