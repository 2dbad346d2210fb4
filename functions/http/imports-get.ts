import { importIdParams } from '../../shared/imports/schema.ts';
import { getImport } from '../../shared/imports/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'write', params: importIdParams }, async ({ params }) => ({
  status: 200,
  body: await getImport(params.importId),
}));
