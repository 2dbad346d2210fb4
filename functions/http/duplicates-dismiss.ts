import { dismissalView, dismissPair } from '../../shared/customers/dedupe/candidates.ts';
import { pairIdParams } from '../../shared/customers/dedupe/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'write', params: pairIdParams }, async ({ params, principal }) => {
  const { dismissal, created } = await dismissPair(params.pairId, principal);
  return { status: created ? 201 : 200, body: dismissalView(dismissal) };
});
