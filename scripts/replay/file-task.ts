/**
 * One input file of `npm run replay`, read and run through the central rules: what the CLI needs to tally it and to
 * hand its matched events to triage, in input order. Runs in a worker thread (scripts/replay/worker.ts) or in
 * process; either way the outcome is the same plain data.
 *
 * CloudTrail log files take the fast path: the file is streamed through gunzip into the record scanner
 * (scripts/replay/scan.ts), the prefilter (scripts/replay/prefilter.ts) sets aside the records no central pattern
 * can match, and only the others are parsed, wrapped and evaluated. Any other file, and any log file the scanner
 * cannot vouch for (a syntax error, a truncated download, an unusual layout), is read the full way with the shared
 * reader (scripts/cli/inputs.ts), exactly as replay always read it.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import type { CatalogRunner, Verdict } from '../../handlers/core/sweep/catalog-runner';
import { type TrailEvent, toEvent, wrapCloudTrailRecord } from '../../handlers/core/sweep/to-event';
import { type InputFile, type ReadOptions, readFiles, STDIN } from '../cli/inputs';
import type { Prefilter } from './prefilter';
import { LogFileScanner, type RecordScanner } from './scan';

/** Something in a file the CLI reports or hands to triage, in file order. */
export type FileEntry =
  | { readonly kind: 'skip'; readonly where: string; readonly reason: string }
  | { readonly kind: 'match'; readonly event: TrailEvent; readonly verdict: Verdict }
  | { readonly kind: 'file-skipped'; readonly reason: string };

/** A file's outcome. Events that matched nothing are only counted. */
export interface FileOutcome {
  readonly file: string;
  readonly entries: FileEntry[];
  /** Records read, skipped ones included (for progress). */
  records: number;
  /** Events evaluated that no central rule matched (matched ones are in `entries`). */
  unmatched: number;
  /** Earliest and latest time of those events, in ms (±Infinity when none). */
  fromMs: number;
  toMs: number;
  /** Per detection: how many of those events it matched while its member rule would not receive them. */
  readonly readOnlySkipped: Record<string, number>;
  /** Bytes read from disk (also for a file skipped part way). */
  bytesRead: number;
  /** Set when the file was read to its end. */
  done?: { readonly bytesRead: number; readonly bytesDecompressed: number };
}

/** What reading a file needs: the compiled catalog and, for the fast path, its prefilter. */
export interface FileTaskContext {
  readonly runner: CatalogRunner;
  readonly prefilter: Prefilter;
  readonly scanner: RecordScanner;
}

const newOutcome = (file: string): FileOutcome => ({
  file,
  entries: [],
  records: 0,
  unmatched: 0,
  fromMs: Number.POSITIVE_INFINITY,
  toMs: Number.NEGATIVE_INFINITY,
  readOnlySkipped: {},
  bytesRead: 0,
});

function countUnmatched(out: FileOutcome, ms: number): void {
  out.unmatched++;
  if (ms < out.fromMs) out.fromMs = ms;
  if (ms > out.toMs) out.toMs = ms;
}

/** Runs the central rules over one item of the file (a record or an event), as the CLI always did. */
function evaluateItem(out: FileOutcome, ctx: FileTaskContext, item: unknown, cloudtrail: boolean, where: () => string) {
  const result = cloudtrail ? wrapCloudTrailRecord(item) : toEvent(item);
  if ('problem' in result) {
    out.entries.push({ kind: 'skip', where: where(), reason: result.problem });
    return;
  }
  const verdict = ctx.runner.evaluate(result.event);
  if (verdict.matched.length > 0) {
    out.entries.push({ kind: 'match', event: result.event, verdict });
    return;
  }
  countUnmatched(out, Date.parse(result.event.time));
  for (const id of verdict.readOnlySkipped) out.readOnlySkipped[id] = (out.readOnlySkipped[id] ?? 0) + 1;
}

/** The full way: the shared reader, every record parsed (exported for the equivalence tests). */
export async function readFully(
  input: InputFile,
  ctx: FileTaskContext,
  options: ReadOptions = {},
): Promise<FileOutcome> {
  const out = newOutcome(input.path);
  const onBytes = (n: number) => {
    out.bytesRead += n;
  };
  for await (const item of readFiles([input], { ...options, onBytes })) {
    switch (item.kind) {
      case 'records':
        item.records.forEach((r, i) => {
          evaluateItem(out, ctx, r, item.format === 'cloudtrail', () => item.where(i));
        });
        out.records += item.records.length;
        break;
      case 'record-skipped':
        out.records++;
        out.entries.push({ kind: 'skip', where: item.where, reason: item.reason });
        break;
      case 'file-skipped':
        out.entries.push({ kind: 'file-skipped', reason: item.reason });
        break;
      case 'file-done':
        out.done = { bytesRead: item.bytesRead, bytesDecompressed: item.bytesDecompressed };
        break;
    }
  }
  return out;
}

async function isGzip(location: string): Promise<boolean> {
  const handle = await open(location, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Gunzip's output chunks, and how far it may inflate ahead of the scanner (zlib streams take the Transform options;
 * the type does not list them): it works on libuv's pool while this thread scans.
 */
const GUNZIP: ZlibOptions = Object.assign({ chunkSize: 1 << 18 }, { readableHighWaterMark: 1 << 20 });

/** The fast way, for a CloudTrail log file; undefined when the file has to be read the full way. */
export async function readFast(input: InputFile, ctx: FileTaskContext): Promise<FileOutcome | undefined> {
  const out = newOutcome(input.path);
  const scanner = ctx.scanner;
  const file = new LogFileScanner(scanner, (buf, start, end, index) => {
    out.records++;
    const ms = ctx.prefilter.judge(buf, start, end, scanner);
    if (!Number.isNaN(ms)) {
      countUnmatched(out, ms);
      return;
    }
    const record: unknown = JSON.parse(buf.toString('utf8', start, end));
    evaluateItem(out, ctx, record, true, () => `Records[${index}]`);
  });
  let source: ReturnType<typeof createReadStream> | undefined;
  try {
    const gz = await isGzip(input.location);
    source = createReadStream(input.location, { highWaterMark: 1 << 20 });
    const stream = gz ? source.pipe(createGunzip(GUNZIP)) : source;
    if (gz) source.on('error', (error) => stream.destroy(error));
    let inflated = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      file.push(chunk);
    }
    file.end();
    out.bytesRead = source.bytesRead;
    out.done = { bytesRead: source.bytesRead, bytesDecompressed: inflated };
    return out;
  } catch {
    // Unsure, a read error or damaged gzip data: the full way reports it exactly as before.
    return undefined;
  } finally {
    source?.destroy();
  }
}

/** Reads one input and runs the central rules over it. */
export async function runFile(input: InputFile, ctx: FileTaskContext, options: ReadOptions = {}): Promise<FileOutcome> {
  if (input.location !== STDIN) {
    const fast = await readFast(input, ctx);
    if (fast) return fast;
  }
  return readFully(input, ctx, options);
}
