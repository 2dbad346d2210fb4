import { apiKeyCreateSchema } from '../../shared/apikeys/schema.ts';
import { createApiKey } from '../../shared/apikeys/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';
import { idempotency } from '../../shared/platform/idempotency.ts';

export const handler = httpRoute(
  { scope: 'admin', body: apiKeyCreateSchema },
  async ({ body, principal }) => {
    const { key, apiKey } = await createApiKey(body, principal.keyId);
    return { status: 201, body: { ...apiKey, key }, headers: { 'Cache-Control': 'no-store' } };
  },
  [idempotency()],
);
