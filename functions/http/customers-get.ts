import { customerIdParams } from '../../shared/customers/schema.ts';
import { getCustomer } from '../../shared/customers/service.ts';
import { etag, httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'read', params: customerIdParams }, async ({ params }) => {
  const customer = await getCustomer(params.customerId);
  // A merged-away id answers with its survivor; Content-Location says which resource this is.
  const moved = customer.id !== params.customerId;
  return {
    status: 200,
    body: customer,
    headers: {
      ETag: etag(customer.version),
      ...(moved && { 'Content-Location': `/v1/customers/${customer.id}` }),
    },
  };
});
