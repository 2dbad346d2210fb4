import { getConsents } from '../../shared/consent/service.ts';
import { customerIdParams } from '../../shared/customers/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'read', params: customerIdParams }, async ({ params }) => ({
  status: 200,
  body: await getConsents(params.customerId),
}));
