/**
 * Athena and S3 I/O of `npm run replay:athena` (issue #17): runs a query with progress and a scan budget, streams
 * its result pages, and estimates what a query over a range would scan. Clients are passed in (tests use
 * aws-sdk-client-mock); the SDK's standard retry handles throttling of each call.
 */
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { COLUMNS } from './table';

/** Athena's price per TB scanned (us-east-1 and most regions; 10 MB minimum per query). */
export const USD_PER_TB = 5;
export const MIN_BILLED_BYTES = 10 * 1024 * 1024;

/** What a query of `bytes` scanned costs, in US dollars. */
export const costUsd = (bytes: number): number => (Math.max(bytes, MIN_BILLED_BYTES) / 1e12) * USD_PER_TB;

/** Status reported while a query runs. */
export interface QueryProgress {
  readonly state: string;
  readonly scannedBytes: number;
  readonly elapsedMs: number;
}

export interface RunQueryOptions {
  readonly athena: AthenaClient;
  readonly sql: string;
  readonly workGroup: string;
  /** `s3://…/` for results, when the work group does not enforce its own. @default - the work group's */
  readonly outputLocation?: string;
  /** Stop the query once it has scanned more. @default - no limit */
  readonly maxScanBytes?: number;
  readonly onProgress?: (p: QueryProgress) => void;
  /** @default 2000 */
  readonly pollMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A query that did not succeed, with Athena's reason. */
export class AthenaQueryError extends Error {}

/** The outcome of a finished query. */
export interface QueryDone {
  readonly queryExecutionId: string;
  readonly scannedBytes: number;
}

/** Starts the query and waits for it; stops it (and throws) when it scans past the budget. */
export async function runQuery(o: RunQueryOptions): Promise<QueryDone> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = o.now ?? Date.now;
  const started = now();
  const { QueryExecutionId: id } = await o.athena.send(
    new StartQueryExecutionCommand({
      QueryString: o.sql,
      WorkGroup: o.workGroup,
      ...(o.outputLocation ? { ResultConfiguration: { OutputLocation: o.outputLocation } } : {}),
    }),
  );
  if (!id) throw new AthenaQueryError('Athena started the query without returning its id');
  for (;;) {
    const { QueryExecution: q } = await o.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const state = q?.Status?.State ?? 'UNKNOWN';
    const scannedBytes = q?.Statistics?.DataScannedInBytes ?? 0;
    o.onProgress?.({ state, scannedBytes, elapsedMs: now() - started });
    if (o.maxScanBytes !== undefined && scannedBytes > o.maxScanBytes && state !== 'SUCCEEDED') {
      await o.athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
      throw new AthenaQueryError(
        `query ${id} stopped: it scanned ${gb(scannedBytes)} GB, over the --max-scan-gb budget of ${gb(o.maxScanBytes)} GB`,
      );
    }
    if (state === 'SUCCEEDED') return { queryExecutionId: id, scannedBytes };
    if (state === 'FAILED' || state === 'CANCELLED') {
      const reason = q?.Status?.StateChangeReason ?? 'no reason given';
      throw new AthenaQueryError(`query ${id} ${state.toLowerCase()}: ${reason}`);
    }
    await sleep(o.pollMs ?? 2000);
  }
}

const gb = (bytes: number): string => (bytes / 1e9).toFixed(2);

/**
 * The result rows of a finished query, page by page (GetQueryResults, 1,000 rows a page), as the values of
 * {@link COLUMNS} in order (`undefined` for NULL). The header row is checked against vigil's columns, so a query
 * that selected something else fails loudly instead of feeding replay shifted fields.
 */
export async function* resultRows(
  athena: AthenaClient,
  queryExecutionId: string,
): AsyncGenerator<(string | undefined)[]> {
  let token: string | undefined;
  let first = true;
  do {
    const page = await athena.send(
      new GetQueryResultsCommand({ QueryExecutionId: queryExecutionId, MaxResults: 1000, NextToken: token }),
    );
    const rows = page.ResultSet?.Rows ?? [];
    for (const [i, row] of rows.entries()) {
      const values = (row.Data ?? []).map((d) => d.VarCharValue);
      if (first && i === 0) {
        const expected = COLUMNS.map((c) => c.field.toLowerCase());
        if (values.join(',') !== expected.join(',')) {
          throw new AthenaQueryError(
            `the query's columns are ${values.join(', ')}; replay needs vigil's: ${expected.join(', ')}`,
          );
        }
        continue;
      }
      yield values;
    }
    first = false;
    token = page.NextToken;
  } while (token);
}

/** An estimate of the bytes a query over some partitions scans. */
export interface ScanEstimate {
  readonly partitions: number;
  readonly sampled: number;
  /** Bytes of the sampled partitions. */
  readonly sampledBytes: number;
  /** Sampled mean × partitions. */
  readonly bytes: number;
}

/** A partition of the trail: one account, region and day (`YYYY-MM-DD`). */
export interface Partition {
  readonly account: string;
  readonly region: string;
  readonly day: string;
}

/** Bytes under one S3 prefix (ListObjectsV2, paged). */
async function prefixBytes(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  let total = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) total += o.Size ?? 0;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return total;
}

/**
 * Estimates the gzipped bytes (what Athena bills) of `partitions` by listing an evenly spread sample of them: the
 * same partitions every run for the same input, so two dry runs agree.
 */
export async function estimateScan(o: {
  readonly s3: S3Client;
  readonly bucket: string;
  /** `[prefix]AWSLogs/<org id>/` */
  readonly root: string;
  readonly partitions: readonly Partition[];
  /** @default 24 */
  readonly sample?: number;
}): Promise<ScanEstimate> {
  const n = Math.min(o.sample ?? 24, o.partitions.length);
  const step = o.partitions.length / Math.max(n, 1);
  let sampledBytes = 0;
  for (let i = 0; i < n; i++) {
    const p = o.partitions[Math.floor(i * step)]!;
    const prefix = `${o.root}${p.account}/CloudTrail/${p.region}/${p.day.replaceAll('-', '/')}/`;
    sampledBytes += await prefixBytes(o.s3, o.bucket, prefix);
  }
  const bytes = n === 0 ? 0 : Math.round((sampledBytes / n) * o.partitions.length);
  return { partitions: o.partitions.length, sampled: n, sampledBytes, bytes };
}
