import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { type Random, seededRandom } from './prng.ts';

/**
 * The demo data set: customers of a tea-and-lifestyle retailer, mostly in mainland China, some abroad,
 * with ~15 months of orders, refunds and interactions. Deterministic: the same seed, size and day give
 * the same data, and customer n is the same whatever the size (a smaller set is a prefix of a larger).
 * Emails use example.* domains; phone numbers are random (valid as numbers) and must never be messaged
 * outside the local stack.
 */

export interface DemoCustomer {
  externalId: string;
  email?: string;
  phone?: string;
  name: string;
  givenName: string;
  familyName: string;
  gender: 'female' | 'male' | 'other' | 'unknown';
  birthday?: { date: string; calendar: 'gregorian' | 'lunar' };
  locale: string;
  timeZone: string;
  address: { country: string; province?: string; city?: string };
  tags: string[];
  sourceChannel: string;
  owner?: string;
}

export interface DemoOrderLine {
  sku: string;
  name: string;
  category: string;
  quantity: number;
  unitPrice: number;
}

export interface DemoOrder {
  id: string;
  customer: { externalId: string };
  occurredAt: string;
  amount: number;
  currency: 'CNY';
  items: DemoOrderLine[];
  channel: string;
}

export interface DemoEvent {
  id: string;
  type: string;
  customer: { externalId: string };
  occurredAt: string;
  properties?: Record<string, string | number>;
  orderId?: string;
  amount?: number;
  currency?: 'CNY';
}

export interface DemoDataSet {
  customers: DemoCustomer[];
  orders: DemoOrder[];
  events: DemoEvent[];
}

export interface DemoOptions {
  customers?: number;
  seed?: string;
  /** The data ends the day before this; defaults to today (UTC). */
  today?: Date;
}

export const defaultDemoCustomers = 3_000;
const historyDays = 456; // ~15 months

const surnames: readonly (readonly [string, string, number])[] = [
  ['王', 'wang', 7.2],
  ['李', 'li', 7.0],
  ['张', 'zhang', 6.7],
  ['刘', 'liu', 5.4],
  ['陈', 'chen', 4.5],
  ['杨', 'yang', 3.1],
  ['黄', 'huang', 2.2],
  ['赵', 'zhao', 2.0],
  ['吴', 'wu', 1.9],
  ['周', 'zhou', 1.9],
  ['徐', 'xu', 1.3],
  ['孙', 'sun', 1.3],
  ['马', 'ma', 1.2],
  ['朱', 'zhu', 1.1],
  ['胡', 'hu', 1.0],
  ['郭', 'guo', 1.0],
  ['何', 'he', 0.9],
  ['林', 'lin', 0.9],
  ['罗', 'luo', 0.8],
  ['高', 'gao', 0.8],
  ['郑', 'zheng', 0.7],
  ['梁', 'liang', 0.7],
  ['谢', 'xie', 0.6],
  ['唐', 'tang', 0.5],
  ['韩', 'han', 0.5],
  ['冯', 'feng', 0.4],
  ['邓', 'deng', 0.4],
  ['曹', 'cao', 0.4],
];

const chineseGivenNames: Record<'female' | 'male', readonly (readonly [string, string])[]> = {
  female: [
    ['芳', 'fang'],
    ['静', 'jing'],
    ['丽', 'li'],
    ['敏', 'min'],
    ['娜', 'na'],
    ['婷', 'ting'],
    ['雪', 'xue'],
    ['秀英', 'xiuying'],
    ['桂英', 'guiying'],
    ['欣怡', 'xinyi'],
    ['梓涵', 'zihan'],
    ['雨萱', 'yuxuan'],
    ['晓红', 'xiaohong'],
    ['玉兰', 'yulan'],
    ['佳怡', 'jiayi'],
    ['思琪', 'siqi'],
  ],
  male: [
    ['伟', 'wei'],
    ['洋', 'yang'],
    ['杰', 'jie'],
    ['磊', 'lei'],
    ['强', 'qiang'],
    ['军', 'jun'],
    ['勇', 'yong'],
    ['涛', 'tao'],
    ['志强', 'zhiqiang'],
    ['建华', 'jianhua'],
    ['晓明', 'xiaoming'],
    ['子轩', 'zixuan'],
    ['浩然', 'haoran'],
    ['宇轩', 'yuxuan'],
    ['俊杰', 'junjie'],
    ['文博', 'wenbo'],
  ],
};

