import { campaignCreateSchema } from '../../shared/campaigns/schema.ts';
import { createCampaign } from '../../shared/campaigns/service.ts';
import { etag, httpRoute } from '../../shared/platform/http.ts';
import { idempotency } from '../../shared/platform/idempotency.ts';

export const handler = httpRoute(
  { scope: 'write', body: campaignCreateSchema },
  async ({ body, principal }) => {
    const campaign = await createCampaign(body, principal);
    return { status: 201, body: campaign, headers: { ETag: etag(campaign.version) } };
  },
  [idempotency()],
);
