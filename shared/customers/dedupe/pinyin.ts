import * as generated from './pinyin-table.ts';

/**
 * Toneless pinyin of Chinese characters from the generated table (pinyin-table.ts), so the scan workers
 * carry some 60 KB of data instead of a full dictionary. A character reads as its most common reading;
 * a name's first character as a surname (单 shan, not dan); place names whose characters read otherwise
 * in context (重庆 chongqing) come from a small phrase list. Characters the table does not cover pass
 * through unchanged.
 */
export interface PinyinTable {
  /** Toneless syllables, space-separated; index 0 is empty and means "no reading". */
  SYLLABLES: string;
  /** Two characters per code point of BLOCKS, in order: the syllable index in base 32 from '0'. */
  READINGS: string;
  /** Surnames pinyin-pro knows; the reading where it differs from the characters' own, else ''. */
  SURNAMES: Readonly<Record<string, string>>;
  /** Words read otherwise than their characters (重庆 chong qing), space-separated syllables. */
  PHRASES: Readonly<Record<string, string>>;
}

/** First code point of each block the table covers and its size, in the order READINGS holds them. */
export const BLOCKS: readonly { first: number; size: number }[] = [
  { first: 0x4e00, size: 0xa000 - 0x4e00 },
  { first: 0x3400, size: 0x4dc0 - 0x3400 },
];
/** Readings use the characters from '0' (0x30) to 'O' (0x4f): no quotes, backslashes or non-ASCII. */
export const DIGIT_BASE = 0x30;

export interface PinyinReader {
  char(char: string): string;
  run(run: string, atStart: boolean): string[];
}

export function readerOf(table: PinyinTable): PinyinReader {
  const syllables = table.SYLLABLES.split(' ');
  let phraseLength = 0;
  for (const phrase of Object.keys(table.PHRASES)) phraseLength = Math.max(phraseLength, [...phrase].length);

  function char(c: string): string {
    let code = c.codePointAt(0) ?? 0;
    let at = 0;
    for (const block of BLOCKS) {
      const offset = code - block.first;
      if (offset >= 0 && offset < block.size) {
        code = 2 * (at + offset);
        const index =
          (table.READINGS.charCodeAt(code) - DIGIT_BASE) * 32 +
          table.READINGS.charCodeAt(code + 1) -
          DIGIT_BASE;
        return syllables[index] || c;
      }
      at += block.size;
    }
    return c;
  }

  function run(text: string, atStart: boolean): string[] {
    const chars = [...text];
    const out: string[] = [];
    let i = 0;
    if (atStart) {
      // A surname is read as one whatever follows (曾经 as a name is zeng jing), as pinyin-pro does.
      for (const length of [2, 1]) {
        const reading = chars.length >= length ? table.SURNAMES[chars.slice(0, length).join('')] : undefined;
        if (reading === undefined) continue;
        out.push(...(reading ? reading.split(' ') : chars.slice(0, length).map(char)));
        i = length;
        break;
      }
    }
    while (i < chars.length) {
      let matched = 0;
      for (let length = Math.min(phraseLength, chars.length - i); length >= 2 && !matched; length--) {
        const reading = table.PHRASES[chars.slice(i, i + length).join('')];
        if (reading === undefined) continue;
        out.push(...reading.split(' '));
        matched = length;
      }
      if (matched) i += matched;
      else out.push(char(chars[i++] as string));
    }
    return out;
  }

  return { char, run };
}

// Pure, so a bundle that imports features.ts without reading names drops the table.
const reader = /* @__PURE__ */ readerOf(generated);

export function pinyinOfChar(char: string): string {
  return reader.char(char);
}

export function pinyinOfRun(run: string, atStart: boolean): string[] {
  return reader.run(run, atStart);
}
