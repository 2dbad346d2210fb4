import { deliverySettingsSchema } from '../../shared/delivery/settings.ts';
import { putDeliverySettings } from '../../shared/delivery/settings-store.ts';
import { etag, httpRoute } from '../../shared/platform/http.ts';
import { expectedVersion } from '../../shared/platform/preconditions.ts';

export const handler = httpRoute(
  { scope: 'admin', body: deliverySettingsSchema },
  async ({ body, headers, principal }) => {
    const stored = await putDeliverySettings(body, expectedVersion(headers), principal);
    return { status: 200, body: stored, headers: { ETag: etag(stored.version) } };
  },
);
