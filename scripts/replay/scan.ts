/**
 * Replay's fast reader for CloudTrail log files: splits `{"Records":[{…},{…}]}` into records as the (gunzipped)
 * bytes stream in, without building the `Records` array or parsing a record, while validating every byte the way
 * `JSON.parse` would (string escapes, control characters, numbers, literals, commas, nesting), and notes where the
 * record's own top-level keys of interest and their values are. What is not parsed can then be judged from those
 * values (scripts/replay/prefilter.ts).
 *
 * It never guesses: anything it does not vouch for (a BOM or text before the object, another top-level key, an
 * element that is not an object, a syntax error, a truncated file, absurd nesting) throws {@link Unsure}, and the
 * caller reads the whole file the full way (scripts/cli/inputs.ts), which reports it exactly as before.
 *
 * The record scan itself runs in WebAssembly (scripts/replay/scan.wat, compiled into scan-wasm.ts): the file framing
 * around the records stays here.
 */
import { SCAN_WASM_BASE64 } from './scan-wasm';

/** The fast reader cannot vouch for this file: read it the full way. */
export class Unsure extends Error {
  override readonly name = 'Unsure';
}

/** What a captured value is. */
export enum Kind {
  Absent = 0,
  /** A string without escapes: its bytes between the quotes are its UTF-8 text. */
  Plain = 1,
  /** Anything else: a string with escapes, a number, a literal, an object or an array. */
  Other = 2,
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

// The WebAssembly module's memory layout (scripts/replay/scan.wat).
const MAX_KEYS = 128;
const KIND_AT = 0;
const START_AT = 128;
const END_AT = 640;
const FLAGS_AT = 1152;
const KEY_TABLE_AT = 1280;
const KEY_BYTES_AT = 2304;
const DATA = 65536;
/** Bytes past the data the scanner may read (a 16-byte block, the byte after a value). */
const SLACK = 16;
const PAGE = 65536;

/** Why `JSON.parse` would fail, by the scanner's code (-2 - reason). */
const REASONS = [
  'a record that is not an object',
  'expected a key',
  "expected ':'",
  "expected ',' or '}'",
  "expected ',' or ']'",
  'nesting too deep',
  'not a JSON value',
  'bad literal',
  'bad number',
  'bad escape',
  'bad \\u escape',
  'a control character in a string',
];

interface ScanExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  init(keys: number): void;
  record(i: number, n: number): number;
}

/** The part of the WebAssembly API used here (the project's TypeScript libraries do not declare it). */
const wasmApi = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object) => { readonly exports: unknown };
    };
  }
).WebAssembly;
let compiled: object | undefined;

/**
 * Scans one record at a time, in WebAssembly (scripts/replay/scan.wat): each buffer is copied into the module's
 * memory once ({@link load}) and its records are scanned there. After {@link record} returns, `kind`, `start` and
 * `end` describe the record's own top-level keys listed at construction (`start`/`end`: the value's bytes, quotes
 * included), `backslash` tells whether any string of the record holds an escape, and `escapedKey` whether a top-level
 * key did (so a listed key could hide behind it). `kind`, `start` and `end` are views of the module's memory: read
 * them through the scanner (they are replaced when the memory grows).
 */
export class RecordScanner {
  kind!: Uint8Array;
  start!: Int32Array;
  end!: Int32Array;
  backslash = false;
  escapedKey = false;
  private readonly wasm: ScanExports;
  private memory!: Uint8Array;
  /** The buffer in the module's memory. */
  private loaded: Buffer | undefined;
  private loadedEnd = DATA;

  constructor(keys: readonly string[]) {
    compiled ??= new wasmApi.Module(Buffer.from(SCAN_WASM_BASE64, 'base64'));
    this.wasm = new wasmApi.Instance(compiled).exports as ScanExports;
    this.views();
    const bytes = keys.map((k) => Buffer.from(k, 'utf8'));
    const total = bytes.reduce((sum, b) => sum + b.length, 0);
    if (keys.length > MAX_KEYS || KEY_BYTES_AT + total > DATA) {
      throw new Error(`the record scanner captures at most ${MAX_KEYS} keys in ${DATA - KEY_BYTES_AT} bytes`);
    }
    const table = new Int32Array(this.wasm.memory.buffer, KEY_TABLE_AT, 2 * keys.length);
    let at = KEY_BYTES_AT;
    bytes.forEach((b, slot) => {
      table[2 * slot] = b.length;
      table[2 * slot + 1] = at;
      this.memory.set(b, at);
      at += b.length;
    });
    this.wasm.init(keys.length);
  }

  /** Copies `buf` into the module's memory: the buffer {@link record} scans until another is loaded. */
  load(buf: Buffer): void {
    const need = DATA + buf.length + SLACK;
    const have = this.wasm.memory.buffer.byteLength;
    if (need > have) {
      this.wasm.memory.grow(Math.ceil((need - have) / PAGE));
      this.views();
    }
    this.memory.set(buf, DATA);
    this.loaded = buf;
    this.loadedEnd = DATA + buf.length;
  }

