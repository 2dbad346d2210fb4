import { describe, expect, it } from 'vitest';
import { checkCustomAttributes, normalizePhone } from '../../shared/customers/normalize.ts';
import { ValidationError } from '../../shared/platform/errors.ts';

describe('normalizePhone', () => {
  it('reads numbers without a country code in the default region', () => {
    expect(normalizePhone('138 0013 8000', 'CN')).toBe('+8613800138000');
    expect(normalizePhone('+86 138-0013-8000', 'CN')).toBe('+8613800138000');
    expect(normalizePhone('(212) 555-0123', 'US')).toBe('+12125550123');
    expect(normalizePhone('+44 20 7946 0958', 'CN')).toBe('+442079460958');
  });

  it('rejects numbers that cannot exist, naming the field', () => {
    // Act
    const attempt = () => normalizePhone('12345', 'CN', 'events[2].customer.phone');
    // Assess
    expect(attempt).toThrow(ValidationError);
    try {
      attempt();
    } catch (error) {
      expect((error as ValidationError).errors[0]?.path).toBe('events[2].customer.phone');
    }
  });
});

describe('checkCustomAttributes', () => {
  const declared = new Map([
    ['shoeSize', 'number'],
    ['memberSince', 'date'],
    ['interests', 'string_list'],
    ['newsletter', 'boolean'],
  ] as const);

  it('accepts values of the declared types and null for removal', () => {
    expect(() =>
      checkCustomAttributes(
        { shoeSize: 42, memberSince: '2024-03-01', interests: ['茶', 'tea'], newsletter: null },
        declared,
      ),
    ).not.toThrow();
  });

  it('reports undeclared names and wrong types per field', () => {
    // Act
    let caught: ValidationError | undefined;
    try {
      checkCustomAttributes({ shoeSize: '42', memberSince: '2024-02-31x', colour: 'red' }, declared);
    } catch (error) {
      caught = error as ValidationError;
    }
    // Assess
    expect(caught?.errors).toEqual([
      { path: 'attributes.shoeSize', message: 'must be a number' },
      { path: 'attributes.memberSince', message: 'must be a date' },
      {
        path: 'attributes.colour',
        message: 'is not a declared attribute; declare it with PUT /v1/attributes/colour',
      },
    ]);
  });
});
