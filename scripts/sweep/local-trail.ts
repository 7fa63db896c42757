/**
 * The trail bucket as a local folder, for `npm run sweep`: the folder a user synced the log-archive bucket into
 * (`aws s3 sync s3://<bucket>/AWSLogs/<org id>/ <dir>/AWSLogs/<org id>/`), laid out as the trail writes it
 * (`AWSLogs/<org id>/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`, digests under `CloudTrail-Digest/`). It
 * lists the objects of a date window and serves them through the sweep's {@link TrailObjects} port, so the sweep
 * workflow (handlers/core/flows/sweep-flow.ts) runs over them unchanged: log files are gunzipped and split by the
 * deployed adapter's code (handlers/adapters/sweep/log-file.ts `gzippedLogItems`).
 *
 * What a synced folder lacks, and how it is made up for:
 * - A digest's signature is S3 object metadata (`x-amz-meta-signature`), which `aws s3 sync` does not copy. The
 *   next digest of the chain names it (`previousDigestSignature`, the documented chain walk), so every digest but
 *   the newest of each chain gets its signature from its successor; the newest ones are listed as not verifiable.
 * - CloudTrail's public keys come from a file (`aws cloudtrail list-public-keys` output, one per region,
 *   concatenated): the backfill calls no AWS API. Keys of all regions are offered to every digest; the digest names
 *   its key by fingerprint.
 * - A key that is not in the folder: inside the window it is missing (the folder is taken as a complete copy of the
 *   window); outside it, the folder may simply not hold it, so reading it fails with {@link OutsideWindowError} and
 *   the object is reported as not checked rather than as tampering.
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { gzippedLogItems } from '../../handlers/adapters/sweep/log-file';
import type { LogItem, TrailObjects } from '../../handlers/core/flows/sweep-ports';
import { type DigestPublicKey, parseDigest } from '../../handlers/core/sweep/digest-validation';
import { jsonDocuments } from './dedupe-export';

/** Days are UTC `YYYY-MM-DD`; times epoch milliseconds. */
export interface SweepWindow {
  /** First event time swept (inclusive). */
  readonly fromMs: number;
  /** Last event time swept (exclusive). */
  readonly toMs: number;
  /** Folder dates read: `from`'s day to the day after `to` (files are dated by delivery, after their events). */
  readonly firstDay: string;
  readonly lastDay: string;
}

export const DAY_MS = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The window of event times [fromMs, toMs), and the folder dates that may hold them. */
export function sweepWindow(fromMs: number, toMs: number): SweepWindow {
  return { fromMs, toMs, firstDay: day(fromMs), lastDay: day(toMs - 1 + DAY_MS) };
}

/** A key the window does not cover and the folder does not hold: nothing can be said about it. */
export class OutsideWindowError extends Error {
  override readonly name = 'OutsideWindowError';
}

/** The objects of the window, by kind of folder. */
export interface TrailListing {
  /** Keys under `CloudTrail/` and `CloudTrail-Insight/` (and anything else dated), sorted. */
  readonly logs: readonly string[];
  /** Keys under `CloudTrail-Digest/`, sorted. */
  readonly digests: readonly string[];
  /** Files outside any date folder (the sweep reports them as not written by the trail). */
  readonly undated: readonly string[];
}

const DATE_PATH = /(?:^|\/)(\d{4})(?:\/(\d{2}))?(?:\/(\d{2}))?$/;

/**
 * Lists `root`/AWSLogs/… for the window: date folders outside [firstDay, lastDay] are not entered. Keys are the
 * paths relative to `root`, with `/`.
 */
export function listTrail(root: string, window: SweepWindow): TrailListing {
  const logs: string[] = [];
  const digests: string[] = [];
  const undated: string[] = [];
  const walk = (dir: string, dated: boolean) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      const key = relative(root, path).split(sep).join('/');
      if (e.isDirectory()) {
        const m = DATE_PATH.exec(key);
        const inDate = m !== null && /\/(CloudTrail[^/]*)\/[^/]+\/\d{4}/.test(key);
        if (inDate && !overlaps(m, window)) continue;
        walk(path, dated || inDate);
      } else if (e.isFile()) {
        if (!dated) undated.push(key);
        else if (key.includes('/CloudTrail-Digest/')) digests.push(key);
        else logs.push(key);
      }
    }
  };
  walk(join(root, 'AWSLogs'), false);
  return { logs: logs.sort(), digests: digests.sort(), undated: undated.sort() };
}

/** Whether the year, year/month or year/month/day folder can hold a day of the window. */
function overlaps(m: RegExpExecArray, w: SweepWindow): boolean {
  const [, y, mo, d] = m;
  const lo = `${y}-${mo ?? '01'}-${d ?? '01'}`;
  const hi = `${y}-${mo ?? '12'}-${d ?? '31'}`;
  return hi >= w.firstDay && lo <= w.lastDay;
}

