import { suppressionParams } from '../../shared/consent/schema.ts';
import { deleteSuppression } from '../../shared/consent/suppression.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'admin', params: suppressionParams }, async ({ params }) => {
  await deleteSuppression(params.channel, params.address);
  return { status: 204 };
});
