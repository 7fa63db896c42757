/**
 * Replay's prefilter: decides from a record's raw bytes (as scanned by scripts/replay/scan.ts) whether it must be
 * parsed, i.e. whether any central pattern could match it or it might not be a valid CloudTrail record. A record it
 * lets through unparsed is counted as an evaluated event that matched nothing, at its eventTime, which is exactly
 * what the full path would have done with it. Derived from the catalog; pure.
 *
 * Why it is conservative. The candidates are the detections the catalog index (handlers/core/sweep/catalog-index.ts)
 * admits for the record's `eventSource` / `eventName` (plain strings read exactly at the record's top level; escaped
 * or missing ones are parsed). For each candidate a gate mirrors its pattern (AND over fields, OR over `$or`
 * branches):
 * - a leaf on `source`, `detail-type` or a top-level record key is evaluated exactly, by the compiled pattern of that
 *   one field on the exact value (read from the record's bytes), since a field's outcome depends on its value only;
 * - a leaf deeper in the record needs one of its plain strings `X` (`"X"` in the bytes), prefixes (`"P`) or suffixes
 *   (`S"`), which holds for any match when the record has no backslash at all (an unescaped string's bytes are its
 *   text); a record with a backslash, or a leaf with any other operator (or an IP-like string, compared by address),
 *   passes the gate.
 * A record is parsed unless every candidate's gate fails and its eventTime, awsRegion and recipientAccountId are
 * plain non-empty strings with a readable time. Read-only events are not skipped here: replay reports which
 * detections would match them (`readOnlySkipped`), so they need the same test.
 */
import { indexByEventKeys, indexKeys } from '../../handlers/core/sweep/catalog-index';
import { detailTypeFor, sourceFor } from '../../handlers/core/sweep/to-event';
import { type CompiledPattern, compilePattern } from '../../rules/event-pattern';
import type { Detection } from '../../rules/types';
import { Kind, type RecordScanner } from './scan';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The record being judged, as gates read it. */
class RawRecord {
  buf: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;
  source = '';
  scanner!: RecordScanner;
  /**
   * Per needle: where it next occurs in `buf` at or after the start of the record that last asked (-1: nowhere
   * further). Records come in buffer order, so one search usually serves many records: a needle absent from
   * a chunk costs one native scan of the chunk instead of one per record.
   */
  private next = new Float64Array(0);
  private nextFrom = new Float64Array(0);

  /**
   * Per needle, the id of its guard in `needles`: a short piece of it (at most {@link GUARD_LENGTH} bytes, no leading
   * quote) that any occurrence of the needle contains, so a record without the guard lacks the needle. Native
   * searches for short patterns are several times faster than for long ones, and needles share guards
   * (`vigil-` serves `"vigil-remediation"`, `"vigil-remediation-undo"` and `"vigil-heartbeat"`): the usual
   * chunk, holding none of them, costs one short search per guard.
   */
  private readonly guards: number[];
  /** The needles, then the guards that are not needles themselves. */
  private readonly needles: Buffer[];

  constructor(needles: readonly Buffer[]) {
    this.needles = [...needles];
    const ids = new Map(needles.map((n, id) => [n.toString('latin1'), id]));
    this.guards = needles.map((needle, id) => {
      const guard = needle.subarray(needle[0] === QUOTE ? 1 : 0).subarray(0, GUARD_LENGTH);
      if (guard.length === needle.length) return id;
      const text = guard.toString('latin1');
      let g = ids.get(text);
      if (g === undefined) {
        g = this.needles.length;
        this.needles.push(guard);
        ids.set(text, g);
      }
      return g;
    });
  }

  reset(buf: Buffer, start: number, end: number, scanner: RecordScanner, source: string): void {
    if (buf !== this.buf || this.next.length !== this.needles.length) {
      this.next = new Float64Array(this.needles.length).fill(Number.NaN);
      this.nextFrom = new Float64Array(this.needles.length);
    }
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.scanner = scanner;
    this.source = source;
  }

  has(slot: number): boolean {
    return this.scanner.kind[slot] !== ABSENT;
  }

  /**
   * The bytes of a captured top-level key's value (as latin1 text, one character per byte), which determine the
   * value; '' when the key is absent (a value is never empty); undefined when the value is too long to remember.
   */
  raw(slot: number): string | undefined {
    if (this.scanner.kind[slot] === ABSENT) return '';
    const s = this.scanner.start[slot]!;
    const e = this.scanner.end[slot]!;
    return e - s > MEMO_TEXT_LIMIT ? undefined : this.buf.toString('latin1', s, e);
  }

  /** The exact value of a captured top-level key. */
  value(slot: number): unknown {
    const s = this.scanner.start[slot]!;
    const e = this.scanner.end[slot]!;
    if (this.scanner.kind[slot] === PLAIN) return this.buf.toString('utf8', s + 1, e - 1);
    return JSON.parse(this.buf.toString('utf8', s, e));
  }

