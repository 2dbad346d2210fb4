import { httpRoute } from '../../shared/platform/http.ts';
import { templateParams, templateRenderSchema } from '../../shared/templates/schema.ts';
import { renderForCustomer } from '../../shared/templates/service.ts';

export const handler = httpRoute(
  { scope: 'read', params: templateParams, body: templateRenderSchema },
  async ({ params, body }) => ({ status: 200, body: await renderForCustomer(params.templateId, body) }),
);