const latinGivenNames: Record<'female' | 'male', readonly string[]> = {
  female: [
    'Emma',
    'Olivia',
    'Sophia',
    'Mia',
    'Hannah',
    'Charlotte',
    'Amelia',
    'Lena',
    'Grace',
    'Chloe',
    'Anna',
    'Lea',
  ],
  male: [
    'Liam',
    'Noah',
    'Lucas',
    'Ben',
    'Jonas',
    'Oliver',
    'James',
    'Felix',
    'Henry',
    'Leon',
    'Jack',
    'Daniel',
  ],
};

interface Region {
  country: string;
  weight: number;
  locale: string;
  timeZone: string;
  places: readonly (readonly [string | undefined, string])[];
  familyNames?: readonly string[];
  phone: (random: Random) => string;
  mailDomains: readonly string[];
}

const chinaPlaces: readonly (readonly [string, string, number])[] = [
  ['广东', '广州', 9],
  ['广东', '深圳', 9],
  ['上海', '上海', 10],
  ['北京', '北京', 9],
  ['浙江', '杭州', 8],
  ['四川', '成都', 7],
  ['江苏', '南京', 5],
  ['江苏', '苏州', 5],
  ['湖北', '武汉', 5],
  ['福建', '厦门', 3],
  ['山东', '青岛', 3],
  ['重庆', '重庆', 4],
  ['陕西', '西安', 3],
];

const chinaMobilePrefixes = [
  '130',
  '131',
  '132',
  '133',
  '135',
  '136',
  '137',
  '138',
  '139',
  '150',
  '151',
  '152',
  '155',
  '156',
  '157',
  '158',
  '159',
  '180',
  '181',
  '182',
  '183',
  '186',
  '187',
  '188',
  '189',
];

const abroad: readonly Region[] = [
  {
    country: 'US',
    weight: 7,
    locale: 'en-US',
    timeZone: 'America/New_York',
    places: [
      ['NY', 'New York'],
      ['MA', 'Boston'],
    ],
    familyNames: ['Johnson', 'Smith', 'Williams', 'Brown', 'Davis', 'Miller', 'Garcia'],
    // 555-0100..0199 is reserved for fiction.
    phone: (r) => `+1${r.pick(['212', '646', '617'])}55501${String(r.int(0, 99)).padStart(2, '0')}`,
    mailDomains: ['example.com', 'mail.example.com'],
  },
  {
    country: 'US',
    weight: 4,
    locale: 'en-US',
    timeZone: 'America/Los_Angeles',
    places: [
      ['CA', 'Los Angeles'],
      ['CA', 'San Francisco'],
    ],
    familyNames: ['Nguyen', 'Martinez', 'Anderson', 'Taylor', 'Chen', 'Kim'],
    phone: (r) => `+1${r.pick(['310', '415'])}55501${String(r.int(0, 99)).padStart(2, '0')}`,
    mailDomains: ['example.com', 'example.org'],
  },
  {
    country: 'GB',
    weight: 4,
    locale: 'en-GB',
    timeZone: 'Europe/London',
    places: [
      ['England', 'London'],
      ['England', 'Manchester'],
    ],
    familyNames: ['Taylor', 'Wilson', 'Davies', 'Evans', 'Thomas', 'Roberts'],
    phone: (r) => `+447${r.int(400, 999)}${String(r.int(0, 999_999)).padStart(6, '0')}`,
    mailDomains: ['example.co.uk', 'example.com'],
  },
  {
    country: 'DE',
    weight: 4,
    locale: 'de-DE',
    timeZone: 'Europe/Berlin',
    places: [
      ['Berlin', 'Berlin'],
      ['Bayern', 'München'],
      ['Hamburg', 'Hamburg'],
    ],
    familyNames: ['Schmidt', 'Müller', 'Fischer', 'Weber', 'Becker', 'Wagner', 'Hoffmann'],
    phone: (r) => `+49${r.pick(['151', '160', '170'])}${String(r.int(0, 99_999_999)).padStart(8, '0')}`,
    mailDomains: ['example.de', 'example.com'],
  },
  {
    country: 'SG',
    weight: 3,
    locale: 'en-SG',
    timeZone: 'Asia/Singapore',
    places: [[undefined, 'Singapore']],
    familyNames: ['Tan', 'Lim', 'Lee', 'Ng', 'Wong', 'Goh'],
    phone: (r) => `+65${r.pick(['8', '9'])}${String(r.int(0, 9_999_999)).padStart(7, '0')}`,
    mailDomains: ['example.sg', 'example.com'],
  },
  {
    country: 'JP',
    weight: 2,
    locale: 'ja-JP',
    timeZone: 'Asia/Tokyo',
    places: [
      ['東京都', '東京'],
      ['大阪府', '大阪'],
    ],
    phone: (r) => `+81${r.pick(['80', '90'])}${String(r.int(0, 99_999_999)).padStart(8, '0')}`,
    mailDomains: ['example.jp', 'example.com'],
  },
];

