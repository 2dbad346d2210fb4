import type { AttributeType } from '../customers/normalize.ts';
import type { FieldError } from '../platform/errors.ts';

/**
 * From a row of an import file to the input the API would take: which column feeds which target
 * (built-in field, `attributes.<name>`, `customer.<identity>`, `properties.<name>`), dates read in the
 * job's format, typed custom attributes, defaults for empty cells. Validation proper is left to the
 * API's own schemas; this only shapes the input and names the column when a value cannot be read.
 */
export type ImportKind = 'customers' | 'orders' | 'events';

/**
 * A list in one cell (tags, string-list attributes): items separated by `;`, or the full-width `；` that
 * Chinese input methods type. Exports join lists with LIST_SEPARATOR, so a file goes round trip.
 */
export const LIST_SEPARATOR = ';';
export function splitListCell(raw: string): string[] {
  return raw
    .split(/[;；]/)
    .map((t) => t.trim())
    .filter(Boolean);
}

const CUSTOMER_TARGETS = [
  'externalId',
  'email',
  'phone',
  'name',
  'givenName',
  'familyName',
  'gender',
  'birthday',
  'locale',
  'timeZone',
  'address.country',
  'address.province',
  'address.city',
  'tags',
  'sourceChannel',
  'owner',
] as const;
const REF_TARGETS = ['customer.id', 'customer.externalId', 'customer.email', 'customer.phone'] as const;
const ORDER_TARGETS = [
  'id',
  'type',
  'orderId',
  ...REF_TARGETS,
  'occurredAt',
  'amount',
  'currency',
  'channel',
] as const;
const EVENT_TARGETS = ORDER_TARGETS;

export const targetsOf: Record<ImportKind, readonly string[]> = {
  customers: CUSTOMER_TARGETS,
  orders: ORDER_TARGETS,
  events: EVENT_TARGETS,
};
/** The prefix of open-ended targets: custom attributes of customers, properties of orders and events. */
export const openPrefixOf: Record<ImportKind, string> = {
  customers: 'attributes.',
  orders: 'properties.',
  events: 'properties.',
};
const OPEN_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,63}$/;

/** Why a mapping target is not one; undefined when it is. */
export function targetProblem(kind: ImportKind, target: string): string | undefined {
  if (targetsOf[kind].includes(target)) return undefined;
  const prefix = openPrefixOf[kind];
  if (target.startsWith(prefix) && OPEN_NAME.test(target.slice(prefix.length))) return undefined;
  return `is not a target for ${kind}: use one of ${targetsOf[kind].join(', ')} or ${prefix}<name>`;
}

export const dateFormats = [
  'YYYY-MM-DD',
  'DD/MM/YYYY',
  'MM/DD/YYYY',
  'YYYY/M/D',
  'DD.MM.YYYY',
  'YYYYMMDD',
] as const;
export type DateFormat = (typeof dateFormats)[number];

const dateRegex = new Map<DateFormat, { regex: RegExp; order: ('Y' | 'M' | 'D')[] }>();
function formatRegex(format: DateFormat) {
  let found = dateRegex.get(format);
  if (!found) {
    const order: ('Y' | 'M' | 'D')[] = [];
    // Months and days take one or two digits whatever the format says, as spreadsheets write both.
    const part = format === 'YYYYMMDD' ? '(\\d{2})' : '(\\d{1,2})';
    const source = format.replace(/YYYY|MM|DD|M|D|[^A-Z]/g, (token) => {
      if (token === 'YYYY') {
        order.push('Y');
        return '(\\d{4})';
      }
      if (token === 'MM' || token === 'M' || token === 'DD' || token === 'D') {
        order.push(token[0] as 'M' | 'D');
        return part;
      }
      return `\\${token}`;
    });
    found = { regex: new RegExp(`^${source}$`), order };
    dateRegex.set(format, found);
  }
  return found;
}

