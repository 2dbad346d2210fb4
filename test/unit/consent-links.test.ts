import { describe, expect, it } from 'vitest';
import {
  checkFormNonceWith,
  formNonceWith,
  InvalidLinkError,
  type LinkPayload,
  signWith,
  verifyWith,
} from '../../shared/consent/links.ts';

const secret = Buffer.from('a-test-secret-that-is-long-enough-000');
const now = 1_800_000_000;
const payload: LinkPayload = {
  customerId: '01KABCDEFGHJKMNPQRSTVWXYZ0',
  purpose: 'unsubscribe',
  channel: 'email',
  topic: 'promotions',
  exp: now + 60,
};

function problemOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof InvalidLinkError) return error.problem;
    throw error;
  }
}

describe('signed links', () => {
  it('verify what was signed', () => {
    // Act
    const token = signWith(secret, payload);

    // Assess
    expect(verifyWith(secret, token, 'unsubscribe', now)).toEqual(payload);
  });

  it('refuse a changed payload, a changed signature, a cut token and another secret', () => {
    // Prepare
    const token = signWith(secret, payload);
    const [body = '', signature = ''] = token.split('.');
    const otherCustomer = Buffer.from(
      JSON.stringify({ ...payload, customerId: '01KZZZZZZZZZZZZZZZZZZZZZZZ' }),
    ).toString('base64url');
    const flipped = `${signature.slice(0, 20)}${signature[20] === 'A' ? 'B' : 'A'}${signature.slice(21)}`;
    const lastBitFlipped = `${signature.slice(0, -1)}${String.fromCharCode(signature.charCodeAt(42) ^ 1)}`;

    // Act
    const problems = [
      problemOf(() => verifyWith(secret, `${otherCustomer}.${signature}`, 'unsubscribe', now)),
      problemOf(() => verifyWith(secret, `${body}.${flipped}`, 'unsubscribe', now)),
      problemOf(() => verifyWith(secret, `${body}.${lastBitFlipped}`, 'unsubscribe', now)),
      problemOf(() => verifyWith(secret, token.slice(0, -5), 'unsubscribe', now)),
      problemOf(() => verifyWith(secret, 'not a token', 'unsubscribe', now)),
      problemOf(() =>
        verifyWith(Buffer.from('another-secret-that-is-long-enough-00'), token, 'unsubscribe', now),
      ),
    ];

    // Assess
    expect(problems).toEqual([
      'bad_signature',
      'bad_signature',
      'bad_signature',
      'malformed',
      'malformed',
      'bad_signature',
    ]);
  });

  it('refuse an expired link with 410 and a link for another purpose with 400', () => {
    // Prepare
    const token = signWith(secret, payload);

    // Act
    const expired = (() => {
      try {
        verifyWith(secret, token, 'unsubscribe', now + 60);
      } catch (error) {
        return error as InvalidLinkError;
      }
    })();
    const wrongPurpose = problemOf(() => verifyWith(secret, token, 'preferences', now));

    // Assess
    expect(expired).toMatchObject({ problem: 'expired', status: 410 });
    expect(wrongPurpose).toBe('wrong_purpose');
  });
});

describe('form nonces', () => {
  it('hold for the link they were rendered for, for two hours', () => {
    // Prepare
    const nonce = formNonceWith(secret, 'token-a', now);

    // Act
    const checks = {
      same: checkFormNonceWith(secret, 'token-a', nonce, now + 60),
      otherLink: checkFormNonceWith(secret, 'token-b', nonce, now + 60),
      stale: checkFormNonceWith(secret, 'token-a', nonce, now + 2 * 3600 + 1),
      future: checkFormNonceWith(secret, 'token-a', formNonceWith(secret, 'token-a', now + 600), now),
      forged: checkFormNonceWith(secret, 'token-a', `${now}.AAAA`, now),
      empty: checkFormNonceWith(secret, 'token-a', '', now),
    };

    // Assess
    expect(checks).toEqual({
      same: true,
      otherLink: false,
      stale: false,
      future: false,
      forged: false,
      empty: false,
    });
  });
});