/** The folder date of a trail key (`…/YYYY/MM/DD/<file>`), if it has one. */
export function keyDay(key: string): string | undefined {
  const m = /\/(\d{4})\/(\d{2})\/(\d{2})\/[^/]+$/.exec(key);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

/** Public keys from `aws cloudtrail list-public-keys` output (one document per region, concatenated, or an array). */
export function parsePublicKeys(text: string): DigestPublicKey[] {
  const keys: DigestPublicKey[] = [];
  const take = (doc: unknown) => {
    if (Array.isArray(doc)) {
      for (const d of doc) take(d);
      return;
    }
    const list = (doc as { PublicKeyList?: unknown } | null)?.PublicKeyList;
    if (!Array.isArray(list)) throw new SyntaxError('a document without PublicKeyList');
    for (const k of list as Array<{ Value?: unknown; Fingerprint?: unknown }>) {
      if (typeof k.Value !== 'string' || typeof k.Fingerprint !== 'string') {
        throw new SyntaxError('a public key without Value or Fingerprint');
      }
      keys.push({ fingerprint: k.Fingerprint, value: Buffer.from(k.Value, 'base64') });
    }
  };
  for (const doc of jsonDocuments(text)) take(doc);
  return keys;
}

/**
 * The signature of each digest that a later digest in `keys` names as its previous one, and the bucket the digests
 * name (the bucket the folder is a copy of).
 */
export function digestChainIndex(
  root: string,
  keys: readonly string[],
): { readonly signatures: ReadonlyMap<string, string>; readonly bucket?: string } {
  const signatures = new Map<string, string>();
  const buckets = new Map<string, number>();
  for (const key of keys) {
    const content = gunzipOrRaw(readFileSync(join(root, key)));
    const parsed = parseDigest(content);
    if (!parsed.ok) continue;
    const d = parsed.digest;
    buckets.set(d.digestS3Bucket, (buckets.get(d.digestS3Bucket) ?? 0) + 1);
    if (d.previousDigestS3Object !== null && d.previousDigestSignature !== null) {
      signatures.set(d.previousDigestS3Object, d.previousDigestSignature);
    }
  }
  const bucket = [...buckets.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return { signatures, ...(bucket === undefined ? {} : { bucket }) };
}

function gunzipOrRaw(bytes: Buffer): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: 64 * 1024 * 1024 });
  } catch {
    return bytes;
  }
}

export interface LocalTrailOptions {
  readonly root: string;
  readonly window: SweepWindow;
  readonly publicKeys: readonly DigestPublicKey[];
  /** Digest signatures by key (from {@link digestChainIndex}). */
  readonly signatures: ReadonlyMap<string, string>;
}

/** The sweep's {@link TrailObjects} port over the local folder; see the module comment. */
export function localTrailObjects(o: LocalTrailOptions): TrailObjects {
  const root = resolve(o.root);
  /** The local path of a key, or undefined when it is not in the folder. */
  const locate = (key: string): string | undefined => {
    const path = resolve(root, key);
    // A digest names the keys it lists: one naming `../` must not read outside the folder.
    if (!path.startsWith(`${root}${sep}`)) {
      throw new OutsideWindowError(`${key} is not a key inside the synced folder`);
    }
    if (existsSync(path) && statSync(path).isFile()) return path;
    const d = keyDay(key);
    if (d !== undefined && d >= o.window.firstDay && d <= o.window.lastDay) return undefined;
    throw new OutsideWindowError(
      `${key} is outside --from/--to (${o.window.firstDay} to ${o.window.lastDay} by folder date) and not in the ` +
        'synced folder: sync it to check it',
    );
  };
  const inWindow = (record: unknown) => {
    const t = Date.parse(String((record as { eventTime?: unknown } | null)?.eventTime ?? ''));
    // A record without a time is left to the engine, which reports it.
    return Number.isNaN(t) || (t >= o.window.fromMs && t < o.window.toMs);
  };
  return {
    async *readLog(location): AsyncIterable<LogItem> {
      const path = locate(location.key);
      if (path === undefined) {
        yield { kind: 'not-found' };
        return;
      }
      for await (const item of gzippedLogItems(createReadStream(path))) {
        if (item.kind === 'record') {
          if (inWindow(item.record)) yield item;
          continue;
        }
        // `aws s3 sync` sets a file's modification time to the object's LastModified.
        yield { kind: 'end', records: item.records, sha256: item.sha256, lastModified: statSync(path).mtime };
      }
    },
    async readDigest(location) {
      const path = locate(location.key);
      if (path === undefined) return 'not-found';
      const signature = o.signatures.get(location.key);
      return {
        bucket: location.bucket,
        key: location.key,
        content: gunzipOrRaw(readFileSync(path)),
        ...(signature === undefined ? {} : { signature }),
      };
    },
    publicKeys: async () => o.publicKeys,
  };
}
