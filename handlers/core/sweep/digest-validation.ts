/**
 * CloudTrail log file integrity validation, as the sweep does it: parse a digest file, verify its signature, check
 * the link to the previous digest, and compare the log files it lists with the ones the sweep read. Pure: the caller
 * reads the objects (handlers/adapters/sweep) and the public keys (CloudTrail ListPublicKeys); node:crypto only
 * computes.
 *
 * Documented facts relied on (CloudTrail user guide, "CloudTrail digest file structure" and "Custom implementations
 * of CloudTrail log file integrity validation"; the AWS CLI's `cloudtrail validate-logs`,
 * awscli/customizations/cloudtrail/validation.py, does the same):
 * - The signature is the hex-encoded `x-amz-meta-signature` metadata of the digest object (the SDK's `Metadata`
 *   map drops the `x-amz-meta-` prefix: `signature`, `signature-algorithm`), algorithm `SHA256withRSA`.
 * - Data to sign: `digestEndTime + "\n" + digestS3Bucket + "/" + digestS3Object + "\n" +
 *   hex(SHA-256(uncompressed digest file)) + "\n" + previousDigestSignature`, where a starting digest's null
 *   previous signature is written `null` (the CLI: "The value must be 'null' to match the Java implementation").
 * - `logFiles[].hashValue` is the hex SHA-256 of the *uncompressed* log file content, and
 *   `previousDigestHashValue` the hex hash of the uncompressed contents of the previous digest file.
 * - The public key (ListPublicKeys `Value`) is DER, documented as PKCS #1; SubjectPublicKeyInfo is accepted too, as
 *   the documented sample list holds both. Keys are per region and picked by `digestPublicKeyFingerprint`.
 * - A starting digest (validation or logging (re)started) has null `previousDigest*` fields; backfill digests
 *   (`_backfill` suffix) list log files that missed their hourly digest.
 */
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';

/** The signature algorithm CloudTrail uses, as the digest and its metadata name it. */
export const SIGNATURE_ALGORITHM = 'SHA256withRSA';
/** The hash algorithm of log files and of the previous digest, as the digest names it. */
export const HASH_ALGORITHM = 'SHA-256';

/** One log file a digest lists. */
export interface DigestLogFile {
  readonly s3Bucket: string;
  readonly s3Object: string;
  /** Hex SHA-256 of the uncompressed log file. */
  readonly hashValue: string;
  readonly hashAlgorithm: string;
  readonly newestEventTime: string | null;
  readonly oldestEventTime: string | null;
}

/** A parsed digest file (the fields the validation uses; others are ignored). */
export interface CloudTrailDigest {
  readonly awsAccountId: string;
  readonly digestStartTime: string;
  readonly digestEndTime: string;
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  readonly digestPublicKeyFingerprint: string;
  readonly digestSignatureAlgorithm: string;
  readonly newestEventTime: string | null;
  readonly oldestEventTime: string | null;
  readonly previousDigestS3Bucket: string | null;
  readonly previousDigestS3Object: string | null;
  readonly previousDigestHashValue: string | null;
  readonly previousDigestHashAlgorithm: string | null;
  readonly previousDigestSignature: string | null;
  readonly logFiles: readonly DigestLogFile[];
}

/** A digest object as read: where it was read from, its uncompressed bytes, and the signature to check. */
export interface DigestObject {
  readonly bucket: string;
  readonly key: string;
  /** The uncompressed digest file. */
  readonly content: Uint8Array;
  /**
   * Hex signature: the object's `signature` metadata, or for a previous digest the next one's
   * `previousDigestSignature`. @default - none: the digest cannot be verified
   */
  readonly signature?: string;
  /** The object's `signature-algorithm` metadata. @default - not checked */
  readonly signatureAlgorithm?: string;
}

/** A CloudTrail public key, as ListPublicKeys returns it. */
export interface DigestPublicKey {
  /** Hex fingerprint, matched against `digestPublicKeyFingerprint`. */
  readonly fingerprint: string;
  /** DER-encoded RSA public key (PKCS #1, or SubjectPublicKeyInfo). */
  readonly value: Uint8Array;
}

