import { campaignIdParams } from '../../shared/campaigns/schema.ts';
import { campaignAuditTrail } from '../../shared/campaigns/service.ts';
import { auditQuery } from '../../shared/customers/schema.ts';
import { withClientCursor } from '../../shared/platform/cursor.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'read', params: campaignIdParams, query: auditQuery },
  async ({ params, query }) => ({
    status: 200,
    body: await withClientCursor(query.cursor, () =>
      campaignAuditTrail(params.campaignId, query.limit, query.cursor),
    ),
  }),
);