  /**
   * Scans the value (a record) that starts at `buf[i]`; returns the index just after it, or -1 when `buf` ends
   * before it does. Throws {@link Unsure} where `JSON.parse` would fail. Loads `buf` unless it is the buffer loaded
   * last (a loaded buffer must not change).
   */
  record(buf: Buffer, i: number): number {
    if (buf !== this.loaded) this.load(buf);
    const end = this.wasm.record(DATA + i, this.loadedEnd);
    const flags = this.memory;
    this.backslash = flags[FLAGS_AT] === 1;
    this.escapedKey = flags[FLAGS_AT + 1] === 1;
    if (end >= 0) return end - DATA;
    if (end === -1) return -1;
    throw new Unsure(REASONS[-2 - end] ?? 'not JSON');
  }

  private views(): void {
    const memory = this.wasm.memory.buffer;
    this.memory = new Uint8Array(memory);
    this.kind = new Uint8Array(memory, KIND_AT, MAX_KEYS);
    this.start = new Int32Array(memory, START_AT, MAX_KEYS);
    this.end = new Int32Array(memory, END_AT, MAX_KEYS);
  }
}

enum F {
  Open,
  Key,
  Colon,
  ArrayOpen,
  FirstElement,
  Element,
  AfterElement,
  Close,
  Done,
}

const KEY = Buffer.from('"Records"');
const EMPTY = Buffer.alloc(0);
/** How much of the next chunk, beyond the bytes carried, is first joined to a record carried over. */
const FIRST_TAKE = 4096;

/**
 * A CloudTrail log file fed chunk by chunk ({@link push}); calls `onRecord(buf, start, end, index)` for each record,
 * with the record's captured keys in `scanner`. Holds at most one unfinished record between chunks.
 */
export class LogFileScanner {
  private state = F.Open;
  private pending: Buffer = EMPTY;
  private keyAt = 0;
  private index = 0;

  constructor(
    readonly scanner: RecordScanner,
    private readonly onRecord: (buf: Buffer, start: number, end: number, index: number) => void,
  ) {}

  push(chunk: Buffer): void {
    const buf = chunk;
    const n = buf.length;
    let i = 0;
    if (this.pending.length > 0) {
      i = this.finishPending(chunk);
      if (i < 0) return;
    }
    // After the carried record (scanned in the joined buffer): the chunk is copied once, even when an earlier
    // chunk was the same Buffer object.
    this.scanner.load(buf);
    while (i < n) {
      const c = buf[i]!;
      if (this.state === F.Element || this.state === F.FirstElement) {
        if (isSpace(c)) {
          i++;
          continue;
        }
        if (c === CLOSE_BRACKET && this.state === F.FirstElement) {
          this.state = F.Close;
          i++;
          continue;
        }
        if (c !== OPEN_BRACE) throw new Unsure('a record that is not an object');
        const end = this.scanner.record(buf, i);
        if (end < 0) break;
        this.onRecord(buf, i, end, this.index++);
        i = end;
        this.state = F.AfterElement;
        continue;
      }
      i++;
      switch (this.state) {
        case F.Open:
          // CloudTrail starts the file with the object itself; anything else (a BOM, a blank line) goes the full way.
          if (c !== OPEN_BRACE) throw new Unsure('the file does not start with {');
          this.state = F.Key;
          break;
        case F.Key:
          if (this.keyAt === 0 && isSpace(c)) break;
          if (c !== KEY[this.keyAt]) throw new Unsure('"Records" is not the first key');
          if (++this.keyAt === KEY.length) this.state = F.Colon;
          break;
        case F.Colon:
          if (isSpace(c)) break;
          if (c !== COLON) throw new Unsure("expected ':'");
          this.state = F.ArrayOpen;
          break;
        case F.ArrayOpen:
          if (isSpace(c)) break;
          if (c !== OPEN_BRACKET) throw new Unsure('"Records" is not an array');
          this.state = F.FirstElement;
          break;
        case F.AfterElement:
          if (isSpace(c)) break;
          if (c === COMMA) this.state = F.Element;
          else if (c === CLOSE_BRACKET) this.state = F.Close;
          else throw new Unsure("expected ',' or ']'");
          break;
        case F.Close:
          if (isSpace(c)) break;
          if (c !== CLOSE_BRACE) throw new Unsure('another key after "Records"');
          this.state = F.Done;
          break;
        case F.Done:
          if (!isSpace(c)) throw new Unsure('text after the end of the object');
          break;
      }
    }
    this.pending = i >= n ? EMPTY : Buffer.from(buf.subarray(i));
  }

  /**
   * Ends the record carried over from the last chunk (it opens `pending`) with the head of `chunk`: joins only as much
   * of `chunk` as the record needs (guessed, then widened), not the whole chunk. Returns where scanning goes on in
   * `chunk`, or -1 when the record runs past `chunk` too (then `pending` holds all of it).
   */
  private finishPending(chunk: Buffer): number {
    const carried = this.pending.length;
    let take = Math.min(chunk.length, carried + FIRST_TAKE);
    for (;;) {
      const joined = Buffer.concat([this.pending, chunk.subarray(0, take)]);
      const end = this.scanner.record(joined, 0);
      if (end >= 0) {
        // A record ends at its closing brace, which is past what was carried.
        this.pending = EMPTY;
        this.onRecord(joined, 0, end, this.index++);
        this.state = F.AfterElement;
        return end - carried;
      }
      if (take === chunk.length) {
        this.pending = joined;
        return -1;
      }
      take = Math.min(chunk.length, take * 4);
    }
  }

  /** Throws {@link Unsure} unless the file ended right after its object (and white space). */
  end(): void {
    if (this.state !== F.Done || this.pending.length > 0) throw new Unsure('the file ends early');
  }
}
