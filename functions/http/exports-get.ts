import { exportIdParams } from '../../shared/exports/schema.ts';
import { getExport } from '../../shared/exports/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'admin', params: exportIdParams }, async ({ params }) => ({
  status: 200,
  body: await getExport(params.exportId),
  // The body may carry a download link that must not sit in shared caches.
  headers: { 'cache-control': 'no-store' },
}));