  /** Whether the record's bytes contain needle `id` (as `buf.subarray(start, end).includes(needle)`). */
  contains(id: number): boolean {
    const guard = this.guards[id]!;
    return (guard === id || this.holds(guard)) && this.holds(id);
  }

  /** {@link contains}, without the guard. */
  private holds(id: number): boolean {
    let at = this.next[id]!;
    // The cached occurrence is stale when it lies before this record, or was searched from after its start.
    if (Number.isNaN(at) || (at !== -1 && at < this.start) || this.nextFrom[id]! > this.start) {
      at = find(this.buf, this.needles[id]!, this.start);
      this.next[id] = at;
      this.nextFrom[id] = this.start;
    }
    // The first occurrence at or after the start is the only one that can fit: any later one ends later.
    return at !== -1 && at + this.needles[id]!.length <= this.end;
  }
}

/**
 * `buf.indexOf(needle, from)`. A needle that opens with a quote is searched without it, then the quote is checked:
 * quotes are the commonest byte of a record, and the native search scans for the needle's first byte.
 */
function find(buf: Buffer, needle: Buffer, from: number): number {
  if (needle.length < 2 || needle[0] !== QUOTE) return buf.indexOf(needle, from);
  const tail = needle.subarray(1);
  for (let at = buf.indexOf(tail, from + 1); at !== -1; at = buf.indexOf(tail, at + 1)) {
    if (buf[at - 1] === QUOTE) return at - 1;
  }
  return -1;
}
const QUOTE = 0x22;
// Local copies: read per record, and an imported enum member can cost a property read through the module.
const ABSENT = Kind.Absent;
const PLAIN = Kind.Plain;
/** Longer patterns take the native search's slower path. */
const GUARD_LENGTH = 6;

type Gate = (r: RawRecord) => boolean;
const PASS: Gate = () => true;

/** Looks like an IP address: the matcher compares those by address, not by text. */
const IP_LIKE = /^[0-9a-f.:]+$/i;

/** Keys every judgement reads. */
const BASE_KEYS = ['eventSource', 'eventName', 'eventTime', 'awsRegion', 'recipientAccountId', 'eventType'] as const;

export class Prefilter {
  /** The record's top-level keys the scanner must capture, in slot order. */
  readonly keys: string[];
  private readonly slots = new Map<string, number>();
  private readonly candidates: (event: {
    source: string;
    detail: Record<string, unknown>;
  }) => readonly { readonly gate: Gate }[];
  /** Distinct needles of the deep leaves, by id (RawRecord.contains). */
  private readonly needles: Buffer[] = [];
  private readonly needleIds = new Map<string, number>();
  private readonly record: RawRecord;

  constructor(catalog: readonly Detection[]) {
    this.keys = [...BASE_KEYS];
    BASE_KEYS.forEach((k, i) => {
      this.slots.set(k, i);
    });
    const entries = catalog.map((d) => ({ d, gate: this.gateOf(d.pattern as Json, []) }));
    this.candidates = indexByEventKeys(entries, (e) => indexKeys(e.d.pattern as Json));
    this.record = new RawRecord(this.needles);
  }

  private needle(text: string): number {
    let id = this.needleIds.get(text);
    if (id === undefined) {
      id = this.needles.length;
      this.needles.push(Buffer.from(text));
      this.needleIds.set(text, id);
    }
    return id;
  }

