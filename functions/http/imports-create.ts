import { importCreateSchema } from '../../shared/imports/schema.ts';
import { createImport } from '../../shared/imports/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';
import { idempotency } from '../../shared/platform/idempotency.ts';

export const handler = httpRoute(
  { scope: 'write', body: importCreateSchema },
  async ({ body, principal }) => {
    const job = await createImport(body, principal);
    return {
      status: 201,
      body: job,
      // The upload URL is a bearer credential for the object until it expires.
      headers: { Location: `/v1/imports/${job.id}`, 'Cache-Control': 'no-store' },
    };
  },
  [idempotency()],
);