const japaneseNames: Record<'family' | 'female' | 'male', readonly (readonly [string, string])[]> = {
  family: [
    ['佐藤', 'sato'],
    ['鈴木', 'suzuki'],
    ['高橋', 'takahashi'],
    ['田中', 'tanaka'],
    ['伊藤', 'ito'],
  ],
  female: [
    ['結衣', 'yui'],
    ['葵', 'aoi'],
    ['陽菜', 'hina'],
  ],
  male: [
    ['蓮', 'ren'],
    ['陽翔', 'haruto'],
    ['大翔', 'hiroto'],
  ],
};

const catalog: readonly DemoOrderLine[] = [
  { sku: 'TEA-LONGJING-250', name: '西湖龙井 明前 250g', category: 'tea', quantity: 1, unitPrice: 268 },
  { sku: 'TEA-PUER-357', name: '云南普洱茶饼 357g', category: 'tea', quantity: 1, unitPrice: 158 },
  { sku: 'TEA-OOLONG-200', name: '安溪铁观音 200g', category: 'tea', quantity: 1, unitPrice: 128 },
  {
    sku: 'COF-YUNNAN-1KG',
    name: 'Yunnan coffee beans 1 kg',
    category: 'coffee',
    quantity: 1,
    unitPrice: 189,
  },
  { sku: 'MUG-JINGDEZHEN', name: '景德镇陶瓷杯', category: 'tableware', quantity: 1, unitPrice: 69 },
  { sku: 'SET-GAIWAN', name: '盖碗茶具套装', category: 'tableware', quantity: 1, unitPrice: 329 },
  { sku: 'GIFT-MOONCAKE', name: '广式月饼礼盒', category: 'gifts', quantity: 1, unitPrice: 188 },
  { sku: 'GIFT-CNY-BOX', name: '新春礼盒', category: 'gifts', quantity: 1, unitPrice: 399 },
  { sku: 'SNK-DATES', name: '新疆红枣 500g', category: 'snacks', quantity: 1, unitPrice: 45.9 },
  { sku: 'SNK-NUTS', name: '每日坚果 30袋', category: 'snacks', quantity: 1, unitPrice: 119 },
  { sku: 'APP-SCARF-SILK', name: '真丝围巾', category: 'apparel', quantity: 1, unitPrice: 399 },
  { sku: 'APP-TEE', name: 'Cotton T-shirt', category: 'apparel', quantity: 1, unitPrice: 129 },
  { sku: 'HOME-PILLOW', name: '记忆棉枕头', category: 'home', quantity: 1, unitPrice: 239 },
  { sku: 'BOOK-SANTI', name: '《三体》全集', category: 'books', quantity: 1, unitPrice: 168 },
];

