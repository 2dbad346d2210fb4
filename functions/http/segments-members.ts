import { httpRoute } from '../../shared/platform/http.ts';
import { membersQuery, segmentIdParams } from '../../shared/segments/schema.ts';
import { listMembers } from '../../shared/segments/service.ts';

export const handler = httpRoute(
  { scope: 'read', params: segmentIdParams, query: membersQuery },
  async ({ params, query }) => ({ status: 200, body: await listMembers(params.segmentId, query) }),
);
