/**
 * The ports of the trail-log sweep (handlers/core/flows/sweep-flow.ts): the trail's objects in S3 and CloudTrail's
 * public keys (handlers/adapters/sweep/*), and the sweep ledger (handlers/adapters/sweep/ledger.ts). Structural
 * types, so the adapters fit without importing them.
 */
import type { DigestObject, DigestPublicKey } from '../sweep/digest-validation';

/** One item read from a log file (handlers/adapters/sweep/log-file.ts `LogObjectItem`). */
export type LogItem =
  | { readonly kind: 'record'; readonly index: number; readonly record: unknown }
  | {
      readonly kind: 'end';
      /** Records in the file. */
      readonly records: number;
      /** Hex SHA-256 of the uncompressed file: what its digest lists. */
      readonly sha256: string;
      readonly etag?: string;
      readonly lastModified?: Date;
    }
  | { readonly kind: 'not-found' };

/** Reads the trail's objects and CloudTrail's public keys. */
export interface TrailObjects {
  /** A log file's records one at a time, then its summary; `not-found` when the key is gone. */
  readLog(location: { readonly bucket: string; readonly key: string }): AsyncIterable<LogItem>;
  /** A digest file (uncompressed, with its signature metadata), or `not-found`. */
  readDigest(location: { readonly bucket: string; readonly key: string }): Promise<DigestObject | 'not-found'>;
  /** The public keys of `region` valid between `start` and `end` (CloudTrail ListPublicKeys). */
  publicKeys(region: string, start: Date, end: Date): Promise<readonly DigestPublicKey[]>;
}

/** One swept object in the ledger: what digest validation compares with the digest's listing. */
export interface LedgerEntry {
  readonly bucket: string;
  readonly key: string;
  /** Hex SHA-256 of the uncompressed content. */
  readonly sha256: string;
  /** Records in a log file (0 for a digest or a foreign object). */
  readonly records: number;
  readonly etag?: string;
  /** Epoch seconds. */
  readonly sweptAt: number;
}

/** What claiming an object for the sweep found. */
export type FileClaim =
  /** Nobody swept it: this attempt does, and records it with `finish`. */
  | { readonly status: 'claimed' }
  /** Swept already (a redelivered notification): nothing to do. */
  | { readonly status: 'done'; readonly entry: LedgerEntry }
  /** Another attempt holds it: look again later. */
  | { readonly status: 'busy' };

/**
 * The sweep ledger (a DynamoDB table with TTL): one item per swept object, so a redelivered S3 notification does
 * nothing twice and digest validation knows the hash of every file the sweep read. Times are epoch seconds.
 */
export interface SweepLedger {
  claim(o: {
    readonly bucket: string;
    readonly key: string;
    readonly owner: string;
    readonly now: number;
    readonly leaseSeconds: number;
  }): Promise<FileClaim>;
  /** Records the swept object; kept `ttlSeconds`. */
  finish(entry: LedgerEntry, o: { readonly owner: string; readonly ttlSeconds: number }): Promise<void>;
  /** Gives the claim back after a failed or deferred attempt. */
  release(o: { readonly bucket: string; readonly key: string; readonly owner: string }): Promise<void>;
  /** The swept object, if the sweep recorded it. */
  get(o: { readonly bucket: string; readonly key: string }): Promise<LedgerEntry | undefined>;
}

/** A trail-integrity problem the sweep found: a digest failure or an object the trail did not write. */
export interface IntegrityProblem {
  readonly failure: 'invalid-digest' | 'chain-broken' | 'modified' | 'missing' | 'foreign-object';
  readonly bucket: string;
  /** The object concerned (the digest, the log file, or the foreign object). */
  readonly key: string;
  readonly reason: string;
  /** The account and region of the digest or log file, when known. */
  readonly account?: string;
  readonly region?: string;
}

/** Where the sweep's own SQS message goes when it must be looked at again later. */
export interface SweepOutcome {
  readonly messageId: string;
  readonly status: 'done' | 'deferred' | 'retry';
  /** For `deferred`: seconds until the message should be seen again. */
  readonly delaySeconds?: number;
  readonly reason?: string;
}
