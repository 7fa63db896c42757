/**
 * I/O of `npm run replay`: finds the input files, streams them (gunzipping on the fly), works out each file's format
 * and yields its records in batches. Formats, detected per file from the content rather than the name:
 * - CloudTrail log files as CloudTrail writes them to S3: one JSON object `{"Records": [...]}`, usually gzipped.
 * - EventBridge event files: one event object, a JSON array of events, or JSON Lines (one event per line). Items
 *   that are bare CloudTrail records rather than events are accepted too (core.ts tells them apart).
 * Gzip is recognised by its magic bytes, so `.json` files that are really gzipped (and the reverse) still read.
 *
 * Nothing here throws for a bad file: an unreadable, truncated or non-JSON file becomes a `file-skipped` item with
 * the reason, and a bad line in a JSON Lines file becomes a `record-skipped` item.
 */
import { createReadStream, type Dirent, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { itemKind } from './core';

/** A file to read. */
export interface InputFile {
  /** Path as shown in the output: the argument the user gave, joined with the path inside a folder. */
  readonly path: string;
  /** Absolute path. */
  readonly location: string;
  /** Size on disk, for progress. */
  readonly size: number;
}

/** The files behind the command-line arguments. */
export interface InputListing {
  readonly files: readonly InputFile[];
  /** Arguments that do not exist (or are neither files nor folders). */
  readonly missing: readonly string[];
  /** Folders that could not be listed, with the reason. */
  readonly unreadable: readonly { readonly file: string; readonly reason: string }[];
  /** Files inside the folders that were left out because of their extension. */
  readonly ignored: number;
}

/** Extensions read when walking a folder; files named on the command line are read whatever their name. */
export const INPUT_EXTENSIONS = /\.(json|jsonl|ndjson)(\.gz)?$/i;

/**
 * Expands the arguments: files as they are, folders recursively (sorted, so runs are reproducible), keeping
 * `.json`, `.json.gz`, `.jsonl`, `.ndjson` (optionally gzipped). Symbolic links to files are followed, links to
 * folders are not (they can form cycles).
 */
export async function listInputs(paths: readonly string[], cwd: string): Promise<InputListing> {
  const files: InputFile[] = [];
  const missing: string[] = [];
  const unreadable: { file: string; reason: string }[] = [];
  let ignored = 0;
  const walk = async (shown: string, location: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(location, { withFileTypes: true });
    } catch (error) {
      unreadable.push({ file: shown, reason: `cannot list the folder (${errorText(error)})` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const child = { shown: join(shown, e.name), location: join(location, e.name) };
      if (e.isDirectory()) await walk(child.shown, child.location);
      else if (e.isFile() || e.isSymbolicLink()) {
        const info = await statOrUndefined(child.location);
        if (!info?.isFile()) continue;
        if (INPUT_EXTENSIONS.test(e.name)) files.push({ path: child.shown, location: child.location, size: info.size });
        else ignored++;
      }
    }
  };
  for (const p of paths) {
    const location = resolve(cwd, p);
    const info = await statOrUndefined(location);
    if (info?.isDirectory()) await walk(p, location);
    else if (info?.isFile()) files.push({ path: p, location, size: info.size });
    else missing.push(p);
  }
  return { files, missing, unreadable, ignored };
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/** What reading yields, in file order. */
export type ReadItem =
  | {
      readonly kind: 'records';
      readonly file: string;
      /** `cloudtrail`: elements of a log file's `Records`; `items`: events (or bare records) from an event file. */
      readonly format: 'cloudtrail' | 'items';
      readonly records: readonly unknown[];
      /** Where record `i` of this batch is in its file, for messages (`Records[12]`, `line 40`). */
      readonly where: (i: number) => string;
    }
  | { readonly kind: 'record-skipped'; readonly file: string; readonly where: string; readonly reason: string }
  | { readonly kind: 'file-skipped'; readonly file: string; readonly reason: string }
  | {
      readonly kind: 'file-done';
      readonly file: string;
      /** Bytes read from disk. */
      readonly bytesRead: number;
      /** Bytes after decompression. */
      readonly bytesDecompressed: number;
    };

/** Options for {@link readFiles}. */
export interface ReadOptions {
  /**
   * Called with the number of bytes read from disk since the last call, as reading goes (for progress).
   * @default - not called
   */
  readonly onBytes?: (bytes: number) => void;
}

/** JSON Lines values per yielded batch. */
const LINE_BATCH = 2000;

/** Reads the files one after the other; see the module comment for formats and error handling. */
export async function* readFiles(files: readonly InputFile[], options: ReadOptions = {}): AsyncGenerator<ReadItem> {
  for (const f of files) yield* readFile(f, options);
}

/** A value's place in the file format, or why the file (or line) cannot be replayed. */
type Classified =
  | { readonly format: 'cloudtrail' | 'items'; readonly records: readonly unknown[] }
  | { readonly problem: string };

function classify(value: unknown): Classified {
  if (Array.isArray(value)) return { format: 'items', records: value };
  if (typeof value !== 'object' || value === null) {
    return { problem: `expected a JSON object or array, got ${value === null ? 'null' : `a ${typeof value}`}` };
  }
  const obj = value as Record<string, unknown>;
  if ('Records' in obj) {
    return Array.isArray(obj['Records'])
      ? { format: 'cloudtrail', records: obj['Records'] }
      : { problem: '"Records" is not an array, so this is not a CloudTrail log file' };
  }
  if ('digestStartTime' in obj && 'logFiles' in obj) {
    return { problem: 'a CloudTrail digest file (it lists log files and holds no events)' };
  }
  if (itemKind(obj) === undefined) {
    return {
      problem: 'neither a CloudTrail log file ({"Records": [...]}) nor an EventBridge event nor a CloudTrail record',
    };
  }
  return { format: 'items', records: [obj] };
}

function errorText(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
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
 * Turns the text of one file into read items. JSON Lines are handled as they stream in; anything else (a CloudTrail
 * log file is one JSON object, often on one line) is one value and is parsed once it is complete.
 */
class FileParser {
  /** 'start': before the first non-empty line; 'lines': JSON Lines; 'document': one value over several lines. */
  private mode: 'start' | 'lines' | 'document' = 'start';
  /** The current line, or in 'document' mode the whole text so far. */
  private readonly partial: string[] = [];
  private lineNo = 0;
  private batch: unknown[] = [];
  private batchLines: number[] = [];
  private values = 0;
  /** A problem with the first value is a file-level problem unless more values follow. */
  private firstProblem: { line: number; problem: string } | undefined;
  /** Items ready to be yielded. */
  readonly out: ReadItem[] = [];
  /** The file as a whole could not be replayed (a `file-skipped` item was produced). */
  skipped = false;

  constructor(private readonly file: string) {}

  /** Values (records, events, log files) seen so far. */
  get valueCount(): number {
    return this.values;
  }

  write(text: string): void {
    if (this.mode === 'document') {
      this.partial.push(text);
      return;
    }
    let from = 0;
    for (let nl = text.indexOf('\n', from); nl !== -1; nl = text.indexOf('\n', from)) {
      this.partial.push(text.slice(from, nl));
      const line = this.partial.length === 1 ? this.partial[0]! : this.partial.join('');
      this.partial.length = 0;
      this.line(line);
      from = nl + 1;
    }
    if (from < text.length) this.partial.push(text.slice(from));
  }

  end(text: string): void {
    this.write(text);
    if (this.mode !== 'document') {
      // The last line has no newline after it (a CloudTrail log file is one line without one).
      const last = this.partial.join('');
      this.partial.length = 0;
      if (last.trim() !== '') this.line(last, false);
    }
    if (this.mode === 'document') {
      const text = this.partial.join('');
      this.partial.length = 0;
      this.document(text);
    }
    this.flush();
    if (this.firstProblem) this.skipFile(this.firstProblem.problem);
    else if (this.values === 0 && !this.skipped) this.skipFile('empty file');
  }

  private skipFile(reason: string): void {
    this.skipped = true;
    this.out.push({ kind: 'file-skipped', file: this.file, reason });
  }

  /** Handles one line; `newline` is false for a last line that has none after it. */
  private line(raw: string, newline = true): void {
    this.lineNo++;
    const text = this.lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (this.mode === 'document') {
      this.partial.push(text, newline ? '\n' : '');
      return;
    }
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      if (this.mode === 'start') {
        // Not a complete value on its own line: a pretty-printed document (or a broken file; parsing will tell).
        this.mode = 'document';
        this.partial.push(text, newline ? '\n' : '');
        return;
      }
      this.skipLine(this.lineNo, `invalid JSON (${errorText(error)})`);
      return;
    }
    this.mode = 'lines';
    this.value(value, this.lineNo);
  }

  private document(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      if (!this.linesFallback(text)) this.skipFile(`invalid JSON (${errorText(error)})`);
      return;
    }
    const c = classify(value);
    if ('problem' in c) {
      this.skipFile(c.problem);
      return;
    }
    this.values++;
    const unit = c.format === 'cloudtrail' ? 'Records' : '';
    this.out.push({
      kind: 'records',
      file: this.file,
      format: c.format,
      records: c.records,
      where: (i) => `${unit}[${i}]`,
    });
  }

  /**
   * A document that does not parse may be JSON Lines with a broken first line. It is read as such only when some
   * line holds an object or array, so that a truncated pretty-printed file is not reported line by line.
   */
  private linesFallback(text: string): boolean {
    const lines = text.split('\n');
    const parsed = lines.map((l) => {
      if (l.trim() === '') return undefined;
      try {
        return { value: JSON.parse(l) as unknown };
      } catch (error) {
        return { error: errorText(error) };
      }
    });
    if (!parsed.some((p) => p && 'value' in p && typeof p.value === 'object' && p.value !== null)) return false;
    this.mode = 'lines';
    parsed.forEach((p, i) => {
      if (p === undefined) return;
      if ('error' in p) this.skipLine(i + 1, `invalid JSON (${p.error})`);
      else this.value(p.value, i + 1);
    });
    return true;
  }

  private skipLine(line: number, reason: string): void {
    this.flush();
    this.out.push({ kind: 'record-skipped', file: this.file, where: `line ${line}`, reason });
  }

  private value(value: unknown, line: number): void {
    this.values++;
    if (this.values === 2 && this.firstProblem) {
      this.skipLine(this.firstProblem.line, this.firstProblem.problem);
      this.firstProblem = undefined;
    }
    const c = classify(value);
    if ('problem' in c) {
      if (this.values === 1) this.firstProblem = { line, problem: c.problem };
      else this.skipLine(line, c.problem);
      return;
    }
    if (!Array.isArray(value) && c.format === 'items') {
      this.batch.push(value);
      this.batchLines.push(line);
      if (this.batch.length >= LINE_BATCH) this.flush();
      return;
    }
    // A whole log file or array on one line (a CloudTrail log file is written on one line).
    this.flush();
    const prefix = line > 1 ? `line ${line} ` : '';
    const unit = c.format === 'cloudtrail' ? 'Records' : '';
    this.out.push({
      kind: 'records',
      file: this.file,
      format: c.format,
      records: c.records,
      where: (i) => `${prefix}${unit}[${i}]`,
    });
  }

  /** Moves the JSON Lines values collected so far to `out`. */
  flush(): void {
    if (this.batch.length === 0) return;
    const lines = this.batchLines;
    this.out.push({
      kind: 'records',
      file: this.file,
      format: 'items',
      records: this.batch,
      where: (i) => `line ${lines[i]}`,
    });
    this.batch = [];
    this.batchLines = [];
  }
}

async function* readFile(input: InputFile, options: ReadOptions): AsyncGenerator<ReadItem> {
  const file = input.path;
  let gz: boolean;
  try {
    gz = await isGzip(input.location);
  } catch (error) {
    yield { kind: 'file-skipped', file, reason: `cannot read it (${errorText(error)})` };
    return;
  }

  const source = createReadStream(input.location, { highWaterMark: 1 << 20 });
  const stream = gz ? source.pipe(createGunzip({ chunkSize: 1 << 18 })) : source;
  // pipe() does not forward errors: without this a read error would leave the gunzip stream waiting forever.
  if (gz) source.on('error', (error) => stream.destroy(error));

  const decoder = new StringDecoder('utf8');
  const parser = new FileParser(file);
  let reported = 0;
  let decompressed = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      decompressed += chunk.length;
      if (options.onBytes) {
        options.onBytes(source.bytesRead - reported);
        reported = source.bytesRead;
      }
      parser.write(decoder.write(chunk));
      if (parser.out.length > 0) yield* parser.out.splice(0);
    }
    parser.end(decoder.end());
  } catch (error) {
    // Read errors, corrupt or truncated gzip data: what parsed before the damage is still replayed and counted.
    parser.flush();
    yield* parser.out.splice(0);
    const before = parser.valueCount > 0 ? `; the ${parser.valueCount} value(s) before the error were replayed` : '';
    yield { kind: 'file-skipped', file, reason: `cannot read it (${errorText(error)})${before}` };
    return;
  } finally {
    source.destroy();
  }
  yield* parser.out.splice(0);
  if (options.onBytes) options.onBytes(source.bytesRead - reported);
  if (!parser.skipped) yield { kind: 'file-done', file, bytesRead: source.bytesRead, bytesDecompressed: decompressed };
}
