/**
 * Replay's fast path (record scanner + prefilter, scripts/replay/{scan,prefilter,file-task}.ts) is conservative: for
 * the replay fixture corpus and for generated log files (fast-check, fixed seed) it gives exactly the outcome of the
 * full path (every record parsed, wrapped and evaluated): the same skipped records, matched events and verdicts,
 * unmatched counts, time span and read-only skips. Generated records start from the catalog's fixture events (so
 * many match) and are mutated and written in adversarial ways: white space anywhere, `\u0045`-style escapes,
 * `\/`, key order, repeated keys, escaped key names, an eventName inside another string, nested "Records".
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { compileCatalog } from '../../handlers/core/sweep/catalog-runner';
import { CATALOG } from '../../rules/catalog';
import { PREDICATES } from '../../rules/predicates';
import type { InputFile } from '../../scripts/cli/inputs';
import { type FileOutcome, readFast, readFully } from '../../scripts/replay/file-task';
import { fileTaskContext } from '../../scripts/replay/pool';
import { prng } from '../helpers/prng';

const FIXTURES = join(__dirname, '../fixtures');
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));

const context = fileTaskContext(compileCatalog(CATALOG, PREDICATES), CATALOG);
const dir = mkdtempSync(join(tmpdir(), 'prefilter-'));
let fileNo = 0;

const input = (location: string): InputFile => ({ path: 'f.json', location, size: statSync(location).size });
const write = (body: string | Buffer, gz = false): InputFile => {
  const location = join(dir, `${fileNo++}.json${gz ? '.gz' : ''}`);
  writeFileSync(location, gz ? gzipSync(body) : body);
  return input(location);
};
/** Outcomes compared as data (events included). */
const plain = (o: FileOutcome | undefined) => JSON.parse(JSON.stringify(o ?? null)) as unknown;

/** CloudTrail records: the detail of every catalog fixture event. */
const RECORDS = walk(join(FIXTURES, 'events'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => (JSON.parse(readFileSync(f, 'utf8')) as { detail: Record<string, unknown> }).detail)
  .filter((d) => typeof d['eventSource'] === 'string');

/** JSON text of `value` written unusually: random white space between tokens, escapes where JSON allows them. */
function serialize(value: unknown, rnd: () => number, style: { space: number; escape: number }): string {
  const ws = () => (rnd() < style.space ? [' ', '\n', '\t', '\r\n', '  '][Math.floor(rnd() * 5)]! : '');
  const str = (s: string) => {
    let out = '"';
    for (const ch of s) {
      const code = ch.charCodeAt(0);
      if (ch === '"' || ch === '\\' || code < 0x20) out += JSON.stringify(ch).slice(1, -1);
      else if (rnd() < style.escape)
        out += ch === '/' && rnd() < 0.5 ? '\\/' : `\\u${code.toString(16).padStart(4, '0')}`;
      else out += ch;
    }
    return `${out}"`;
  };
  const go = (v: unknown): string => {
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v)) return `[${ws()}${v.map((x) => ws() + go(x) + ws()).join(',')}]`;
    if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v).map(([k, x]) => `${ws()}${str(k)}${ws()}:${ws()}${go(x)}${ws()}`);
      return `{${entries.join(',')}}`;
    }
    return JSON.stringify(v) ?? 'null';
  };
  return go(value);
}

const mutation = fc.record({
  base: fc.integer({ min: 0, max: RECORDS.length - 1 }),
  eventName: fc.constantFrom('keep', 'delete', 'number', 'array', 'ConsoleLogin', 'StopLogging', 'GetObject'),
  readOnly: fc.constantFrom('keep', true, false),
  errorCode: fc.constantFrom('keep', 'delete', 'AccessDenied', null, ''),
  eventTime: fc.constantFrom('keep', 'delete', 'not a time', ''),
  account: fc.constantFrom('keep', 'delete', 'caller-only'),
  decoy: fc.boolean(),
  duplicate: fc.boolean(),
  shuffle: fc.boolean(),
  rootCaller: fc.boolean(),
});

function mutate(
  m: fc.Arbitrary<unknown> extends never ? never : typeof mutation extends fc.Arbitrary<infer T> ? T : never,
) {
  const r: Record<string, unknown> = JSON.parse(JSON.stringify(RECORDS[m.base]!)) as Record<string, unknown>;
  const set = (k: string, v: unknown) => {
    if (v === 'keep') return;
    if (v === 'delete') delete r[k];
    else r[k] = v;
  };
  set('eventName', m.eventName === 'number' ? 42 : m.eventName === 'array' ? ['StopLogging'] : m.eventName);
  set('readOnly', m.readOnly);
  set('errorCode', m.errorCode);
  set('eventTime', m.eventTime);
  if (m.account === 'delete') delete r['recipientAccountId'];
  if (m.account === 'caller-only') {
    delete r['recipientAccountId'];
    r['userIdentity'] = { type: 'IAMUser', accountId: '110000000004' };
  }
  if (m.rootCaller) r['userIdentity'] = { type: 'Root', accountId: '110000000004' };
  // An eventName and a Records array inside other values: only the record's own keys count.
  if (m.decoy) r['requestParameters'] = { note: '"eventName":"StopLogging"', Records: [{ eventName: 'DeleteTrail' }] };
  const entries = Object.entries(r);
  if (m.shuffle) entries.reverse();
  return { entries, duplicate: m.duplicate };
}

