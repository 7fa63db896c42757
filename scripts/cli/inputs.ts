/**
 * The one input reader of `npm run replay`, `npm run plan` and `npm run undo`: finds the input files, streams them
 * (gunzipping on the fly), works out each file's format and yields its records in batches. Formats, detected per
 * file from the content rather than the name:
 * - CloudTrail log files as CloudTrail writes them to S3: one JSON object `{"Records": [...]}`, usually gzipped.
 * - EventBridge event files: one event object, a JSON array of events, or JSON Lines (one event per line; `.jsonl`,
 *   `.ndjson`, or a `.json` file that holds one value per line). Items that are bare CloudTrail records rather than
 *   events are accepted too, and so are triage queue messages (`{"detectionId": …, "event": {…}}`, e.g. from a
 *   dead-letter queue), which stand for their event.
 * - `-`: standard input, in any of the formats above.
 * Gzip is recognised by its magic bytes, so `.json` files that are really gzipped (and the reverse) still read.
 * Folders are walked recursively in name order, so every run reads the same files in the same order.
 *
 * Nothing here throws for a bad file: an unreadable, truncated or non-JSON file becomes a `file-skipped` item with
 * the reason (invalid JSON names the line and column), and a bad line in a JSON Lines file becomes a
 * `record-skipped` item at `line N`. Files left out of a folder walk are listed in {@link InputListing.ignored}, each
 * with the reason.
 */
import { createReadStream, type Dirent, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

/** The argument that stands for standard input. */
export const STDIN = '-';

/** A file to read. */
export interface InputFile {
  /** Path as shown in the output: the argument the user gave, joined with the path inside a folder; `-` for stdin. */
  readonly path: string;
  /** Absolute path; `-` for stdin. */
  readonly location: string;
  /** Size on disk, for progress (0 for stdin). */
  readonly size: number;
}

/** A file or argument left out, and why. */
export interface InputProblem {
  readonly file: string;
  readonly reason: string;
}

/** The files behind the command-line arguments. */
export interface InputListing {
  readonly files: readonly InputFile[];
  /** Arguments that do not exist (or are neither files nor folders). */
  readonly missing: readonly string[];
  /** Folders that could not be listed, with the reason. */
  readonly unreadable: readonly InputProblem[];
  /** Every entry of the given folders that was left out (not an input extension, a link to a folder, ...). */
  readonly ignored: readonly InputProblem[];
}

/** Extensions read when walking a folder; files named on the command line are read whatever their name. */
export const INPUT_EXTENSIONS = /\.(json|jsonl|ndjson)(\.gz)?$/i;

/** What the inputs may be, for help texts (each CLI's `--help` shows it). */
export const INPUTS_HELP = `Inputs (files, folders, or - for standard input; the format is read from the content, not the name):
  CloudTrail log files      {"Records": [...]} as CloudTrail writes them to S3, .json or .json.gz
  EventBridge events        one event per file, or a JSON array of events (bare CloudTrail records also work)
  JSON Lines                one event or record per line: .jsonl, .ndjson, or .json; gzipped or not
  triage messages           {"detectionId": ..., "event": {...}} (e.g. from a dead-letter queue) stand for their event
  folders                   read recursively in name order; only .json, .jsonl, .ndjson (optionally .gz) files
                            inside them are read, every other file is listed as ignored in the summary`;

/** The fix to suggest for an argument that does not exist. */
export function missingInputHint(arg: string, cwd: string): string {
  return `no such file or folder: ${arg} (check the path; relative paths start from ${cwd})`;
}

/**
 * Expands the arguments: files as they are, folders recursively (sorted, so runs are reproducible), keeping
 * `.json`, `.json.gz`, `.jsonl`, `.ndjson` (optionally gzipped). Symbolic links to files are followed, links to
 * folders are not (they can form cycles). `-` is standard input.
 */
export async function listInputs(paths: readonly string[], cwd: string): Promise<InputListing> {
  const files: InputFile[] = [];
  const missing: string[] = [];
  const unreadable: InputProblem[] = [];
  const ignored: InputProblem[] = [];
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
        if (!info) ignored.push({ file: child.shown, reason: 'a broken symbolic link' });
        else if (info.isDirectory()) ignored.push({ file: child.shown, reason: 'a link to a folder (not followed)' });
        else if (!info.isFile()) ignored.push({ file: child.shown, reason: 'not a regular file' });
        else if (INPUT_EXTENSIONS.test(e.name)) {
          files.push({ path: child.shown, location: child.location, size: info.size });
        } else ignored.push({ file: child.shown, reason: 'not .json, .json.gz, .jsonl or .ndjson' });
      } else ignored.push({ file: child.shown, reason: 'not a regular file' });
    }
  };
  for (const p of paths) {
    if (p === STDIN) {
      files.push({ path: STDIN, location: STDIN, size: 0 });
      continue;
    }
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
  /** What `-` reads. @default process.stdin */
  readonly stdin?: NodeJS.ReadableStream;
}

