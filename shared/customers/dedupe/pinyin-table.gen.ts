import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import areas from 'china-area-data/data.json' with { type: 'json' };
import { pinyin } from 'pinyin-pro';
import Surnames from 'pinyin-pro/dist/esm/data/surname.mjs';
import { BLOCKS, DIGIT_BASE, type PinyinTable, readerOf } from './pinyin.ts';

/**
 * Writes pinyin-table.ts: the readings features.ts needs, taken from pinyin-pro (a 450 KB dictionary the
 * scan workers should not carry). `npm run gen:pinyin` after upgrading pinyin-pro or china-area-data;
 * test/unit/pinyin-table.test.ts fails while the committed table differs from what this produces.
 */

const TARGET = fileURLToPath(new URL('./pinyin-table.ts', import.meta.url));
const PLAIN = { toneType: 'none', type: 'array', v: true } as const;
const AS_NAME = { ...PLAIN, surname: 'head' } as const;

/** pinyin-pro's reading of a run, as features.ts read it before the table. */
export function referenceReading(run: string, atStart: boolean): string[] {
  return pinyin(run, atStart ? AS_NAME : PLAIN).map((s) => s.toLowerCase());
}

/** The surnames pinyin-pro reads in surname mode. */
export const surnames: readonly string[] = Object.keys(Surnames);

/** Chinese place names (provinces, cities, districts) as written and without the suffix features.ts drops. */
export function placeNames(): string[] {
  const names = new Set<string>();
  for (const group of Object.values(areas as Record<string, Record<string, string>>)) {
    for (const name of Object.values(group)) {
      if (!/^\p{Script=Han}+$/u.test(name)) continue;
      names.add(name);
      const stripped = name.replace(/(市|省|自治区|特别行政区|地区|县|区)$/u, '');
      if (stripped) names.add(stripped);
    }
  }
  return [...names].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}

function charReadings(): { syllables: string[]; readings: string } {
  const perChar: string[] = [];
  for (const block of BLOCKS) {
    for (let code = block.first; code < block.first + block.size; code++) {
      const char = String.fromCodePoint(code);
      const [reading = char] = referenceReading(char, false);
      perChar.push(reading === char ? '' : reading);
    }
  }
  const syllables = ['', ...[...new Set(perChar.filter(Boolean))].sort()];
  if (syllables.length > 32 * 32) throw new Error(`${syllables.length} syllables do not fit two digits`);
  const index = new Map(syllables.map((s, i) => [s, i]));
  const readings = perChar
    .map((s) => {
      const i = index.get(s) ?? 0;
      return String.fromCharCode(DIGIT_BASE + Math.floor(i / 32), DIGIT_BASE + (i % 32));
    })
    .join('');
  return { syllables, readings };
}

/** Where the table reads a run otherwise than pinyin-pro. */
function mismatches(table: PinyinTable, runs: readonly string[], atStart: boolean): string[] {
  const reader = readerOf(table);
  return runs.filter(
    (run) => reader.run(run, atStart).join(' ') !== referenceReading(run, atStart).join(' '),
  );
}

export function generate(): { source: string; table: PinyinTable; unmatched: string[] } {
  const { syllables, readings } = charReadings();
  const table: PinyinTable = {
    SYLLABLES: syllables.join(' '),
    READINGS: readings,
    SURNAMES: {},
    PHRASES: {},
  };
  const charReader = readerOf(table);
  const surnameReadings: Record<string, string> = {};
  for (const surname of surnames) {
    const asName = referenceReading(surname, true).join(' ');
    surnameReadings[surname] = asName === [...surname].map(charReader.char).join(' ') ? '' : asName;
  }
  table.SURNAMES = surnameReadings;

  // Place names whose words read otherwise than their characters become phrases, shortest first, so a
  // longer name made of a known phrase needs no entry of its own.
  const places = placeNames();
  const phrases: Record<string, string> = {};
  for (const place of places) {
    if (mismatches(table, [place], false).length === 0) continue;
    phrases[place] = referenceReading(place, false).join(' ');
    table.PHRASES = { ...phrases };
  }
  const unmatched = [
    ...mismatches(table, places, false),
    ...mismatches(table, places, true).map((p) => `^${p}`),
  ];
  return { source: render(table, syllables), table, unmatched };
}

const quoted = (s: string) => `'${s}'`;
const key = (s: string) => (/^\p{ID_Start}\p{ID_Continue}*$/u.test(s) ? s : quoted(s));

function render(table: PinyinTable, syllables: string[]): string {
  const rows: string[] = [];
  for (let at = 0; at < table.READINGS.length; at += 128)
    rows.push(`  ${quoted(table.READINGS.slice(at, at + 128))},`);
  const entries = (record: Readonly<Record<string, string>>) =>
    Object.entries(record)
      .map(([k, v]) => `  ${key(k)}: ${quoted(v)},`)
      .join('\n');
  const body = [
    `export const SYLLABLES =\n  ${quoted(syllables.join(' '))};`,
    `export const READINGS = /* @__PURE__ */ [\n${rows.join('\n')}\n].join('');`,
    `export const SURNAMES: Readonly<Record<string, string>> = {\n${entries(table.SURNAMES)}\n};`,
    `export const PHRASES: Readonly<Record<string, string>> = {\n${entries(table.PHRASES)}\n};`,
  ].join('\n\n');
  const versions = ['pinyin-pro', 'china-area-data']
    .map((name) => {
      const manifest = JSON.parse(
        readFileSync(new URL(`../../../node_modules/${name}/package.json`, import.meta.url), 'utf8'),
      );
      return `${name} ${manifest.version}`;
    })
    .join(' and ');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return `// Generated by shared/customers/dedupe/pinyin-table.gen.ts from ${versions}: do not edit.
// Regenerate with \`npm run gen:pinyin\`. Content hash ${hash}.
// Toneless pinyin for U+4E00-U+9FFF then U+3400-U+4DBF, two characters per code point (see pinyin.ts).

${body}
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const { source, table, unmatched } = generate();
  writeFileSync(TARGET, source);
  console.log(
    `pinyin-table.ts: ${(source.length / 1024).toFixed(1)} KB, ${table.SYLLABLES.split(' ').length - 1} syllables, ` +
      `${Object.keys(table.SURNAMES).length} surnames, ${Object.keys(table.PHRASES).length} phrases, ` +
      `${unmatched.length} place names read otherwise than pinyin-pro${unmatched.length ? `: ${unmatched.join(' ')}` : ''}; ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
