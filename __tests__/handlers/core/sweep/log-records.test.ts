/**
 * The streaming log-file splitter on the real-shaped log files of the replay fixtures
 * (__tests__/fixtures/replay/cloudtrail, the org trail layout and `{"Records":[…]}` content CloudTrail writes) and on
 * records built to stress the JSON scanner (braces, brackets, quotes and escapes inside strings, multi-byte UTF-8),
 * cut into chunks at every possible place.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  LogFileFormatError,
  type LogFileItem,
  LogRecordSplitter,
  logRecords,
  splitLogFile,
} from '../../../../handlers/core/sweep/log-records';
import { sha256 } from '../../../helpers/cloudtrail-digests';

const ROOT = join(__dirname, '../../../fixtures/replay/cloudtrail');
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
// Every gzipped log file of the fixtures but the one replay keeps truncated on purpose (its corrupt-file case).
const LOG_FILES = walk(ROOT).filter((f) => /_CloudTrail_.*\.json\.gz$/.test(f) && !f.includes('Tc5mN8bVa3Qy6LpE'));

const tricky = [
  {
    eventVersion: '1.09',
    eventSource: 's3.amazonaws.com',
    eventName: 'PutBucketPolicy',
    requestParameters: {
      bucketPolicy: '{"Statement":[{"Effect":"Allow","Principal":"*"}]}',
      note: 'a } and a ] and \\"',
    },
    userAgent: 'Mozilla/5.0 "quoted" \\ back\\slash',
  },
  { eventName: 'Tagged', tags: { Name: 'café — 東京 🚀', empty: '', nested: [[{}], []] } },
  { eventName: 'Escapes', s: '\\\\', t: '\\"', u: '\u0000\u001f\n\t', v: '}' },
];
const trickyText = JSON.stringify({ Records: tricky });

/** Feeds `bytes` in chunks cut at `cuts` (sorted offsets). */
function splitAt(bytes: Uint8Array, cuts: readonly number[]) {
  const splitter = new LogRecordSplitter();
  const records: unknown[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    records.push(...splitter.write(bytes.subarray(from, cut)));
    from = cut;
  }
  return { records, summary: splitter.end() };
}

async function collect(chunks: Iterable<Uint8Array>): Promise<LogFileItem[]> {
  const items: LogFileItem[] = [];
  for await (const item of logRecords(
    (async function* () {
      yield* chunks;
    })(),
  ))
    items.push(item);
  return items;
}

