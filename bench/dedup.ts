import { type Random, seededRandom } from '../infra/local/prng.ts';
import { type DetectionStats, detectDuplicates } from '../shared/customers/dedupe/detect.ts';
import type { DedupeProfile } from '../shared/customers/dedupe/features.ts';
import { parseOptions } from './support/args.ts';
import { fixed, resultLine, table } from './support/report.ts';

/**
 * dedup: duplicate detection (the blocking and scoring the scan workers run) over synthetic customers
 * with planted duplicates, at a tenth of the size and at the full size. Blocking keeps the work close
 * to linear in the number of customers; the ratio says how close:
 * (time at full size / time at a tenth) / 10, target <= 1.5.
 *
 * The customers are generated from a seed, so every run sees the same data: Chinese names (written in
 * characters, sometimes in pinyin) and Latin ones, phones of three countries in E.164, emails at common
 * providers, a city and often a birthday. Every 50th customer is a planted duplicate of an earlier one
 * in one of six disguises; recall is the share of planted pairs listed at the default threshold.
 */

const RATIO_TARGET = 1.5;

const defaults = {
  /** Customers at full size; the first measurement uses a tenth of it. */
  customers: 1_000_000,
  /** Customers in an untimed warm-up run (JIT, pinyin readings of common names). */
  warmup: 20_000,
  seed: 'cohort-dedup',
};

const surnames =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const givenChars =
  '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩然子轩涵梓欣怡雨萱佳琪思晓婷雪倩慧晨博俊凯';
const latinGiven =
  'Emma Liam Olivia Noah Ava Elijah Sophia James Isabella Lucas Mia Mason Amelia Ethan Harper Logan Evelyn Jacob Abigail Michael Emily Daniel Ella Henry Elizabeth Jackson Camila Sebastian Luna Aiden Sofia Matthew Avery Samuel Mila David Aria Joseph Scarlett Carter Penelope Owen Layla Wyatt Chloe John Victoria Jack Madison Luke Eleanor Jayden Grace Dylan Nora Grayson Riley Levi Zoey Isaac Hannah Gabriel Hazel Julian Lily Mateo Ellie Anthony Violet Jaxon Lillian Lincoln Zoe Joshua Stella Christopher Aurora Andrew Natalie Theodore Emilia Caleb Everly Ryan Leah Asher Aubrey Nathan Willow Thomas Addison Leo Lucy'.split(
    ' ',
  );
const latinFamily =
  'Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Schroeder Neumann Schwarz Braun Zimmermann Kruger Hartmann Lange Werner Krause Lehmann Kohler Maier Kaiser Fuchs Peters Scholz Moller Weiss Jung Hahn Vogel Friedrich Keller Gunther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht'.split(
    ' ',
  );
const cnCities =
  '北京 上海 广州 深圳 成都 杭州 武汉 西安 重庆 南京 天津 苏州 长沙 郑州 东莞 青岛 沈阳 宁波 昆明 合肥 佛山 福州 厦门 哈尔滨 济南 温州 南宁 长春 泉州 石家庄 贵阳 南昌 金华 常州 南通 嘉兴 太原 徐州 惠州 珠海'.split(
    ' ',
  );
const westCities =
  'Berlin Hamburg Munich Cologne Frankfurt Stuttgart Dusseldorf Leipzig Dortmund Essen NewYork LosAngeles Chicago Houston Phoenix Philadelphia SanAntonio SanDiego Dallas Austin Seattle Boston Denver Portland'.split(
    ' ',
  );
const cnDomains = ['qq.com', '163.com', '126.com', 'sina.com', 'foxmail.com', 'gmail.com', 'outlook.com'];
const westDomains = [
  'gmail.com',
  'outlook.com',
  'yahoo.com',
  'icloud.com',
  'hotmail.com',
  'web.de',
  'gmx.de',
];
const typos: Record<string, string> = {
  'gmail.com': 'gmial.com',
  'qq.com': 'qq.con',
  '163.com': '163.con',
  'outlook.com': 'outlok.com',
  'yahoo.com': 'yahooo.com',
  'hotmail.com': 'hotmial.com',
  'icloud.com': 'iclould.com',
  '126.com': '126.cm',
  'sina.com': 'sina.con',
  'foxmail.com': 'foxmial.com',
  'web.de': 'webb.de',
  'gmx.de': 'gmx.ed',
};