/** A calendar date in the job's format as YYYY-MM-DD; ISO dates are always understood. */
export function readDate(value: string, format: DateFormat): string | undefined {
  let { regex, order } = formatRegex(format);
  let match = regex.exec(value);
  if (!match) {
    ({ regex, order } = formatRegex('YYYY-MM-DD'));
    match = regex.exec(value);
  }
  if (!match) return undefined;
  const parts: Record<string, string> = {};
  order.forEach((p, i) => {
    parts[p] = match[i + 1] as string;
  });
  const y = Number(parts.Y);
  const m = Number(parts.M);
  const d = Number(parts.D);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
    return undefined;
  return `${parts.Y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** An instant: ISO 8601 with a zone as is; a date (and optional HH:mm[:ss]) in the job's format, as UTC. */
export function readInstant(value: string, format: DateFormat): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}T/.test(value)) return value;
  const match = /^(\S+)(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(value);
  if (!match) return undefined;
  const date = readDate(match[1] as string, format);
  if (!date) return undefined;
  const hh = (match[2] ?? '0').padStart(2, '0');
  return `${date}T${hh}:${match[3] ?? '00'}:${match[4] ?? '00'}Z`;
}

const GENDERS: Record<string, string> = {
  男: 'male',
  女: 'female',
  m: 'male',
  f: 'female',
  male: 'male',
  female: 'female',
  other: 'other',
  unknown: 'unknown',
  其他: 'other',
  未知: 'unknown',
};
const TRUE = new Set(['true', 'yes', 'y', '1', '是']);
const FALSE = new Set(['false', 'no', 'n', '0', '否']);

export interface RowContext {
  kind: ImportKind;
  /** Column to target, already resolved against the header. */
  columns: Map<string, string>;
  dateFormat: DateFormat;
  defaults: Record<string, unknown>;
  attributes: ReadonlyMap<string, AttributeType>;
}

/**
 * Resolves the columns of a header: an explicit mapping wins; a column named like a target (any case)
 * maps to it; other columns are ignored and reported.
 */
export function resolveColumns(
  kind: ImportKind,
  header: readonly string[],
  mapping: Record<string, string>,
  defaults: Record<string, unknown> = {},
): { columns: Map<string, string>; ignored: string[]; problem?: string } {
  const byLower = new Map<string, string>();
  for (const target of targetsOf[kind]) byLower.set(target.toLowerCase(), target);
  const columns = new Map<string, string>();
  const ignored: string[] = [];
  for (const column of header) {
    const explicit = mapping[column];
    const target =
      explicit ??
      byLower.get(column.trim().toLowerCase()) ??
      (targetProblem(kind, column.trim()) === undefined ? column.trim() : undefined);
    if (target) columns.set(column, target);
    else ignored.push(column);
  }
  const missing = Object.keys(mapping).filter((c) => !header.includes(c));
  if (missing.length > 0) {
    return {
      columns,
      ignored,
      problem: `The mapping names columns the file does not have: ${missing.join(', ')}`,
    };
  }
  const targets = new Set([...columns.values(), ...Object.keys(defaults)]);
  const needs =
    kind === 'customers'
      ? [['externalId', 'email', 'phone']]
      : [['id'], REF_TARGETS as readonly string[], ['occurredAt'], ...(kind === 'events' ? [['type']] : [])];
  for (const anyOf of needs) {
    if (!anyOf.some((t) => targets.has(t))) {
      return {
        columns,
        ignored,
        problem: `No column maps to ${anyOf.join(' or ')}; the file's columns are: ${header.slice(0, 20).join(', ')}. Name one in "mapping"`,
      };
    }
  }
  return { columns, ignored };
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const dot = path.indexOf('.');
  if (dot < 0) {
    target[path] = value;
    return;
  }
  const head = path.slice(0, dot);
  target[head] ??= {};
  (target[head] as Record<string, unknown>)[path.slice(dot + 1)] = value;
}

/**
 * Builds the API input of one CSV row. Cells that cannot be read (a date in another format, a number
 * that is not one) are reported by column; empty cells are left out, or take the job's default.
 */
export function rowToInput(
  ctx: RowContext,
  header: readonly string[],
  values: readonly string[],
): { input: Record<string, unknown>; errors: FieldError[]; columnOf: Map<string, string> } {
  const input: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  const columnOf = new Map<string, string>();
  const seen = new Set<string>();
  header.forEach((column, i) => {
    const target = ctx.columns.get(column);
    if (!target) return;
    const raw = (values[i] ?? '').trim();
    columnOf.set(target, column);
    if (raw === '') return;
    seen.add(target);
    const read = readCell(ctx, target, raw);
    if ('error' in read) errors.push({ path: column, message: read.error });
    else setPath(input, target, read.value);
  });
  for (const [target, value] of Object.entries(ctx.defaults)) {
    if (seen.has(target)) continue;
    const read = typeof value === 'string' ? readCell(ctx, target, value) : { value };
    if (!('error' in read)) setPath(input, target, read.value);
  }
  return { input: shapeRef(ctx.kind, input), errors, columnOf };
}