/** JSON Lines values per yielded batch. */
const LINE_BATCH = 2000;

/** Reads the files one after the other; see the module comment for formats and error handling. */
export async function* readFiles(files: readonly InputFile[], options: ReadOptions = {}): AsyncGenerator<ReadItem> {
  for (const f of files) yield* readFile(f, options);
}

/**
 * A file and a place in it as messages show it: `file:40` for a line (editors open it there), `file Records[3]`
 * for an element of a log file.
 */
export function locate(file: string, where: string | undefined): string {
  if (where === undefined || where === '') return file;
  const line = /^line (\d+)$/.exec(where);
  return line ? `${file}:${line[1]}` : `${file} ${where}`;
}

/** What an input item looks like: an EventBridge event, a bare CloudTrail record, or neither. */
export function itemKind(value: unknown): 'event' | 'record' | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if ('detail-type' in value || ('detail' in value && 'source' in value)) return 'event';
  if ('eventSource' in value && 'eventName' in value) return 'record';
  return undefined;
}

/** The event of a triage queue message (`{detectionId, event}`), or undefined for anything else. */
function messageEvent(obj: Record<string, unknown>): unknown {
  return 'detectionId' in obj && itemKind(obj['event']) === 'event' ? obj['event'] : undefined;
}

/** A value's place in the file format, or why the file (or line) cannot be read. */
type Classified =
  | { readonly format: 'cloudtrail' | 'items'; readonly records: readonly unknown[] }
  | { readonly problem: string };

const NOT_AN_INPUT =
  'neither a CloudTrail log file ({"Records": [...]}) nor an EventBridge event nor a CloudTrail record';

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
  const message = messageEvent(obj);
  if (message !== undefined) return { format: 'items', records: [message] };
  if (itemKind(obj) === undefined) return { problem: NOT_AN_INPUT };
  return { format: 'items', records: [obj] };
}

function errorText(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}

/**
 * Why `text` is not JSON, with the line and column: node 20's JSON.parse does not always say where. Runs only after
 * JSON.parse failed, so its speed does not matter.
 */
export function jsonProblem(text: string): string {
  const at = syntaxErrorAt(text);
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < at.offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  const fix =
    at.offset >= text.length
      ? '; the file ends in the middle of a value: was the download or copy cut short?'
      : '; fix or remove that part';
  return `invalid JSON at line ${line} column ${at.offset - lineStart + 1}: ${at.what}${fix}`;
}

