import { etag, httpRoute } from '../../shared/platform/http.ts';
import { readScoringSettings } from '../../shared/scoring/settings-store.ts';

export const handler = httpRoute({ scope: 'read' }, async () => {
  const stored = await readScoringSettings();
  return { status: 200, body: stored, headers: { ETag: etag(stored.version) } };
});
