import { stringify } from 'csv-stringify/sync';
import type { CustomerView } from '../customers/schema.ts';
import { LIST_SEPARATOR } from '../imports/mapping.ts';

/**
 * Customers as CSV rows. Columns an import can write keep the import's names (`address.city`,
 * `attributes.<name>`) and lists use its separator, so an export can be edited in a spreadsheet and
 * imported back; read-only columns (id, tier, version, secondary addresses) an import ignores.
 */

const FIXED_COLUMNS = [
  'id',
  'externalId',
  'email',
  'emails',
  'phone',
  'phones',
  'externalIdAliases',
  'name',
  'givenName',
  'familyName',
  'gender',
  'birthday',
  'birthday.calendar',
  'locale',
  'timeZone',
  'address.country',
  'address.province',
  'address.city',
  'tags',
  'sourceChannel',
  'owner',
  'tier',
  'lifecycleStage',
  'version',
  'createdAt',
  'updatedAt',
] as const;

export function csvColumns(customAttributes: string[]): string[] {
  return [...FIXED_COLUMNS, ...[...customAttributes].sort().map((name) => `attributes.${name}`)];
}

/**
 * Spreadsheet formula injection (CWE-1236): a cell that starts with = + - @ or a tab or carriage return
 * may be run as a formula when the file is opened. Such text cells get a leading apostrophe, which
 * spreadsheets show as plain text. A plain number (an E.164 phone, -12.5) cannot carry a formula and is
 * left as it is, so phones and amounts survive the round trip.
 */
export function neutralizeFormula(text: string): string {
  if (!/^[=+\-@\t\r]/.test(text)) return text;
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return text;
  return `'${text}`;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return neutralizeFormula(value.map(String).join(LIST_SEPARATOR));
  return neutralizeFormula(String(value));
}

function valueAt(customer: CustomerView, column: string): unknown {
  switch (column) {
    case 'birthday':
      return customer.birthday?.date;
    case 'birthday.calendar':
      return customer.birthday?.calendar;
    case 'address.country':
      return customer.address?.country;
    case 'address.province':
      return customer.address?.province;
    case 'address.city':
      return customer.address?.city;
    default:
      if (column.startsWith('attributes.')) return customer.attributes[column.slice('attributes.'.length)];
      return (customer as unknown as Record<string, unknown>)[column];
  }
}

export function csvHeader(columns: string[]): string {
  // A UTF-8 byte order mark, so spreadsheet tools read Chinese names as UTF-8 rather than the locale's code page.
  return `\uFEFF${stringify([columns], { record_delimiter: 'windows' })}`;
}

export function csvRows(customers: CustomerView[], columns: string[]): string {
  if (customers.length === 0) return '';
  return stringify(
    customers.map((c) => columns.map((column) => cell(valueAt(c, column)))),
    { record_delimiter: 'windows', quoted_match: /^\s|\s$/ },
  );
}

export function ndjsonRows(customers: CustomerView[]): string {
  return customers.map((c) => `${JSON.stringify(c)}\n`).join('');
}