/** NDJSON: the object is the API input itself; the mapping renames top-level keys. */
export function objectToInput(
  ctx: RowContext,
  object: Record<string, unknown>,
  mapping: Record<string, string>,
): { input: Record<string, unknown>; errors: FieldError[]; columnOf: Map<string, string> } {
  const input: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  const columnOf = new Map<string, string>();
  for (const [key, value] of Object.entries(object)) {
    const target = mapping[key] ?? key;
    columnOf.set(target, key);
    if (value === null || value === '') continue;
    if (
      typeof value === 'string' &&
      (target.includes('.') || DATE_TARGETS.has(target) || NUMBER_TARGETS.has(target))
    ) {
      const read = readCell(ctx, target, value);
      if ('error' in read) errors.push({ path: key, message: read.error });
      else setPath(input, target, read.value);
    } else if (target === 'birthday' && typeof value === 'string') {
      setPath(input, target, { date: value });
    } else setPath(input, target, value);
  }
  for (const [target, value] of Object.entries(ctx.defaults)) {
    if ((target.split('.')[0] as string) in input) continue;
    setPath(input, target, value);
  }
  return { input: shapeRef(ctx.kind, input), errors, columnOf };
}

const DATE_TARGETS = new Set(['birthday', 'occurredAt']);
const NUMBER_TARGETS = new Set(['amount']);

/** Orders and events name their customer by exactly one identity: the first of id, externalId, email, phone. */
function shapeRef(kind: ImportKind, input: Record<string, unknown>): Record<string, unknown> {
  if (kind === 'customers') return input;
  if (kind === 'orders' && input.type === undefined) input.type = 'order';
  const customer = input.customer as Record<string, unknown> | undefined;
  if (customer && typeof customer === 'object') {
    const first = ['id', 'externalId', 'email', 'phone'].find((k) => customer[k] !== undefined);
    if (first) input.customer = { [first]: customer[first] };
  }
  return input;
}

function readCell(ctx: RowContext, target: string, raw: string): { value: unknown } | { error: string } {
  if (target === 'birthday') {
    const date = readDate(raw, ctx.dateFormat);
    return date ? { value: { date } } : { error: `is not a date in the format ${ctx.dateFormat}` };
  }
  if (target === 'occurredAt') {
    const instant = readInstant(raw, ctx.dateFormat);
    return instant
      ? { value: instant }
      : {
          error: `is not a date-time: use ISO 8601 with a zone, or ${ctx.dateFormat} [HH:mm[:ss]] (read as UTC)`,
        };
  }
  if (target === 'amount') {
    const n = Number(raw);
    return raw !== '' && Number.isFinite(n) ? { value: n } : { error: 'is not a number' };
  }
  if (target === 'gender') return { value: GENDERS[raw.toLowerCase()] ?? raw };
  if (target === 'tags') return { value: splitListCell(raw) };
  if (target === 'currency') return { value: raw.toUpperCase() };
  if (ctx.kind === 'customers' && target.startsWith('attributes.')) {
    return readAttribute(ctx, target.slice('attributes.'.length), raw);
  }
  return { value: raw };
}

function readAttribute(ctx: RowContext, name: string, raw: string): { value: unknown } | { error: string } {
  const type = ctx.attributes.get(name);
  if (type === 'number') {
    const n = Number(raw);
    return Number.isFinite(n) ? { value: n } : { error: 'is not a number' };
  }
  if (type === 'boolean') {
    const lower = raw.toLowerCase();
    if (TRUE.has(lower)) return { value: true };
    if (FALSE.has(lower)) return { value: false };
    return { error: 'is not a boolean (true/false, yes/no, 1/0, 是/否)' };
  }
  if (type === 'date') {
    const date = readDate(raw, ctx.dateFormat);
    return date ? { value: date } : { error: `is not a date in the format ${ctx.dateFormat}` };
  }
  if (type === 'string_list') return { value: splitListCell(raw) };
  // Strings, and undeclared names, which the customer schema reports with how to declare them.
  return { value: raw };
}
