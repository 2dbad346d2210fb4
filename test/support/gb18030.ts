import iconv from 'iconv-lite';

/**
 * Text as GB18030 bytes, as a Chinese spreadsheet saves it. Tests only: the platform decodes GB18030
 * (shared/imports/encoding.ts) but has no encoder for it, and iconv-lite's tables do not belong in a
 * function bundle.
 */
export function encodeGb18030(text: string): Buffer {
  return iconv.encode(text, 'gb18030');
}
