import { etag, httpRoute } from '../../shared/platform/http.ts';
import { expectedVersion } from '../../shared/platform/preconditions.ts';
import { scoringSettingsSchema } from '../../shared/scoring/settings.ts';
import { putScoringSettings } from '../../shared/scoring/settings-store.ts';

export const handler = httpRoute(
  { scope: 'admin', body: scoringSettingsSchema },
  async ({ body, headers, principal }) => {
    const stored = await putScoringSettings(body, expectedVersion(headers), principal);
    return { status: 200, body: stored, headers: { ETag: etag(stored.version) } };
  },
);
