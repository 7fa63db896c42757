import { createHmac } from 'node:crypto';
import {
  approvalLinkUrl,
  type LinkClaims,
  signLinkToken,
  verifyLinkToken,
} from '../../../../handlers/core/approval/signed-link';
import { LINK_KEY, REQUEST_ID } from '../../../helpers/approvals';

const EXPIRES = Date.parse('2024-05-02T11:20:00Z') / 1000;
const BEFORE = new Date('2024-05-02T10:30:00Z');
const claims: LinkClaims = {
  requestId: REQUEST_ID,
  decision: 'approve',
  approver: 'security-oncall@example.com',
  expiresAt: EXPIRES,
  nonce: 'bm9uY2Utb2YtMTYtYnl0ZXM',
};

describe('signLinkToken / verifyLinkToken', () => {
  it('round-trips the claims of a valid token', () => {
    const token = signLinkToken(claims, LINK_KEY);

    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyLinkToken(token, LINK_KEY, BEFORE)).toEqual({ ok: true, claims });
  });

  it('is an HMAC-SHA256 over the encoded claims with a context prefix', () => {
    const [body, mac] = signLinkToken(claims, LINK_KEY).split('.');
    const expected = createHmac('sha256', LINK_KEY).update(`vigil-approval-link:v1:${body}`).digest('base64url');
    expect(mac).toBe(expected);
  });

  it('fails when the token has expired (at the expiry second and after)', () => {
    const token = signLinkToken(claims, LINK_KEY);
    expect(verifyLinkToken(token, LINK_KEY, new Date(EXPIRES * 1000))).toEqual({ ok: false, failure: 'expired' });
    expect(verifyLinkToken(token, LINK_KEY, new Date(EXPIRES * 1000 - 1000)).ok).toBe(true);
  });

  it('fails when the decision was changed from reject to approve', () => {
    const [body, mac] = signLinkToken({ ...claims, decision: 'reject' }, LINK_KEY).split('.');
    const forged = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    forged.d = 'approve';
    const tampered = `${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`;

    expect(verifyLinkToken(tampered, LINK_KEY, BEFORE)).toEqual({ ok: false, failure: 'bad-signature' });
  });

  it('fails when the token was signed with another key', () => {
    const token = signLinkToken(claims, 'another-key-of-at-least-32-characters!');
    expect(verifyLinkToken(token, LINK_KEY, BEFORE)).toEqual({ ok: false, failure: 'bad-signature' });
  });

  it('fails when the expiry was extended', () => {
    const [body, mac] = signLinkToken(claims, LINK_KEY).split('.');
    const forged = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    forged.exp = EXPIRES + 86_400;
    expect(
      verifyLinkToken(`${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`, LINK_KEY, BEFORE),
    ).toEqual({
      ok: false,
      failure: 'bad-signature',
    });
  });

  it.each([
    ['empty', ''],
    ['without a MAC', 'abc'],
    ['with three parts', 'a.b.c'],
    ['with characters outside base64url', 'a+b.c/d'],
    ['longer than 1024 characters', `${'a'.repeat(1100)}.b`],
  ])('fails when the token is %s', (_case, token) => {
    expect(verifyLinkToken(token, LINK_KEY, BEFORE)).toEqual({ ok: false, failure: 'malformed' });
  });

  const valid = { v: 1, rid: REQUEST_ID, d: 'approve', sub: 'a@example.com', exp: EXPIRES, n: 'nonce' };
  it.each([
    ['not JSON', 'not json'],
    ['JSON null', 'null'],
    ['another version', JSON.stringify({ ...valid, v: 2 })],
    ['a bad request id', JSON.stringify({ ...valid, rid: 'nonce#1' })],
    ['an unknown decision', JSON.stringify({ ...valid, d: 'delete' })],
    ['no approver', JSON.stringify({ ...valid, sub: '' })],
    ['a fractional expiry', JSON.stringify({ ...valid, exp: 1.5 })],
    ['no nonce', JSON.stringify({ ...valid, n: '' })],
  ])('fails when correctly signed claims are %s', (_case, json) => {
    const body = Buffer.from(json).toString('base64url');
    const mac = createHmac('sha256', LINK_KEY).update(`vigil-approval-link:v1:${body}`).digest('base64url');
    expect(verifyLinkToken(`${body}.${mac}`, LINK_KEY, BEFORE)).toEqual({ ok: false, failure: 'malformed' });
  });

  it('accepts correctly signed claims built by hand (the format is the documented one)', () => {
    const body = Buffer.from(JSON.stringify(valid)).toString('base64url');
    const mac = createHmac('sha256', LINK_KEY).update(`vigil-approval-link:v1:${body}`).digest('base64url');
    expect(verifyLinkToken(`${body}.${mac}`, LINK_KEY, BEFORE)).toMatchObject({ ok: true, claims: { nonce: 'nonce' } });
  });

  it('fails when the key is shorter than 32 characters (configuration error)', () => {
    expect(() => signLinkToken(claims, 'short')).toThrow(/at least 32 characters/);
    expect(() => verifyLinkToken('a.b', 'short', BEFORE)).toThrow(/at least 32 characters/);
  });

  it.each([
    ['a short nonce', { nonce: 'abc' }, /nonce/],
    ['a request id that is not one', { requestId: 'nonce#x' }, /requestId/],
  ])('refuses to sign %s', (_case, overrides, message) => {
    expect(() => signLinkToken({ ...claims, ...overrides }, LINK_KEY)).toThrow(message);
  });
});

describe('approvalLinkUrl', () => {
  it('puts the token in the query of /approve under the base URL', () => {
    expect(approvalLinkUrl('https://abc.lambda-url.eu-west-1.on.aws/', 'x.y')).toBe(
      'https://abc.lambda-url.eu-west-1.on.aws/approve?token=x.y',
    );
  });
});
