/**
 * The sweep's S3 readers against a mocked S3 serving real `.json.gz` log files (the replay fixtures,
 * __tests__/fixtures/replay/cloudtrail) and digests signed in the test (__tests__/helpers/cloudtrail-digests.ts);
 * the end-to-end case runs digest validation on what the readers return.
 */
import { CloudTrailClient, ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import { GetObjectCommand, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { listPublicKeys, readDigestObject } from '../../../../handlers/adapters/sweep/digest-file';
import { type LogObjectItem, readLogObject } from '../../../../handlers/adapters/sweep/log-file';
import { validateTrailIntegrity } from '../../../../handlers/core/sweep/digest-validation';
import { LogFileFormatError } from '../../../../handlers/core/sweep/log-records';
import { BUCKET, logKey, otherTrailKeys, sha256, signedDigest, trailKeys } from '../../../helpers/cloudtrail-digests';
import 'aws-sdk-client-mock-jest';

const FIXTURES = join(__dirname, '../../../fixtures/replay/cloudtrail/AWSLogs/o-k3m9x2p7qa');
const GOOD = join(
  FIXTURES,
  '110000000006/CloudTrail/us-east-1/2026/11/02/110000000006_CloudTrail_us-east-1_20261102T1005Z_Xq3kT9pLm2Vb7NcD.json.gz',
);
// Kept truncated on purpose by the replay fixtures (their corrupt-file case).
const TRUNCATED = join(
  FIXTURES,
  '110000000008/CloudTrail/eu-west-1/2026/11/04/110000000008_CloudTrail_eu-west-1_20261104T0820Z_Tc5mN8bVa3Qy6LpE.json.gz',
);

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });
beforeEach(() => s3.reset());

/** A GetObject body as the SDK gives it in Node: a readable stream, here in `size`-byte chunks. */
function body(bytes: Uint8Array, size = 1000): any {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(Buffer.from(bytes.subarray(i, i + size)));
  const stream = Readable.from(chunks);
  return Object.assign(stream, { transformToByteArray: async () => Buffer.from(bytes) });
}

async function readAll(key: string, options: { maxDecompressedBytes?: number } = {}): Promise<LogObjectItem[]> {
  const items: LogObjectItem[] = [];
  for await (const item of readLogObject({ bucket: BUCKET, key, versionId: 'v1' }, { client, ...options })) {
    items.push(item);
  }
  return items;
}

const KEY = 'AWSLogs/o-k3m9x2p7qa/110000000006/CloudTrail/us-east-1/2026/11/02/x.json.gz';

describe('readLogObject', () => {
  it('streams the records of a gzipped log file, then its hash, size and object metadata', async () => {
    const gz = readFileSync(GOOD);
    const plain = gunzipSync(gz);
    const lastModified = new Date('2026-11-02T10:05:31Z');
    s3.on(GetObjectCommand).resolves({
      Body: body(gz, 97),
      ETag: '"abc"',
      VersionId: 'v1',
      LastModified: lastModified,
    });
    const items = await readAll(KEY);
    const records = JSON.parse(plain.toString('utf8')).Records as unknown[];
    expect(items).toEqual([
      ...records.map((record, index) => ({ kind: 'record', index, record })),
      {
        kind: 'end',
        sha256: sha256(plain),
        bytes: plain.length,
        records: records.length,
        compressedBytes: gz.length,
        etag: '"abc"',
        versionId: 'v1',
        lastModified,
      },
    ]);
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: BUCKET, Key: KEY, VersionId: 'v1' });
  });

  it('reports a key that is gone as not-found', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
    expect(await readAll(KEY)).toEqual([{ kind: 'not-found' }]);
  });

  it('throws other S3 errors for the caller to retry', async () => {
    const denied = new S3ServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      message: 'Access Denied',
      $metadata: {},
    });
    s3.on(GetObjectCommand).rejects(denied);
    await expect(readAll(KEY)).rejects.toBe(denied);
  });

  it('a truncated gzip file is a format error, after the records before the damage', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(readFileSync(TRUNCATED)) });
    await expect(readAll(KEY)).rejects.toThrow(LogFileFormatError);
    await expect(readAll(KEY)).rejects.toThrow(/not gzip data, or cut short|the file ends/);
  });

  it('content that is not gzip is a format error', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(Buffer.from('{"Records":[]}')) });
    await expect(readAll(KEY)).rejects.toThrow('not gzip data');
  });

  it('caps the decompressed size (gzip bombs)', async () => {
    const bomb = gzipSync(Buffer.from(`{"Records":[{"a":"${'x'.repeat(300_000)}"}]}`));
    s3.on(GetObjectCommand).resolves({ Body: body(bomb) });
    await expect(readAll(KEY, { maxDecompressedBytes: 100_000 })).rejects.toThrow(
      'more than 100000 bytes once gunzipped',
    );
  });

  it('a read error in the middle of the body fails the read instead of hanging', async () => {
    const gz = readFileSync(GOOD);
    async function* broken() {
      yield gz.subarray(0, 100);
      throw new Error('socket hang up');
    }
    s3.on(GetObjectCommand).resolves({ Body: Readable.from(broken()) as any });
    await expect(readAll(KEY)).rejects.toThrow('socket hang up');
  });
});

