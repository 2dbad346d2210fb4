import { getScan } from '../../shared/customers/dedupe/scan.ts';
import { scanIdParams } from '../../shared/customers/dedupe/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'read', params: scanIdParams }, async ({ params }) => ({
  status: 200,
  body: await getScan(params.scanId),
}));