/** A digest whose signature checked out. */
export interface VerifiedDigest {
  readonly bucket: string;
  readonly key: string;
  readonly digest: CloudTrailDigest;
  /** Hex SHA-256 of the uncompressed digest file (what the next digest's `previousDigestHashValue` must be). */
  readonly sha256: string;
  readonly signature: string;
}

/** Why a digest failed validation, as a stable code. */
export type DigestFailure =
  | 'format'
  | 'moved'
  | 'no-signature'
  | 'unsupported-algorithm'
  | 'unknown-key'
  | 'bad-key'
  | 'bad-signature';

export type DigestCheck =
  | { readonly ok: true; readonly verified: VerifiedDigest }
  | { readonly ok: false; readonly code: DigestFailure; readonly reason: string };

export type ParsedDigest =
  | { readonly ok: true; readonly digest: CloudTrailDigest }
  | { readonly ok: false; readonly reason: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const HEX = /^(?:[0-9a-f]{2})+$/i;

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Parses an uncompressed digest file; every field the validation reads must be there with its documented type. */
export function parseDigest(content: Uint8Array): ParsedDigest {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (!isObject(raw)) return { ok: false, reason: 'not a JSON object' };
  const problems: string[] = [];
  const str = (o: Json, k: string, where = ''): string => {
    const v = o[k];
    if (typeof v === 'string' && v !== '') return v;
    problems.push(`${where}${k}`);
    return '';
  };
  const opt = (o: Json, k: string, where = ''): string | null => {
    const v = o[k];
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return v;
    problems.push(`${where}${k}`);
    return null;
  };
  const digest = {
    awsAccountId: str(raw, 'awsAccountId'),
    digestStartTime: str(raw, 'digestStartTime'),
    digestEndTime: str(raw, 'digestEndTime'),
    digestS3Bucket: str(raw, 'digestS3Bucket'),
    digestS3Object: str(raw, 'digestS3Object'),
    digestPublicKeyFingerprint: str(raw, 'digestPublicKeyFingerprint'),
    digestSignatureAlgorithm: str(raw, 'digestSignatureAlgorithm'),
    newestEventTime: opt(raw, 'newestEventTime'),
    oldestEventTime: opt(raw, 'oldestEventTime'),
    previousDigestS3Bucket: opt(raw, 'previousDigestS3Bucket'),
    previousDigestS3Object: opt(raw, 'previousDigestS3Object'),
    previousDigestHashValue: opt(raw, 'previousDigestHashValue'),
    previousDigestHashAlgorithm: opt(raw, 'previousDigestHashAlgorithm'),
    previousDigestSignature: opt(raw, 'previousDigestSignature'),
    logFiles: [] as DigestLogFile[],
  };
  if (!Array.isArray(raw['logFiles'])) problems.push('logFiles');
  else {
    raw['logFiles'].forEach((f: unknown, i) => {
      const where = `logFiles[${i}].`;
      if (!isObject(f)) {
        problems.push(`logFiles[${i}]`);
        return;
      }
      digest.logFiles.push({
        s3Bucket: str(f, 's3Bucket', where),
        s3Object: str(f, 's3Object', where),
        hashValue: str(f, 'hashValue', where),
        hashAlgorithm: str(f, 'hashAlgorithm', where),
        newestEventTime: opt(f, 'newestEventTime', where),
        oldestEventTime: opt(f, 'oldestEventTime', where),
      });
    });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join(', ') + (problems.length > 5 ? `, … (${problems.length})` : '');
    return { ok: false, reason: `missing or mistyped fields: ${shown}` };
  }
  return { ok: true, digest };
}

/** The documented data-to-sign string of a digest (see the module comment). */
export function dataToSign(digest: CloudTrailDigest, content: Uint8Array): string {
  return [
    digest.digestEndTime,
    `${digest.digestS3Bucket}/${digest.digestS3Object}`,
    sha256Hex(content),
    digest.previousDigestSignature ?? 'null',
  ].join('\n');
}

/** An RSA public key from ListPublicKeys' DER value, or why it cannot be used. */
function publicKeyOf(value: Uint8Array): KeyObject | string {
  const der = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  for (const type of ['pkcs1', 'spki'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      return key.asymmetricKeyType === 'rsa' ? key : `a ${key.asymmetricKeyType} key, not RSA`;
    } catch {
      // try the next encoding
    }
  }
  return 'not a DER RSA public key (PKCS #1 or SubjectPublicKeyInfo)';
}

/**
 * Verifies one digest: parsed, read from the location it names (a digest copied elsewhere proves nothing), signed
 * with SHA256withRSA by the key its fingerprint names, and the signature matches the data to sign.
 */
export function verifyDigest(object: DigestObject, publicKeys: readonly DigestPublicKey[]): DigestCheck {
  const fail = (code: DigestFailure, reason: string): DigestCheck => ({ ok: false, code, reason });
  const parsed = parseDigest(object.content);
  if (!parsed.ok) return fail('format', `not a CloudTrail digest file: ${parsed.reason}`);
  const { digest } = parsed;
  if (digest.digestS3Bucket !== object.bucket || digest.digestS3Object !== object.key) {
    return fail(
      'moved',
      `read from s3://${object.bucket}/${object.key} but names s3://${digest.digestS3Bucket}/${digest.digestS3Object}`,
    );
  }
  for (const algorithm of [digest.digestSignatureAlgorithm, object.signatureAlgorithm]) {
    if (algorithm !== undefined && algorithm !== SIGNATURE_ALGORITHM) {
      return fail('unsupported-algorithm', `signature algorithm ${algorithm}, expected ${SIGNATURE_ALGORITHM}`);
    }
  }
  const signature = object.signature;
  if (signature === undefined || signature === '') return fail('no-signature', 'the object has no signature metadata');
  if (!HEX.test(signature)) return fail('bad-signature', 'the signature is not hex');
  const fingerprint = digest.digestPublicKeyFingerprint.toLowerCase();
  const candidate = publicKeys.find((k) => k.fingerprint.toLowerCase() === fingerprint);
  if (!candidate) return fail('unknown-key', `no public key with fingerprint ${fingerprint}`);
  const key = publicKeyOf(candidate.value);
  if (typeof key === 'string') return fail('bad-key', `public key ${fingerprint}: ${key}`);
  const data = Buffer.from(dataToSign(digest, object.content), 'utf8');
  if (!verify('sha256', data, key, Buffer.from(signature, 'hex'))) {
    return fail('bad-signature', 'the signature does not match the digest (the digest or its signature was changed)');
  }
  return {
    ok: true,
    verified: {
      bucket: object.bucket,
      key: object.key,
      digest,
      sha256: sha256Hex(object.content),
      signature: signature.toLowerCase(),
    },
  };
}

/** The link from a verified digest to its previous one. */
export type ChainLink =
  /** A starting digest: validation or logging was (re)started here; nothing before it is chained. */
  | { readonly status: 'start' }
  | { readonly status: 'linked'; readonly previous: string }
  /** The previous digest was not looked at (not given): neither proven nor broken. */
  | { readonly status: 'unchecked'; readonly previous: string }
  | {
      readonly status: 'broken';
      readonly previous: string;
      readonly code: 'previous-missing' | 'previous-invalid' | 'previous-modified' | 'signature-mismatch' | 'bad-link';
      readonly reason: string;
    };

/** What is known of the previous digest: verified, confirmed absent, failed its own validation, or not looked at. */
export type PreviousDigest = VerifiedDigest | 'not-found' | { readonly invalid: string } | undefined;

/** Checks that `current` chains to `previous`: location, hash of its uncompressed content, and its signature. */
export function checkChainLink(current: VerifiedDigest, previous: PreviousDigest): ChainLink {
  const d = current.digest;
  if (d.previousDigestS3Object === null && d.previousDigestSignature === null) return { status: 'start' };
  const at = `s3://${d.previousDigestS3Bucket ?? ''}/${d.previousDigestS3Object ?? ''}`;
  const broken = (code: Extract<ChainLink, { status: 'broken' }>['code'], reason: string): ChainLink => ({
    status: 'broken',
    previous: at,
    code,
    reason,
  });
  if (d.previousDigestS3Bucket === null || d.previousDigestS3Object === null || d.previousDigestHashValue === null) {
    return broken('bad-link', 'the previous digest fields are only partly filled in');
  }
  if (d.previousDigestHashAlgorithm !== HASH_ALGORITHM) {
    return broken('bad-link', `previous digest hash algorithm ${d.previousDigestHashAlgorithm}, expected SHA-256`);
  }
  if (previous === undefined) return { status: 'unchecked', previous: at };
  if (previous === 'not-found') return broken('previous-missing', `the previous digest ${at} is gone`);
  if ('invalid' in previous)
    return broken('previous-invalid', `the previous digest ${at} is invalid: ${previous.invalid}`);
  if (previous.bucket !== d.previousDigestS3Bucket || previous.key !== d.previousDigestS3Object) {
    return broken('bad-link', `given s3://${previous.bucket}/${previous.key} as the previous digest of ${at}`);
  }
  if (previous.sha256 !== d.previousDigestHashValue.toLowerCase()) {
    return broken('previous-modified', `the previous digest ${at} does not hash to previousDigestHashValue`);
  }
  if (previous.signature !== (d.previousDigestSignature ?? '').toLowerCase()) {
    return broken('signature-mismatch', `the previous digest ${at} is not signed with previousDigestSignature`);
  }
  return { status: 'linked', previous: at };
}

/** A log file the sweep read, with the hex SHA-256 of its uncompressed content. */
export interface ReadLogFile {
  readonly bucket: string;
  readonly key: string;
  readonly sha256: string;
}

/**
 * One log file's standing: `ok` (listed, read, same hash), `modified` (listed, read, other hash), `missing` (listed,
 * not read: deleted, or not swept), `unlisted` (read, in no given verified digest).
 */
export interface FileVerdict {
  readonly status: 'ok' | 'modified' | 'missing' | 'unlisted';
  readonly bucket: string;
  readonly key: string;
  /** The hash the digest lists. */
  readonly expected?: string;
  /** The hash of what was read. */
  readonly actual?: string;
  /** The digest that lists the file. */
  readonly digest?: string;
}

const path = (bucket: string, key: string) => `${bucket}/${key}`;

/**
 * Compares the log files the verified digests list with those read. `read` must cover the digests' window: a listed
 * file not in it is `missing`, and a read file no digest lists is `unlisted` (which is expected for files delivered
 * after the last digest, or waiting for a backfill digest: give only the digests and files of a closed window).
 * Verdicts come in digest order, then listing order; unlisted files last, sorted by key.
 */
export function reconcileLogFiles(digests: readonly VerifiedDigest[], read: readonly ReadLogFile[]): FileVerdict[] {
  const byPath = new Map(read.map((f) => [path(f.bucket, f.key), f]));
  const listed = new Map<string, string>();
  const verdicts: FileVerdict[] = [];
  for (const v of digests) {
    const digest = `s3://${v.bucket}/${v.key}`;
    for (const f of v.digest.logFiles) {
      const p = path(f.s3Bucket, f.s3Object);
      const expected = f.hashValue.toLowerCase();
      const seen = listed.get(p);
      // The same file in two digests (an hourly and a backfill digest) is one file, unless the hashes disagree.
      if (seen === expected) continue;
      listed.set(p, expected);
      const got = byPath.get(p);
      const base = { bucket: f.s3Bucket, key: f.s3Object, expected, digest };
      if (!got) verdicts.push({ status: 'missing', ...base });
      else {
        const actual = got.sha256.toLowerCase();
        const same = f.hashAlgorithm === HASH_ALGORITHM && actual === expected && seen === undefined;
        verdicts.push({ status: same ? 'ok' : 'modified', ...base, actual });
      }
    }
  }
  const unlisted = read
    .filter((f) => !listed.has(path(f.bucket, f.key)))
    .sort((a, b) => (path(a.bucket, a.key) < path(b.bucket, b.key) ? -1 : 1));
  for (const f of unlisted) verdicts.push({ status: 'unlisted', bucket: f.bucket, key: f.key, actual: f.sha256 });
  return verdicts;
}

/** One digest's standing in {@link validateTrailIntegrity}. */
export type DigestVerdict =
  | { readonly bucket: string; readonly key: string; readonly status: 'valid'; readonly link: ChainLink }
  | {
      readonly bucket: string;
      readonly key: string;
      readonly status: 'invalid';
      readonly code: DigestFailure;
      readonly reason: string;
    };

export interface IntegrityReport {
  readonly digests: readonly DigestVerdict[];
  readonly files: readonly FileVerdict[];
  /** Invalid digests, broken links and files that are not `ok`. */
  readonly failures: number;
}

/** Input of {@link validateTrailIntegrity}. */
export interface IntegrityInput {
  /** Digest objects of one window (any order), including the previous digest of the oldest when available. */
  readonly digests: readonly DigestObject[];
  readonly publicKeys: readonly DigestPublicKey[];
  /** The log files read in the window. */
  readonly read: readonly ReadLogFile[];
  /** `bucket/key` of digests confirmed absent (S3 NoSuchKey), so a link to them is broken rather than unchecked. */
  readonly notFound?: readonly string[];
}

/**
 * Validates a window: every digest's signature (a digest without signature metadata takes the
 * `previousDigestSignature` of a digest that points at it, as the documented chain walk does), every link to a
 * previous digest, and the listed log files against those read (files of invalid digests count as unlisted: their
 * listing proves nothing).
 */
export function validateTrailIntegrity(input: IntegrityInput): IntegrityReport {
  const parsed = input.digests.map((o) => ({ object: o, parsed: parseDigest(o.content) }));
  const signatureFromNext = new Map<string, string>();
  for (const { parsed: p } of parsed) {
    const d = p.ok ? p.digest : undefined;
    if (d?.previousDigestS3Bucket && d.previousDigestS3Object && d.previousDigestSignature) {
      signatureFromNext.set(path(d.previousDigestS3Bucket, d.previousDigestS3Object), d.previousDigestSignature);
    }
  }
  const checks = new Map<string, DigestCheck>();
  for (const { object } of parsed) {
    const signature = object.signature ?? signatureFromNext.get(path(object.bucket, object.key));
    checks.set(path(object.bucket, object.key), verifyDigest({ ...object, signature }, input.publicKeys));
  }
  const notFound = new Set(input.notFound ?? []);
  const verdicts: DigestVerdict[] = [];
  const verified: VerifiedDigest[] = [];
  let failures = 0;
  for (const { object } of parsed) {
    const check = checks.get(path(object.bucket, object.key))!;
    if (!check.ok) {
      failures++;
      verdicts.push({
        bucket: object.bucket,
        key: object.key,
        status: 'invalid',
        code: check.code,
        reason: check.reason,
      });
      continue;
    }
    verified.push(check.verified);
    const d = check.verified.digest;
    let previous: PreviousDigest;
    if (d.previousDigestS3Bucket !== null && d.previousDigestS3Object !== null) {
      const p = path(d.previousDigestS3Bucket, d.previousDigestS3Object);
      const prev = checks.get(p);
      previous = notFound.has(p) ? 'not-found' : !prev ? undefined : prev.ok ? prev.verified : { invalid: prev.reason };
    }
    const link = checkChainLink(check.verified, previous);
    if (link.status === 'broken') failures++;
    verdicts.push({ bucket: object.bucket, key: object.key, status: 'valid', link });
  }
  const files = reconcileLogFiles(
    verified.sort((a, b) => (a.digest.digestEndTime < b.digest.digestEndTime ? -1 : 1)),
    input.read,
  );
  failures += files.filter((f) => f.status !== 'ok').length;
  return { digests: verdicts, files, failures };
}
