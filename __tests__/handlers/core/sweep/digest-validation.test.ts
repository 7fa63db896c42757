/**
 * Digest validation on digest files built and signed in the test (__tests__/helpers/cloudtrail-digests.ts, after the
 * documented structure and signing string), plus the documented sample digest for parsing.
 */
import { createPublicKey } from 'node:crypto';
import {
  checkChainLink,
  dataToSign,
  parseDigest,
  reconcileLogFiles,
  type VerifiedDigest,
  validateTrailIntegrity,
  verifyDigest,
} from '../../../../handlers/core/sweep/digest-validation';
import {
  BUCKET,
  type ListedLog,
  logKey,
  otherTrailKeys,
  type SignedDigest,
  sha256,
  signedDigest,
  trailKeys,
} from '../../../helpers/cloudtrail-digests';

const keys = trailKeys();
const logs: ListedLog[] = [
  { key: logKey('20261104T0815Z', 'Zp7rK1dWs9Ge2UjQ'), content: '{"Records":[{"eventName":"StopLogging"}]}' },
  { key: logKey('20261104T0820Z', 'Tc5mN8bVa3Qy6LpE'), content: '{"Records":[{"eventName":"PutObject"}]}' },
];
const later: ListedLog = { key: logKey('20261104T0910Z', 'Hn4cV6tPq0Lx3MbA'), content: '{"Records":[]}' };
const first = signedDigest(keys, '20261104T090000Z', logs);
const second = signedDigest(keys, '20261104T100000Z', [later], first);
const readAll = [...logs, later].map((l) => ({ bucket: BUCKET, key: l.key, sha256: sha256(l.content) }));

const verified = (d: SignedDigest): VerifiedDigest => {
  const check = verifyDigest(d, [keys.publicKey]);
  if (!check.ok) throw new Error(check.reason);
  return check.verified;
};

describe('parseDigest', () => {
  it('reads the documented empty-hour sample (null event times, empty logFiles)', () => {
    const sample = {
      awsAccountId: '111122223333',
      digestStartTime: '2015-08-20T17:01:31Z',
      digestEndTime: '2015-08-20T18:01:31Z',
      digestS3Bucket: 'example-bucket-name',
      digestS3Object:
        'AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/20/111122223333_CloudTrail-Digest_us-east-2_example-trail-name_us-east-2_20150820T180131Z.json.gz',
      digestPublicKeyFingerprint: '31e8b5433410dfb61a9dc45cc65b22ff',
      digestSignatureAlgorithm: 'SHA256withRSA',
      newestEventTime: null,
      oldestEventTime: null,
      previousDigestS3Bucket: 'example-bucket-name',
      previousDigestS3Object:
        'AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/20/111122223333_CloudTrail-Digest_us-east-2_example-trail-name_us-east-2_20150820T170131Z.json.gz',
      previousDigestHashValue: 'ed96c4bac9eaa8fe9716ca0e515da51938be651b1db31d781956416a9d05cdfa',
      previousDigestHashAlgorithm: 'SHA-256',
      previousDigestSignature: '82705525fb0fe7f9',
      logFiles: [],
    };
    expect(parseDigest(Buffer.from(JSON.stringify(sample)))).toEqual({ ok: true, digest: sample });
  });

  it('names missing or mistyped fields', () => {
    const json = { ...first.json, digestEndTime: undefined, logFiles: [{ s3Bucket: BUCKET, hashValue: 7 }] };
    expect(parseDigest(Buffer.from(JSON.stringify(json)))).toEqual({
      ok: false,
      reason:
        'missing or mistyped fields: digestEndTime, logFiles[0].s3Object, logFiles[0].hashValue, logFiles[0].hashAlgorithm',
    });
    expect(parseDigest(Buffer.from('{"Records":'))).toEqual({ ok: false, reason: 'not JSON' });
  });
});

describe('dataToSign', () => {
  it('is end time, bucket/key, hex SHA-256 of the digest, previous signature (null for a starting digest)', () => {
    const parsed = parseDigest(first.content);
    expect(parsed.ok && dataToSign(parsed.digest, first.content)).toBe(
      `2026-11-04T09:00:00Z\n${BUCKET}/${first.key}\n${sha256(first.content)}\nnull`,
    );
    const next = parseDigest(second.content);
    expect(next.ok && dataToSign(next.digest, second.content).split('\n')[3]).toBe(first.signature);
  });
});

