import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nameTokens } from '../../shared/customers/dedupe/features.ts';
import { BLOCKS, pinyinOfChar, pinyinOfRun } from '../../shared/customers/dedupe/pinyin.ts';
import {
  generate,
  placeNames,
  referenceReading,
  surnames,
} from '../../shared/customers/dedupe/pinyin-table.gen.ts';
import { SURNAMES } from '../../shared/customers/dedupe/pinyin-table.ts';

describe('generated pinyin table', () => {
  it('reads every 50th character of the covered blocks as pinyin-pro does', () => {
    // Prepare
    const sample: string[] = [];
    for (const block of BLOCKS)
      for (let code = block.first; code < block.first + block.size; code += 50)
        sample.push(String.fromCodePoint(code));
    // Act
    const read = sample.map((c) => pinyinOfChar(c));
    // Assess
    expect(sample.length).toBeGreaterThan(500);
    expect(read).toEqual(sample.map((c) => referenceReading(c, false)[0]));
  });

  it('reads every surname, alone and before a given name, as pinyin-pro does', () => {
    const names = surnames.flatMap((s) => [s, `${s}伟`, `${s}晓明`]);
    expect(Object.keys(SURNAMES)).toEqual(surnames);
    expect(names.map((n) => pinyinOfRun(n, true))).toEqual(names.map((n) => referenceReading(n, true)));
  });

  it('reads the names and cities of the dedupe tests and the benchmark as pinyin-pro does', () => {
    const runs = [
      '张伟',
      '王芳',
      '李强',
      '章伟',
      '张伟明',
      '单雄信',
      '单',
      '曾',
      '解',
      '仇',
      '区',
      '查',
      '朴',
      '盖',
    ];
    const cities = [
      '广州',
      '北京',
      '杭州',
      '上海',
      '深圳',
      '武汉',
      '西安',
      '重庆',
      '厦门',
      '长沙',
      '东莞',
      '哈尔滨',
    ];
    for (const run of [...runs, ...cities])
      expect(pinyinOfRun(run, true), run).toEqual(referenceReading(run, true));
    expect(nameTokens('单雄信')).toEqual(['shan', 'xiong', 'xin']);
    expect(nameTokens('曾经')).toEqual(['zeng', 'jing']);
  });

  it('reads place names in context as pinyin-pro does, not character by character', () => {
    expect(pinyinOfRun('重庆', false)).toEqual(['chong', 'qing']);
    expect(pinyinOfRun('厦门', false)).toEqual(['xia', 'men']);
    const places = placeNames();
    const differing = places.filter(
      (p) => pinyinOfRun(p, false).join(' ') !== referenceReading(p, false).join(' '),
    );
    expect(places.length).toBeGreaterThan(3000);
    expect(differing).toEqual([]);
  });

  it('passes characters outside the table through', () => {
    expect(pinyinOfRun('𠀀', false)).toEqual(referenceReading('𠀀', false));
    expect(pinyinOfChar('A')).toBe('A');
  });

  it('is what the generator writes from the installed pinyin-pro (npm run gen:pinyin)', () => {
    const committed = readFileSync(
      new URL('../../shared/customers/dedupe/pinyin-table.ts', import.meta.url),
      'utf8',
    );
    expect(generate().source === committed, 'pinyin-table.ts is stale: npm run gen:pinyin').toBe(true);
  });
});
