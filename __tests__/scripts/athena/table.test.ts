import { CATALOG } from '../../../rules/catalog';
import { candidateFilter } from '../../../scripts/athena/filter';
import { athenaQuery, daysOf, lakeQuery, rangeProblems, shiftDay } from '../../../scripts/athena/query';
import {
  COLUMNS,
  createTableSql,
  recordFromRow,
  type TableSpec,
  tableSpecProblems,
} from '../../../scripts/athena/table';
import { RECORDS, rowOf } from './rows';

const SPEC: TableSpec = {
  database: 'vigil',
  table: 'cloudtrail',
  bucket: 'vigil-org-trail-110000000002',
  prefix: '',
  orgId: 'o-k3m9x2p7qa',
  accounts: ['110000000006', '110000000001'],
  regions: ['us-east-1', 'eu-west-1'],
  since: '2024/01/01',
};

describe("vigil's Athena table", () => {
  it('declares every field of every fixture record, so records come back whole', () => {
    const declared = new Set(COLUMNS.map((c) => c.field));
    const undeclared = new Set(RECORDS.flatMap((r) => Object.keys(r)).filter((k) => !declared.has(k)));
    expect([...undeclared]).toEqual([]);
    expect(RECORDS.length).toBeGreaterThan(200);
  });

  it('turns each fixture record into a row and back into the same record', () => {
    const back = RECORDS.map((r) => recordFromRow(rowOf(r)));
    // Top-level nulls (`"responseElements": null`) are SQL NULL, so absent; nested ones stay in the JSON text.
    // The catalog treats the two alike (rules/catalog/shared.ts SUCCEEDED); replay-athena.test.ts checks the output.
    const withoutNulls = RECORDS.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)));
    expect(back).toEqual(withoutNulls.map((record) => ({ record })));
  });

  it("reports a row from AWS's documented table (STRUCT columns) instead of guessing", () => {
    const row = rowOf(RECORDS[0]!);
    row[COLUMNS.findIndex((c) => c.field === 'userIdentity')] = '{type=IAMUser, arn=arn:aws:iam::1:user/a}';
    expect(recordFromRow(row)).toEqual({ problem: expect.stringContaining('npm run replay:athena -- --setup') });
    expect(recordFromRow(['x'])).toEqual({ problem: expect.stringContaining('has 1 columns') });
    const bad = rowOf(RECORDS[0]!);
    bad[COLUMNS.findIndex((c) => c.field === 'readOnly')] = 'maybe';
    expect(recordFromRow(bad)).toEqual({ problem: "readOnly is 'maybe', not true or false" });
  });

  it('projects partitions over the organization trail layout, accounts and regions from the inventory', () => {
    const sql = createTableSql(SPEC);
    expect(sql).toContain('CREATE EXTERNAL TABLE IF NOT EXISTS `vigil`.`cloudtrail` (');
    expect(sql).toContain('`useridentity` STRING');
    expect(sql).toContain('`readonly` BOOLEAN');
    expect(sql).toContain("LOCATION 's3://vigil-org-trail-110000000002/AWSLogs/o-k3m9x2p7qa/'");
    expect(sql).toContain("'projection.account.values'='110000000001,110000000006'");
    expect(sql).toContain("'projection.region.values'='eu-west-1,us-east-1'");
    expect(sql).toContain("'projection.timestamp.range'='2024/01/01,NOW'");
    expect(sql).toContain(
      "'storage.location.template'='s3://vigil-org-trail-110000000002/AWSLogs/o-k3m9x2p7qa/${account}/CloudTrail/${region}/${timestamp}'",
    );
  });

  it('lists every problem of a bad spec', () => {
    const bad: TableSpec = {
      ...SPEC,
      database: 'Vigil-DB',
      bucket: 'Not_A_Bucket',
      orgId: 'org1',
      accounts: ['123'],
      regions: ['moon'],
      since: '2024-01-01',
      prefix: '/x',
    };
    expect(tableSpecProblems(bad)).toHaveLength(7);
    expect(() => createTableSql(bad)).toThrow(/database 'Vigil-DB'.*bucket 'Not_A_Bucket'.*organization id 'org1'/);
  });
});

describe('the candidate queries', () => {
  const filter = candidateFilter(CATALOG);
  it('reads the range plus a day each side, bounds event time exactly and orders by event time', () => {
    const sql = athenaQuery(
      SPEC,
      { from: '2026-01-01', to: '2026-12-31', accounts: ['110000000006'], regions: ['eu-west-1'] },
      filter,
    );
    expect(sql).toContain(`"timestamp" BETWEEN '2025/12/31' AND '2027/01/01'`);
    expect(sql).toContain(`eventtime >= '2026-01-01T00:00:00Z' AND eventtime < '2027-01-01T00:00:00Z'`);
    expect(sql).toContain(`account IN ('110000000006')`);
    expect(sql).toContain(`region IN ('eu-west-1')`);
    expect(sql).toContain('FROM "vigil"."cloudtrail"');
    expect(sql.endsWith('ORDER BY eventtime, eventid')).toBe(true);
    expect(sql.split('\n')[0]).toBe(`SELECT ${COLUMNS.map((c) => `"${c.field.toLowerCase()}"`).join(', ')}`);
  });

  it('writes the same filter for CloudTrail Lake and refuses a bad store id', () => {
    const sql = lakeQuery('EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE', { from: '2026-03-01', to: '2026-03-31' }, filter);
    expect(sql).toContain('FROM EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE');
    expect(sql).toContain(
      "eventTime >= timestamp '2026-03-01 00:00:00' AND eventTime < timestamp '2026-04-01 00:00:00'",
    );
    expect(sql).toContain('eventName IN (');
    expect(() => lakeQuery('x; DROP', { from: '2026-03-01', to: '2026-03-31' }, filter)).toThrow(
      /not an event data store id/,
    );
  });

  it('checks ranges and counts days across month and year ends', () => {
    expect(rangeProblems({ from: '2026-13-01', to: '2026-01-01', accounts: ['12'] })).toEqual([
      "--from '2026-13-01' is not a date: give YYYY-MM-DD (UTC)",
      '--accounts: not 12-digit account ids: 12',
    ]);
    expect(rangeProblems({ from: '2026-02-01', to: '2026-01-01' })).toEqual([
      '--from 2026-02-01 is after --to 2026-01-01',
    ]);
    expect(daysOf({ from: '2026-12-30', to: '2027-01-02' })).toEqual([
      '2026-12-30',
      '2026-12-31',
      '2027-01-01',
      '2027-01-02',
    ]);
    expect(shiftDay('2028-03-01', -1)).toBe('2028-02-29');
  });
});
