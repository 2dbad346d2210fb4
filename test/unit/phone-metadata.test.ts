import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { type CountryCode, getCountries, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../../shared/customers/normalize.ts';
import { generate } from '../../shared/customers/phone-metadata.gen.ts';

/** What normalizePhone answered with the full "max" metadata, before phone-metadata.ts. */
function withFullMetadata(raw: string, region: string): string | 'invalid' {
  const parsed = parsePhoneNumberFromString(raw, { defaultCountry: region as CountryCode, extract: false });
  return parsed?.isValid() ? parsed.number : 'invalid';
}

function withTrimmedMetadata(raw: string, region: string): string | 'invalid' {
  try {
    return normalizePhone(raw, region);
  } catch {
    return 'invalid';
  }
}

describe('phone metadata without display formats', () => {
  it('is what the generator makes of the installed libphonenumber-js', () => {
    // Prepare
    const committed = readFileSync(
      new URL('../../shared/customers/phone-metadata.ts', import.meta.url),
      'utf8',
    );
    // Act / Assess
    expect(generate() === committed, 'phone-metadata.ts is stale: npm run gen:phone').toBe(true);
  });

  it('normalizes every country example number as the full metadata does, nationally and internationally', () => {
    // Prepare: each country's example mobile number, written as a local would and in E.164.
    const cases = getCountries().flatMap((country) => {
      const national = (examples as Record<string, string>)[country];
      if (!national) return [];
      const full = parsePhoneNumberFromString(national, country);
      return [
        { raw: national, region: country },
        ...(full
          ? [
              { raw: full.number, region: 'CN' },
              { raw: full.formatInternational(), region: 'US' },
            ]
          : []),
      ];
    });
    // Act
    const trimmed = cases.map(({ raw, region }) => withTrimmedMetadata(raw, region));
    // Assess
    expect(cases.length).toBeGreaterThan(600);
    expect(trimmed.filter((r) => r !== 'invalid').length).toBeGreaterThan(500);
    expect(trimmed).toEqual(cases.map(({ raw, region }) => withFullMetadata(raw, region)));
  });

  it('agrees with the full metadata on example numbers with digits changed, added or cut, in any region', () => {
    // Prepare: near-misses of real numbers, so that both valid and invalid answers come up.
    const countries = getCountries().filter((c) => (examples as Record<string, string>)[c]);
    let valid = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...countries),
        fc.constantFrom(...getCountries()),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 9 })), { maxLength: 3 }),
        fc.integer({ min: -2, max: 2 }),
        fc.boolean(),
        (country, region, changes, grow, international) => {
          const full = parsePhoneNumberFromString(
            (examples as Record<string, string>)[country] as string,
            country,
          );
          if (!full) return true;
          const digits = [...full.nationalNumber];
          for (const [at, digit] of changes) digits[at % digits.length] = String(digit);
          const national = grow >= 0 ? digits.join('') + '5'.repeat(grow) : digits.slice(0, grow).join('');
          const raw = international ? `+${full.countryCallingCode}${national}` : national;
          // Act / Assess
          const expected = withFullMetadata(raw, international ? region : country);
          if (expected !== 'invalid') valid++;
          return withTrimmedMetadata(raw, international ? region : country) === expected;
        },
      ),
      { numRuns: 3000 },
    );
    expect(valid).toBeGreaterThan(300);
  });
});
