import { describe, expect, it } from 'vitest';
import { blockingKeys, MAX_BLOCK } from '../../shared/customers/dedupe/blocking.ts';
import { detectDuplicates } from '../../shared/customers/dedupe/detect.ts';
import {
  type DedupeProfile,
  featuresOf,
  nameTokens,
  nationalNumber,
} from '../../shared/customers/dedupe/features.ts';
import { customersOfPair, pairIdOf } from '../../shared/customers/dedupe/pair.ts';
import { describeReason } from '../../shared/customers/dedupe/reasons.ts';
import { scorePair } from '../../shared/customers/dedupe/score.ts';
import { editDistanceWithin, jaroWinkler } from '../../shared/customers/dedupe/similarity.ts';

const pad = (n: number) => String(n).padStart(2, '0');
const score = (a: DedupeProfile, b: DedupeProfile) => scorePair(featuresOf(a), featuresOf(b));
const codes = (a: DedupeProfile, b: DedupeProfile) => score(a, b).reasons.map((r) => r.code);
const texts = (a: DedupeProfile, b: DedupeProfile) =>
  score(a, b).reasons.map((r) => describeReason(r, a as never, b as never));

describe('similarity', () => {
  it('Jaro-Winkler gives the published values', () => {
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 3);
    expect(jaroWinkler('dwayne', 'duane')).toBeCloseTo(0.84, 2);
    expect(jaroWinkler('dixon', 'dicksonx')).toBeCloseTo(0.813, 3);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
    expect(jaroWinkler('same', 'same')).toBe(1);
  });

  it('edit distance stops past its bound', () => {
    expect(editDistanceWithin('gmail.com', 'gmial.com', 2)).toBe(2);
    expect(editDistanceWithin('qq.com', 'qq.con', 2)).toBe(1);
    expect(editDistanceWithin('gmail.com', 'outlook.com', 2)).toBe(3);
  });
});

describe('normalization', () => {
  it('turns Chinese names into pinyin tokens, surnames read as surnames', () => {
    expect(nameTokens('张伟')).toEqual(['zhang', 'wei']);
    expect(nameTokens('单雄信')[0]).toBe('shan');
    expect(nameTokens('ZHANG  Wei')).toEqual(['zhang', 'wei']);
    expect(nameTokens('José Álvarez')).toEqual(['jose', 'alvarez']);
  });

  it('gives one name key whatever the script, order, spacing or case', () => {
    const key = (name: string) => featuresOf({ customerId: 'x', name }).names[0]?.anagram;
    const variants = ['张伟', 'Zhang Wei', 'Wei Zhang', 'ZHANG  Wei', 'zhangwei', 'Wei-Zhang'];
    expect(new Set(variants.map(key)).size).toBe(1);
    expect(key('张伟明')).toBe(key('Weiming Zhang'));
    expect(key('王芳')).not.toBe(key('张伟'));
  });

  it('splits E.164 numbers at the country calling code', () => {
    expect(nationalNumber('8613800138000')).toBe('13800138000');
    expect(nationalNumber('12125550123')).toBe('2125550123');
    expect(nationalNumber('85291234567')).toBe('91234567');
  });

  it('normalizes email dots, tags and domain typos to one mailbox', () => {
    const canonical = (email: string) => featuresOf({ customerId: 'x', email }).emails[0]?.canonical;
    expect(canonical('Wang.Fang+shop@GMAIL.com')).toBe('wangfang@gmail.com');
    expect(canonical('wangfang@gmial.com')).toBe('wangfang@gmail.com');
    expect(canonical('wang.fang@qq.con')).toBe('wang.fang@qq.com');
  });

  it('reads the primary and the further emails and phones', () => {
    const f = featuresOf({
      customerId: 'x',
      email: 'a@example.com',
      emails: ['a@example.com', 'b@example.com'],
      phone: '+8613800138000',
      phones: ['+8613900139000'],
    });
    expect(f.emails.map((e) => e.path)).toEqual(['email', 'emails[1]']);
    expect(f.phones.map((p) => p.path)).toEqual(['phone', 'phones[0]']);
  });
});

