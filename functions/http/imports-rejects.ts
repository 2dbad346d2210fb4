import { rejectsCsv } from '../../shared/imports/rejects.ts';
import { importIdParams, rejectsQuery } from '../../shared/imports/schema.ts';
import { getImport } from '../../shared/imports/service.ts';
import { withClientCursor } from '../../shared/platform/cursor.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'write', params: importIdParams, query: rejectsQuery },
  async ({ params, query }) => {
    await getImport(params.importId); // 404 for an unknown job rather than an empty list
    const page = await withClientCursor(query.cursor, () =>
      rejectsCsv(params.importId, query.limit, query.cursor),
    );
    const headers: Record<string, string> = {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="import-${params.importId}-rejects.csv"`,
      // Rejected rows hold personal data.
      'Cache-Control': 'no-store',
    };
    if (page.next) {
      const next = `/v1/imports/${params.importId}/rejects?limit=${query.limit}&cursor=${encodeURIComponent(page.next)}`;
      headers.Link = `<${next}>; rel="next"`;
      headers['Cohort-Next-Cursor'] = page.next;
    }
    return { status: 200, body: page.csv, headers };
  },
);
