/**
 * Splits a CloudTrail log file into its records as the bytes stream in, one record at a time, never holding more
 * than the record being read; hashes the bytes on the way. Pure over bytes: the adapter
 * (handlers/adapters/sweep/log-file.ts) gets the object and gunzips it.
 *
 * The layout is the one CloudTrail writes ("CloudTrail log file examples"): one JSON object `{"Records":[{…},{…}]}`.
 * The splitter follows JSON strings, escapes and nesting to find where each record ends, and parses each record on
 * its own. Anything else (another top-level key, a non-object element, text after the end) is a format error: the
 * trail never writes it.
 *
 * The hash is SHA-256 of the *uncompressed* bytes, which is what a digest file lists for a log file
 * (`logFiles.hashValue`: "The hexadecimal encoded hash value of the uncompressed log file content", CloudTrail
 * digest file structure; the AWS CLI's validate-logs hashes the inflated stream the same way).
 */
import { createHash, type Hash } from 'node:crypto';

/** The file is not a CloudTrail log file; `offset` is the byte (uncompressed) where reading stopped. */
export class LogFileFormatError extends Error {
  override readonly name = 'LogFileFormatError';

  constructor(
    readonly offset: number,
    readonly reason: string,
    /** Records read before the error. */
    readonly recordsBefore: number,
  ) {
    super(`not a CloudTrail log file at byte ${offset}: ${reason}`);
  }
}

/** What a whole file came to. */
export interface LogRecordsSummary {
  /** Hex SHA-256 of the uncompressed bytes: compare with the digest's `hashValue`. */
  readonly sha256: string;
  /** Uncompressed bytes. */
  readonly bytes: number;
  readonly records: number;
}

/** Options for {@link LogRecordSplitter}. */
export interface SplitterOptions {
  /**
   * A record larger than this is a format error (bounded memory on hostile input).
   * @default 16 MiB
   */
  readonly maxRecordBytes?: number;
}

enum S {
  Open,
  Key,
  Colon,
  ArrayOpen,
  Element,
  Record,
  AfterElement,
  Close,
  Done,
}

const KEY = Buffer.from('"Records"', 'utf8');
const BOM = [0xef, 0xbb, 0xbf] as const;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Feed it the uncompressed bytes in order with {@link write}; {@link end} checks the file is complete. */
export class LogRecordSplitter {
  private state = S.Open;
  private readonly hash: Hash = createHash('sha256');
  private readonly maxRecordBytes: number;
  /** Bytes seen before the current chunk. */
  private offset = 0;
  private keyAt = 0;
  private bomAt = 0;
  private afterComma = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Parts of the record being read that ended earlier chunks. */
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private count = 0;

  constructor(options: SplitterOptions = {}) {
    this.maxRecordBytes = options.maxRecordBytes ?? 16 * 1024 * 1024;
  }

  /** Records read so far. */
  get records(): number {
    return this.count;
  }

