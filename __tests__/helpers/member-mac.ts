/**
 * A stand-in for the KMS member request key: HMAC-SHA-256 with a fixed test secret, so the signer and
 * the verifier really disagree on a changed message (a mocked VerifyMac would accept anything).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A signer and a verifier over one test key (`secret` makes a second, foreign key). */
export function fakeMacKey(secret = 'vigil-test-member-request-key') {
  const mac = (message: string) => createHmac('sha256', secret).update(message).digest();
  return {
    sign: async (message: string): Promise<string> => mac(message).toString('base64'),
    verify: async (message: string, given: string): Promise<boolean> => {
      const expected = mac(message);
      const actual = Buffer.from(given, 'base64');
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}
