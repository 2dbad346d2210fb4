import { pageRequest, showConfirm } from '../../shared/consent/preferences.ts';
import { tokenParams } from '../../shared/consent/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'public', params: tokenParams }, (request) =>
  showConfirm(pageRequest(request)),
);
