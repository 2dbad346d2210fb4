import { campaignListQuery } from '../../shared/campaigns/schema.ts';
import { listCampaigns } from '../../shared/campaigns/service.ts';
import { withClientCursor } from '../../shared/platform/cursor.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'read', query: campaignListQuery }, async ({ query }) => ({
  status: 200,
  body: await withClientCursor(query.cursor, () => listCampaigns(query)),
}));
