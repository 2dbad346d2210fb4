/**
 * Text encodings of import files: UTF-8 (with or without a BOM) and GB18030, which is what Chinese
 * spreadsheet tools write when they say "GBK" (GBK is a subset of it). Bytes are decoded one record at a
 * time, so the reader never holds more than a record, and a record that is not valid in the file's
 * encoding is a rejected row rather than text full of replacement characters.
 *
 * Both decoders are the platform's WHATWG TextDecoder (GB18030 through Node's ICU, which the official
 * builds and Lambda's runtime carry in full), `fatal` so invalid bytes throw. iconv-lite did GB18030
 * before: 481 KB of tables in the import reader's bundle, almost its whole size.
 */
export type Encoding = 'utf-8' | 'gb18030';
export type RequestedEncoding = Encoding | 'auto';

export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** How much of the file decides the encoding under `auto`. */
export const SNIFF_BYTES = 64 * 1024;

export class EncodingError extends Error {
  override name = 'EncodingError';
}

export function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/**
 * Decides the encoding from the first bytes of the file: a BOM means UTF-8; bytes that are valid UTF-8
 * are UTF-8; otherwise bytes that are valid GB18030 are GB18030. NUL bytes mean the file is not text at
 * all. `complete` says the sample is the whole file (else a character cut at its end is forgiven).
 */
export function detectEncoding(
  sample: Uint8Array,
  requested: RequestedEncoding,
  complete: boolean,
): Encoding {
  if (sample.includes(0)) {
    throw new EncodingError('The file is not text (it contains NUL bytes): upload a CSV or NDJSON file');
  }
  if (hasUtf8Bom(sample)) {
    if (requested === 'gb18030') {
      throw new EncodingError('The file starts with a UTF-8 byte order mark but gb18030 was requested');
    }
    return 'utf-8';
  }
  if (requested !== 'auto') {
    if (!isValid(sample, requested, complete)) {
      throw new EncodingError(`The start of the file is not valid ${requested}; try encoding "auto"`);
    }
    return requested;
  }
  if (isValid(sample, 'utf-8', complete)) return 'utf-8';
  if (isValid(sample, 'gb18030', complete)) return 'gb18030';
  throw new EncodingError('The file is neither UTF-8 nor GB18030 (GBK) text');
}

function isValid(bytes: Uint8Array, encoding: Encoding, complete: boolean): boolean {
  if (encoding === 'utf-8') {
    try {
      // `stream: true` keeps a multi-byte character cut off at the end of a sample from counting as invalid.
      new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !complete });
      return true;
    } catch {
      return false;
    }
  }
  try {
    new TextDecoder('gb18030', { fatal: true }).decode(bytes, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const gb18030 = new TextDecoder('gb18030', { fatal: true });

/** Decodes one record; throws EncodingError when its bytes are not valid in the encoding. */
export function decodeRecord(bytes: Uint8Array, encoding: Encoding): string {
  if (encoding === 'utf-8') {
    try {
      return utf8.decode(bytes);
    } catch {
      throw new EncodingError('is not valid UTF-8 (the encoding of the rest of the file)');
    }
  }
  try {
    return gb18030.decode(bytes);
  } catch {
    throw new EncodingError('is not valid GB18030 (the encoding of the rest of the file)');
  }
}
