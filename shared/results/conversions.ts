import type { EventIngestedDetail } from '../../events/schemas/index.ts';
import { backoff } from '../platform/backoff.ts';
import { log } from '../platform/log.ts';
import { store } from '../store/service.ts';
import { type AttributionWindow, DEFAULT_WINDOW, lastTouch } from './attribution.ts';
import { counterAdds } from './feedback.ts';

const ATTEMPTS = 12;
const windows = new Map<string, { window: AttributionWindow; until: number }>();

/** A source's attribution window: its own when set (cached a minute per process), else the default. */
export async function attributionWindow(source: string): Promise<AttributionWindow> {
  const cached = windows.get(source);
  if (cached && cached.until > Date.now()) return cached.window;
  const item = (await store().entities.resultSettings.get({ source }).go()).data;
  const window = item ? { clickHours: item.clickHours, openHours: item.openHours } : DEFAULT_WINDOW;
  windows.set(source, { window, until: Date.now() + 60_000 });
  return window;
}

/** Sets a source's attribution window (campaigns call it with their settings). */
export async function setAttributionWindow(source: string, window: AttributionWindow): Promise<void> {
  await store()
    .entities.resultSettings.put({ source, ...window, updatedAt: new Date().toISOString() })
    .go();
  windows.delete(source);
}

/**
 * Credits an order to the message of the customer's last qualifying open or click (last touch), once
 * per order: the attribution record is created with attribute_not_exists in the same transaction that
 * counts the message's conversion (once per message) and adds the order's amount to its revenue.
 */
export async function attributeOrder(
  order: EventIngestedDetail,
): Promise<'attributed' | 'duplicate' | 'none'> {
  if (order.type !== 'order') return 'none';
  const { orderAttribution, messageOutcome } = store().entities;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    await backoff(attempt);
    const done = await orderAttribution
      .get({ customerId: order.customerId, eventId: order.eventId })
      .go({ consistent: true });
    if (done.data) return 'duplicate';
    const outcomes = (
      await messageOutcome.query.byMessage({ customerId: order.customerId }).go({ pages: 'all' })
    ).data;
    const touched = outcomes.filter((o) => o.lastClickAt || o.lastOpenAt || o.openedAt);
    const sources = new Map<string, AttributionWindow>();
    for (const o of touched)
      if (!sources.has(o.source)) sources.set(o.source, await attributionWindow(o.source));
    const best = lastTouch(touched, order.occurredAt, (source) => sources.get(source) ?? DEFAULT_WINDOW);
    if (!best) return 'none';
    const message = best.message;
    const converted = !(message.counted ?? []).includes('converted');
    const counts: Record<string, number> = {
      ...(converted && { converted: 1 }),
      ...(order.amount !== undefined &&
        order.amount > 0 && { [`revenue:${order.currency ?? 'XXX'}`]: order.amount }),
    };
    const dimensions = {
      source: message.source,
      run: message.run,
      variant: message.variant,
      tier: message.tier,
      channel: message.channel,
    };
    const key = { customerId: message.customerId, source: message.source, channel: message.channel };
    const result = await store()
      .transaction.write(({ orderAttribution: attribution, messageOutcome: outcome, resultCounter }) => [
        attribution
          .create({
            customerId: order.customerId,
            eventId: order.eventId,
            source: message.source,
            channel: message.channel,
            touch: best.touch,
            touchedAt: best.at,
            ...(order.amount !== undefined && { amount: order.amount }),
            ...(order.currency !== undefined && { currency: order.currency }),
            at: new Date().toISOString(),
          })
          .commit(),
        outcome
          .patch(key)
          .set({ updatedAt: new Date().toISOString() })
          .add({ version: 1, ...(converted && { counted: ['converted'] }) })
          .where(({ version }, { eq }) => eq(version, message.version))
          .commit(),
        ...counterAdds(resultCounter, dimensions, counts),
      ])
      .go();
    if (!result.canceled) return 'attributed';
    if (result.data[0]?.code === 'ConditionalCheckFailed') return 'duplicate';
    log.debug('attribution transaction collided; retrying', { codes: result.data.map((d) => d.code) });
  }
  throw new Error(`Could not attribute order event ${order.eventId}`);
}
