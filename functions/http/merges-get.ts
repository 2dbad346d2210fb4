import { getMerge } from '../../shared/customers/merge.ts';
import { mergeIdParams } from '../../shared/customers/merge-schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'admin', params: mergeIdParams }, async ({ params }) => ({
  status: 200,
  body: await getMerge(params.mergeId),
}));