describe('readDigestObject and listPublicKeys', () => {
  it('returns the gunzipped digest with its signature metadata, or not-found', async () => {
    const keys = trailKeys();
    const digest = signedDigest(keys, '20261104T090000Z', []);
    s3.on(GetObjectCommand, { Key: digest.key }).resolves({
      Body: body(gzipSync(digest.content)),
      Metadata: { signature: digest.signature, 'signature-algorithm': 'SHA256withRSA' },
    });
    s3.on(GetObjectCommand, { Key: 'gone' }).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    expect(await readDigestObject({ bucket: BUCKET, key: digest.key }, client)).toEqual({
      bucket: BUCKET,
      key: digest.key,
      content: Buffer.from(digest.content),
      signature: digest.signature,
      signatureAlgorithm: 'SHA256withRSA',
    });
    expect(await readDigestObject({ bucket: BUCKET, key: 'gone' }, client)).toBe('not-found');
  });

  it('lists the public keys of every page', async () => {
    const ct = mockClient(CloudTrailClient);
    const a = trailKeys('aa').publicKey;
    const b = otherTrailKeys('bb').publicKey;
    ct.on(ListPublicKeysCommand)
      .resolvesOnce({ PublicKeyList: [{ Fingerprint: 'aa', Value: a.value }], NextToken: 't' })
      .resolvesOnce({ PublicKeyList: [{ Fingerprint: 'bb', Value: b.value }, { Fingerprint: 'no value' }] });
    const start = new Date('2026-11-04T08:00:00Z');
    const end = new Date('2026-11-04T10:00:00Z');
    expect(await listPublicKeys(new CloudTrailClient({ region: 'eu-west-1' }), start, end)).toEqual([a, b]);
    expect(ct).toHaveReceivedNthCommandWith(2, ListPublicKeysCommand, {
      StartTime: start,
      EndTime: end,
      NextToken: 't',
    });
    ct.restore();
  });
});

describe('end to end: S3 objects → readers → digest validation', () => {
  const keys = trailKeys();
  const contents = [
    { key: logKey('20261104T0815Z', 'Zp7rK1dWs9Ge2UjQ'), content: gunzipSync(readFileSync(GOOD)).toString('utf8') },
    { key: logKey('20261104T0820Z', 'Tc5mN8bVa3Qy6LpE'), content: JSON.stringify({ Records: [] }) },
  ];
  const digest = signedDigest(keys, '20261104T090000Z', contents);

  async function validate(objects: Record<string, Buffer>) {
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key === digest.key) {
        return { Body: body(gzipSync(digest.content)), Metadata: { signature: digest.signature } };
      }
      const bytes = objects[input.Key];
      if (!bytes) throw new NoSuchKey({ message: 'gone', $metadata: {} });
      return { Body: body(bytes) };
    });
    const read = [];
    for (const { key } of contents) {
      for await (const item of readLogObject({ bucket: BUCKET, key }, { client })) {
        if (item.kind === 'end') read.push({ bucket: BUCKET, key, sha256: item.sha256 });
      }
    }
    const object = await readDigestObject({ bucket: BUCKET, key: digest.key }, client);
    if (object === 'not-found') throw new Error('digest not served');
    return validateTrailIntegrity({ digests: [object], publicKeys: [keys.publicKey], read });
  }

  it('files as delivered are ok, whatever gzip level wrote them (the hash is of the uncompressed content)', async () => {
    const report = await validate({
      [contents[0]!.key]: gzipSync(contents[0]!.content, { level: constants.Z_BEST_COMPRESSION }),
      [contents[1]!.key]: gzipSync(contents[1]!.content, { level: 1 }),
    });
    expect(report).toMatchObject({ failures: 0, digests: [{ status: 'valid', link: { status: 'start' } }] });
    expect(report.files.map((f) => f.status)).toEqual(['ok', 'ok']);
  });

  it('a tampered log file fails validation; a deleted one is missing', async () => {
    const doctored = contents[0]!.content.replace('ConsoleLogin', 'ConsoleLogout');
    const report = await validate({ [contents[0]!.key]: gzipSync(doctored) });
    expect(report.failures).toBe(2);
    expect(report.files.map((f) => [f.key, f.status])).toEqual([
      [contents[0]!.key, 'modified'],
      [contents[1]!.key, 'missing'],
    ]);
  });
});
