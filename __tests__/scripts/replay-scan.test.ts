/**
 * Replay's record scanner (scripts/replay/scan.ts) vouches for a log file exactly when `JSON.parse` accepts it (in the
 * usual `{"Records":[{…},…]}` layout), whatever the chunks it arrives in: random records (escapes of every kind,
 * control characters, `\u` escapes, surrogates, multi-byte UTF-8, long and short strings, numbers, literals, nesting,
 * white space) and copies of them with a few bytes replaced, inserted or deleted, split into random chunks and at every
 * offset. When it vouches, its records are `JSON.parse`'s records and what it captured is their values. Deterministic
 * (seeded), in memory.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { renderScanWasm, SCAN_WASM_PATH } from '../../scripts/gen-replay-scan';
import { Kind, LogFileScanner, RecordScanner, Unsure } from '../../scripts/replay/scan';
import { prng } from '../helpers/prng';

const KEYS = ['eventName', 'eventSource', 'a', 'kéy', 'n', 'o'];
const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const hex4 = (rnd: () => number, code: number) =>
  [...code.toString(16).padStart(4, '0')].map((c) => (rnd() < 0.5 ? c.toUpperCase() : c)).join('');

/** A JSON string literal, written in one of the many ways JSON allows. */
function jsonString(rnd: () => number): string {
  const long = rnd() < 0.2;
  const length = Math.floor(rnd() * (long ? 120 : 24));
  let out = '"';
  for (let k = 0; k < length; k++) {
    const r = rnd();
    if (r < 0.6) out += pick(rnd, [...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 -_.:/*@']);
    else if (r < 0.68) out += pick(rnd, ['\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t']);
    else if (r < 0.74) out += `\\u${hex4(rnd, Math.floor(rnd() * 0x10000))}`;
    else if (r < 0.78) out += `\\u${hex4(rnd, 0xd83d)}\\u${hex4(rnd, 0xde00)}`;
    else if (r < 0.86) out += pick(rnd, ['é', '日本', '😀', 'ß', '\u2028', '\u00a0']);
    else if (r < 0.9) out += pick(rnd, ['{', '}', '[', ']', ',', ':']);
    else if (r < 0.95) out += `\\u00${pick(rnd, ['22', '5c', '5C', '0a', '1f', '00'])}`;
    else out += pick(rnd, ['Records', 'eventName', 'true', 'null', '1e5']);
  }
  return `${out}"`;
}

function jsonNumber(rnd: () => number): string {
  let out = rnd() < 0.3 ? '-' : '';
  out += rnd() < 0.2 ? '0' : String(1 + Math.floor(rnd() * 9)) + '0123456789'.slice(0, Math.floor(rnd() * 6));
  if (rnd() < 0.4) out += `.${String(Math.floor(rnd() * 1000))}`;
  if (rnd() < 0.3) out += `${pick(rnd, ['e', 'E'])}${pick(rnd, ['', '+', '-'])}${Math.floor(rnd() * 300)}`;
  return out;
}

const ws = (rnd: () => number) => (rnd() < 0.15 ? pick(rnd, [' ', '\n', '\t', '\r', '  ', '\r\n']) : '');

function jsonValue(rnd: () => number, depth: number): string {
  const r = rnd();
  if (depth > 0 && r < 0.15) return jsonObject(rnd, depth - 1);
  if (depth > 0 && r < 0.25) {
    const items = Array.from({ length: Math.floor(rnd() * 4) }, () => ws(rnd) + jsonValue(rnd, depth - 1) + ws(rnd));
    return `[${items.join(',')}${items.length === 0 ? ws(rnd) : ''}]`;
  }
  if (r < 0.7) return jsonString(rnd);
  if (r < 0.88) return jsonNumber(rnd);
  return pick(rnd, ['true', 'false', 'null']);
}

function jsonObject(rnd: () => number, depth: number): string {
  const entries = Array.from({ length: Math.floor(rnd() * 7) }, () => {
    const key = rnd() < 0.5 ? JSON.stringify(pick(rnd, KEYS)) : jsonString(rnd);
    // Now and then a listed key written with an escape: the same key to JSON.parse.
    const escaped = rnd() < 0.05 ? '"event\\u004eame"' : key;
    return `${ws(rnd)}${escaped}${ws(rnd)}:${ws(rnd)}${jsonValue(rnd, depth)}${ws(rnd)}`;
  });
  return `{${entries.join(',')}${entries.length === 0 ? ws(rnd) : ''}}`;
}

/** Bytes a mutation writes: JSON's structure, escapes, control characters, digits, invalid UTF-8. */
const INTERESTING = [
  0x22, 0x5c, 0x00, 0x01, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1f, 0x20, 0x7f, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a,
  0x30, 0x31, 0x39, 0x65, 0x45, 0x2d, 0x2b, 0x2e, 0x75, 0x61, 0x66, 0x46, 0x67, 0x74, 0x6e, 0x2f, 0xc3, 0xa9, 0xff,
];

function mutate(bytes: Buffer, rnd: () => number, count: number): Buffer {
  let b = bytes;
  for (let k = 0; k < count; k++) {
    const at = Math.floor(rnd() * (b.length + 1));
    const byte = Buffer.from([pick(rnd, INTERESTING)]);
    const op = rnd();
    if (op < 0.45 && at < b.length) b = Buffer.concat([b.subarray(0, at), byte, b.subarray(at + 1)]);
    else if (op < 0.8) b = Buffer.concat([b.subarray(0, at), byte, b.subarray(at)]);
    else if (at < b.length) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  }
  return b;
}

interface Scanned {
  readonly records: unknown[];
  /** Per record, the captured keys as read back from the bytes, and the flags. */
  readonly captured: unknown[];
}

/** One scanner for every file (a file loads its chunks afresh; a scanner's module and memory cost ~0.5 ms). */
const shared = new RecordScanner(KEYS);

/** Runs the scanner over `file` cut at `cuts`; `Unsure` when it declines. */
function scan(
  file: Buffer,
  cuts: readonly number[],
  keys: readonly string[] = KEYS,
  scanner = keys === KEYS ? shared : new RecordScanner(keys),
): Scanned | 'Unsure' {
  const records: unknown[] = [];
  const captured: unknown[] = [];
  const log = new LogFileScanner(scanner, (buf, start, end) => {
    records.push(JSON.parse(buf.toString('utf8', start, end)));
    const values: Record<string, unknown> = {};
    keys.forEach((key, slot) => {
      const kind = scanner.kind[slot];
      const s = scanner.start[slot]!;
      const e = scanner.end[slot]!;
      if (kind === Kind.Plain) values[key] = buf.toString('utf8', s + 1, e - 1);
      else if (kind === Kind.Other) values[key] = JSON.parse(buf.toString('utf8', s, e));
    });
    captured.push({
      values,
      backslash: scanner.backslash,
      backslashByte: buf.subarray(start, end).includes(0x5c),
      escapedKey: scanner.escapedKey,
    } satisfies Captured);
  });
  try {
    let from = 0;
    for (const cut of [...cuts, file.length]) {
      log.push(file.subarray(from, cut));
      from = cut;
    }
    log.end();
  } catch (error) {
    if (error instanceof Unsure) return 'Unsure';
    throw error;
  }
  return { records, captured };
}

type Json = Record<string, unknown>;
const isRecordObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What the scanner must report for `file`: JSON.parse's records, or Unsure when JSON.parse fails. */
function expected(file: Buffer, keys: readonly string[] = KEYS): Scanned | 'Unsure' {
  let parsed: unknown;
  try {
    parsed = JSON.parse(file.toString('utf8'));
  } catch {
    return 'Unsure';
  }
  // The scanner vouches only for the usual layout: one "Records" key whose elements are objects (a mutation can
  // rename the key or turn an element into something else).
  if (!isRecordObject(parsed) || Object.keys(parsed).join() !== 'Records') return 'Unsure';
  const records = parsed['Records'];
  if (!Array.isArray(records) || !records.every(isRecordObject)) return 'Unsure';
  const captured = records.map((r) => {
    const values: Record<string, unknown> = {};
    for (const key of keys) if (Object.hasOwn(r, key)) values[key] = r[key];
    return { values };
  });
  return { records, captured };
}

/**
 * Compares a scan with the expectation. Unless a top-level key of the record was written with an escape (the scanner
 * flags it and the prefilter then parses the record), the captured keys are exactly the listed keys the record has,
 * with their values (the last occurrence wins, as in JSON.parse); a plain capture is the string itself.
 */
function agree(got: Scanned | 'Unsure', want: Scanned | 'Unsure', file: Buffer): string[] {
  const verdict = (s: Scanned | 'Unsure') => (s === 'Unsure' ? 'Unsure' : 'vouched');
  const text = JSON.stringify(file.toString('latin1'));
  if (want === 'Unsure' || got === 'Unsure') {
    return verdict(got) === verdict(want) ? [] : [`${verdict(got)}, JSON.parse: ${verdict(want)}: ${text}`];
  }
  if (!isDeepStrictEqual(got.records, want.records)) return [`other records: ${text}`];
  const seen = got.captured.map((c) => {
    const { values, backslash, backslashByte, escapedKey } = c as Captured;
    return { backslash, values: escapedKey ? 'escaped key' : values, backslashByte };
  });
  const wanted = seen.map(({ backslashByte, values }, i) => ({
    backslash: backslashByte,
    values: values === 'escaped key' ? values : (want.captured[i] as { values: Json }).values,
    backslashByte,
  }));
  return isDeepStrictEqual(seen, wanted)
    ? []
    : [`captured ${JSON.stringify(seen)}, not ${JSON.stringify(wanted)}: ${text}`];
}

interface Captured {
  readonly values: Json;
  readonly backslash: boolean;
  /** Whether the record's bytes hold a backslash (which valid JSON has only in escapes). */
  readonly backslashByte: boolean;
  readonly escapedKey: boolean;
}

const file = (records: readonly string[], rnd: () => number) =>
  Buffer.from(
    `{${ws(rnd)}"Records"${ws(rnd)}:${ws(rnd)}[${records.map((r) => ws(rnd) + r + ws(rnd)).join(',')}]}${ws(rnd)}`,
  );

/** Random cut points, from single bytes to large pieces. */
function randomCuts(length: number, rnd: () => number): number[] {
  const cuts: number[] = [];
  const mean = pick(rnd, [1, 3, 17, 64, 500]);
  for (let at = Math.ceil(rnd() * mean * 2); at < length; at += 1 + Math.floor(rnd() * mean * 2)) cuts.push(at);
  return cuts;
}

describe('replay record scanner', () => {
  it('vouches for valid files and reads their records and keys exactly, in any chunks', () => {
    const rnd = prng(14);
    const mismatches: string[] = [];
    for (let n = 0; n < 300; n++) {
      const f = file(
        Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => jsonObject(rnd, 3)),
        rnd,
      );
      const want = expected(f);
      if (want === 'Unsure') mismatches.push(`generated an invalid file: ${f.toString('latin1')}`);
      mismatches.push(...agree(scan(f, []), want, f), ...agree(scan(f, randomCuts(f.length, rnd)), want, f));
    }
    expect(mismatches).toEqual([]);
  });

  it('declines exactly the files JSON.parse rejects, after bytes are replaced, inserted or deleted', () => {
    const rnd = prng(1402);
    let declined = 0;
    let vouched = 0;
    const mismatches: string[] = [];
    for (let n = 0; n < 2000; n++) {
      const records = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => jsonObject(rnd, 2));
      const f = mutate(file(records, rnd), rnd, 1 + Math.floor(rnd() * 2));
      // Leading white space, a BOM or text before the object: JSON.parse may accept it, the scanner never does.
      if (f[0] !== 0x7b) continue;
      const want = expected(f);
      const got = scan(f, randomCuts(f.length, rnd));
      mismatches.push(...agree(got, want, f));
      if (got === 'Unsure') declined++;
      else vouched++;
    }
    expect(mismatches).toEqual([]);
    // Both verdicts are exercised.
    expect(declined).toBeGreaterThan(700);
    expect(vouched).toBeGreaterThan(150);
  });

  it('gives the same verdict with the file cut at every offset, escapes and strings included', () => {
    const rnd = prng(99);
    const samples = [
      '{"Records":[{"eventName":"a\\"b\\\\c\\/d\\u00e9\\uD83D\\ude00","n":-0.5e+3,"o":{"x":[true,false,null,"\\n"]}}]}',
      `{"Records":[{"a":"${'x'.repeat(40)}","b":"${'y'.repeat(15)}\\t${'z'.repeat(30)}","kéy":"日本"},{}]}`,
      '{"Records":[{"a":"\t"}]}',
      '{"Records":[{"a":"\\x"}]}',
      '{"Records":[{"a":"\\u12g4"}]}',
      '{"Records":[{"a":01}]}',
      '{"Records":[{"a":1.}]}',
      '{"Records":[{"a":-}]}',
      '{"Records":[{"a":1e}]}',
      '{"Records":[{"a":tru}]}',
      '{"Records":[{"a":"unterminated}]}',
      `{"Records":[{"a":"${'q'.repeat(50)}\u0001${'q'.repeat(50)}"}]}`,
      `{"Records":[{"a":"${'q'.repeat(50)}\\"}]}`,
    ];
    for (let k = 0; k < 25; k++) samples.push(mutate(file([jsonObject(rnd, 2)], rnd), rnd, 1).toString('latin1'));
    let checked = 0;
    const mismatches: string[] = [];
    for (const text of samples) {
      const f = Buffer.from(text, text.includes('日') || text.includes('é') ? 'utf8' : 'latin1');
      if (f[0] !== 0x7b) continue;
      const want = expected(f);
      for (let at = 0; at <= f.length; at++) {
        mismatches.push(...agree(scan(f, [at]), want, f));
        checked++;
      }
      // And byte by byte.
      const bytes = Array.from({ length: f.length }, (_, i) => i);
      mismatches.push(...agree(scan(f, bytes), want, f));
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(2000);
  });

  it('declines layouts it does not vouch for, even where JSON.parse accepts them', () => {
    const cases = [
      ' {"Records":[]}',
      '{"Records":[],"x":1}',
      '{"x":1,"Records":[]}',
      '{"Records":[1]}',
      '{"Records":[[]]}',
      '{"Reco\\u0072ds":[]}',
      `{"Records":[${'['.repeat(300)}${']'.repeat(300)}]}`,
      `{"Records":[{"a":${'['.repeat(300)}${']'.repeat(300)}}]}`,
    ];
    const verdicts = cases.map((c) => {
      const f = Buffer.from(c);
      expect(() => JSON.parse(c)).not.toThrow();
      return scan(f, [Math.floor(f.length / 2)]);
    });
    expect(verdicts).toEqual(cases.map(() => 'Unsure'));
  });

  it('reads files far larger than its first memory, and a small file after the memory grew', () => {
    const rnd = prng(1403);
    const big = file(
      Array.from({ length: 1500 }, () => jsonObject(rnd, 2)),
      rnd,
    );
    const small = file([jsonObject(rnd, 2), jsonObject(rnd, 2)], rnd);
    // Two pages: the data region starts at 64 KiB, so anything past 64 KiB makes the module's memory grow.
    expect(big.length).toBeGreaterThan(1 << 18);
    const scanner = new RecordScanner(KEYS);
    const views = scanner.kind;
    const mismatches = [
      ...agree(scan(big, [], KEYS, scanner), expected(big), big),
      ...agree(scan(small, [], KEYS, scanner), expected(small), small),
      ...agree(scan(big, randomCuts(big.length, rnd), KEYS, scanner), expected(big), big),
    ];
    expect(mismatches).toEqual([]);
    expect(scanner.kind).not.toBe(views);
  });

  it('names why JSON.parse would fail', () => {
    const reasons = Object.entries({
      '[]': 'a record that is not an object',
      '{1:2}': 'expected a key',
      '{"a" 1}': "expected ':'",
      '{"a":1 "b":2}': "expected ',' or '}'",
      '{"a":[1 2]}': "expected ',' or ']'",
      [`{"a":${'['.repeat(300)}${']'.repeat(300)}}`]: 'nesting too deep',
      '{"a":x}': 'not a JSON value',
      '{"a":nul }': 'bad literal',
      '{"a":1.x}': 'bad number',
      '{"a":"\\x"}': 'bad escape',
      '{"a":"\\u12g4"}': 'bad \\u escape',
      '{"a":"\t"}': 'a control character in a string',
    }).map(([text, reason]) => {
      try {
        new RecordScanner(KEYS).record(Buffer.from(`${text} `), 0);
        return [text, 'vouched', reason];
      } catch (error) {
        return [text, error instanceof Unsure ? error.message : String(error), reason];
      }
    });
    expect(reasons.filter(([, got, want]) => got !== want)).toEqual([]);
    expect(reasons).toHaveLength(12);
  });

  it('is the module npm run gen:replay-scan compiles from scan.wat (run it after changing scan.wat)', async () => {
    expect(readFileSync(join(__dirname, '..', '..', SCAN_WASM_PATH), 'utf8')).toBe(await renderScanWasm());
  });
});
