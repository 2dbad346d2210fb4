import { suppressionParams } from '../../shared/consent/schema.ts';
import { getSuppression } from '../../shared/consent/suppression.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'read', params: suppressionParams }, async ({ params }) => ({
  status: 200,
  body: await getSuppression(params.channel, params.address),
}));
