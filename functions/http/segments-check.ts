import { httpRoute } from '../../shared/platform/http.ts';
import { segmentMemberParams } from '../../shared/segments/schema.ts';
import { checkMember } from '../../shared/segments/service.ts';

export const handler = httpRoute({ scope: 'read', params: segmentMemberParams }, async ({ params }) => ({
  status: 200,
  body: await checkMember(params.segmentId, params.customerId),
}));
