/**
 * Reads one CloudTrail log file from S3 for the sweep: GetObject, gunzip as the bytes arrive, and the records one at
 * a time through the pure splitter (handlers/core/sweep/log-records.ts), which also hashes the uncompressed bytes
 * (what the digest lists). Memory stays bounded by one gunzip window and the record being read, whatever the
 * file's size; the decompressed size is capped against gzip bombs.
 *
 * A key that is gone yields one `not-found` item (a listed log file deleted, or a notification for an object that
 * no longer exists: the caller decides). S3 only answers NoSuchKey (rather than AccessDenied) for a missing key to
 * a caller allowed s3:ListBucket on the prefix (S3 API reference, GetObject "Permissions"), so the sweep role needs
 * it to tell a deletion from a permission problem. Other S3 and network errors are thrown for the caller's retry;
 * content that is not gzip or not a CloudTrail log file throws a LogFileFormatError.
 */
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LogFileFormatError, type LogRecordsSummary, LogRecordSplitter } from '../../core/sweep/log-records';

/** The object to read. */
export interface LogObjectLocation {
  readonly bucket: string;
  readonly key: string;
  /** @default - the current version */
  readonly versionId?: string;
}

export interface LogObjectOptions {
  readonly client: S3Client;
  /** @default 1 GiB (a 10,000-record file is tens of MB) */
  readonly maxDecompressedBytes?: number;
  /** @default 16 MiB */
  readonly maxRecordBytes?: number;
}

/** What the object was, read at the end of the file. */
export interface LogObjectEnd extends LogRecordsSummary {
  readonly kind: 'end';
  /** Bytes as stored (gzipped). */
  readonly compressedBytes: number;
  readonly etag?: string;
  readonly versionId?: string;
  /** When S3 stored the object (the sweep's lag starts here). */
  readonly lastModified?: Date;
}

export type LogObjectItem =
  | { readonly kind: 'record'; readonly index: number; readonly record: unknown }
  | LogObjectEnd
  | { readonly kind: 'not-found' };

const isNotFound = (error: unknown) =>
  typeof error === 'object' && error !== null && ['NoSuchKey', 'NotFound'].includes((error as Error).name);
const isZlibError = (error: unknown) =>
  typeof error === 'object' && error !== null && String((error as { code?: unknown }).code ?? '').startsWith('Z_');

/** Reads the log file's records one at a time, then its summary; see the module comment. */
export async function* readLogObject(
  location: LogObjectLocation,
  options: LogObjectOptions,
): AsyncGenerator<LogObjectItem> {
  let response: GetObjectCommandOutput;
  try {
    response = await options.client.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: location.key, VersionId: location.versionId }),
    );
  } catch (error) {
    if (isNotFound(error)) {
      yield { kind: 'not-found' };
      return;
    }
    throw error;
  }
  const body = response.Body as AsyncIterable<Uint8Array> | undefined;
  if (!body || typeof body[Symbol.asyncIterator] !== 'function') {
    throw new Error(`s3://${location.bucket}/${location.key}: GetObject returned no readable body`);
  }
  for await (const item of gzippedLogItems(body, options)) {
    if (item.kind === 'record') {
      yield item;
      continue;
    }
    yield {
      ...item,
      ...(response.ETag !== undefined && { etag: response.ETag }),
      ...(response.VersionId !== undefined && { versionId: response.VersionId }),
      ...(response.LastModified !== undefined && { lastModified: response.LastModified }),
    };
  }
}

/**
 * The records of a gzipped log file's bytes, one at a time, then its summary (hash of the uncompressed content,
 * sizes). What {@link readLogObject} does once S3 answered; `npm run sweep` feeds it local files.
 */
export async function* gzippedLogItems(
  body: AsyncIterable<Uint8Array>,
  options: Omit<LogObjectOptions, 'client'> = {},
): AsyncGenerator<
  | { readonly kind: 'record'; readonly index: number; readonly record: unknown }
  | ({ readonly kind: 'end'; readonly compressedBytes: number } & LogRecordsSummary)
> {
  const maxInflated = options.maxDecompressedBytes ?? 1024 * 1024 * 1024;
  let compressed = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      compressed += chunk.length;
      yield chunk;
    }
  }
  const source = Readable.from(counted(), { objectMode: false });
  const gunzip = createGunzip({ chunkSize: 1 << 16 });
  // pipe() does not forward errors: without this a read error would leave the gunzip stream waiting forever.
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  const splitter = new LogRecordSplitter({ maxRecordBytes: options.maxRecordBytes });
  let inflated = 0;
  let index = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      if (inflated > maxInflated) {
        throw new LogFileFormatError(inflated, `more than ${maxInflated} bytes once gunzipped`, splitter.records);
      }
      for (const record of splitter.write(chunk)) yield { kind: 'record', index: index++, record };
    }
  } catch (error) {
    if (isZlibError(error)) {
      throw new LogFileFormatError(
        inflated,
        `not gzip data, or cut short (${(error as Error).message})`,
        splitter.records,
      );
    }
    throw error;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  yield { kind: 'end', ...splitter.end(), compressedBytes: compressed };
}
