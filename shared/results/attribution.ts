/**
 * Conversion attribution, last touch: an order is credited to the single latest open or click before it
 * that is still inside its window (per source: by default 72 hours after a click, 24 hours after an open).
 * A click and an open of the same message are two touches of it; the latest qualifying one wins, whoever
 * sent it. Pure, so the rule is tested without a table.
 */

export interface AttributionWindow {
  clickHours: number;
  openHours: number;
}

export const DEFAULT_WINDOW: AttributionWindow = { clickHours: 72, openHours: 24 };

export interface Touchable {
  source: string;
  /** The first open: it may be the qualifying one when the latest open came after the order. */
  openedAt?: string | undefined;
  lastOpenAt?: string | undefined;
  lastClickAt?: string | undefined;
}

export interface Touch<T> {
  message: T;
  touch: 'open' | 'click';
  at: string;
}

/** The latest touch at or before `orderAt` and within its source's window, or undefined. */
export function lastTouch<T extends Touchable>(
  messages: readonly T[],
  orderAt: string,
  windowOf: (source: string) => AttributionWindow,
): Touch<T> | undefined {
  const order = Date.parse(orderAt);
  let best: Touch<T> | undefined;
  for (const message of messages) {
    const window = windowOf(message.source);
    const candidates: ['open' | 'click', string | undefined, number][] = [
      ['click', message.lastClickAt, window.clickHours],
      ['open', message.lastOpenAt, window.openHours],
      ['open', message.openedAt, window.openHours],
    ];
    for (const [touch, at, hours] of candidates) {
      if (!at) continue;
      const t = Date.parse(at);
      if (t > order || order - t > hours * 3_600_000) continue;
      // Ties go to the click: it is the stronger signal of the same moment.
      if (!best || t > Date.parse(best.at) || (t === Date.parse(best.at) && touch === 'click')) {
        best = { message, touch, at };
      }
    }
  }
  return best;
}