/** The offset of the first JSON syntax error in `text` and what was wrong there. */
function syntaxErrorAt(text: string): { offset: number; what: string } {
  let i = 0;
  const fail = (what: string): never => {
    throw { offset: i, what: i >= text.length ? 'unexpected end of input' : what };
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const found = () => (i < text.length ? `'${text[i]}'` : 'the end');
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
        string();
        ws();
        if (text[i] !== ':') fail(`expected ':' after the property name, found ${found()}`);
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail(`expected ',' or '}' after a property value, found ${found()}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail(`expected ',' or ']' after an array element, found ${found()}`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (literal) {
      i += literal[0].length;
      return;
    }
    fail(`unexpected ${found()}`);
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('a control character (such as a line break) inside a string');
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${found()} after the end of the JSON value`);
    return { offset: text.length, what: 'unexpected end of input' };
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'offset' in error)
      return error as { offset: number; what: string };
    return { offset: 0, what: errorText(error) }; // stack overflow on absurd nesting
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
  /** The file as a whole could not be read (a `file-skipped` item was produced). */
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
    } catch {
      if (this.mode === 'start') {
        // Not a complete value on its own line: a pretty-printed document (or a broken file; parsing will tell).
        this.mode = 'document';
        this.partial.push(text, newline ? '\n' : '');
        return;
      }
      this.skipLine(this.lineNo, lineProblem(text));
      return;
    }
    this.mode = 'lines';
    this.value(value, this.lineNo);
  }

  private document(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (!this.linesFallback(text)) this.skipFile(jsonProblem(text));
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
   * A document that does not parse may be JSON Lines with a broken first line. It is read as such only when at least
   * as many lines hold an object or array as are broken, so that a broken pretty-printed file is reported once, at
   * the line and column of its first error, rather than line by line.
   */
  private linesFallback(text: string): boolean {
    const lines = text.split('\n');
    const parsed = lines.map((l): { value: unknown } | { error: string } | undefined => {
      if (l.trim() === '') return undefined;
      try {
        return { value: JSON.parse(l) };
      } catch {
        return { error: lineProblem(l) };
      }
    });
    // As many lines holding an object or array as broken lines: a pretty-printed file is mostly fragments.
    const values = parsed.filter((p) => p && 'value' in p && typeof p.value === 'object' && p.value !== null).length;
    const broken = parsed.filter((p) => p && 'error' in p).length;
    if (values === 0 || values < broken) return false;
    this.mode = 'lines';
    parsed.forEach((p, i) => {
      if (p === undefined) return;
      if ('error' in p) this.skipLine(i + 1, p.error);
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
      this.batch.push(c.records[0]);
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

/** Why one line of a JSON Lines file is not JSON: the column, and what each line must hold. */
function lineProblem(text: string): string {
  const at = syntaxErrorAt(text);
  return (
    `invalid JSON at column ${at.offset + 1}: ${at.what}; ` +
    'each line of a JSON Lines file must hold one complete event or record'
  );
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** The raw bytes of a file or stdin, counted as they are read. */
async function* counted(source: AsyncIterable<Buffer | string>, counter: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    counter.bytes += buf.length;
    yield buf;
  }
}

/**
 * The decompressed bytes: the first chunk tells whether the input is gzipped (magic bytes), so a pipe (stdin) is
 * recognised as well as a file, without a second open.
 */
async function* decompressed(raw: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  let head: Buffer = Buffer.alloc(0);
  while (head.length < GZIP_MAGIC.length) {
    const next = await raw.next();
    if (next.done) break;
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  if (head.length === 0) return;
  if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) {
    yield head;
    yield* raw;
    return;
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    yield* raw;
  }
  const source = Readable.from(all(), { objectMode: false });
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  // pipe() does not forward errors: without this a read error would leave the gunzip stream waiting forever.
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  try {
    yield* gunzip as AsyncIterable<Buffer>;
  } finally {
    source.destroy();
  }
}

async function isGzip(location: string): Promise<boolean> {
  const handle = await open(location, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/** A file's decompressed bytes and how many raw bytes were read so far. */
interface Opened {
  readonly chunks: AsyncIterable<Buffer>;
  readonly bytesRead: () => number;
  readonly close: () => void;
}

async function openInput(input: InputFile, options: ReadOptions): Promise<Opened> {
  if (input.location === STDIN) {
    const counter = { bytes: 0 };
    const stdin = options.stdin ?? process.stdin;
    return {
      chunks: decompressed(counted(stdin as AsyncIterable<Buffer>, counter)),
      bytesRead: () => counter.bytes,
      close: () => undefined,
    };
  }
  // Files: the magic bytes are read first and the file is piped straight into gunzip (the path replay's throughput
  // was measured on); only a pipe needs the peek at its first chunk.
  const gz = await isGzip(input.location);
  const source = createReadStream(input.location, { highWaterMark: 1 << 20 });
  const stream = gz ? source.pipe(createGunzip({ chunkSize: 1 << 18 })) : source;
  // pipe() does not forward errors: without this a read error would leave the gunzip stream waiting forever.
  if (gz) source.on('error', (error) => stream.destroy(error));
  return { chunks: stream as AsyncIterable<Buffer>, bytesRead: () => source.bytesRead, close: () => source.destroy() };
}

async function* readFile(input: InputFile, options: ReadOptions): AsyncGenerator<ReadItem> {
  const file = input.path;
  let opened: Opened;
  try {
    opened = await openInput(input, options);
  } catch (error) {
    yield { kind: 'file-skipped', file, reason: `cannot read it (${errorText(error)})` };
    return;
  }
  const decoder = new StringDecoder('utf8');
  const parser = new FileParser(file);
  let reported = 0;
  let inflated = 0;
  try {
    for await (const chunk of opened.chunks) {
      inflated += chunk.length;
      if (options.onBytes) {
        const read = opened.bytesRead();
        options.onBytes(read - reported);
        reported = read;
      }
      parser.write(decoder.write(chunk));
      if (parser.out.length > 0) yield* parser.out.splice(0);
    }
    parser.end(decoder.end());
  } catch (error) {
    // Read errors, corrupt or truncated gzip data: what parsed before the damage is still read and counted.
    parser.flush();
    yield* parser.out.splice(0);
    const before = parser.valueCount > 0 ? `; the ${parser.valueCount} value(s) before the error were read` : '';
    yield { kind: 'file-skipped', file, reason: `cannot read it (${errorText(error)})${before}` };
    return;
  } finally {
    opened.close();
  }
  yield* parser.out.splice(0);
  const bytesRead = opened.bytesRead();
  if (options.onBytes) options.onBytes(bytesRead - reported);
  if (!parser.skipped) yield { kind: 'file-done', file, bytesRead, bytesDecompressed: inflated };
}