  /** Reads a chunk; returns the records it completed, in order. */
  write(chunk: Uint8Array): unknown[] {
    this.hash.update(chunk);
    const out: unknown[] = [];
    const n = chunk.length;
    let i = 0;
    let recordStart = this.state === S.Record ? 0 : -1;
    while (i < n) {
      const b = chunk[i]!;
      switch (this.state) {
        case S.Record: {
          // The hot loop: scan to the end of the record.
          let depth = this.depth;
          let inString = this.inString;
          let escaped = this.escaped;
          for (; i < n; i++) {
            const c = chunk[i]!;
            if (inString) {
              if (escaped) escaped = false;
              else if (c === BACKSLASH) escaped = true;
              else if (c === QUOTE) inString = false;
            } else if (c === QUOTE) inString = true;
            else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
            else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
              depth--;
              if (depth === 0) break;
            }
          }
          this.depth = depth;
          this.inString = inString;
          this.escaped = escaped;
          if (i === n) {
            // The record goes on in the next chunk.
            this.keep(chunk.subarray(recordStart, n), n);
            recordStart = -1;
            continue;
          }
          // chunk[i] closes the record.
          i++;
          out.push(this.finishRecord(chunk.subarray(recordStart, i), i));
          recordStart = -1;
          this.state = S.AfterElement;
          continue;
        }
        case S.Open:
          if (this.offset + i < BOM.length && this.bomAt === this.offset + i && b === BOM[this.bomAt]) {
            this.bomAt++;
            break;
          }
          if (isSpace(b)) break;
          if (b !== OPEN_BRACE) this.fail(i, `expected '{' to open the file, found ${shown(b)}`);
          this.state = S.Key;
          break;
        case S.Key:
          if (this.keyAt === 0 && isSpace(b)) break;
          if (b !== KEY[this.keyAt]) this.fail(i, 'expected "Records" as the only key');
          if (++this.keyAt === KEY.length) this.state = S.Colon;
          break;
        case S.Colon:
          if (isSpace(b)) break;
          if (b !== COLON) this.fail(i, `expected ':' after "Records", found ${shown(b)}`);
          this.state = S.ArrayOpen;
          break;
        case S.ArrayOpen:
          if (isSpace(b)) break;
          if (b !== OPEN_BRACKET) this.fail(i, `expected '[': "Records" must be an array, found ${shown(b)}`);
          this.state = S.Element;
          break;
        case S.Element:
          if (isSpace(b)) break;
          if (b === CLOSE_BRACKET && !this.afterComma) {
            this.state = S.Close;
            break;
          }
          if (b !== OPEN_BRACE) this.fail(i, `expected a record ('{'), found ${shown(b)}`);
          this.state = S.Record;
          this.depth = 1;
          this.inString = false;
          this.escaped = false;
          recordStart = i;
          break;
        case S.AfterElement:
          if (isSpace(b)) break;
          if (b === COMMA) {
            this.afterComma = true;
            this.state = S.Element;
          } else if (b === CLOSE_BRACKET) this.state = S.Close;
          else this.fail(i, `expected ',' or ']' after a record, found ${shown(b)}`);
          break;
        case S.Close:
          if (isSpace(b)) break;
          if (b !== CLOSE_BRACE) this.fail(i, `expected '}' after the records: "Records" must be the only key`);
          this.state = S.Done;
          break;
        case S.Done:
          if (!isSpace(b)) this.fail(i, `unexpected ${shown(b)} after the end of the file's JSON object`);
          break;
      }
      // From S.Element into S.Record, the scan goes on after the record's '{' (depth 1 already counted).
      i++;
    }
    // A record that opened on the chunk's last byte.
    if (this.state === S.Record && recordStart >= 0) this.keep(chunk.subarray(recordStart, n), n);
    this.offset += n;
    return out;
  }

  /** Checks that the file ended where its JSON object does. */
  end(): LogRecordsSummary {
    if (this.state !== S.Done) {
      const where =
        this.state === S.Record ? `inside record ${this.count}` : this.state === S.Open ? 'before any JSON' : 'early';
      throw new LogFileFormatError(this.offset, `the file ends ${where}: truncated?`, this.count);
    }
    return { sha256: this.hash.digest('hex'), bytes: this.offset, records: this.count };
  }

  private keep(part: Uint8Array, endIndex: number): void {
    this.partBytes += part.length;
    if (this.partBytes > this.maxRecordBytes) {
      this.fail(endIndex, `record ${this.count} is larger than ${this.maxRecordBytes} bytes`);
    }
    // Copied: the caller may reuse the chunk's memory once write() returns.
    this.parts.push(Uint8Array.prototype.slice.call(part));
  }

  private finishRecord(tail: Uint8Array, endIndex: number): unknown {
    const size = this.partBytes + tail.length;
    if (size > this.maxRecordBytes)
      this.fail(endIndex, `record ${this.count} is larger than ${this.maxRecordBytes} bytes`);
    const bytes = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail], size);
    this.parts = [];
    this.partBytes = 0;
    let record: unknown;
    try {
      record = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    } catch {
      this.fail(endIndex, `record ${this.count} is not valid JSON`);
    }
    this.count++;
    return record;
  }

  private fail(index: number, reason: string): never {
    throw new LogFileFormatError(this.offset + index, reason, this.count);
  }
}

function shown(b: number): string {
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/** One record of a log file, or the end of the file with its hash. */
export type LogFileItem =
  | { readonly kind: 'record'; readonly index: number; readonly record: unknown }
  | ({ readonly kind: 'end' } & LogRecordsSummary);

/**
 * The records of a log file from its uncompressed chunks, one at a time, then an `end` item with the hash. Throws a
 * {@link LogFileFormatError} where the content stops being a CloudTrail log file (records before it were yielded).
 */
export async function* logRecords(
  chunks: AsyncIterable<Uint8Array>,
  options: SplitterOptions = {},
): AsyncGenerator<LogFileItem> {
  const splitter = new LogRecordSplitter(options);
  let index = 0;
  for await (const chunk of chunks) {
    for (const record of splitter.write(chunk)) yield { kind: 'record', index: index++, record };
  }
  yield { kind: 'end', ...splitter.end() };
}

/** The whole file at once (tests, small files): its records and summary. */
export function splitLogFile(
  bytes: Uint8Array,
  options: SplitterOptions = {},
): { readonly records: unknown[]; readonly summary: LogRecordsSummary } {
  const splitter = new LogRecordSplitter(options);
  const records = splitter.write(bytes);
  return { records, summary: splitter.end() };
}
