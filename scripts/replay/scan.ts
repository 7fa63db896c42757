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
 */

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

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isHex = (b: number) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
/** Characters that may follow a backslash, besides `u`. */
const SIMPLE_ESCAPES = new Set([...'"\\/bfnrt'].map((c) => c.charCodeAt(0)));
const LITERALS: Readonly<Record<number, Buffer>> = {
  116: Buffer.from('true'),
  102: Buffer.from('false'),
  110: Buffer.from('null'),
};
/** Byte values {@link RecordScanner.nextSpecial} tracks: the 32 control characters and the backslash. */
const SPECIAL_BYTES = 33;
/** Strings up to this many bytes are searched for their closing quote in JavaScript, longer ones natively. */
const SHORT_STRING = 16;
/** Deeper records are left to JSON.parse. */
const MAX_DEPTH = 256;

/** The first index at or after `i` that is not JSON white space (`buf.length` if none). */
function skipSpace(buf: Buffer, i: number): number {
  const n = buf.length;
  while (i < n) {
    const b = buf[i]!;
    if (b > 0x20 || !(b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) return i;
    i++;
  }
  return n;
}

/**
 * Scans one record at a time. After {@link record} returns, `kind`, `start` and `end` describe the record's own
 * top-level keys listed at construction (`start`/`end`: the value's bytes, quotes included), `backslash` tells
 * whether any string of the record holds an escape, and `escapedKey` whether a top-level key did (so a listed key
 * could hide behind it).
 */
export class RecordScanner {
  readonly kind: Uint8Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
  backslash = false;
  escapedKey = false;
  /** The listed keys, by their length in bytes. */
  private readonly byLength: { readonly bytes: Buffer; readonly slot: number }[][] = [];
  private stringEscaped = false;
  private valueKind = Kind.Other;
  /** {@link nextSpecial}'s memory: the buffer, the last position asked, per byte value its next occurrence. */
  private specialBuf: Buffer | undefined;
  private specialFrom = 0;
  private specialMin = -1;
  private readonly nextAt = new Float64Array(SPECIAL_BYTES);

  constructor(keys: readonly string[]) {
    this.kind = new Uint8Array(keys.length);
    this.start = new Int32Array(keys.length);
    this.end = new Int32Array(keys.length);
    keys.forEach((k, slot) => {
      const bytes = Buffer.from(k, 'utf8');
      this.byLength[bytes.length] ??= [];
      this.byLength[bytes.length]!.push({ bytes, slot });
    });
  }

  /**
   * Scans the value (a record) that starts at `buf[i]`; returns the index just after it, or -1 when `buf` ends
   * before it does. Throws {@link Unsure} where `JSON.parse` would fail.
   */
  record(buf: Buffer, i: number): number {
    this.kind.fill(Kind.Absent);
    this.backslash = false;
    this.escapedKey = false;
    const n = buf.length;
    i = skipSpace(buf, i);
    if (i >= n) return -1;
    if (buf[i] !== OPEN_BRACE) throw new Unsure('a record that is not an object');
    return this.object(buf, i, 1);
  }

  /**
   * The index after the object that opens at `buf[i]`, at nesting `depth` (the record's is 1), or -1 when `buf` ends
   * first; captures the listed keys of the record's own object. Every read past `buf`'s end returns -1 rather than
   * throwing: only bytes that are there decide that the file is not JSON.
   */
  private object(buf: Buffer, i: number, depth: number): number {
    const n = buf.length;
    i = skipSpace(buf, i + 1);
    if (i >= n) return -1;
    let c = buf[i]!;
    if (c === CLOSE_BRACE) return i + 1;
    for (;;) {
      if (c !== QUOTE) throw new Unsure('expected a key');
      let j = this.string(buf, i);
      if (j < 0) return -1;
      let slot = -1;
      if (depth === 1) {
        if (this.stringEscaped) this.escapedKey = true;
        else slot = this.lookup(buf, i + 1, j - 1);
      }
      i = buf[j] === COLON ? j : skipSpace(buf, j);
      if (i >= n) return -1;
      if (buf[i] !== COLON) throw new Unsure("expected ':'");
      i = skipSpace(buf, i + 1);
      if (i >= n) return -1;
      j = this.value(buf, i, buf[i]!, depth);
      if (j < 0) return -1;
      // A repeated key: JSON.parse keeps the last value, and so does this.
      if (slot >= 0) this.capture(slot, i, j, this.valueKind);
      i = skipSpace(buf, j);
      if (i >= n) return -1;
      c = buf[i]!;
      if (c === CLOSE_BRACE) return i + 1;
      if (c !== COMMA) throw new Unsure("expected ',' or '}'");
      i = skipSpace(buf, i + 1);
      if (i >= n) return -1;
      c = buf[i]!;
    }
  }

  /** {@link object}, for an array. */
  private array(buf: Buffer, i: number, depth: number): number {
    const n = buf.length;
    i = skipSpace(buf, i + 1);
    if (i >= n) return -1;
    let c = buf[i]!;
    if (c === CLOSE_BRACKET) return i + 1;
    for (;;) {
      const j = this.value(buf, i, c, depth);
      if (j < 0) return -1;
      i = skipSpace(buf, j);
      if (i >= n) return -1;
      c = buf[i]!;
      if (c === CLOSE_BRACKET) return i + 1;
      if (c !== COMMA) throw new Unsure("expected ',' or ']'");
      i = skipSpace(buf, i + 1);
      if (i >= n) return -1;
      c = buf[i]!;
    }
  }

  /**
   * The index after the value that starts with `c` at `buf[i]`, inside a container at nesting `depth`, or -1 when
   * `buf` ends first; sets `valueKind`.
   */
  private value(buf: Buffer, i: number, c: number, depth: number): number {
    if (c === QUOTE) {
      const j = this.string(buf, i);
      this.valueKind = this.stringEscaped ? Kind.Other : Kind.Plain;
      return j;
    }
    let j: number;
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth >= MAX_DEPTH) throw new Unsure('nesting too deep');
      j = c === OPEN_BRACE ? this.object(buf, i, depth + 1) : this.array(buf, i, depth + 1);
    } else if (c === 0x2d || isDigit(c)) j = number(buf, i);
    else {
      const literal = LITERALS[c];
      if (literal === undefined) throw new Unsure('not a JSON value');
      if (i + literal.length > buf.length) return -1;
      for (let k = 1; k < literal.length; k++) if (buf[i + k] !== literal[k]) throw new Unsure('bad literal');
      j = i + literal.length;
    }
    this.valueKind = Kind.Other;
    return j;
  }

  private capture(slot: number, start: number, end: number, kind: Kind): void {
    this.kind[slot] = kind;
    this.start[slot] = start;
    this.end[slot] = end;
  }

  private lookup(buf: Buffer, from: number, to: number): number {
    const list = this.byLength[to - from];
    if (list === undefined) return -1;
    for (let l = 0; l < list.length; l++) {
      const bytes = list[l]!.bytes;
      let k = 0;
      while (k < bytes.length && buf[from + k] === bytes[k]) k++;
      if (k === bytes.length) return list[l]!.slot;
    }
    return -1;
  }

  /**
   * The index after the string that opens at `buf[i]`, or -1 if `buf` ends first; sets `stringEscaped`.
   *
   * Most strings hold neither a backslash nor a control character: their closing quote is the next quote, found
   * natively (or by a short loop for short strings), and the span is valid when the next such byte
   * ({@link nextSpecial}) lies beyond it. Any other string, or one `buf` ends inside, takes {@link slowString}, which
   * checks every byte.
   */
  private string(buf: Buffer, i: number): number {
    const n = buf.length;
    let j = i + 1;
    const shortEnd = Math.min(j + SHORT_STRING, n);
    while (j < shortEnd && buf[j] !== QUOTE) j++;
    const q = j < shortEnd ? j : buf.indexOf(QUOTE, j);
    if (q < 0 || this.nextSpecial(buf, i + 1) < q) return this.slowString(buf, i);
    this.stringEscaped = false;
    return q + 1;
  }

  /**
   * The first byte at or after `p` in `buf` that is a backslash or a control character (below 0x20), or
   * `buf.length` when there is none. One native search per such byte value serves every string of `buf` up to that
   * value's next occurrence; calls on one buffer come in increasing `p` (a smaller `p` starts afresh).
   */
  private nextSpecial(buf: Buffer, p: number): number {
    if (buf !== this.specialBuf || p < this.specialFrom) {
      this.specialBuf = buf;
      this.nextAt.fill(-1);
      this.specialMin = -1;
    }
    this.specialFrom = p;
    if (this.specialMin >= p) return this.specialMin;
    const n = buf.length;
    const nextAt = this.nextAt;
    let min = n;
    for (let b = 0; b < SPECIAL_BYTES; b++) {
      let at = nextAt[b]!;
      if (at < p) {
        // Byte values 0x00-0x1f, and slot 0x20 stands for the backslash.
        at = buf.indexOf(b === 0x20 ? BACKSLASH : b, p);
        if (at < 0) at = n;
        nextAt[b] = at;
      }
      if (at < min) min = at;
    }
    this.specialMin = min;
    return min;
  }

  /** {@link string}, byte by byte. */
  private slowString(buf: Buffer, i: number): number {
    const n = buf.length;
    let j = i + 1;
    this.stringEscaped = false;
    for (;;) {
      if (j >= n) return -1;
      const c = buf[j]!;
      if (c === QUOTE) return j + 1;
      if (c === BACKSLASH) {
        this.stringEscaped = true;
        this.backslash = true;
        if (j + 1 >= n) return -1;
        const e = buf[j + 1]!;
        if (SIMPLE_ESCAPES.has(e)) j += 2;
        else if (e === 0x75) {
          if (j + 6 > n) return -1;
          for (let k = 2; k < 6; k++) if (!isHex(buf[j + k]!)) throw new Unsure('bad \\u escape');
          j += 6;
        } else throw new Unsure('bad escape');
        continue;
      }
      if (c < 0x20) throw new Unsure('a control character in a string');
      j++;
    }
  }
}

/** The index after the number that starts at `buf[i]`, or -1 if `buf` ends inside it. */
function number(buf: Buffer, i: number): number {
  const n = buf.length;
  let j = i;
  if (buf[j] === 0x2d) j++;
  if (j >= n) return -1;
  if (buf[j] === 0x30) j++;
  else if (isDigit(buf[j]!)) while (j < n && isDigit(buf[j]!)) j++;
  else throw new Unsure('bad number');
  if (j < n && buf[j] === 0x2e) {
    j++;
    const from = j;
    while (j < n && isDigit(buf[j]!)) j++;
    if (j === from && j < n) throw new Unsure('bad number');
  }
  if (j < n && (buf[j] === 0x65 || buf[j] === 0x45)) {
    j++;
    if (j < n && (buf[j] === 0x2b || buf[j] === 0x2d)) j++;
    const from = j;
    while (j < n && isDigit(buf[j]!)) j++;
    if (j === from && j < n) throw new Unsure('bad number');
  }
  // A number is only known to be complete once something follows it.
  return j >= n ? -1 : j;
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
