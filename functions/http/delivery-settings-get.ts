import { readDeliverySettings } from '../../shared/delivery/settings-store.ts';
import { etag, httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'read' }, async () => {
  const stored = await readDeliverySettings();
  return { status: 200, body: stored, headers: { ETag: etag(stored.version) } };
});