describe('LogRecordSplitter', () => {
  it.each(LOG_FILES.map((f) => [f.slice(ROOT.length + 1), f]))(
    'reads %s like JSON.parse, hashing the uncompressed bytes',
    (_n, file) => {
      const bytes = gunzipSync(readFileSync(file));
      const { records, summary } = splitLogFile(bytes);
      expect(records).toEqual(JSON.parse(bytes.toString('utf8')).Records);
      expect(summary).toEqual({ sha256: sha256(bytes), bytes: bytes.length, records: records.length });
    },
  );

  it('finds record boundaries whatever the chunking (strings with braces, quotes, escapes, multi-byte characters)', () => {
    const bytes = Buffer.from(trickyText, 'utf8');
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
        const { records, summary } = splitAt(
          bytes,
          [...cuts].sort((a, b) => a - b),
        );
        expect(records).toEqual(tricky);
        expect(summary.sha256).toBe(sha256(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('reads byte by byte', () => {
    const bytes = Buffer.from(trickyText, 'utf8');
    expect(
      splitAt(
        bytes,
        Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
      ).records,
    ).toEqual(tricky);
  });

  it('accepts whitespace anywhere JSON allows it, a byte order mark, and no records', () => {
    const pretty = Buffer.from(`\ufeff${JSON.stringify({ Records: tricky }, null, 2)}\n`, 'utf8');
    expect(splitLogFile(pretty).records).toEqual(tricky);
    expect(splitLogFile(Buffer.from('{"Records":[]}')).summary.records).toBe(0);
    expect(LOG_FILES).toHaveLength(2);
    expect(splitLogFile(Buffer.from(' { "Records" : [ ] } ')).records).toEqual([]);
  });

  it.each([
    ['empty', '', 'the file ends before any JSON'],
    ['truncated inside a record', '{"Records":[{"a":"}', 'the file ends inside record 0'],
    ['truncated after a record', '{"Records":[{"a":1}', 'the file ends early'],
    ['another key', '{"Digest":[]}', 'expected "Records" as the only key'],
    ['a key after Records', '{"Records":[],"x":1}', "expected '}' after the records"],
    ['Records not an array', '{"Records":{}}', "expected '['"],
    ['a record that is not an object', '{"Records":[1]}', "expected a record ('{'), found '1'"],
    ['a trailing comma', '{"Records":[{},]}', "expected a record ('{'), found ']'"],
    ['a record that is not JSON', '{"Records":[{a:1}]}', 'record 0 is not valid JSON'],
    ['text after the object', '{"Records":[]}x', "unexpected 'x' after the end"],
    ['an event file', '{"detail-type":"AWS API Call via CloudTrail"}', 'expected "Records"'],
  ])('rejects %s', (_name, text, reason) => {
    expect(() => splitLogFile(Buffer.from(text))).toThrow(
      expect.objectContaining({ reason: expect.stringContaining(reason) }),
    );
  });

  it('says where it stopped and how many records came before', () => {
    const error = (() => {
      try {
        splitLogFile(Buffer.from('{"Records":[{"a":1},{"b":2},7]}'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(LogFileFormatError);
    expect(error).toMatchObject({ offset: 28, recordsBefore: 2 });
  });

  it('bounds the size of one record, even across chunks', () => {
    const big = Buffer.from(JSON.stringify({ Records: [{ a: 'x'.repeat(200) }] }));
    expect(() => splitLogFile(big, { maxRecordBytes: 100 })).toThrow('record 0 is larger than 100 bytes');
    expect(() => splitAt(big, [20, 40, 60, 80, 100, 120])).not.toThrow();
    const chunked = new LogRecordSplitter({ maxRecordBytes: 100 });
    expect(() => {
      for (const at of [0, 50, 100, 150]) chunked.write(big.subarray(at, at + 50));
    }).toThrow('larger than 100 bytes');
  });

  it('copies what it keeps of a chunk, so the caller may reuse the chunk memory', () => {
    const bytes = Buffer.from(trickyText, 'utf8');
    const buffer = Buffer.alloc(7);
    const splitter = new LogRecordSplitter();
    const records: unknown[] = [];
    for (let at = 0; at < bytes.length; at += buffer.length) {
      const n = bytes.copy(buffer, 0, at, at + buffer.length);
      records.push(...splitter.write(buffer.subarray(0, n)));
      buffer.fill(0x7b);
    }
    expect(records).toEqual(tricky);
  });
});

describe('logRecords', () => {
  it('yields records one at a time, then the end with the hash', async () => {
    const bytes = Buffer.from(trickyText, 'utf8');
    const items = await collect([bytes.subarray(0, 100), bytes.subarray(100)]);
    expect(items).toEqual([
      ...tricky.map((record, index) => ({ kind: 'record', index, record })),
      { kind: 'end', sha256: sha256(bytes), bytes: bytes.length, records: 3 },
    ]);
  });

  it('yields a record before the next chunk is read', async () => {
    const pulled: number[] = [];
    const bytes = Buffer.from(trickyText, 'utf8');
    const firstEnd = Buffer.from(JSON.stringify({ Records: [tricky[0]] })).length - 2;
    async function* chunks() {
      pulled.push(1);
      yield bytes.subarray(0, firstEnd);
      pulled.push(2);
      yield bytes.subarray(firstEnd);
    }
    const it = logRecords(chunks());
    expect(await it.next()).toMatchObject({ value: { kind: 'record', index: 0 } });
    expect(pulled).toEqual([1]);
    await it.return(undefined);
  });
});
