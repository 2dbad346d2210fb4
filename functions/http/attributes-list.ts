import { listAttributes } from '../../shared/customers/attributes.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'read' }, async () => ({
  status: 200,
  body: { items: await listAttributes() },
}));