const staff = ['staff-wang-li', 'staff-zhao-min', 'staff-chen-jie', 'staff-liu-yang', 'staff-emma-klein'];
const tagPool = [
  'vip',
  'newsletter',
  'member',
  'wholesale',
  'student',
  'gift-buyer',
  'tea-lover',
  'coffee-lover',
];
const campaigns = ['demo-spring-tea', 'demo-618', 'demo-mid-autumn', 'demo-double-11', 'demo-cny'];
const pages = [
  '/',
  '/products/tea',
  '/products/gifts',
  '/cart',
  '/checkout',
  '/blog/how-to-brew-longjing',
  '/account',
];

export function generateDemoData(options: DemoOptions = {}): DemoDataSet {
  const count = options.customers ?? defaultDemoCustomers;
  const seed = options.seed ?? 'cohort-demo';
  const today = options.today ?? new Date();
  // Everything happens before today's midnight (UTC), so the API never sees a future time.
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - 60_000;
  const start = end - historyDays * 86_400_000;
  const usedEmails = new Set<string>();
  const usedPhones = new Set<string>();
  const data: DemoDataSet = { customers: [], orders: [], events: [] };
  let orderNumber = 0;
  let eventNumber = 0;
  const nextOrderId = () => `demo-ord-${++orderNumber}`;
  const nextEventId = () => `demo-evt-${++eventNumber}`;

  for (let n = 1; n <= count; n++) {
    // One generator per customer: customer n does not depend on how many come after it.
    const random = seededRandom(`${seed}:${n}`);
    const customer = demoCustomer(n, random, usedEmails, usedPhones);
    data.customers.push(customer);
    const ref = { externalId: customer.externalId };
    const firstSeen = start + random.next() * (end - start) * 0.85;

    const orders = demoOrders(random, ref, customer, firstSeen, end, nextOrderId);
    data.orders.push(...orders);
    for (const order of orders) {
      const refund = demoRefund(random, ref, order, end, nextEventId);
      if (refund) data.events.push(refund);
      if (random.chance(0.12)) {
        data.events.push({
          id: nextEventId(),
          type: 'coupon_redeemed',
          customer: ref,
          occurredAt: iso(Date.parse(order.occurredAt) - random.int(1, 30) * 1000),
          orderId: order.id,
          properties: { couponCode: random.pick(['WELCOME10', 'TEA20', 'VIP50', 'DOUBLE11']) },
        });
      }
    }
    data.events.push(...demoInteractions(random, ref, customer, firstSeen, end, orders.length, nextEventId));
  }
  data.events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id));
  return data;
}

