import { campaignActionBody, campaignActionParams } from '../../shared/campaigns/schema.ts';
import { actOn } from '../../shared/campaigns/service.ts';
import { ValidationError } from '../../shared/platform/errors.ts';
import { etag, httpRoute } from '../../shared/platform/http.ts';
import { expectedVersion } from '../../shared/platform/preconditions.ts';
import { zodIssuesToFieldErrors } from '../../shared/platform/validation.ts';

export const handler = httpRoute(
  { scope: 'write', params: campaignActionParams },
  async ({ params, body, headers, principal }) => {
    // The body is optional (most actions take none); validated here so an empty POST is fine.
    const input = campaignActionBody.safeParse(body ?? {});
    if (!input.success) {
      throw new ValidationError(zodIssuesToFieldErrors(input.error.issues, ''));
    }
    // If-Match is optional here: pause and cancel must work without a fresh read.
    const version = headers['if-match'] === undefined ? undefined : expectedVersion(headers);
    const { campaign, result } = await actOn(
      params.campaignId,
      params.action,
      input.data,
      principal,
      version,
    );
    return {
      status: 200,
      body: result === undefined ? campaign : { campaign, result },
      headers: { ETag: etag(campaign.version) },
    };
  },
);
