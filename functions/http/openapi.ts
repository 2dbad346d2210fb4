import { openApiDocument } from '../../shared/api/openapi.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'public' }, async () => ({
  status: 200,
  body: openApiDocument(),
  headers: { 'content-type': 'application/vnd.oai.openapi+json;version=3.1', 'cache-control': 'max-age=300' },
}));
