import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/core';
import { type FieldError, ValidationError } from '../platform/errors.ts';
import { phoneMetadata } from './phone-metadata.ts';

/**
 * Phone numbers become E.164. A number written without a country code is read in the stage's default
 * region (e.g. CN), so "138 0013 8000" and "+86 138-0013-8000" are the same identity.
 */
export function normalizePhone(raw: string, defaultRegion: string, path = 'phone'): string {
  // libphonenumber-js's "max" metadata (validation by number type), less display formats: see phone-metadata.gen.ts.
  const parsed = parsePhoneNumberFromString(
    raw,
    { defaultCountry: defaultRegion as CountryCode, extract: false },
    phoneMetadata,
  );
  if (!parsed?.isValid()) {
    throw ValidationError.field(
      path,
      `is not a valid phone number (numbers without a country code are read as ${defaultRegion})`,
    );
  }
  return parsed.number;
}

export type AttributeType = 'string' | 'number' | 'boolean' | 'date' | 'string_list';
export type AttributeValue = string | number | boolean | string[];

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Checks custom attribute values against their declared types; unknown names are errors. */
export function checkCustomAttributes(
  values: Record<string, AttributeValue | null>,
  declared: ReadonlyMap<string, AttributeType>,
): void {
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(values)) {
    const path = `attributes.${name}`;
    const type = declared.get(name);
    if (!type) {
      errors.push({
        path,
        message: `is not a declared attribute; declare it with PUT /v1/attributes/${name}`,
      });
      continue;
    }
    if (value === null) continue;
    const ok =
      (type === 'string' && typeof value === 'string') ||
      (type === 'number' && typeof value === 'number' && Number.isFinite(value)) ||
      (type === 'boolean' && typeof value === 'boolean') ||
      (type === 'date' &&
        typeof value === 'string' &&
        DATE.test(value) &&
        !Number.isNaN(Date.parse(value))) ||
      (type === 'string_list' && Array.isArray(value));
    if (!ok) errors.push({ path, message: `must be a ${type.replace('_', ' ')}` });
  }
  if (errors.length > 0) throw new ValidationError(errors);
}
