import { suppressionParams, suppressionPutSchema } from '../../shared/consent/schema.ts';
import { putSuppression } from '../../shared/consent/suppression.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'write', params: suppressionParams, body: suppressionPutSchema },
  async ({ params, body }) => {
    const { suppression, created } = await putSuppression(params.channel, params.address, body);
    return { status: created ? 201 : 200, body: suppression };
  },
);