function demoCustomer(
  n: number,
  random: Random,
  usedEmails: Set<string>,
  usedPhones: Set<string>,
): DemoCustomer {
  const gender = random.weighted([
    ['female', 52],
    ['male', 45],
    ['other', 1],
    ['unknown', 2],
  ] as const);
  const nameGender =
    gender === 'female' || gender === 'male' ? gender : random.pick(['female', 'male'] as const);
  const inChina = random.chance(0.78);
  const unique = (used: Set<string>, make: () => string, valid: (value: string) => boolean = () => true) => {
    for (;;) {
      const value = make();
      if (!used.has(value) && valid(value)) {
        used.add(value);
        return value;
      }
    }
  };

  let person: { name: string; givenName: string; familyName: string; latin: string };
  let region: Region | undefined;
  let address: DemoCustomer['address'];
  let makePhone: () => string;
  let hasPhone: boolean;
  if (inChina) {
    const [familyName, familyLatin] = random.weighted(
      surnames.map(([s, p, w]) => [[s, p] as const, w] as const),
    );
    const [givenName, givenLatin] = random.pick(chineseGivenNames[nameGender]);
    person = {
      name: `${familyName}${givenName}`,
      givenName,
      familyName,
      latin: `${givenLatin}.${familyLatin}`,
    };
    const [province, city] = random.weighted(chinaPlaces.map(([p, c, w]) => [[p, c] as const, w] as const));
    address = { country: 'CN', province, city };
    hasPhone = random.chance(0.88);
    makePhone = () => {
      const digits = `${random.pick(chinaMobilePrefixes)}${String(random.int(0, 99_999_999)).padStart(8, '0')}`;
      // As people type them: mostly bare, sometimes grouped.
      return random.weighted([
        [digits, 8],
        [`${digits.slice(0, 3)} ${digits.slice(3, 7)} ${digits.slice(7)}`, 1],
        [`${digits.slice(0, 3)}-${digits.slice(3, 7)}-${digits.slice(7)}`, 1],
      ] as const);
    };
  } else {
    region = random.weighted(abroad.map((r) => [r, r.weight] as const));
    if (region.country === 'JP') {
      const [familyName, familyLatin] = random.pick(japaneseNames.family);
      const [givenName, givenLatin] = random.pick(japaneseNames[nameGender]);
      person = {
        name: `${familyName}${givenName}`,
        givenName,
        familyName,
        latin: `${givenLatin}.${familyLatin}`,
      };
    } else {
      const givenName = random.pick(latinGivenNames[nameGender]);
      const familyName = random.pick(region.familyNames ?? ['Smith']);
      person = {
        name: `${givenName} ${familyName}`,
        givenName,
        familyName,
        latin: `${givenName}.${familyName}`,
      };
    }
    const [province, city] = random.pick(region.places);
    address = { country: region.country, ...(province && { province }), city };
    const phoneOf = region.phone;
    hasPhone = random.chance(0.6);
    makePhone = () => phoneOf(random);
  }

  const wantsEmail = inChina ? random.chance(0.65) : true;
  const email = wantsEmail
    ? unique(usedEmails, () => {
        const local = person.latin
          .normalize('NFD')
          .replace(/[\u0300-\u036f]/g, '')
          .toLowerCase();
        const domains = region?.mailDomains ?? ['example.com', 'mail.example.com', 'example.net'];
        return `${local}${random.int(1, 9999)}@${random.pick(domains)}`;
      })
    : undefined;
  // Every customer needs an identity; one without an email gets a phone.
  const phone = hasPhone || !email ? unique(usedPhones, makePhone, isValidPhone) : undefined;

  const year = random.int(1958, 2006);
  const lunar = inChina && random.chance(0.2);
  const month = random.int(1, 12);
  const day = random.int(1, lunar ? 29 : new Date(Date.UTC(year, month, 0)).getUTCDate());
  const pad = (value: number) => String(value).padStart(2, '0');
  const birthday = random.chance(0.8)
    ? {
        date: `${year}-${pad(month)}-${pad(day)}`,
        calendar: lunar ? ('lunar' as const) : ('gregorian' as const),
      }
    : undefined;
  const sourceChannel = inChina
    ? random.weighted([
        ['wechat', 35],
        ['app', 25],
        ['web', 25],
        ['pos', 15],
      ] as const)
    : random.weighted([
        ['web', 60],
        ['app', 30],
        ['pos', 10],
      ] as const);
  return {
    externalId: `demo-${n}`,
    ...(email && { email }),
    ...(phone && { phone }),
    name: person.name,
    givenName: person.givenName,
    familyName: person.familyName,
    gender,
    ...(birthday && { birthday }),
    locale: region?.locale ?? 'zh-CN',
    timeZone: region?.timeZone ?? 'Asia/Shanghai',
    address,
    tags: random.sample(
      tagPool,
      random.weighted([
        [0, 35],
        [1, 35],
        [2, 20],
        [3, 10],
      ] as const),
    ),
    sourceChannel,
    ...(random.chance(0.35) && { owner: random.pick(staff) }),
  };
}

/** Retail-shaped: 30 % never buy, most buyers buy once, a few buy up to 20 times. */
function demoOrders(
  random: Random,
  ref: { externalId: string },
  customer: DemoCustomer,
  firstSeen: number,
  end: number,
  nextId: () => string,
): DemoOrder[] {
  if (random.chance(0.3)) return [];
  let count = 21;
  // A heavy tail cut at 20 orders; redrawn rather than capped, so 20 is as rare as it should be.
  while (count > 20) count = Math.floor(1 / (1 - random.next()) ** 0.8);
  const times = [firstSeen + random.next() * 3 * 86_400_000];
  for (let i = 1; i < count; i++) times.push(firstSeen + random.next() * (end - firstSeen));
  times.sort((a, b) => a - b);
  return times
    .filter((time) => time < end)
    .map((time) => {
      const lines = random
        .sample(
          catalog,
          random.weighted([
            [1, 55],
            [2, 30],
            [3, 10],
            [4, 5],
          ] as const),
        )
        .map((line) => ({
          ...line,
          quantity: random.weighted([
            [1, 80],
            [2, 15],
            [3, 5],
          ] as const),
        }));
      const amount = Math.round(lines.reduce((sum, l) => sum + l.quantity * l.unitPrice * 100, 0)) / 100;
      const channel = random.chance(0.7)
        ? customer.sourceChannel
        : random.pick(['web', 'app', 'pos', 'wechat']);
      return {
        id: nextId(),
        customer: ref,
        occurredAt: iso(time),
        amount,
        currency: 'CNY' as const,
        items: lines,
        channel,
      };
    });
}