/** A record's text; with `duplicate`, its eventName written twice (the last one counts) or a key escaped. */
function recordText(m: ReturnType<typeof mutate>, rnd: () => number, style: { space: number; escape: number }) {
  const parts = m.entries.map(([k, v]) => `${serialize(k, rnd, style)}:${serialize(v, rnd, style)}`);
  if (m.duplicate) parts.unshift('"eventName":"DeleteTrail"', '"event\\u004eame":"StopLogging"');
  return `{${parts.join(',')}}`;
}

describe('replay fast path', () => {
  it('gives the full path outcome for every file of the replay fixture corpus', async () => {
    const files = walk(join(FIXTURES, 'replay')).filter((f) => /\.json(l|\.gz)?$/.test(f));
    expect(files.length).toBeGreaterThan(5);
    const fast: unknown[] = [];
    const full: unknown[] = [];
    for (const f of files) {
      const fastOutcome = await readFast(input(f), context);
      const fullOutcome = await readFully(input(f), context);
      // The fast path either declines (the full path runs) or agrees.
      fast.push(plain(fastOutcome ?? fullOutcome));
      full.push(plain(fullOutcome));
    }
    expect(fast).toEqual(full);
  });

  it('gives the full path outcome on generated log files, written in adversarial ways', async () => {
    let fastTaken = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
        fc.integer(),
        fc.constantFrom(0, 0.05, 0.5),
        fc.constantFrom(0, 0.02),
        fc.boolean(),
        async (mutations, seed, space, escapes, gz) => {
          const rnd = prng(seed);
          const style = { space, escape: escapes };
          const text = `{"Records":[${mutations.map((m) => recordText(mutate(m), rnd, style)).join(',')}]}`;
          const file = write(text, gz);
          const full = await readFully(file, context);
          const fast = await readFast(file, context);
          if (fast) fastTaken++;
          expect(plain(fast ?? full)).toEqual(plain(full));
          // Sanity: the file is valid, so nothing was skipped as a whole.
          expect(full.done).toBeDefined();
        },
      ),
      { seed: 1402, numRuns: 300 },
    );
    // The fast path is the one exercised, not the fallback.
    expect(fastTaken).toBeGreaterThan(250);
  });

  it('finds every deep match in a long file read in many chunks, where one needle search serves many records', async () => {
    // Thousands of records (several gunzip chunks, records split across them), every one a candidate of the root and
    // vigil-role detections: the needles occur in a few records only, near the start, the end and a chunk boundary.
    const rnd = prng(7);
    const ordinary = RECORDS.filter(
      (r) => !JSON.stringify(r).includes('"Root"') && !JSON.stringify(r).includes('vigil-'),
    );
    const special = RECORDS.filter((r) => JSON.stringify(r).includes('"Root"'));
    expect(ordinary.length).toBeGreaterThan(10);
    expect(special.length).toBeGreaterThan(0);
    const records = Array.from({ length: 4000 }, (_, i) =>
      [1, 2, 1500, 2999, 3998].includes(i)
        ? special[i % special.length]!
        : ordinary[Math.floor(rnd() * ordinary.length)]!,
    );
    const file = write(`{"Records":[${records.map((r) => JSON.stringify(r)).join(',')}]}`, true);
    const full = await readFully(file, context);
    const fast = await readFast(file, context);
    expect(fast).toBeDefined();
    expect(plain(fast)).toEqual(plain(full));
    expect(full.entries.filter((e) => e.kind === 'match').length).toBeGreaterThanOrEqual(5);
  });

  it('sees matches whose values deep in the record are written with escapes', async () => {
    const root = {
      eventVersion: '1.09',
      userIdentity: { type: 'Root', accountId: '110000000004', arn: 'arn:aws:iam::110000000004:root' },
      eventTime: '2026-11-02T10:00:00Z',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'CreateKeyPair',
      awsRegion: 'eu-west-1',
      eventType: 'AwsApiCall',
      readOnly: false,
      recipientAccountId: '110000000004',
    };
    const text = JSON.stringify({ Records: [root, root, root] })
      .replace('"type":"Root"', '"type":"\\u0052oot"')
      .replace('"type":"Root"', '"type":"Ro\\u006ft"')
      .replace('root"', 'r\\/oot"');
    const file = write(text);
    const fast = await readFast(file, context);
    expect(fast?.entries.filter((e) => e.kind === 'match')).toHaveLength(3);
    expect(plain(fast)).toEqual(plain(await readFully(file, context)));
  });

  it('declines files it cannot vouch for, and the full path reports them', async () => {
    const record = JSON.stringify(RECORDS[0]);
    const cases = [
      `\ufeff{"Records":[${record}]}`,
      `{"Records":[${record}]`,
      `{"Records":[${record.replace('"eventName"', '"eventName" x')}]}`,
      `{"Records":[${record}],"Records":[]}`,
      `{"Records":[${record}, 1]}`,
      `{"Records":[${record.replace('"eventVersion":"', '"eventVersion":"\t')}]}`,
      `\n{"Records":[${record}]}`,
      `{"Records":[${record}]}\n{"Records":[]}`,
    ];
    const outcomes = await Promise.all(cases.map((c) => readFast(write(c), context)));
    expect(outcomes).toEqual(cases.map(() => undefined));
  });
});
