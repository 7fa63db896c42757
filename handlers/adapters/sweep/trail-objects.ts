/**
 * The sweep's {@link TrailObjects} port over S3 and CloudTrail: log files through readLogObject, digests through
 * readDigestObject, public keys through ListPublicKeys in the digest's region, cached per region and window (a
 * digest is hourly; the keys of an hour do not change).
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TrailObjects } from '../../core/flows/sweep-ports';
import type { DigestPublicKey } from '../../core/sweep/digest-validation';
import { listPublicKeys, readDigestObject } from './digest-file';
import { readLogObject } from './log-file';

export interface TrailObjectsOptions {
  readonly s3: S3Client;
  /** The CloudTrail client of a region. @default - one client per region, created on first use */
  readonly cloudTrail?: (region: string) => CloudTrailClient;
}

/** Cached key lists kept at most; a sweep sees a few regions and windows at a time. */
const MAX_CACHED = 256;

export function makeTrailObjects(o: TrailObjectsOptions): TrailObjects {
  const clients = new Map<string, CloudTrailClient>();
  const clientFor =
    o.cloudTrail ??
    ((region: string) => {
      let client = clients.get(region);
      if (!client) {
        client = new CloudTrailClient({ region });
        clients.set(region, client);
      }
      return client;
    });
  const keys = new Map<string, Promise<readonly DigestPublicKey[]>>();
  return {
    readLog: (location) => readLogObject(location, { client: o.s3 }),
    readDigest: (location) => readDigestObject(location, o.s3),
    publicKeys(region, start, end) {
      const id = `${region}\n${start.toISOString()}\n${end.toISOString()}`;
      let found = keys.get(id);
      if (!found) {
        if (keys.size >= MAX_CACHED) keys.clear();
        found = listPublicKeys(clientFor(region), start, end);
        // A failed call is not cached: the retry asks again.
        found.catch(() => keys.delete(id));
        keys.set(id, found);
      }
      return found;
    },
  };
}
