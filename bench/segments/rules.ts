import { COMPLAINTS, LOYALTY } from './data.ts';

/** Twenty segments a Chinese tea retailer's marketing team would keep, as JSON rules. */
export const SEGMENTS: [string, unknown][] = [
  [
    'issue example: A-tier in Guangdong or Zhejiang, 2+ orders in 90 days but none in 30, SMS, no complaint',
    {
      and: [
        { tier: { abc: ['A'] } },
        { geo: { province: ['广东', '浙江'] } },
        { event: { type: 'order', within: { days: 90 }, atLeast: 2 } },
        { not: { event: { type: 'order', within: { days: 30 } } } },
        { consent: { channel: 'sms' } },
        { not: { segment: { id: COMPLAINTS } } },
      ],
    },
  ],
  ['VIPs of high value', { and: [{ tags: { any: ['vip'] } }, { tier: { value: ['high-value'] } }] }],
  [
    'at risk, churn above 0.6, reachable by promotional email',
    {
      and: [
        { tier: { lifecycle: ['at_risk'] } },
        { score: { name: 'churn', gt: 0.6 } },
        { consent: { channel: 'email', topic: 'promotions' } },
      ],
    },
  ],
  [
    'lapsed repeat buyers: 3+ orders, last more than 180 days ago',
    {
      and: [
        { attribute: { field: 'computed.orders', gte: 3 } },
        { eventTime: { type: 'order', which: 'last', moreThanDaysAgo: 180 } },
      ],
    },
  ],
  [
    'new sign-ups in the last 30 days who have not bought',
    {
      and: [{ attribute: { field: 'createdAt', withinLastDays: 30 } }, { not: { event: { type: 'order' } } }],
    },
  ],
  [
    'spent 5,000+ in the last year',
    { eventValue: { type: 'order', fn: 'sum', property: 'amount', within: { days: 365 }, gte: 5000 } },
  ],
  [
    'average order 800+ over 180 days',
    { eventValue: { type: 'order', fn: 'avg', property: 'amount', within: { days: 180 }, gte: 800 } },
  ],
  [
    'Shanghai or Beijing, ordered in the app in 60 days',
    {
      and: [
        { geo: { city: ['上海', '北京'] } },
        { event: { type: 'order', within: { days: 60 }, where: [{ property: 'channel', equals: 'app' }] } },
      ],
    },
  ],
  [
    'redeemed a coupon in 30 days, SMS opted in',
    { and: [{ event: { type: 'coupon_redeemed', within: { days: 30 } } }, { consent: { channel: 'sms' } }] },
  ],
  [
    'RFM champions',
    {
      and: [
        { score: { name: 'recency', gte: 4 } },
        { score: { name: 'frequency', gte: 4 } },
        { score: { name: 'monetary', gte: 4 } },
      ],
    },
  ],
  ['top CLV deciles', { score: { name: 'clvDecile', gte: 9 } }],
  [
    'women in Jiangsu, Zhejiang, Shanghai',
    {
      and: [
        { geo: { province: ['江苏', '浙江', '上海'] } },
        { attribute: { field: 'gender', equals: 'female' } },
      ],
    },
  ],
  [
    'within 30 km of People’s Square, 3+ page views in 7 days',
    {
      and: [
        { near: { lat: 31.2304, lon: 121.4737, km: 30 } },
        { event: { type: 'page_view', within: { days: 7 }, atLeast: 3 } },
      ],
    },
  ],
  ['wholesale B or C tier', { and: [{ tags: { any: ['wholesale'] } }, { tier: { abc: ['B', 'C'] } }] }],
  [
    'browsing (5+ views in 30 days) without an order in 90',
    {
      and: [
        { event: { type: 'page_view', within: { days: 30 }, atLeast: 5 } },
        { event: { type: 'order', within: { days: 90 }, atMost: 0 } },
      ],
    },
  ],
  [
    'loyal members who complained',
    {
      and: [
        { segment: { id: COMPLAINTS } },
        { segment: { id: LOYALTY } },
        { attribute: { field: 'computed.orders', gte: 5 } },
      ],
    },
  ],
  [
    'owned by sales-01..03, bought in the last 14 days',
    {
      and: [
        { attribute: { field: 'owner', in: ['sales-01', 'sales-02', 'sales-03'] } },
        { attribute: { field: 'computed.lastPurchaseDate', withinLastDays: 14 } },
      ],
    },
  ],
  [
    'promotional email, new or active, spent 100..2,000',
    {
      and: [
        { consent: { channel: 'email', topic: 'promotions' } },
        { tier: { lifecycle: ['new', 'active'] } },
        { attribute: { field: 'computed.revenue', between: [100, 2000] } },
      ],
    },
  ],
  [
    'tea lovers of member level 3+',
    {
      and: [
        { attribute: { field: 'attributes.memberLevel', gte: 3 } },
        {
          or: [
            { attribute: { field: 'attributes.favoriteCategory', equals: '茶叶' } },
            { tags: { any: ['茶叶爱好者'] } },
          ],
        },
      ],
    },
  ],
  [
    'win-back: lost or flagged for churn, SMS, no complaint, not unsubscribed',
    {
      and: [
        {
          or: [
            { tier: { lifecycle: ['lost'] } },
            { attribute: { field: 'scores.churn.flagged', equals: true } },
          ],
        },
        { consent: { channel: 'sms' } },
        { not: { segment: { id: COMPLAINTS } } },
        { tags: { none: ['unsubscribed-sms'] } },
      ],
    },
  ],
];
