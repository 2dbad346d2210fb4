import { etag, httpRoute } from '../../shared/platform/http.ts';
import { templateParams } from '../../shared/templates/schema.ts';
import { getTemplate } from '../../shared/templates/service.ts';

export const handler = httpRoute({ scope: 'read', params: templateParams }, async ({ params }) => {
  const template = await getTemplate(params.templateId);
  return { status: 200, body: template, headers: { ETag: etag(template.version) } };
});
