import { channelAdapters } from '../../shared/channels/index.ts';
import { sendTransactional, transactionalSourceId } from '../../shared/delivery/messages.ts';
import { messageSendSchema } from '../../shared/delivery/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';
import { idempotency } from '../../shared/platform/idempotency.ts';

export const handler = httpRoute(
  { scope: 'write', body: messageSendSchema },
  async ({ body, headers, principal }) => {
    const sourceId = transactionalSourceId(principal.keyId, headers['idempotency-key']);
    const result = await sendTransactional(body, sourceId, channelAdapters);
    const location = `/v1/customers/${body.customerId}/deliveries?source=${encodeURIComponent(result.source)}`;
    return {
      status: result.status === 'sent' ? 201 : result.status === 'deferred' ? 202 : 200,
      body: result,
      headers: { Location: location, 'Cohort-Outcome': result.status },
    };
  },
  [idempotency()],
);
