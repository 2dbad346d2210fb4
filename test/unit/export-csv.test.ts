import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { CustomerView } from '../../shared/customers/schema.ts';
import { csvColumns, csvHeader, csvRows, ndjsonRows, neutralizeFormula } from '../../shared/exports/csv.ts';
import { splitListCell } from '../../shared/imports/mapping.ts';

const customer = (over: Partial<CustomerView> = {}): CustomerView => ({
  id: '01JCUSTOMER0000000000000000',
  email: 'li.na@example.com',
  emails: ['li.na@example.com', 'nana@example.org'],
  phone: '+8613800138000',
  phones: ['+8613800138000'],
  name: '李娜',
  tags: ['vip', 'tea'],
  attributes: { shoeSize: 38, interests: ['oolong', 'puer'] },
  address: { country: 'CN', province: '浙江', city: '杭州' },
  birthday: { date: '1990-05-01', calendar: 'lunar' },
  version: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-02-01T00:00:00.000Z',
  ...over,
});

describe('neutralizeFormula', () => {
  it('prefixes text a spreadsheet would run as a formula', () => {
    for (const danger of [
      '=1+1',
      '+cmd|calc',
      '-2+3',
      '@SUM(A1)',
      '\t=x',
      '\r=x',
      '=HYPERLINK("http://x")',
    ]) {
      expect(neutralizeFormula(danger)).toBe(`'${danger}`);
    }
  });

  it('leaves ordinary text and plain numbers (E.164 phones, negative amounts) alone', () => {
    for (const safe of ['李娜', 'a=b', '+8613800138000', '-12.5', '42', 'user@example.com', '']) {
      expect(neutralizeFormula(safe)).toBe(safe);
    }
  });
});

describe('customers as CSV', () => {
  it('round-trips through a CSV parser: quotes, commas, newlines and Chinese text intact', () => {
    // Prepare
    const columns = csvColumns(['shoeSize', 'interests']);
    const tricky = customer({ name: 'Wang, "Tony"\n王', sourceChannel: '=IMPORTXML(x)' });
    // Act
    const text =
      csvHeader(columns) + csvRows([tricky, customer({ id: '01JCUSTOMER0000000000000001' })], columns);
    // Assess
    expect(text.startsWith('\uFEFF')).toBe(true);
    const rows = parse(text.slice(1), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2);
    expect(rows[0]?.name).toBe('Wang, "Tony"\n王');
    expect(rows[0]?.sourceChannel).toBe("'=IMPORTXML(x)");
    expect(rows[0]?.phone).toBe('+8613800138000');
    expect(rows[0]?.emails).toBe('li.na@example.com;nana@example.org');
    expect(rows[0]?.['address.city']).toBe('杭州');
    expect(rows[0]?.birthday).toBe('1990-05-01');
    expect(rows[0]?.['birthday.calendar']).toBe('lunar');
    expect(rows[0]?.tags).toBe('vip;tea');
    // The import reads list cells back as the lists they were.
    expect(splitListCell(rows[0]?.tags ?? '')).toEqual(['vip', 'tea']);
    expect(rows[0]?.['attributes.shoeSize']).toBe('38');
    expect(rows[0]?.['attributes.interests']).toBe('oolong;puer');
    expect(rows[1]?.id).toBe('01JCUSTOMER0000000000000001');
  });

  it('names custom attribute columns after the built-in ones, sorted', () => {
    const columns = csvColumns(['zeta', 'alpha']);
    expect(columns.slice(-2)).toEqual(['attributes.alpha', 'attributes.zeta']);
    expect(columns[0]).toBe('id');
  });

  it('writes NDJSON one customer per line', () => {
    const text = ndjsonRows([customer(), customer({ name: 'Ann\nLee' })]);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1] ?? '{}').name).toBe('Ann\nLee');
  });
});
