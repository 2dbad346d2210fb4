import { listDuplicates } from '../../shared/customers/dedupe/candidates.ts';
import { duplicatesQuery } from '../../shared/customers/dedupe/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'read', query: duplicatesQuery }, async ({ query }) => ({
  status: 200,
  body: await listDuplicates(query),
}));