describe('verifyDigest', () => {
  it('accepts a digest signed by the key its fingerprint names', () => {
    const check = verifyDigest(second, [otherTrailKeys('00000000000000000000000000000000').publicKey, keys.publicKey]);
    expect(check).toMatchObject({ ok: true, verified: { key: second.key, sha256: sha256(second.content) } });
  });

  it('accepts the key as SubjectPublicKeyInfo too (the documented key list holds both encodings)', () => {
    const spki = createPublicKey(keys.privateKey).export({ format: 'der', type: 'spki' });
    expect(verifyDigest(first, [{ fingerprint: keys.publicKey.fingerprint, value: spki }])).toMatchObject({ ok: true });
  });

  it.each([
    [
      'a changed digest (tampered after signing)',
      { content: Buffer.from(first.content.toString().replace('SHA-256', 'SHA-256 ')) },
      'bad-signature',
    ],
    ['a signature from another digest', { signature: second.signature }, 'bad-signature'],
    ['a signature that is not hex', { signature: 'zz' }, 'bad-signature'],
    ['no signature metadata', { signature: undefined }, 'no-signature'],
    ['a digest copied to another key', { key: first.key.replace('090000Z', '090001Z') }, 'moved'],
    ['another signature algorithm in the metadata', { signatureAlgorithm: 'SHA1withRSA' }, 'unsupported-algorithm'],
    ['content that is not a digest', { content: Buffer.from('{"Records":[]}') }, 'format'],
  ])('rejects %s', (_name, change, code) => {
    expect(verifyDigest({ ...first, ...change } as SignedDigest, [keys.publicKey])).toMatchObject({ ok: false, code });
  });

  it('rejects a digest signed by another key with the same fingerprint, or when no key matches', () => {
    const forged = signedDigest(otherTrailKeys(), '20261104T090000Z', logs);
    expect(verifyDigest(forged, [keys.publicKey])).toMatchObject({ ok: false, code: 'bad-signature' });
    expect(verifyDigest(first, [trailKeys('ffff').publicKey])).toMatchObject({ ok: false, code: 'unknown-key' });
    const bad = { fingerprint: keys.publicKey.fingerprint, value: Buffer.from('not a key') };
    expect(verifyDigest(first, [bad])).toMatchObject({ ok: false, code: 'bad-key' });
  });
});

describe('checkChainLink', () => {
  it('a starting digest starts the chain; the next one links to it', () => {
    expect(checkChainLink(verified(first), undefined)).toEqual({ status: 'start' });
    expect(checkChainLink(verified(second), verified(first))).toEqual({
      status: 'linked',
      previous: `s3://${BUCKET}/${first.key}`,
    });
    expect(checkChainLink(verified(second), undefined)).toMatchObject({ status: 'unchecked' });
  });

  it('is broken when the previous digest is gone, invalid, or not the one signed into the chain', () => {
    expect(checkChainLink(verified(second), 'not-found')).toMatchObject({ status: 'broken', code: 'previous-missing' });
    expect(checkChainLink(verified(second), { invalid: 'bad signature' })).toMatchObject({
      status: 'broken',
      code: 'previous-invalid',
    });
    // A different, validly signed digest at the same key (CloudTrail would never write two): the hash tells.
    const other = verified(signedDigest(keys, '20261104T090000Z', [logs[0]!]));
    expect(checkChainLink(verified(second), other)).toMatchObject({ status: 'broken', code: 'previous-modified' });
    expect(checkChainLink(verified(second), { ...verified(first), signature: 'ab' })).toMatchObject({
      status: 'broken',
      code: 'signature-mismatch',
    });
    const elsewhere = verified(signedDigest(keys, '20261104T080000Z', []));
    expect(checkChainLink(verified(second), elsewhere)).toMatchObject({ status: 'broken', code: 'bad-link' });
  });
});

