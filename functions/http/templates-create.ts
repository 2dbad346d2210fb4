import { etag, httpRoute } from '../../shared/platform/http.ts';
import { idempotency } from '../../shared/platform/idempotency.ts';
import { templateInputSchema } from '../../shared/templates/schema.ts';
import { createTemplate } from '../../shared/templates/service.ts';

export const handler = httpRoute(
  { scope: 'write', body: templateInputSchema },
  async ({ body, principal }) => {
    const template = await createTemplate(body, principal);
    return {
      status: 201,
      body: template,
      headers: { ETag: etag(template.version), Location: `/v1/templates/${template.id}` },
    };
  },
  [idempotency()],
);
