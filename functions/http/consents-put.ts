import { consentsPutSchema } from '../../shared/consent/schema.ts';
import { setConsents } from '../../shared/consent/service.ts';
import { customerIdParams } from '../../shared/customers/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'write', params: customerIdParams, body: consentsPutSchema },
  async ({ params, body, principal }) => {
    const { items, changed, confirmationSent } = await setConsents(
      params.customerId,
      body.consents,
      principal.keyId,
    );
    return { status: 200, body: { customerId: params.customerId, items, changed, confirmationSent } };
  },
);
