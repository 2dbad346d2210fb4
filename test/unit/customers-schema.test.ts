import { describe, expect, it } from 'vitest';
import { customerPatchSchema, customerUpsertSchema } from '../../shared/customers/schema.ts';
import { zodIssuesToFieldErrors } from '../../shared/platform/validation.ts';

function errorsOf(input: unknown) {
  const result = customerUpsertSchema.safeParse(input);
  return result.success ? [] : zodIssuesToFieldErrors(result.error.issues, '');
}

describe('customer upsert schema', () => {
  it('normalizes email and names in any script', () => {
    // Prepare
    const input = {
      email: '  Wang.Fang@Example.COM ',
      name: '  王  芳 ',
      familyName: 'Müller',
      givenName: 'Zoë',
    };
    // Act
    const parsed = customerUpsertSchema.parse(input);
    // Assess
    expect(parsed.email).toBe('wang.fang@example.com');
    expect(parsed.name).toBe('王 芳');
    expect(parsed.familyName).toBe('Müller');
    expect(parsed.givenName).toBe('Zoë'.normalize('NFC'));
  });

  it('requires at least one identity', () => {
    expect(errorsOf({ name: '李伟' })).toEqual([
      { path: 'externalId', message: 'needs at least one identity: externalId, email or phone' },
    ]);
  });

  it('names every unknown field and every bad value', () => {
    // Act
    const errors = errorsOf({
      email: 'not-an-email',
      nickname: 'x',
      timeZone: 'Mars/Olympus',
      locale: 'not a locale!',
      address: { country: 'China' },
      gender: 'robot',
    });
    // Assess
    const paths = errors.map((e) => e.path).sort();
    expect(paths).toEqual(['address.country', 'email', 'gender', 'locale', 'nickname', 'timeZone']);
    expect(errors.find((e) => e.path === 'nickname')?.message).toBe('is not a known field');
  });

  it('accepts lunar birthdays up to day 30 and rejects impossible gregorian dates', () => {
    expect(errorsOf({ email: 'a@b.cn', birthday: { date: '1988-02-30', calendar: 'lunar' } })).toEqual([]);
    expect(errorsOf({ email: 'a@b.cn', birthday: { date: '1988-02-30' } })).toEqual([
      { path: 'birthday.date', message: 'is not a real calendar date' },
    ]);
    expect(errorsOf({ email: 'a@b.cn', birthday: { date: '--12-24' } })).toEqual([]);
    expect(errorsOf({ email: 'a@b.cn', birthday: { date: '1988-13-01', calendar: 'lunar' } })[0]?.path).toBe(
      'birthday.date',
    );
  });

  it('rejects control characters in text', () => {
    expect(errorsOf({ email: 'a@b.cn', name: 'bad\u0007name' })).toEqual([
      { path: 'name', message: 'must not contain control characters' },
    ]);
  });

  it('canonicalizes locale tags and dedupes tags', () => {
    const parsed = customerUpsertSchema.parse({
      email: 'a@b.cn',
      locale: 'zh-hans-cn',
      tags: ['vip', 'vip', '会员'],
    });
    expect(parsed.locale).toBe('zh-Hans-CN');
    expect(parsed.tags).toEqual(['vip', '会员']);
  });
});

describe('customer patch schema', () => {
  it('allows null to remove a field', () => {
    expect(customerPatchSchema.parse({ owner: null, tags: null })).toEqual({ owner: null, tags: null });
  });
});