  private slot(key: string): number {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.keys.length;
      this.keys.push(key);
      this.slots.set(key, slot);
    }
    return slot;
  }

  private gateOf(node: Json, prefix: readonly string[]): Gate {
    const parts: Gate[] = [];
    for (const [key, v] of Object.entries(node)) {
      if (key === '$or') {
        if (!Array.isArray(v)) return PASS;
        const branches = v.map((b) => (isObject(b) ? this.gateOf(b, prefix) : PASS));
        parts.push((r) => {
          for (const g of branches) if (g(r)) return true;
          return false;
        });
      } else if (Array.isArray(v)) parts.push(this.leafGate([...prefix, key], v));
      else if (isObject(v)) parts.push(this.gateOf(v, [...prefix, key]));
    }
    return (r) => {
      for (const g of parts) if (!g(r)) return false;
      return true;
    };
  }

  private leafGate(path: readonly string[], leaf: readonly unknown[]): Gate {
    /**
     * The compiled pattern of the one field, on the event `event` builds. Its outcome depends on the field's value
     * alone, so it is remembered per `memoKey` (a text that determines the value; undefined: not remembered).
     */
    const exact = (pattern: Json, event: (r: RawRecord) => unknown, memoKey: (r: RawRecord) => string | undefined) => {
      let match: CompiledPattern;
      try {
        match = compilePattern(pattern);
      } catch {
        return PASS;
      }
      const memo = new Map<string, boolean>();
      return (r: RawRecord) => {
        const k = memoKey(r);
        if (k === undefined) return match(event(r));
        let outcome = memo.get(k);
        if (outcome === undefined) {
          outcome = match(event(r));
          if (memo.size < MEMO_LIMIT) memo.set(k, outcome);
        }
        return outcome;
      };
    };
    const [head, key] = path;
    if (path.length === 1 && head === 'source') {
      return exact(
        { source: leaf },
        (r) => ({ source: r.source }),
        (r) => r.source,
      );
    }
    if (path.length === 1 && head === 'detail-type') {
      const eventType = this.slots.get('eventType')!;
      return exact(
        { 'detail-type': leaf },
        (r) => ({ 'detail-type': detailTypeFor(r.has(eventType) ? r.value(eventType) : undefined) }),
        (r) => r.raw(eventType),
      );
    }
    if (head !== 'detail' || key === undefined) return PASS;
    if (path.length === 2) {
      const slot = this.slot(key);
      return exact(
        { detail: { [key]: leaf } },
        (r) => ({ detail: r.has(slot) ? { [key]: r.value(slot) } : {} }),
        (r) => r.raw(slot),
      );
    }
    const needles: number[] = [];
    for (const alt of leaf) {
      if (typeof alt === 'string' && !IP_LIKE.test(alt)) needles.push(this.needle(`"${alt}"`));
      else if (isObject(alt) && Object.keys(alt).length === 1 && typeof alt['prefix'] === 'string') {
        needles.push(this.needle(`"${alt['prefix']}`));
      } else if (isObject(alt) && Object.keys(alt).length === 1 && typeof alt['suffix'] === 'string') {
        needles.push(this.needle(`${alt['suffix']}"`));
      } else return PASS;
    }
    return (r) => {
      if (r.scanner.backslash) return true;
      for (const n of needles) if (r.contains(n)) return true;
      return false;
    };
  }

  /**
   * `NaN` when the record must be parsed; otherwise it is a valid CloudTrail record no central pattern matches, and
   * this is its eventTime in milliseconds.
   */
  judge(buf: Buffer, start: number, end: number, scanner: RecordScanner): number {
    if (scanner.escapedKey || !plain(scanner, 0) || !plain(scanner, 1)) return Number.NaN;
    const api = this.api(buf, scanner);
    const r = this.record;
    r.reset(buf, start, end, scanner, api.source);
    for (const c of api.candidates) if (c.gate(r)) return Number.NaN;
    if (!plain(scanner, 2) || !plain(scanner, 3) || !plain(scanner, 4)) return Number.NaN;
    const s = scanner.start[2]! + 1;
    const e = scanner.end[2]! - 1;
    const time = buf.toString('latin1', s, e);
    if (time !== this.lastTime) {
      this.lastTime = time;
      this.lastTimeMs = Date.parse(buf.toString('utf8', s, e));
    }
    return this.lastTimeMs;
  }

  /** The eventTime last read (its bytes as latin1 text) and its value: records in a row often share their second. */
  private lastTime = '';
  private lastTimeMs = Number.NaN;

  /**
   * The source and the candidates of a record's eventSource and eventName (plain, non-empty), remembered per their
   * bytes: a trail holds a few hundred distinct pairs.
   */
  private api(buf: Buffer, scanner: RecordScanner): Api {
    const sourceText = buf.toString('latin1', scanner.start[0]! + 1, scanner.end[0]! - 1);
    const nameText = buf.toString('latin1', scanner.start[1]! + 1, scanner.end[1]! - 1);
    let byName = this.apis.get(sourceText);
    let api = byName?.get(nameText);
    if (api !== undefined) return api;
    const eventSource = buf.toString('utf8', scanner.start[0]! + 1, scanner.end[0]! - 1);
    const eventName = buf.toString('utf8', scanner.start[1]! + 1, scanner.end[1]! - 1);
    const source = sourceFor(eventSource);
    api = { source, candidates: this.candidates({ source, detail: { eventSource, eventName } }) };
    if (this.apiCount < MEMO_LIMIT) {
      if (byName === undefined) {
        byName = new Map();
        this.apis.set(sourceText, byName);
      }
      byName.set(nameText, api);
      this.apiCount++;
    }
    return api;
  }

  private readonly apis = new Map<string, Map<string, Api>>();
  private apiCount = 0;
}

interface Api {
  readonly source: string;
  readonly candidates: readonly { readonly gate: Gate }[];
}

/** Entries a memo keeps (distinct APIs, distinct values of a field); made-up input past it is judged afresh. */
const MEMO_LIMIT = 50_000;
/** Longer values are not remembered. */
const MEMO_TEXT_LIMIT = 256;

/** Whether a captured top-level key is a non-empty string without escapes. */
function plain(scanner: RecordScanner, slot: number): boolean {
  return scanner.kind[slot] === PLAIN && scanner.end[slot]! - scanner.start[slot]! > 2;
}
