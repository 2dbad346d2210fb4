import { describe, expect, it } from 'vitest';
import { decodeRecord, detectEncoding, EncodingError, UTF8_BOM } from '../../shared/imports/encoding.ts';
import { RecordFramer } from '../../shared/imports/framing.ts';
import {
  readDate,
  readInstant,
  resolveColumns,
  rowToInput,
  targetProblem,
} from '../../shared/imports/mapping.ts';
import { encodeGb18030 } from '../support/gb18030.ts';

function frame(text: string | Buffer, pieces = 3, maxRecordBytes = 1000) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const framer = new RecordFramer({ quotes: true, maxRecordBytes, startOffset: 0 });
  const out = [];
  const size = Math.max(1, Math.ceil(bytes.length / pieces));
  for (let i = 0; i < bytes.length; i += size) out.push(...framer.push(bytes.subarray(i, i + size)));
  out.push(...framer.end());
  return out;
}

describe('encoding detection', () => {
  it('reads a BOM as UTF-8, valid UTF-8 as UTF-8 and Chinese GBK bytes as GB18030', () => {
    // Prepare
    const bom = Buffer.concat([UTF8_BOM, Buffer.from('name\n王芳\n')]);
    const utf8 = Buffer.from('name\n王芳\n');
    const gbk = encodeGb18030('姓名\n王芳\n');

    // Act
    const found = [bom, utf8, gbk].map((b) => detectEncoding(b, 'auto', true));

    // Assess
    expect(found).toEqual(['utf-8', 'utf-8', 'gb18030']);
    expect(decodeRecord(gbk.subarray(0, 4), 'gb18030')).toBe('姓名');
  });

  it('refuses binary content and bytes that are neither UTF-8 nor GB18030', () => {
    // Prepare
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]);
    const garbage = Buffer.from([0x61, 0xff, 0xff, 0x80, 0x62]);

    // Act / Assess
    expect(() => detectEncoding(png, 'auto', true)).toThrow(/not text/);
    expect(() => detectEncoding(garbage, 'auto', true)).toThrow(EncodingError);
    expect(() => detectEncoding(garbage, 'auto', true)).toThrow(/neither UTF-8 nor GB18030/);
  });

  it('forgives a character cut off at the end of a sample, not one in the middle', () => {
    // Prepare
    const text = Buffer.from('name\n王芳');
    const cut = text.subarray(0, text.length - 1);

    // Act / Assess
    expect(detectEncoding(cut, 'auto', false)).toBe('utf-8');
    expect(() => decodeRecord(Buffer.from([0x61, 0xe7, 0x62]), 'utf-8')).toThrow(/not valid UTF-8/);
  });

  it('does the same for GB18030: a cut two-byte character at the end passes, a bad one in a record fails', () => {
    // Prepare: 王芳 in GB18030, the last byte cut off; a lead byte followed by a byte no trail can be.
    const gbk = encodeGb18030('姓名\n王芳');
    const cut = gbk.subarray(0, gbk.length - 1);
    const bad = Buffer.from([0xcd, 0xf5, 0x81, 0x7f]);

    // Act / Assess
    expect(detectEncoding(cut, 'gb18030', false)).toBe('gb18030');
    expect(() => detectEncoding(cut, 'gb18030', true)).toThrow(/not valid gb18030/);
    expect(decodeRecord(gbk.subarray(0, 4), 'gb18030')).toBe('姓名');
    expect(() => decodeRecord(bad, 'gb18030')).toThrow(/not valid GB18030/);
  });
});

describe('record framing', () => {
  it('keeps quoted commas, quotes and newlines inside one record, with the offset past each record', () => {
    // Prepare
    const csv = 'a,b\r\n1,"x, ""y""\r\nz"\r\n2,3';

    // Act
    const records = frame(csv, 7);

    // Assess
    expect(records.map((r) => r.bytes.toString())).toEqual(['a,b', '1,"x, ""y""\r\nz"', '2,3']);
    expect(records.map((r) => r.end)).toEqual([5, 22, 25]);
  });

  it('reports an over-long line as oversized without keeping its bytes, and goes on with the next', () => {
    // Prepare
    const csv = `a\n${'x'.repeat(10_000)}\nb\n`;

    // Act
    const records = frame(csv, 50, 100);

    // Assess
    expect(records.map((r) => [r.oversized, r.bytes.toString()])).toEqual([
      [false, 'a'],
      [true, ''],
      [false, 'b'],
    ]);
    expect(records[1]?.length).toBeGreaterThanOrEqual(10_000);
  });

  it('gives nothing for an empty file', () => {
    expect(frame('')).toEqual([]);
  });
});

describe('column mapping and dates', () => {
  it('reads each date format and refuses impossible dates', () => {
    expect(readDate('02/03/1990', 'DD/MM/YYYY')).toBe('1990-03-02');
    expect(readDate('02/03/1990', 'MM/DD/YYYY')).toBe('1990-02-03');
    expect(readDate('1990/3/2', 'YYYY/M/D')).toBe('1990-03-02');
    expect(readDate('19900302', 'YYYYMMDD')).toBe('1990-03-02');
    expect(readDate('1990-03-02', 'DD/MM/YYYY')).toBe('1990-03-02');
    expect(readDate('31/02/1990', 'DD/MM/YYYY')).toBeUndefined();
    expect(readInstant('02/03/2026 08:30', 'DD/MM/YYYY')).toBe('2026-03-02T08:30:00Z');
  });

  it('maps named columns, custom attributes and defaults, and names the column of a value it cannot read', () => {
    // Prepare
    const header = ['Email', '手机', 'VIP', '生日', 'Extra'];
    const mapping = { Email: 'email', 手机: 'phone', VIP: 'attributes.vip', 生日: 'birthday' };
    const { columns, ignored } = resolveColumns('customers', header, mapping);
    const ctx = {
      kind: 'customers' as const,
      columns,
      dateFormat: 'DD/MM/YYYY' as const,
      defaults: { sourceChannel: 'import' },
      attributes: new Map([['vip', 'boolean' as const]]),
    };

    // Act
    const good = rowToInput(ctx, header, ['A@x.cn', '138 0013 8000', '是', '02/03/1990', 'ignored']);
    const bad = rowToInput(ctx, header, ['a@x.cn', '', 'maybe', '1990.03.02', '']);

    // Assess
    expect(ignored).toEqual(['Extra']);
    expect(good.input).toEqual({
      email: 'A@x.cn',
      phone: '138 0013 8000',
      attributes: { vip: true },
      birthday: { date: '1990-03-02' },
      sourceChannel: 'import',
    });
    expect(bad.errors).toEqual([
      { path: 'VIP', message: expect.stringContaining('is not a boolean') },
      { path: '生日', message: 'is not a date in the format DD/MM/YYYY' },
    ]);
  });

  it('refuses a header that maps no identity, and targets that do not exist', () => {
    // Act
    const resolved = resolveColumns('customers', ['<html>'], {});

    // Assess
    expect(resolved.problem).toMatch(/No column maps to externalId or email or phone/);
    expect(targetProblem('customers', 'e-mail')).toMatch(/is not a target for customers/);
    expect(targetProblem('orders', 'customer.email')).toBeUndefined();
    expect(targetProblem('customers', 'attributes.tier_2')).toBeUndefined();
  });
});
