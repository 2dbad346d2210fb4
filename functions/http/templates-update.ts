import { etag, httpRoute } from '../../shared/platform/http.ts';
import { expectedVersion } from '../../shared/platform/preconditions.ts';
import { templateInputSchema, templateParams } from '../../shared/templates/schema.ts';
import { updateTemplate } from '../../shared/templates/service.ts';

export const handler = httpRoute(
  { scope: 'write', params: templateParams, body: templateInputSchema },
  async ({ params, body, headers, principal }) => {
    const template = await updateTemplate(params.templateId, body, expectedVersion(headers), principal);
    return { status: 200, body: template, headers: { ETag: etag(template.version) } };
  },
);
