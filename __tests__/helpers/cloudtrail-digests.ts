/**
 * Builds CloudTrail digest files in code, signed with a key pair generated once per test file, as CloudTrail writes them
 * (CloudTrail user guide, "CloudTrail digest file structure": field names and order from the documented sample;
 * "Custom implementations of CloudTrail log file integrity validation": the data-to-sign string, SHA256withRSA, hex
 * signature in the `x-amz-meta-signature` metadata). The signing string is written out here on its own, not taken
 * from the code under test.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { DigestObject, DigestPublicKey } from '../../handlers/core/sweep/digest-validation';

export const BUCKET = 'vigil-org-trail-110000000002';
export const ORG = 'o-k3m9x2p7qa';
export const ACCOUNT = '110000000008';
export const REGION = 'eu-west-1';

export interface TrailKeys {
  readonly privateKey: KeyObject;
  /** As ListPublicKeys returns it: DER PKCS #1 and a hex fingerprint. */
  readonly publicKey: DigestPublicKey;
}

const FINGERPRINT = '31e8b5433410dfb61a9dc45cc65b22ff';

/** A lazily generated RSA-2048 pair: generating one costs ~0.1–0.3 s of CPU, so each is made once per test file. */
function lazyKeyPair(): () => { readonly privateKey: KeyObject; readonly der: Buffer } {
  let pair: { readonly privateKey: KeyObject; readonly der: Buffer } | undefined;
  return () => {
    if (pair === undefined) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      pair = { privateKey, der: publicKey.export({ format: 'der', type: 'pkcs1' }) };
    }
    return pair;
  };
}
const trailPair = lazyKeyPair();
const otherPair = lazyKeyPair();

/** The test file's trail key pair (the same on every call), published under `fingerprint`. */
export function trailKeys(fingerprint = FINGERPRINT): TrailKeys {
  const { privateKey, der } = trailPair();
  return { privateKey, publicKey: { fingerprint, value: Buffer.from(der) } };
}

/**
 * A second key pair of the test file, never the one {@link trailKeys} returns: a forger's key, or a decoy in a key
 * list. The same on every call.
 */
export function otherTrailKeys(fingerprint = FINGERPRINT): TrailKeys {
  const { privateKey, der } = otherPair();
  return { privateKey, publicKey: { fingerprint, value: Buffer.from(der) } };
}

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** A log file the digest lists: its key and the uncompressed content it hashes. */
export interface ListedLog {
  readonly key: string;
  readonly content: string;
}

export function logKey(time: string, unique: string): string {
  const [y, m, d] = [time.slice(0, 4), time.slice(4, 6), time.slice(6, 8)];
  return `AWSLogs/${ORG}/${ACCOUNT}/CloudTrail/${REGION}/${y}/${m}/${d}/${ACCOUNT}_CloudTrail_${REGION}_${time}_${unique}.json.gz`;
}

export function digestKey(end: string): string {
  const [y, m, d] = [end.slice(0, 4), end.slice(4, 6), end.slice(6, 8)];
  return `AWSLogs/${ORG}/${ACCOUNT}/CloudTrail-Digest/${REGION}/${y}/${m}/${d}/${ACCOUNT}_CloudTrail-Digest_${REGION}_org-trail_${REGION}_${end}.json.gz`;
}

/** A signed digest: the object as the sweep reads it, plus its signature for chaining the next one. */
export interface SignedDigest extends DigestObject {
  readonly signature: string;
  readonly json: Record<string, unknown>;
}

const iso = (compact: string) =>
  `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6, 8)}T${compact.slice(9, 11)}:${compact.slice(11, 13)}:${compact.slice(13, 15)}Z`;

/** Writes and signs a digest ending at `end` (`YYYYMMDDTHHMMSSZ`) listing `logs`, chained to `previous` if given. */
export function signedDigest(
  keys: TrailKeys,
  end: string,
  logs: readonly ListedLog[],
  previous?: SignedDigest,
  tweak: (json: Record<string, unknown>) => void = () => undefined,
): SignedDigest {
  const key = digestKey(end);
  const endTime = iso(end);
  const startTime = new Date(Date.parse(endTime) - 3_600_000).toISOString().replace('.000Z', 'Z');
  const json: Record<string, unknown> = {
    awsAccountId: ACCOUNT,
    digestStartTime: startTime,
    digestEndTime: endTime,
    digestS3Bucket: BUCKET,
    digestS3Object: key,
    digestPublicKeyFingerprint: keys.publicKey.fingerprint,
    digestSignatureAlgorithm: 'SHA256withRSA',
    newestEventTime: logs.length ? endTime : null,
    oldestEventTime: logs.length ? startTime : null,
    previousDigestS3Bucket: previous ? BUCKET : null,
    previousDigestS3Object: previous ? previous.key : null,
    previousDigestHashValue: previous ? sha256(previous.content) : null,
    previousDigestHashAlgorithm: previous ? 'SHA-256' : null,
    previousDigestSignature: previous ? previous.signature : null,
    logFiles: logs.map((l) => ({
      s3Bucket: BUCKET,
      s3Object: l.key,
      hashValue: sha256(l.content),
      hashAlgorithm: 'SHA-256',
      newestEventTime: endTime,
      oldestEventTime: startTime,
    })),
  };
  tweak(json);
  const content = Buffer.from(JSON.stringify(json), 'utf8');
  const toSign = `${endTime}\n${BUCKET}/${key}\n${sha256(content)}\n${previous ? previous.signature : 'null'}`;
  const signature = sign('sha256', Buffer.from(toSign, 'utf8'), keys.privateKey).toString('hex');
  return { bucket: BUCKET, key, content, signature, signatureAlgorithm: 'SHA256withRSA', json };
}
