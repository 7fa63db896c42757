/**
 * Reads what digest validation (handlers/core/sweep/digest-validation.ts) needs from AWS: a digest object (gunzipped,
 * with its `signature` and `signature-algorithm` metadata, i.e. `x-amz-meta-signature` and
 * `x-amz-meta-signature-algorithm`, CloudTrail digest file structure, "Signature of the digest file") and the
 * trail's public keys (CloudTrail ListPublicKeys: DER `Value` and `Fingerprint` per key; keys are per region, so the
 * client must be in the digest's region).
 */
import { type CloudTrailClient, ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import type { DigestObject, DigestPublicKey } from '../../core/sweep/digest-validation';

/** Digest files list one account's log files of one region for an hour: small. */
const MAX_DIGEST_BYTES = 64 * 1024 * 1024;

const isNotFound = (error: unknown) =>
  typeof error === 'object' && error !== null && ['NoSuchKey', 'NotFound'].includes((error as Error).name);

/**
 * The digest object at `bucket`/`key`, or `not-found` (S3 NoSuchKey; the role needs s3:ListBucket on the prefix
 * for S3 to say so rather than AccessDenied). Content that does not gunzip is returned as is: validation then
 * reports it as not a digest file.
 */
export async function readDigestObject(
  location: { readonly bucket: string; readonly key: string },
  client: S3Client,
): Promise<DigestObject | 'not-found'> {
  let response: GetObjectCommandOutput;
  try {
    response = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
  } catch (error) {
    if (isNotFound(error)) return 'not-found';
    throw error;
  }
  const raw = await response.Body?.transformToByteArray();
  if (!raw) throw new Error(`s3://${location.bucket}/${location.key}: GetObject returned no body`);
  let content: Uint8Array;
  try {
    content = gunzipSync(raw, { maxOutputLength: MAX_DIGEST_BYTES });
  } catch {
    content = raw;
  }
  const metadata = response.Metadata ?? {};
  return {
    bucket: location.bucket,
    key: location.key,
    content,
    ...(metadata['signature'] !== undefined && { signature: metadata['signature'] }),
    ...(metadata['signature-algorithm'] !== undefined && { signatureAlgorithm: metadata['signature-algorithm'] }),
  };
}

/** The public keys whose private keys signed digests between `start` and `end`, every page. */
export async function listPublicKeys(client: CloudTrailClient, start: Date, end: Date): Promise<DigestPublicKey[]> {
  const keys: DigestPublicKey[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListPublicKeysCommand({ StartTime: start, EndTime: end, NextToken: token }));
    for (const k of page.PublicKeyList ?? []) {
      if (k.Value && k.Fingerprint) keys.push({ fingerprint: k.Fingerprint, value: k.Value });
    }
    token = page.NextToken;
  } while (token);
  return keys;
}
