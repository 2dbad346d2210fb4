import { httpRoute } from '../../shared/platform/http.ts';
import { previewRule } from '../../shared/segments/preview.ts';
import { previewSchema } from '../../shared/segments/schema.ts';

export const handler = httpRoute({ scope: 'read', body: previewSchema }, async ({ body }) => ({
  status: 200,
  body: await previewRule(body.rule, body.sampleSize),
}));
