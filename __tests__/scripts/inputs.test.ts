import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  jsonProblem,
  listInputs,
  locate,
  type ReadItem,
  type ReadOptions,
  readFiles,
  STDIN,
} from '../../scripts/cli/inputs';
import { main as plan } from '../../scripts/plan';
import { main as replay } from '../../scripts/replay';
import { main as undo } from '../../scripts/undo';

const ROOT = resolve(__dirname, '../..');

const record = (id: string) => ({
  eventVersion: '1.09',
  eventTime: '2026-11-04T08:00:00Z',
  eventSource: 'cloudtrail.amazonaws.com',
  eventName: 'StopLogging',
  awsRegion: 'eu-west-1',
  eventID: id,
  recipientAccountId: '110000000008',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::110000000008:user/mallory', accountId: '110000000008' },
  requestParameters: { name: 'org-trail' },
});
const event = (id: string) => ({
  version: '0',
  id: `eb-${id}`,
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.cloudtrail',
  account: '110000000008',
  time: '2026-11-04T08:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: record(id),
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'inputs-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function put(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** Reads the given paths (relative to the temp dir) and returns the items in a compact, comparable form. */
async function read(paths: string[], options: ReadOptions = {}): Promise<string[]> {
  const listing = await listInputs(paths, dir);
  const out: string[] = [];
  for await (const item of readFiles(listing.files, options)) out.push(show(item));
  return out;
}

function show(item: ReadItem): string {
  switch (item.kind) {
    case 'records': {
      const ids = item.records.map((r) => {
        const o = r as { eventID?: string; detail?: { eventID?: string } };
        return o.eventID ?? o.detail?.eventID;
      });
      return `${item.file} ${item.format} ${ids.map((id, i) => `${id}@${item.where(i)}`).join(' ')}`;
    }
    case 'file-done':
      return `${item.file} done`;
    case 'file-skipped':
      return `${item.file} skipped: ${item.reason}`;
    case 'record-skipped':
      return `${locate(item.file, item.where)} skipped: ${item.reason}`;
  }
}

describe('the shared input reader', () => {
  it.each([
    [
      'a CloudTrail log file',
      'log.json',
      JSON.stringify({ Records: [record('a'), record('b')] }),
      'cloudtrail',
      'a@Records[0] b@Records[1]',
    ],
    [
      'a gzipped CloudTrail log file',
      'log.json.gz',
      gzipSync(JSON.stringify({ Records: [record('a')] })),
      'cloudtrail',
      'a@Records[0]',
    ],
    ['one pretty-printed EventBridge event', 'e.json', JSON.stringify(event('a'), null, 2), 'items', 'a@[0]'],
    ['an array of events', 'e.json', JSON.stringify([event('a'), event('b')]), 'items', 'a@[0] b@[1]'],
    ['an array of bare records', 'e.json', JSON.stringify([record('a')], null, 1), 'items', 'a@[0]'],
    [
      'JSON Lines (.jsonl)',
      'e.jsonl',
      `${JSON.stringify(event('a'))}\n${JSON.stringify(record('b'))}\n`,
      'items',
      'a@line 1 b@line 2',
    ],
    [
      'JSON Lines (.ndjson, gzipped)',
      'e.ndjson.gz',
      gzipSync(`${JSON.stringify(event('a'))}\n\n${JSON.stringify(event('b'))}`),
      'items',
      'a@line 1 b@line 3',
    ],
    [
      'a .json file that is JSON Lines',
      'e.json',
      `${JSON.stringify(event('a'))}\n${JSON.stringify(event('b'))}`,
      'items',
      'a@line 1 b@line 2',
    ],
    ['a triage queue message', 'm.json', JSON.stringify({ detectionId: 'x', event: event('a') }), 'items', 'a@line 1'],
  ])('reads %s', async (_case, name, content, format, located) => {
    put(name, content);

    expect(await read([name])).toEqual([`${name} ${format} ${located}`, `${name} done`]);
  });

  it('reads - from stdin, gzipped or not, even when the gzip magic bytes arrive in separate chunks', async () => {
    const gz = gzipSync(JSON.stringify({ Records: [record('a')] }));
    const plain = Buffer.from(`${JSON.stringify(event('b'))}\n`);

    const fromGz = await read([STDIN], {
      stdin: Readable.from([gz.subarray(0, 1), gz.subarray(1, 5), gz.subarray(5)]),
    });
    const fromPlain = await read([STDIN], { stdin: Readable.from([plain]) });

    expect(fromGz).toEqual(['- cloudtrail a@Records[0]', '- done']);
    expect(fromPlain).toEqual(['- items b@line 1', '- done']);
  });

  it('walks folders recursively in name order, the same order on every run, and lists what it leaves out', async () => {
    put('b/2.json.gz', gzipSync(JSON.stringify(event('b2'))));
    put('b/a/1.json', JSON.stringify(event('ba1')));
    put('a.ndjson', JSON.stringify(event('a')));
    put('B.jsonl', JSON.stringify(event('B')));
    put('notes.txt', 'hello');
    put('logs/CloudTrail-Digest/d.json.gz.sig', 'sig');
    symlinkSync(join(dir, 'b'), join(dir, 'link-to-b'));

    const first = await listInputs(['.'], dir);
    const second = await listInputs(['.'], dir);

    expect(first.files.map((f) => f.path)).toEqual(['B.jsonl', 'a.ndjson', 'b/2.json.gz', 'b/a/1.json']);
    expect(second).toEqual(first);
    expect(first.ignored).toEqual([
      { file: 'link-to-b', reason: 'a link to a folder (not followed)' },
      { file: 'logs/CloudTrail-Digest/d.json.gz.sig', reason: 'not .json, .json.gz, .jsonl or .ndjson' },
      { file: 'notes.txt', reason: 'not .json, .json.gz, .jsonl or .ndjson' },
    ]);
  });

  it('reads a file named on the command line whatever its extension, and reports a missing one', async () => {
    put('events.txt', JSON.stringify(event('a')));

    const listing = await listInputs(['events.txt', 'nope.json'], dir);

    expect(listing.files.map((f) => f.path)).toEqual(['events.txt']);
    expect(listing.missing).toEqual(['nope.json']);
  });

  it('names the file and line of a bad JSON Lines line, says what the line must hold, and reads the others', async () => {
    put('e.jsonl', `${JSON.stringify(event('a'))}\n{"id": "b",\n${JSON.stringify(event('c'))}\n`);

    expect(await read(['e.jsonl'])).toEqual([
      'e.jsonl items a@line 1',
      'e.jsonl:2 skipped: invalid JSON at column 12: unexpected end of input; ' +
        'each line of a JSON Lines file must hold one complete event or record',
      'e.jsonl items c@line 3',
      'e.jsonl done',
    ]);
  });

  it.each([
    [
      'a missing comma',
      '{\n  "Records": [\n    {"a": 1}\n    {"b": 2}\n  ]\n}',
      "line 4 column 5: expected ',' or ']' after an array element, found '{'; fix or remove that part",
    ],
    [
      'a cut-off file',
      '{\n  "Records": [\n    {"a": 1},\n',
      'line 4 column 1: unexpected end of input; the file ends in the middle of a value: was the download or copy cut short?',
    ],
    [
      'single quotes',
      "{\n  'Records': []\n}",
      "line 2 column 3: expected a property name in double quotes, found '''; fix or remove that part",
    ],
    [
      'a trailing value',
      '{"Records": [] } x',
      "line 1 column 18: unexpected 'x' after the end of the JSON value; fix or remove that part",
    ],
  ])('names the line and column of invalid JSON in a document: %s', async (_case, content, where) => {
    put('log.json', content);

    expect(await read(['log.json'])).toEqual([`log.json skipped: invalid JSON at ${where}`]);
  });

  it('finds the error position of every kind of invalid JSON without throwing', () => {
    for (const text of ['', '[', '{"a":', '"abc', '"a\nb"', '[1,]', '{"a" 1}', 'nul', '-', '{"a":1}}']) {
      expect(jsonProblem(text)).toMatch(/^invalid JSON at line \d+ column \d+: .+/);
    }
  });

  it('skips what is not an input with the reason, and keeps what was read before a gzip stream broke', async () => {
    put('empty.json', '');
    put('digest.json', JSON.stringify({ digestStartTime: 'x', logFiles: [] }));
    const gz = gzipSync(Array.from({ length: 3000 }, (_, i) => JSON.stringify(event(`e${i}`))).join('\n'));
    put('cut.jsonl.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));

    const items = await read(['empty.json', 'digest.json', 'cut.jsonl.gz']);

    expect(items[0]).toBe('empty.json skipped: empty file');
    expect(items[1]).toBe('digest.json skipped: a CloudTrail digest file (it lists log files and holds no events)');
    expect(items.at(-1)).toMatch(
      /^cut\.jsonl\.gz skipped: cannot read it \(.*unexpected end of file\); the \d+ value\(s\) before the error were read$/,
    );
    expect(items.filter((i) => i.startsWith('cut.jsonl.gz items')).length).toBeGreaterThan(0);
  });
});

describe('every CLI, on inputs it cannot use', () => {
  const quiet = (err: string[]) => ({ stdout: () => undefined, stderr: (l: string) => err.push(l), cwd: ROOT });
  const clis: [string, (argv: string[], err: string[]) => Promise<number>][] = [
    ['replay', (argv, err) => replay(argv, { ...quiet(err), stderrIsTTY: false })],
    ['plan', (argv, err) => plan(argv, { ...quiet(err), today: '2026-11-28' })],
    [
      'undo',
      (argv, err) =>
        undo(['--dry-run', ...argv], {
          ...quiet(err),
          audit: { read: async () => [], append: async () => undefined },
          execute: async () => ({}),
          whoAmI: async () => 'test',
          now: () => new Date(0),
        }),
    ],
  ];

  it.each(clis)('%s exits 2 on an empty folder, saying no input file was found', async (name, run) => {
    mkdirSync(join(dir, 'empty'));
    const err: string[] = [];

    expect(await run([join(dir, 'empty')], err)).toBe(2);
    expect(err.at(-1)).toBe(
      `${name}: no input file was found (folders are searched for .json, .json.gz, .jsonl and .ndjson files)`,
    );
  });

  it.each(clis)('%s exits 2 and names the file and line when the only input is broken', async (name, run) => {
    const file = put('bad.jsonl', '{"version": "0",\n');
    const err: string[] = [];

    expect(await run([file], err)).toBe(2);
    expect(err).toContain(
      `${name}: skipped ${file}: invalid JSON at line 2 column 1: unexpected end of input; ` +
        'the file ends in the middle of a value: was the download or copy cut short?',
    );
    expect(err.at(-1)).toBe(`${name}: no event or record could be read from the inputs (see the reasons above)`);
  });

  it.each(clis)('%s exits 2 on a missing input, naming it', async (name, run) => {
    const err: string[] = [];

    expect(await run([join(dir, 'missing.json')], err)).toBe(2);
    expect(err[0]).toMatch(new RegExp(`^${name}: no such file or folder: .*missing\\.json \\(check the path`));
  });
});
