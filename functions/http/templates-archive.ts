import { etag, httpRoute } from '../../shared/platform/http.ts';
import { expectedVersion } from '../../shared/platform/preconditions.ts';
import { templateParams } from '../../shared/templates/schema.ts';
import { archiveTemplate } from '../../shared/templates/service.ts';

export const handler = httpRoute(
  { scope: 'write', params: templateParams },
  async ({ params, headers, principal }) => {
    const template = await archiveTemplate(params.templateId, expectedVersion(headers), principal);
    return { status: 200, body: template, headers: { ETag: etag(template.version) } };
  },
);
