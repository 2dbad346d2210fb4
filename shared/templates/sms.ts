import type { SmsCount } from './types.ts';

/**
 * SMS segment counting (3GPP TS 23.038). A body that fits the GSM 03.38 default alphabet goes as GSM-7,
 * where the extension table's characters take an escape and so two septets; anything else (Chinese,
 * emoji, most accents) forces UCS-2 for the whole message, where a character outside the BMP is a
 * surrogate pair and takes two units. Multi-part messages lose room to the concatenation header.
 */

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';

const basic = new Set(GSM_BASIC);
const extension = new Set(GSM_EXTENSION);

const LIMITS = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
} as const;

export function countSms(body: string): SmsCount {
  let septets = 0;
  let gsm = true;
  let characters = 0;
  for (const ch of body) {
    characters++;
    if (basic.has(ch)) septets += 1;
    else if (extension.has(ch)) septets += 2;
    else gsm = false;
  }
  const encoding = gsm ? 'GSM-7' : 'UCS-2';
  const units = gsm ? septets : body.length;
  const limit = LIMITS[encoding];
  if (units <= limit.single)
    return { encoding, characters, units, parts: units === 0 ? 0 : 1, perPart: limit.single };
  // An escape and its character never straddle two parts, so a part may hold one septet less.
  const parts = gsm ? gsmParts(body) : ucs2Parts(body);
  return { encoding, characters, units, parts, perPart: limit.multi };
}

function gsmParts(body: string): number {
  let parts = 1;
  let used = 0;
  for (const ch of body) {
    const size = extension.has(ch) ? 2 : 1;
    if (used + size > LIMITS['GSM-7'].multi) {
      parts++;
      used = 0;
    }
    used += size;
  }
  return parts;
}

/** A surrogate pair is not split across parts either (handsets would show two broken halves). */
function ucs2Parts(body: string): number {
  let parts = 1;
  let used = 0;
  for (const ch of body) {
    const size = ch.length;
    if (used + size > LIMITS['UCS-2'].multi) {
      parts++;
      used = 0;
    }
    used += size;
  }
  return parts;
}
