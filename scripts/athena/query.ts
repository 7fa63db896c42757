/**
 * The candidate queries of `npm run replay:athena` (issue #17): Athena over vigil's table on the trail bucket
 * (scripts/athena/table.ts), and the same filter in CloudTrail Lake's dialect. Pure: no I/O.
 */
import { ATHENA, CLOUDTRAIL_LAKE, type Condition, renderSql, sqlString } from './filter';
import { COLUMNS } from './table';

/** What to backtest. Dates are UTC days, `YYYY-MM-DD`, both included. */
export interface QueryRange {
  readonly from: string;
  readonly to: string;
  /** Only these accounts. @default - every account */
  readonly accounts?: readonly string[];
  /** Only these regions. @default - every region */
  readonly regions?: readonly string[];
}

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Problems with a range, each naming the fix; empty when it is usable. */
export function rangeProblems(range: QueryRange): string[] {
  const problems: string[] = [];
  for (const [flag, value] of [
    ['--from', range.from],
    ['--to', range.to],
  ] as const) {
    if (!DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
      problems.push(`${flag} '${value}' is not a date: give YYYY-MM-DD (UTC)`);
    }
  }
  if (problems.length === 0 && range.from > range.to) problems.push(`--from ${range.from} is after --to ${range.to}`);
  const badAccounts = (range.accounts ?? []).filter((a) => !/^\d{12}$/.test(a));
  if (badAccounts.length > 0) problems.push(`--accounts: not 12-digit account ids: ${badAccounts.join(', ')}`);
  return problems;
}

/** `YYYY-MM-DD` shifted by `days`. */
export const shiftDay = (day: string, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** Every UTC day of the range, `YYYY-MM-DD`. */
export function daysOf(range: Pick<QueryRange, 'from' | 'to'>): string[] {
  const days: string[] = [];
  for (let d = range.from; d <= range.to; d = shiftDay(d, 1)) days.push(d);
  return days;
}

/**
 * The Athena query: vigil's columns for the candidate records of the range, in event-time order (replay's clock
 * runs at each event's time). The partitions read are the range's days plus one on each side: a log file lies
 * under the day CloudTrail delivered it, which can be the day after its first event; `eventtime` then bounds the
 * range exactly.
 */
export function athenaQuery(
  table: { readonly database: string; readonly table: string },
  range: QueryRange,
  filter: Condition,
): string {
  const where = [
    `"timestamp" BETWEEN ${sqlString(shiftDay(range.from, -1).replaceAll('-', '/'))} AND ${sqlString(shiftDay(range.to, 1).replaceAll('-', '/'))}`,
    `eventtime >= ${sqlString(`${range.from}T00:00:00Z`)} AND eventtime < ${sqlString(`${shiftDay(range.to, 1)}T00:00:00Z`)}`,
  ];
  if (range.accounts && range.accounts.length > 0)
    where.push(`account IN (${range.accounts.map(sqlString).join(', ')})`);
  if (range.regions && range.regions.length > 0) where.push(`region IN (${range.regions.map(sqlString).join(', ')})`);
  where.push(`(${renderSql(filter, ATHENA)})`);
  return [
    `SELECT ${COLUMNS.map((c) => `"${c.field.toLowerCase()}"`).join(', ')}`,
    `FROM "${table.database}"."${table.table}"`,
    `WHERE ${where.join('\n  AND ')}`,
    'ORDER BY eventtime, eventid',
  ].join('\n');
}

/**
 * The same candidates from a CloudTrail Lake event data store (Trino dialect: typed columns, the store id as the
 * table, `eventTime` a timestamp). Printed for existing Lake customers to run; see docs/replay-athena.md for why
 * replay reads Athena rather than Lake results.
 */
export function lakeQuery(eventDataStore: string, range: QueryRange, filter: Condition): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(eventDataStore)) {
    throw new Error(`'${eventDataStore}' is not an event data store id (the last part of its ARN)`);
  }
  const where = [
    `eventTime >= timestamp ${sqlString(`${range.from} 00:00:00`)} AND eventTime < timestamp ${sqlString(`${shiftDay(range.to, 1)} 00:00:00`)}`,
  ];
  if (range.accounts && range.accounts.length > 0) {
    where.push(`recipientAccountId IN (${range.accounts.map(sqlString).join(', ')})`);
  }
  if (range.regions && range.regions.length > 0)
    where.push(`awsRegion IN (${range.regions.map(sqlString).join(', ')})`);
  where.push(`(${renderSql(filter, CLOUDTRAIL_LAKE)})`);
  return [`SELECT *`, `FROM ${eventDataStore}`, `WHERE ${where.join('\n  AND ')}`, 'ORDER BY eventTime, eventID'].join(
    '\n',
  );
}
