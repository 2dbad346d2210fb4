import { describe, expect, it } from 'vitest';
import { parseKey } from '../../shared/apikeys/service.ts';

describe('parseKey', () => {
  it('splits a well-formed key into id and secret', () => {
    expect(parseKey('ck_01JABCDEFGHJKMNPQRSTVWXYZ0.s3cr-et_X')).toEqual({
      keyId: '01JABCDEFGHJKMNPQRSTVWXYZ0',
      secret: 's3cr-et_X',
    });
  });

  it('refuses anything else', () => {
    for (const bad of [
      '',
      'ck_',
      'xx_01JABCDEFGHJKMNPQRSTVWXYZ0.s',
      'ck_short.s',
      'ck_01JABCDEFGHJKMNPQRSTVWXYZ0',
      'ck_01JABCDEFGHJKMNPQRSTVWXYZ0.a.b',
    ]) {
      expect(parseKey(bad), bad).toBeUndefined();
    }
  });
});
