import type { Subject, SubjectEvent } from '../../shared/segments/subject.ts';

/**
 * A deterministic population for the segment benchmark: customers of a Chinese retailer with
 * provinces and cities (and coordinates near them), tiers, RFM, CLV and churn scores, consents per
 * channel and topic, tags, a few custom attributes, and their orders, page views and coupon redemptions.
 * Every customer lives in Asia/Shanghai, as most of such a retailer's do.
 */

export const DAY = 86_400_000;
export const COMPLAINTS = '01JDC0MP1A1NTS000000000000';
export const LOYALTY = '01JD10YA1TYC1VB00000000000';

/** A small seeded generator (mulberry32), so every run builds the same population. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Province, weight, and cities with their coordinates. */
const PLACES: [string, number, [string, number, number][]][] = [
  [
    '广东',
    18,
    [
      ['广州', 23.13, 113.26],
      ['深圳', 22.54, 114.06],
      ['佛山', 23.02, 113.12],
      ['东莞', 23.02, 113.75],
    ],
  ],
  [
    '浙江',
    12,
    [
      ['杭州', 30.27, 120.15],
      ['宁波', 29.87, 121.54],
      ['温州', 28.0, 120.67],
    ],
  ],
  [
    '江苏',
    10,
    [
      ['南京', 32.06, 118.8],
      ['苏州', 31.3, 120.58],
      ['无锡', 31.49, 120.31],
    ],
  ],
  ['上海', 9, [['上海', 31.23, 121.47]]],
  ['北京', 8, [['北京', 39.9, 116.41]]],
  ['四川', 6, [['成都', 30.57, 104.07]]],
  ['湖北', 5, [['武汉', 30.59, 114.31]]],
  [
    '山东',
    7,
    [
      ['济南', 36.65, 117.12],
      ['青岛', 36.07, 120.38],
    ],
  ],
  [
    '福建',
    6,
    [
      ['福州', 26.07, 119.3],
      ['厦门', 24.48, 118.09],
    ],
  ],
  ['河南', 5, [['郑州', 34.75, 113.63]]],
];
const TOTAL_WEIGHT = PLACES.reduce((s, p) => s + p[1], 0);
const TAGS: [string, number][] = [
  ['vip', 0.08],
  ['wholesale', 0.04],
  ['复购', 0.2],
  ['新客', 0.15],
  ['unsubscribed-sms', 0.05],
  ['茶叶爱好者', 0.1],
];
const CHANNELS = ['app', 'store', 'web', 'mini-program'];
const CATEGORIES = ['茶叶', '茶具', '礼盒', '零食'];
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function ulid(rand: () => number, time: number): string {
  let out = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  for (let i = 0; i < 16; i++) out += CROCKFORD[Math.floor(rand() * 32)];
  return out;
}

const isoDay = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);

