import { eraseCustomer } from '../../shared/customers/erasure.ts';
import { customerIdParams } from '../../shared/customers/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'admin', params: customerIdParams },
  async ({ params, principal }) => {
    const erasure = await eraseCustomer(params.customerId, principal);
    return {
      status: 202,
      body: { id: params.customerId, ...erasure },
    };
  },
);