function demoRefund(
  random: Random,
  ref: { externalId: string },
  order: DemoOrder,
  end: number,
  nextId: () => string,
): DemoEvent | undefined {
  if (!random.chance(0.06)) return undefined;
  const time = Date.parse(order.occurredAt) + random.int(1, 14) * 86_400_000 + random.int(0, 86_399) * 1000;
  if (time >= end) return undefined;
  const partial = random.chance(0.3) && order.items.length > 1;
  const amount = partial ? (order.items[0]?.unitPrice ?? order.amount) : order.amount;
  return {
    id: nextId(),
    type: 'refund',
    customer: ref,
    occurredAt: iso(time),
    orderId: order.id,
    amount,
    currency: 'CNY',
  };
}

/** Visits, app sessions and campaign messages; buyers are busier than browsers. */
function demoInteractions(
  random: Random,
  ref: { externalId: string },
  customer: DemoCustomer,
  firstSeen: number,
  end: number,
  orderCount: number,
  nextId: () => string,
): DemoEvent[] {
  const events: DemoEvent[] = [];
  const sessions = Math.min(30, Math.floor(1 / (1 - random.next()) ** 0.6) + orderCount);
  const usesApp = customer.sourceChannel === 'app' || random.chance(0.3);
  for (let s = 0; s < sessions; s++) {
    let time = firstSeen + random.next() * (end - firstSeen);
    const add = (type: string, properties?: DemoEvent['properties']) => {
      time += random.int(5, 240) * 1000;
      if (time < end)
        events.push({
          id: nextId(),
          type,
          customer: ref,
          occurredAt: iso(time),
          ...(properties && { properties }),
        });
    };
    if (usesApp && random.chance(0.6)) {
      add('app_open', { appVersion: random.pick(['3.2.0', '3.3.1', '3.4.0']) });
      for (let i = random.int(1, 3); i > 0; i--)
        add('screen_view', { screen: random.pick(['home', 'product', 'cart', 'orders']) });
    } else {
      for (let i = random.int(1, 4); i > 0; i--)
        add('page_view', { url: `https://shop.example.com${random.pick(pages)}` });
    }
    if (random.chance(0.15)) add('wishlist_added', { sku: random.pick(catalog).sku });
  }
  const messages = random.int(0, 6);
  for (let m = 0; m < messages; m++) {
    const campaignId = random.pick(campaigns);
    const channel = random.weighted([
      ['email', customer.email ? 5 : 0],
      ['push', usesApp ? 3 : 0],
      ['sms', customer.phone ? 2 : 0],
    ] as const);
    if (!random.chance(0.45)) continue;
    let time = firstSeen + random.next() * (end - firstSeen);
    events.push({
      id: nextId(),
      type: 'message_opened',
      customer: ref,
      occurredAt: iso(time),
      properties: { channel, campaignId },
    });
    if (random.chance(0.35)) {
      time += random.int(2, 600) * 1000;
      if (time < end) {
        events.push({
          id: nextId(),
          type: 'message_clicked',
          customer: ref,
          occurredAt: iso(time),
          properties: { channel, campaignId },
        });
      }
    }
  }
  return events;
}

/** Random digits are not always a number in service; the API would rightly refuse those. */
function isValidPhone(phone: string): boolean {
  return parsePhoneNumberFromString(phone, { defaultCountry: 'CN' })?.isValid() ?? false;
}

function iso(time: number): string {
  return new Date(Math.floor(time / 1000) * 1000).toISOString();
}
