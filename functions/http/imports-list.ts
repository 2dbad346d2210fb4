import { importListQuery } from '../../shared/imports/schema.ts';
import { listImports } from '../../shared/imports/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'write', query: importListQuery }, async ({ query }) => ({
  status: 200,
  body: await listImports(query.limit, query.cursor),
}));
