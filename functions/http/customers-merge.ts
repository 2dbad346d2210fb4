import { mergeCustomers } from '../../shared/customers/merge.ts';
import { mergeRequestSchema } from '../../shared/customers/merge-schema.ts';
import { customerIdParams } from '../../shared/customers/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';
import { idempotency } from '../../shared/platform/idempotency.ts';
import { expectedVersion } from '../../shared/platform/preconditions.ts';

export const handler = httpRoute(
  { scope: 'admin', params: customerIdParams, body: mergeRequestSchema },
  async ({ params, body, headers, principal }) => {
    // If-Match is optional here: a merge re-reads every customer and writes under their versions anyway.
    const version = headers['if-match'] === undefined ? undefined : expectedVersion(headers);
    const outcome = await mergeCustomers(params.customerId, body, version, principal);
    if (outcome.dryRun) return { status: 200, body: outcome.preview };
    return {
      status: 202,
      body: outcome.job,
      headers: { Location: `/v1/merges/${outcome.job.id}` },
    };
  },
  [idempotency()],
);
