import { apiKeyIdParams } from '../../shared/apikeys/schema.ts';
import { revokeApiKey } from '../../shared/apikeys/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'admin', params: apiKeyIdParams }, async ({ params }) => ({
  status: 200,
  body: await revokeApiKey(params.keyId),
}));
