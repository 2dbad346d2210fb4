import { campaignIdParams, campaignPatchSchema } from '../../shared/campaigns/schema.ts';
import { patchCampaign } from '../../shared/campaigns/service.ts';
import { etag, httpRoute } from '../../shared/platform/http.ts';
import { expectedVersion } from '../../shared/platform/preconditions.ts';

export const handler = httpRoute(
  {
    scope: 'write',
    params: campaignIdParams,
    body: campaignPatchSchema,
    bodyTypes: ['application/merge-patch+json'],
  },
  async ({ params, body, headers, principal }) => {
    const campaign = await patchCampaign(params.campaignId, body, expectedVersion(headers), principal);
    return { status: 200, body: campaign, headers: { ETag: etag(campaign.version) } };
  },
);