describe('reconcileLogFiles', () => {
  it('ok, modified, missing and unlisted', () => {
    const stray = { bucket: BUCKET, key: logKey('20261104T0830Z', 'AAAAAAAAAAAAAAAA'), sha256: sha256('x') };
    const read = [{ ...readAll[0]!, sha256: sha256('tampered') }, stray];
    expect(reconcileLogFiles([verified(first)], read)).toEqual([
      {
        status: 'modified',
        bucket: BUCKET,
        key: logs[0]!.key,
        expected: sha256(logs[0]!.content),
        actual: sha256('tampered'),
        digest: `s3://${BUCKET}/${first.key}`,
      },
      {
        status: 'missing',
        bucket: BUCKET,
        key: logs[1]!.key,
        expected: sha256(logs[1]!.content),
        digest: `s3://${BUCKET}/${first.key}`,
      },
      { status: 'unlisted', bucket: BUCKET, key: stray.key, actual: stray.sha256 },
    ]);
  });

  it('counts a file listed by an hourly and a backfill digest once', () => {
    const backfill = verified(signedDigest(keys, '20261104T093000Z', [logs[0]!]));
    const verdicts = reconcileLogFiles([verified(first), backfill], readAll.slice(0, 2));
    expect(verdicts.map((v) => v.status)).toEqual(['ok', 'ok']);
  });
});

describe('validateTrailIntegrity', () => {
  it('a valid window: both digests valid, the chain starts and links, every file ok', () => {
    const report = validateTrailIntegrity({ digests: [second, first], publicKeys: [keys.publicKey], read: readAll });
    expect(report.failures).toBe(0);
    expect(report.digests).toEqual([
      {
        bucket: BUCKET,
        key: second.key,
        status: 'valid',
        link: { status: 'linked', previous: `s3://${BUCKET}/${first.key}` },
      },
      { bucket: BUCKET, key: first.key, status: 'valid', link: { status: 'start' } },
    ]);
    expect(report.files.map((f) => [f.key, f.status])).toEqual([
      [logs[0]!.key, 'ok'],
      [logs[1]!.key, 'ok'],
      [later.key, 'ok'],
    ]);
  });

  it('a tampered log file is modified', () => {
    const read = readAll.map((f, i) => (i === 1 ? { ...f, sha256: sha256('{"Records":[]}') } : f));
    const report = validateTrailIntegrity({ digests: [first, second], publicKeys: [keys.publicKey], read });
    expect(report.failures).toBe(1);
    expect(report.files.filter((f) => f.status !== 'ok')).toEqual([
      expect.objectContaining({ status: 'modified', key: logs[1]!.key }),
    ]);
  });

  it('a deleted log file is missing', () => {
    const report = validateTrailIntegrity({
      digests: [first],
      publicKeys: [keys.publicKey],
      read: readAll.slice(1, 2),
    });
    expect(report.files.map((f) => f.status)).toEqual(['missing', 'ok']);
  });

  it('a tampered digest is invalid, breaks the link from the next one, and lists nothing', () => {
    const tampered = {
      ...first,
      content: Buffer.from(first.content.toString().replace(sha256(logs[0]!.content), sha256('x'))),
    };
    const report = validateTrailIntegrity({
      digests: [tampered, second],
      publicKeys: [keys.publicKey],
      read: readAll,
    });
    expect(report.digests).toEqual([
      expect.objectContaining({ key: first.key, status: 'invalid', code: 'bad-signature' }),
      expect.objectContaining({
        key: second.key,
        status: 'valid',
        link: expect.objectContaining({ status: 'broken', code: 'previous-invalid' }),
      }),
    ]);
    // Its files are no longer vouched for by any valid digest.
    expect(report.files.filter((f) => f.status === 'unlisted').map((f) => f.key)).toEqual([logs[0]!.key, logs[1]!.key]);
    expect(report.failures).toBe(4);
  });

  it('a deleted previous digest breaks the chain', () => {
    const report = validateTrailIntegrity({
      digests: [second],
      publicKeys: [keys.publicKey],
      read: [readAll[2]!],
      notFound: [`${BUCKET}/${first.key}`],
    });
    expect(report.digests).toEqual([
      expect.objectContaining({
        status: 'valid',
        link: expect.objectContaining({ status: 'broken', code: 'previous-missing' }),
      }),
    ]);
    expect(report.failures).toBe(1);
  });

  it("verifies a previous digest without signature metadata from the next one's previousDigestSignature", () => {
    const { signature: _dropped, ...offline } = first;
    const report = validateTrailIntegrity({ digests: [offline, second], publicKeys: [keys.publicKey], read: readAll });
    expect(report.failures).toBe(0);
  });
});
