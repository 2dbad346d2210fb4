import { httpRoute } from '../../shared/platform/http.ts';
import { templateListQuery } from '../../shared/templates/schema.ts';
import { listTemplates } from '../../shared/templates/service.ts';

export const handler = httpRoute({ scope: 'read', query: templateListQuery }, async ({ query }) => ({
  status: 200,
  body: await listTemplates(query.status, query.limit, query.cursor),
}));