export function population(count: number, now: number, seed = 20261123): Subject[] {
  const rand = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const out: Subject[] = new Array(count);
  for (let i = 0; i < count; i++) {
    let w = rand() * TOTAL_WEIGHT;
    let place = PLACES[0] as (typeof PLACES)[number];
    for (const p of PLACES) {
      w -= p[1];
      if (w <= 0) {
        place = p;
        break;
      }
    }
    const [province, , cities] = place;
    const [city, lat, lon] = pick(cities);
    const createdAt = now - Math.floor(rand() * 1500 * DAY);
    const events: SubjectEvent[] = [];
    const buyer = rand();
    const orderCount = buyer < 0.3 ? 0 : Math.floor(-Math.log(1 - rand()) * 3);
    let revenue = 0;
    let last = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < orderCount; k++) {
      const at = now - Math.floor(rand() ** 2 * 730 * DAY) - Math.floor(rand() * DAY);
      const amount = Math.round(30 + Math.exp(rand() * 7) + rand() * 200);
      revenue += amount;
      last = Math.max(last, at);
      events.push({ type: 'order', at, properties: { amount, channel: pick(CHANNELS), currency: 'CNY' } });
    }
    const views = rand() < 0.5 ? Math.floor(rand() * 10) : 0;
    for (let k = 0; k < views; k++) {
      events.push({
        type: 'page_view',
        at: now - Math.floor(rand() * 60 * DAY),
        properties: { channel: 'web' },
      });
    }
    if (rand() < 0.2) {
      events.push({
        type: 'coupon_redeemed',
        at: now - Math.floor(rand() * 120 * DAY),
        properties: { channel: 'app' },
      });
    }
    const daysSinceLast = orderCount === 0 ? Number.POSITIVE_INFINITY : (now - last) / DAY;
    const abc = revenue > 3000 ? 'A' : revenue > 800 ? 'B' : 'C';
    const stage =
      orderCount === 0
        ? 'prospect'
        : daysSinceLast > 365
          ? 'lost'
          : daysSinceLast > 120
            ? 'at_risk'
            : orderCount === 1
              ? 'new'
              : orderCount >= 5
                ? 'loyal'
                : 'active';
    const quintile = (x: number) => Math.max(1, Math.min(5, Math.ceil(x * 5)));
    const churn =
      Math.round(Math.min(1, Math.max(0, daysSinceLast / 400 + (rand() - 0.5) * 0.3)) * 1000) / 1000;
    const consents: Record<string, 'opted_in' | 'opted_out' | 'pending'> = {};
    const sms = rand();
    if (sms < 0.5) consents['sms:*'] = 'opted_in';
    else if (sms < 0.7) consents['sms:*'] = 'opted_out';
    const email = rand();
    if (email < 0.4) consents['email:*'] = 'opted_in';
    else if (email < 0.5) consents['email:*'] = 'opted_out';
    const promo = rand();
    if (promo < 0.3) consents['email:promotions'] = 'opted_in';
    else if (promo < 0.45) consents['email:promotions'] = 'opted_out';
    else if (promo < 0.5) consents['email:promotions'] = 'pending';
    const segments: string[] = [];
    if (rand() < 0.03) segments.push(COMPLAINTS);
    if (rand() < 0.1) segments.push(LOYALTY);
    const tags = TAGS.filter(([, p]) => rand() < p).map(([t]) => t);
    const clv = Math.round(revenue * (1.2 - churn) * 100) / 100;
    out[i] = {
      id: ulid(rand, createdAt),
      profile: {
        name: `客户${i}`,
        gender: rand() < 0.55 ? 'female' : rand() < 0.9 ? 'male' : 'unknown',
        timeZone: 'Asia/Shanghai',
        address: { country: 'CN', province, city },
        tags,
        ...(rand() < 0.3 && { owner: `sales-${String(1 + Math.floor(rand() * 20)).padStart(2, '0')}` }),
        attributes: { memberLevel: Math.floor(rand() * 6), favoriteCategory: pick(CATEGORIES) },
        createdAt: new Date(createdAt).toISOString(),
      },
      computed: {
        currency: 'CNY',
        orders: orderCount,
        revenue,
        lastPurchaseDate: orderCount === 0 ? null : isoDay(last),
      },
      scores: {
        rfm: {
          recency: orderCount === 0 ? 1 : quintile(1 - Math.min(1, daysSinceLast / 730)),
          frequency: quintile(Math.min(1, orderCount / 10)),
          monetary: quintile(Math.min(1, revenue / 8000)),
        },
        abc,
        valueTier: abc === 'A' ? 'high-value' : abc === 'B' && churn < 0.5 ? 'potential' : 'ordinary',
        lifecycle: { stage },
        clv: { predicted: clv, decile: Math.max(1, Math.min(10, Math.ceil(clv / 800))) },
        churn: { score: churn, flagged: churn > 0.7 },
      },
      consents,
      events,
      segments,
      location: { lat: lat + (rand() - 0.5) * 0.6, lon: lon + (rand() - 0.5) * 0.6 },
    };
  }
  return out;
}
