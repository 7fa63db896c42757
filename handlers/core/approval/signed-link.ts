/**
 * Signed approval links, for approvers outside Slack (email). A link carries a token
 * `<claims>.<mac>`: both base64url, the MAC an HMAC-SHA256 of the encoded claims under a key that only
 * the approval endpoint and the issuer know. The claims name the request, the decision, the approver
 * the link was issued to, an expiry and a random nonce; the approval store records used nonces, so a
 * token decides at most once even before the request's own single-use check.
 *
 * Whoever holds a link acts as the approver it names: send each link to that approver alone (not to
 * a shared list). Pure: the nonce and the clock are passed in (randomness lives in the adapters).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { REQUEST_ID_PATTERN } from './request';

/** The decision a link makes. */
export type LinkDecision = 'approve' | 'reject';

/** What a token asserts. */
export interface LinkClaims {
  readonly requestId: string;
  readonly decision: LinkDecision;
  /** The approver the link is issued to (an entry of `approvers.emails`). */
  readonly approver: string;
  /** Epoch seconds; the link is refused from this instant on. */
  readonly expiresAt: number;
  /** At least 16 random bytes, base64url (e.g. `randomBytes(16).toString('base64url')`). */
  readonly nonce: string;
}

export type LinkCheck =
  | { readonly ok: true; readonly claims: LinkClaims }
  | { readonly ok: false; readonly failure: 'malformed' | 'bad-signature' | 'expired' };

/** HMAC keys shorter than this are refused: the key must carry at least 256 bits (RFC 2104's L for SHA-256). */
export const MIN_LINK_KEY_LENGTH = 32;

/** Longest token accepted, so a hostile query string costs nothing to refuse. */
const MAX_TOKEN_LENGTH = 1024;

/** Domain separation: a MAC made for anything else under the same key is never a valid link. */
const CONTEXT = 'vigil-approval-link:v1:';

/** Signs `claims` with `key`; the token is URL-safe as is. */
export function signLinkToken(claims: LinkClaims, key: string): string {
  assertKey(key);
  if (!REQUEST_ID_PATTERN.test(claims.requestId)) throw new RangeError('link claims: requestId is not a request id');
  if (!/^[A-Za-z0-9_-]{22,}$/.test(claims.nonce)) {
    throw new RangeError('link claims: nonce must be at least 16 random bytes, base64url');
  }
  const body = Buffer.from(
    JSON.stringify({
      v: 1,
      rid: claims.requestId,
      d: claims.decision,
      sub: claims.approver,
      exp: claims.expiresAt,
      n: claims.nonce,
    }),
    'utf8',
  ).toString('base64url');
  return `${body}.${mac(body, key)}`;
}

/**
 * Verifies a token: shape, MAC (constant-time), then expiry. Claims are read only after the MAC
 * matched, so nothing in an unauthenticated token is ever interpreted.
 */
export function verifyLinkToken(token: string, key: string, now: Date): LinkCheck {
  assertKey(key);
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, failure: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) {
    return { ok: false, failure: 'malformed' };
  }
  const [body, given] = parts;
  const expected = Buffer.from(mac(body, key), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, failure: 'bad-signature' };
  }
  const claims = readClaims(body);
  if (!claims) return { ok: false, failure: 'malformed' };
  if (Math.floor(now.getTime() / 1000) >= claims.expiresAt) return { ok: false, failure: 'expired' };
  return { ok: true, claims };
}

/** The approval URL for `token` under the endpoint's base URL (the function URL). */
export function approvalLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/approve?token=${encodeURIComponent(token)}`;
}

function mac(body: string, key: string): string {
  return createHmac('sha256', key)
    .update(CONTEXT + body)
    .digest('base64url');
}

function assertKey(key: string): void {
  // A configuration error, not a request error: the caller lets it surface as a 500 and a log line.
  if (key.length < MIN_LINK_KEY_LENGTH) {
    throw new RangeError(`approval link key must be at least ${MIN_LINK_KEY_LENGTH} characters`);
  }
}

function readClaims(body: string): LinkClaims | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (o.v !== 1) return undefined;
  if (typeof o.rid !== 'string' || !REQUEST_ID_PATTERN.test(o.rid)) return undefined;
  if (o.d !== 'approve' && o.d !== 'reject') return undefined;
  if (typeof o.sub !== 'string' || o.sub === '') return undefined;
  if (typeof o.exp !== 'number' || !Number.isInteger(o.exp)) return undefined;
  if (typeof o.n !== 'string' || o.n === '') return undefined;
  return { requestId: o.rid, decision: o.d, approver: o.sub, expiresAt: o.exp, nonce: o.n };
}
