import { customerIdParams } from '../../shared/customers/schema.ts';
import { getCustomer } from '../../shared/customers/service.ts';
import { etag, httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'read', params: customerIdParams }, async ({ params }) => {
  const customer = await getCustomer(params.customerId);
  return { status: 200, body: customer, headers: { ETag: etag(customer.version) } };
});
