import type { VerdictRecord } from '../../handlers/core/verdict';
import { parseVerdictExport, summarizeVerdicts } from '../../scripts/replay/verdicts';

const record = (over: Partial<VerdictRecord> = {}): VerdictRecord => ({
  detectionId: 'iam-user-created',
  accountId: '110000000006',
  eventId: 'e1',
  verdict: 'false-positive',
  actor: 'slack:U1',
  at: '2026-12-01T10:00:00.000Z',
  ...over,
});

describe('parseVerdictExport', () => {
  it('reads a DynamoDB scan export (the record attribute of each item)', () => {
    const scan = { Items: [{ pk: { S: 'verdict#iam-user-created' }, record: { S: JSON.stringify(record()) } }] };

    expect(parseVerdictExport(JSON.stringify(scan), 'v.json')).toEqual({ records: [record()], problems: [] });
  });

  it('reads JSON Lines of records and names each bad line', () => {
    const text = [JSON.stringify(record()), '{not json', JSON.stringify({ ...record(), verdict: 'maybe' })].join('\n');

    const parsed = parseVerdictExport(text, 'v.jsonl');

    expect(parsed.records).toEqual([record()]);
    expect(parsed.problems).toEqual([
      expect.stringMatching(/^v\.jsonl line 2: invalid JSON/),
      'v.jsonl line 3: unknown verdict "maybe"',
    ]);
  });

  it('reports an empty export', () => {
    expect(parseVerdictExport('  \n', 'v.json')).toEqual({ records: [], problems: ['v.json: empty'] });
  });
});

describe('summarizeVerdicts', () => {
  it('counts the latest verdict of each person per alert, and flags detections responders call noisy', () => {
    const summary = summarizeVerdicts([
      record({ eventId: 'e1', verdict: 'true-positive', at: '2026-12-01T09:00:00.000Z' }),
      record({ eventId: 'e1' }), // the same person changed their mind: false positive
      record({ eventId: 'e2' }),
      record({ eventId: 'e3', verdict: 'expected-change' }),
      record({ detectionId: 'cloudtrail-logging-stopped', verdict: 'true-positive' }),
    ]);

    expect(summary).toEqual([
      {
        detectionId: 'iam-user-created',
        counts: { 'true-positive': 0, 'expected-change': 1, 'false-positive': 2 },
        precision: 0,
        noisy: true,
      },
      {
        detectionId: 'cloudtrail-logging-stopped',
        counts: { 'true-positive': 1, 'expected-change': 0, 'false-positive': 0 },
        precision: 1,
        noisy: false,
      },
    ]);
  });
});
