import { campaignIdParams } from '../../shared/campaigns/schema.ts';
import { getCampaign } from '../../shared/campaigns/service.ts';
import { etag, httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'read', params: campaignIdParams }, async ({ params }) => {
  const { campaign, run } = await getCampaign(params.campaignId);
  return {
    status: 200,
    body: { ...campaign, ...(run && { run }) },
    headers: { ETag: etag(campaign.version) },
  };
});