describe('blocking keys', () => {
  it('a customer gets keys for email, local part, phone, name, name with city and birthday', () => {
    const keys = blockingKeys(
      featuresOf({
        customerId: 'x',
        name: '王芳',
        email: 'wang.fang@example.com',
        phone: '+8613800138000',
        address: { city: '广州' },
        birthday: { date: '1990-08-15' },
        externalId: 'CRM-00123',
      }),
    );
    expect(keys.map((k) => k.kind).sort()).toEqual(['b', 'c', 'e', 'l', 'p', 'x']);
    expect(keys.find((k) => k.kind === 'p')?.key).toBe('p:00138000');
  });

  it('generic local parts and names alone do not block', () => {
    const kinds = blockingKeys(featuresOf({ customerId: 'x', name: 'Li Na', email: 'info@example.com' })).map(
      (k) => k.kind,
    );
    expect(kinds).toEqual(['e']);
  });

  it('one name key whatever the script, order, spacing or case, with the city', () => {
    const key = (name: string, city: string) =>
      blockingKeys(featuresOf({ customerId: 'x', name, address: { city } })).find((k) => k.kind === 'c')?.key;
    expect(key('张伟', '广州市')).toBe(key('wei  ZHANG', 'Guangzhou'));
  });
});

describe('scoring', () => {
  it('same phone in another format, name in Chinese and in pinyin', () => {
    // Prepare
    const a = { customerId: 'A', name: '张伟', phone: '+8613800138000', address: { city: '广州' } };
    const b = { customerId: 'B', name: 'Zhang Wei', phones: ['13800138000'], address: { city: 'Guangzhou' } };
    // Act
    const result = score(a, b);
    // Assess
    expect(result.score).toBeGreaterThanOrEqual(0.5);
    expect(texts(a, b)).toEqual([
      'same phone national number: +8613800138000 ~ 13800138000',
      'name transliteration match: 张伟 ~ Zhang Wei',
      'same city: 广州 ~ Guangzhou',
    ]);
  });

  it('different emails of one person: same name and phone', () => {
    const a = { customerId: 'A', name: 'Emma Schmidt', email: 'emma@work.de', phone: '+4915112345678' };
    const b = { customerId: 'B', name: 'SCHMIDT Emma', email: 'emma.s@gmail.com', phone: '+4915112345678' };
    expect(codes(a, b)).toEqual(['same_phone', 'name_order']);
    expect(score(a, b).score).toBe(0.75);
  });

  it('Gmail dots and tags, and typo domains, are one mailbox', () => {
    const a = { customerId: 'A', email: 'liam.johnson@gmail.com' };
    expect(codes(a, { customerId: 'B', email: 'liamjohnson+news@gmail.com' })).toEqual(['email_normalized']);
    expect(codes(a, { customerId: 'B', email: 'liam.johnson@gmial.com' })).toEqual(['email_normalized']);
    const typo = { customerId: 'B', email: 'liam.johnson@gmaill.com', name: 'Liam Johnson' };
    expect(codes({ ...a, name: 'Liam Johnson' }, typo)).toEqual(['email_domain_typo', 'same_name']);
  });

  it('126.com and 163.com are different providers, not a typo', () => {
    expect(
      codes({ customerId: 'A', email: 'lileilei@126.com' }, { customerId: 'B', email: 'lileilei@163.com' }),
    ).toEqual(['email_local_part']);
  });

  it('spacing, case and order variants of one name', () => {
    expect(codes({ customerId: 'A', name: 'Zhang Wei' }, { customerId: 'B', name: 'ZHANG  Wei' })).toEqual([
      'name_format',
    ]);
    expect(codes({ customerId: 'A', name: 'Zhang Wei' }, { customerId: 'B', name: 'Wei Zhang' })).toEqual([
      'name_order',
    ]);
    expect(codes({ customerId: 'A', name: '张伟' }, { customerId: 'B', name: '章伟' })).toEqual([
      'name_homophone',
    ]);
  });

  it('a family sharing a phone and a city is not one person', () => {
    const a = { customerId: 'A', name: '王芳', phone: '+8613800138000', address: { city: '广州' } };
    const b = { customerId: 'B', name: '李强', phone: '+8613800138000', address: { city: '广州' } };
    expect(codes(a, b)).toEqual(['same_phone', 'same_city', 'different_name']);
    expect(score(a, b).score).toBeLessThan(0.5);
  });

  it('two people with one common name but different birthdays are not one person', () => {
    const a = { customerId: 'A', name: '张伟', address: { city: '北京' }, birthday: { date: '1985-03-02' } };
    const b = { customerId: 'B', name: '张伟', address: { city: '北京' }, birthday: { date: '1992-11-20' } };
    expect(score(a, b).score).toBeLessThan(0.5);
    expect(codes(a, b)).toContain('different_birthday');
  });
});