interface Person extends DedupeProfile {
  /** Pinyin or Latin spelling, family name last, for emails and disguises. */
  latin: [string, string];
  chinese: boolean;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const digits = (random: Random, n: number) => Array.from({ length: n }, () => random.int(0, 9)).join('');

function person(random: Random, index: number, pinyinOf: (s: string) => string): Person {
  const customerId = `C${String(index).padStart(8, '0')}`;
  const chinese = random.chance(0.5);
  const birthday = random.chance(0.6)
    ? {
        date: `${random.int(1950, 2005)}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`,
      }
    : undefined;
  if (chinese) {
    const family = surnames.charAt(Math.floor(surnames.length * random.next() ** 2));
    const given = Array.from({ length: random.int(1, 2) }, () => random.pick([...givenChars])).join('');
    const latin: [string, string] = [capital(pinyinOf(given)), capital(pinyinOf(family))];
    const domain = random.pick(cnDomains);
    const local = random.chance(0.4)
      ? `${random.int(10000, 999999999)}`
      : `${latin[1]}.${latin[0]}${random.int(1, 9999)}`.toLowerCase();
    return {
      customerId,
      chinese,
      latin,
      name: random.chance(0.9) ? `${family}${given}` : `${latin[1]} ${latin[0]}`,
      email: `${local}@${domain}`,
      phone: `+861${random.pick(['3', '5', '8', '9'])}${digits(random, 9)}`,
      address: { country: 'CN', city: random.pick(cnCities) },
      birthday,
    };
  }
  const given = random.pick(latinGiven);
  const family = random.pick(latinFamily);
  const german = random.chance(0.5);
  return {
    customerId,
    chinese,
    latin: [given, family],
    name: `${given} ${family}`,
    email: `${given}.${family}${random.int(1, 9999)}@${random.pick(westDomains)}`.toLowerCase(),
    phone: german
      ? `+4915${digits(random, 9)}`
      : `+1${random.int(201, 989)}${random.int(200, 999)}${digits(random, 4)}`,
    address: { country: german ? 'DE' : 'US', city: random.pick(westCities) },
    birthday,
  };
}

/** A second record of the same person, disguised as real duplicates are. */
function disguise(random: Random, original: Person, customerId: string): Person {
  const [given, family] = original.latin;
  const email = original.email ?? '';
  const [local = '', domain = ''] = email.split('@');
  const freshEmail =
    `${given}${family}.${random.int(100, 99999)}@${random.pick(original.chinese ? cnDomains : westDomains)}`.toLowerCase();
  const base = { ...original, customerId };
  switch (random.int(0, 5)) {
    case 0: // the other script (or the other order), the phone written nationally, another email
      return {
        ...base,
        name: original.chinese
          ? `${random.chance(0.5) ? `${family} ${given}` : `${given} ${family}`}`
          : `${family}, ${given}`,
        phone: undefined,
        phones: [(original.phone ?? '').replace(/^\+86/, '').replace(/^\+/, '00')],
        email: freshEmail,
      };
    case 1: // gmail-style dots and a +tag, name in capitals with extra spaces
      return {
        ...base,
        name: `${family.toUpperCase()}   ${given}`,
        email: `${local.replaceAll('.', '')}+shop@${domain === 'gmail.com' ? 'googlemail.com' : domain}`,
        phone: undefined,
      };
    case 2: // a typo in the email domain, no phone
      return { ...base, email: `${local}@${typos[domain] ?? `${domain}m`}`, phone: undefined };
    case 3: // same phone, name in the other order, another email
      return { ...base, name: `${given} ${family}`, email: freshEmail };
    case 4: // only name, birthday and city in common: another email and phone
      return {
        ...base,
        birthday: original.birthday ?? { date: '1988-05-17' },
        email: freshEmail,
        phone: `+86199${digits(random, 8)}`,
        ...(original.birthday ? {} : { customerId }),
      };
    default: // same email local part at another provider, same name
      return {
        ...base,
        email: `${local}@${random.pick(['yeah.net', 'proton.me', 'mail.com'])}`,
        phone: undefined,
      };
  }
}

interface DataSet {
  profiles: DedupeProfile[];
  planted: Set<string>;
}

async function generate(count: number, seed: string): Promise<DataSet> {
  const { nameTokens } = await import('../shared/customers/dedupe/features.ts');
  const pinyinOf = (s: string) => nameTokens(s).join('');
  const random = seededRandom(`${seed}:${count}`);
  const people: Person[] = [];
  const planted = new Set<string>();
  for (let i = 0; i < count; i++) {
    if (i % 50 === 49) {
      const original = people[i - 1 - random.int(0, Math.min(i - 1, 5000))] as Person;
      const copy = disguise(random, original, `C${String(i).padStart(8, '0')}`);
      // Case 4 needs a birthday on both sides; an original without one gets it here too.
      if (!original.birthday) original.birthday = copy.birthday;
      people.push(copy);
      planted.add(`${original.customerId}_${copy.customerId}`);
    } else people.push(person(random, i, pinyinOf));
  }
  const profiles = people.map(({ latin: _l, chinese: _c, ...profile }) => profile);
  return { profiles, planted };
}

interface Measurement {
  customers: number;
  ms: number;
  stats: DetectionStats;
  found: number;
  planted: number;
  unplanted: number;
}

async function measure(data: DataSet): Promise<Measurement> {
  const start = performance.now();
  const { candidates, stats } = detectDuplicates(data.profiles);
  const ms = performance.now() - start;
  const found = candidates.filter((c) => data.planted.has(c.pairId)).length;
  return {
    customers: data.profiles.length,
    ms,
    stats,
    found,
    planted: data.planted.size,
    unplanted: candidates.length - found,
  };
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, defaults);
  const small = Math.max(1, Math.floor(options.customers / 10));
  await measure(await generate(Math.min(options.warmup, small), `${options.seed}-warmup`));
  const results: Measurement[] = [];
  for (const size of [small, options.customers]) {
    const data = await generate(size, options.seed);
    results.push(await measure(data));
  }
  const rows = results.map((r) => [
    r.customers,
    fixed(r.ms / 1000),
    r.stats.blockingKeys,
    r.stats.blocks,
    r.stats.blocksSkipped,
    r.stats.pairsCompared,
    Math.round(r.stats.pairsCompared / (r.ms / 1000)),
    Math.round(r.customers / (r.ms / 1000)),
    r.stats.candidates,
    fixed(r.found / r.planted, 4),
    r.unplanted,
  ]);
  console.log(
    table(
      [
        'customers',
        's',
        'keys',
        'blocks',
        'skipped',
        'pairs',
        'pairs/s',
        'customers/s',
        'candidates',
        'recall',
        'unplanted',
      ],
      rows,
    ),
  );
  const [a, b] = results as [Measurement, Measurement];
  const ratio = b.ms / a.ms / (b.customers / a.customers);
  console.log(
    resultLine(
      'dedup',
      { ratio, target: RATIO_TARGET },
      {
        customers: b.customers,
        ms: Math.round(b.ms),
        [`ms_at_${a.customers}`]: Math.round(a.ms),
        pairs: b.stats.pairsCompared,
        pairs_per_s: Math.round(b.stats.pairsCompared / (b.ms / 1000)),
        recall: fixed(b.found / b.planted, 4),
        planted: b.planted,
        unplanted: b.unplanted,
        blocks_skipped: b.stats.blocksSkipped,
        pairs_skipped: b.stats.pairsSkipped,
      },
    ),
  );
}
