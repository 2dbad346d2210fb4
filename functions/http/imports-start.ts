import { importIdParams } from '../../shared/imports/schema.ts';
import { startImport } from '../../shared/imports/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'write', params: importIdParams }, async ({ params }) => ({
  status: 202,
  body: await startImport(params.importId),
  headers: { Location: `/v1/imports/${params.importId}` },
}));
