import { describe, expect, it } from 'vitest';
import type { CustomerItem } from '../../shared/customers/service.ts';
import { planMerge } from '../../shared/customers/survivorship.ts';
import { FieldConflictError, ValidationError } from '../../shared/platform/errors.ts';

function customer(id: string, fields: Partial<CustomerItem>): CustomerItem {
  return {
    customerId: id,
    owner: '',
    tags: [],
    attributes: {},
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    shard: 0,
    ...fields,
  } as CustomerItem;
}

const limits = { maxAddresses: 10 };

describe('planMerge', () => {
  it('keeps the survivor’s values, fills gaps from the most recently updated source, unions the rest', () => {
    // Prepare
    const survivor = customer('S', {
      name: '王芳',
      email: 's@example.com',
      emails: ['s@example.com'],
      tags: ['vip'],
      attributes: { teaPreference: 'longjing' },
      createdAt: '2025-05-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    const older = customer('A', {
      name: 'Fang Wang',
      locale: 'en-US',
      timeZone: 'Europe/Berlin',
      phone: '+8613800138000',
      phones: ['+8613800138000'],
      tags: ['tea', 'vip'],
      attributes: { teaPreference: 'pu-erh', visits: 3 },
      createdAt: '2024-02-01T00:00:00.000Z',
      updatedAt: '2026-02-01T00:00:00.000Z',
    });
    const newer = customer('B', {
      locale: 'zh-CN',
      email: 'b@example.com',
      emails: ['b@example.com', 'b2@example.com'],
      attributes: { visits: 7 },
      updatedAt: '2026-03-01T00:00:00.000Z',
    });
    // Act
    const plan = planMerge(survivor, [older, newer], {}, limits);
    // Assess
    expect(plan.profile).toMatchObject({
      customerId: 'S',
      name: '王芳',
      locale: 'zh-CN',
      timeZone: 'Europe/Berlin',
      email: 's@example.com',
      emails: ['s@example.com', 'b@example.com', 'b2@example.com'],
      phone: '+8613800138000',
      phones: ['+8613800138000'],
      tags: ['vip', 'tea'],
      attributes: { teaPreference: 'longjing', visits: 7 },
      createdAt: '2024-02-01T00:00:00.000Z',
    });
    expect(plan.fields).toMatchObject({
      name: { from: 'S', rule: 'survivor' },
      locale: { from: 'B', rule: 'most-recent' },
      timeZone: { from: 'A', rule: 'most-recent' },
      emails: { from: ['S', 'B'], rule: 'union' },
      'attributes.teaPreference': { from: 'S', rule: 'survivor' },
      'attributes.visits': { from: 'B', rule: 'most-recent' },
      createdAt: { from: 'A', rule: 'earliest' },
    });
    expect(plan.changed).toEqual(
      expect.arrayContaining([
        'locale',
        'timeZone',
        'emails',
        'phone',
        'phones',
        'tags',
        'attributes',
        'createdAt',
      ]),
    );
    expect(plan.changed).not.toContain('name');
    expect(plan.changed).not.toContain('email');
  });

  it('lets `fields` name the winner of a field, the primary email included', () => {
    const survivor = customer('S', { name: 'Old', email: 's@example.com', emails: ['s@example.com'] });
    const loser = customer('L', { name: 'New', email: 'l@example.com', emails: ['l@example.com'] });
    const plan = planMerge(survivor, [loser], { name: 'L', email: 'L' }, limits);
    expect(plan.profile.name).toBe('New');
    expect(plan.profile.emails).toEqual(['l@example.com', 's@example.com']);
    expect(plan.profile.email).toBe('l@example.com');
    expect(plan.fields.name).toEqual({ from: 'L', rule: 'chosen' });
  });

  it('refuses two different externalIds unless `fields` says which stays; the other becomes an alias', () => {
    // Prepare
    const survivor = customer('S', { externalId: 'crm-1' });
    const loser = customer('L', { externalId: 'pos-9', externalIdAliases: ['old-3'] });
    // Act
    const refused = (() => {
      try {
        planMerge(survivor, [loser], {}, limits);
      } catch (error) {
        return error;
      }
    })();
    const chosen = planMerge(survivor, [loser], { externalId: 'L' }, limits);
    // Assess
    expect(refused).toBeInstanceOf(FieldConflictError);
    expect((refused as FieldConflictError).errors.map((e) => e.path)).toEqual(['fields.externalId']);
    expect(chosen.profile.externalId).toBe('pos-9');
    expect(chosen.profile.externalIdAliases).toEqual(['crm-1', 'old-3']);
  });

  it('takes the only externalId there is without asking', () => {
    const plan = planMerge(
      customer('S', { email: 'a@b.cn' }),
      [customer('L', { externalId: 'x-1' })],
      {},
      limits,
    );
    expect(plan.profile.externalId).toBe('x-1');
    expect(plan.profile.externalIdAliases).toBeUndefined();
    expect(plan.fields.externalId).toEqual({ from: 'L', rule: 'most-recent' });
  });

  it('names bad choices: a customer outside the merge, a source without the value', () => {
    const survivor = customer('S', { name: 'A' });
    const loser = customer('L', {});
    const error = (() => {
      try {
        planMerge(survivor, [loser], { name: 'L', locale: 'X' }, limits);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).status).toBe(400);
    expect((error as ValidationError).errors).toEqual([
      { path: 'fields.name', message: 'customer L has no name' },
      { path: 'fields.locale', message: 'must be the survivor or one of mergeIds' },
    ]);
  });

  it('refuses a merge that would hold more addresses than a customer may', () => {
    const emails = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);
    const survivor = customer('S', { emails: emails('s', 6), email: 's0@example.com' });
    const loser = customer('L', { emails: emails('l', 5), email: 'l0@example.com' });
    const error = (() => {
      try {
        planMerge(survivor, [loser], {}, limits);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(FieldConflictError);
    expect((error as FieldConflictError).errors[0]?.path).toBe('mergeIds');
    expect((error as FieldConflictError).errors[0]?.message).toContain('11 emails');
  });

  it('reads customers stored before address lists existed', () => {
    const plan = planMerge(
      customer('S', { email: 's@example.com' }),
      [customer('L', { email: 'l@example.com', phone: '+8613900000000' })],
      {},
      limits,
    );
    expect(plan.profile.emails).toEqual(['s@example.com', 'l@example.com']);
    expect(plan.profile.phones).toEqual(['+8613900000000']);
  });
});