describe('detectDuplicates', () => {
  const planted: DedupeProfile[] = [
    { customerId: 'C01', name: '张伟', phone: '+8613800138000', address: { city: '广州' } },
    { customerId: 'C02', name: 'Zhang Wei', phone: '+8613800138000', email: 'zw@example.com' },
    { customerId: 'C03', name: 'Emma Schmidt', email: 'emma.schmidt@gmail.com' },
    { customerId: 'C04', name: 'Emma Schmidt', email: 'emmaschmidt+shop@gmail.com' },
    { customerId: 'C05', name: 'Liam Johnson', email: 'liam@example.com', phone: '+12125550123' },
    { customerId: 'C06', name: '王芳', email: 'wangfang@qq.com', phone: '+8613900139000' },
  ];

  it('finds the planted pairs, each once, and nothing else', () => {
    // Act
    const { candidates, stats } = detectDuplicates(planted);
    // Assess
    expect(candidates.map((c) => c.pairId)).toEqual(['C03_C04', 'C01_C02']);
    expect(new Set(candidates.map((c) => c.pairId)).size).toBe(candidates.length);
    expect(stats.pairsCompared).toBe(2);
  });

  it('is deterministic whatever the input order', () => {
    const forward = detectDuplicates(planted).candidates;
    const backward = detectDuplicates([...planted].reverse()).candidates;
    expect(backward).toEqual(forward);
  });

  it('a very common name does not explode into all pairs: its block is skipped and counted', () => {
    // Prepare: 500 people called 张伟 in 北京, two of them the same person.
    const many: DedupeProfile[] = Array.from({ length: 500 }, (_, i) => ({
      customerId: `Z${String(i).padStart(4, '0')}`,
      name: '张伟',
      address: { city: '北京' },
      birthday: { date: `${1950 + (i % 50)}-${pad(1 + (i % 12))}-${pad(1 + (i % 28))}` },
    }));
    many.push({
      ...many[7],
      customerId: 'Z9999',
      name: 'Zhang Wei',
      phone: '+8613800000001',
    } as DedupeProfile);
    // Act
    const { candidates, stats } = detectDuplicates(many);
    // Assess
    expect(stats.blocksSkipped).toBe(1);
    expect(stats.blocksSkippedByKind).toEqual({ c: 1 });
    expect(stats.pairsSkipped).toBe((501 * 500) / 2);
    expect(stats.pairsCompared).toBeLessThan(501 * MAX_BLOCK);
    expect(candidates.map((c) => c.pairId)).toEqual(['Z0007_Z9999']);
  });

  it('pair ids name both customers, lower id first', () => {
    expect(pairIdOf('B', 'A')).toBe('A_B');
    expect(customersOfPair('A_B')).toEqual(['A', 'B']);
    expect(customersOfPair('B_A')).toBeUndefined();
    expect(customersOfPair('A_B_C')).toBeUndefined();
  });
});
