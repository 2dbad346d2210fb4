import { listCustomers } from '../../shared/customers/list.ts';
import { customerListQuery } from '../../shared/customers/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'read', query: customerListQuery }, async ({ query }) => ({
  status: 200,
  body: await listCustomers(query),
}));
