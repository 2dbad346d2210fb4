import { confirm, FORM_TYPES, pageRequest } from '../../shared/consent/preferences.ts';
import { tokenParams } from '../../shared/consent/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'public', bodyTypes: FORM_TYPES, params: tokenParams }, (request) =>
  confirm(pageRequest(request)),
);
