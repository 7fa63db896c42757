/**
 * vigil's Athena table over the organization trail's bucket (issue #17), and the way back from its rows to
 * CloudTrail records. Pure: no I/O.
 *
 * Why not AWS's documented CloudTrail table: it declares `userIdentity` and `resources` as STRUCTs with a fixed list
 * of members, so a record read back from it loses every member the DDL does not name (`inScopeOf`,
 * `sessionContext.sourceIdentity`, `onBehalfOf`, ...), and vigil's predicates and own-principal checks read those.
 * This table declares every object field as STRING, which the Hive JSON SerDe answers with the field's JSON text
 * (as the documented table already does for `requestParameters` and `responseElements`), so each record comes back
 * whole. Partitions are projected (no crawler, no `MSCK REPAIR`) over the organization trail's layout
 * `AWSLogs/<org id>/<account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>/`, with the inventory's accounts and regions as
 * enums, so a query names exactly the prefixes it reads.
 */
import { BOOLEAN_FIELDS, JSON_FIELDS, STRING_FIELDS, sqlString } from './filter';

/** Where and how the table is defined. */
export interface TableSpec {
  readonly database: string;
  readonly table: string;
  /** The organization trail's bucket. */
  readonly bucket: string;
  /** Key prefix of the trail inside the bucket ('' when the trail has none). */
  readonly prefix: string;
  readonly orgId: string;
  /** Every account of the organization (the `account` partition's values). */
  readonly accounts: readonly string[];
  /** Every region the trail may log (the `region` partition's values). */
  readonly regions: readonly string[];
  /** First day with logs, `yyyy/MM/dd`. */
  readonly since: string;
}

/** The columns vigil selects, in order, with the record field each one is and how its text turns back into JSON. */
export const COLUMNS: readonly { readonly field: string; readonly type: 'string' | 'json' | 'boolean' }[] = [
  ...STRING_FIELDS.map((field) => ({ field, type: 'string' as const })),
  ...JSON_FIELDS.map((field) => ({ field, type: 'json' as const })),
  ...BOOLEAN_FIELDS.map((field) => ({ field, type: 'boolean' as const })),
];

/** Athena identifiers: lowercase letters, digits and underscores. */
const IDENTIFIER = /^[a-z0-9_]{1,255}$/;

/** Problems with a table spec, each naming the fix; empty when it is usable. */
export function tableSpecProblems(spec: TableSpec): string[] {
  const problems: string[] = [];
  if (!IDENTIFIER.test(spec.database)) {
    problems.push(`database '${spec.database}' must be lowercase letters, digits and underscores`);
  }
  if (!IDENTIFIER.test(spec.table))
    problems.push(`table '${spec.table}' must be lowercase letters, digits and underscores`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(spec.bucket)) {
    problems.push(`bucket '${spec.bucket}' is not an S3 bucket name (give the organization trail's bucket)`);
  }
  if (!/^o-[a-z0-9]{10,32}$/.test(spec.orgId))
    problems.push(`organization id '${spec.orgId}' is not like o-abc123defg`);
  const bad = spec.accounts.filter((a) => !/^\d{12}$/.test(a));
  if (spec.accounts.length === 0) problems.push('no accounts: the inventory lists none');
  if (bad.length > 0) problems.push(`account ids must be 12 digits: ${bad.join(', ')}`);
  if (spec.regions.length === 0) problems.push('no regions: the inventory lists none');
  const badRegions = spec.regions.filter((r) => !/^[a-z]{2}(-[a-z]+)+-\d$/.test(r));
  if (badRegions.length > 0) problems.push(`not region names: ${badRegions.join(', ')}`);
  if (!/^\d{4}\/\d{2}\/\d{2}$/.test(spec.since)) problems.push(`since '${spec.since}' must be yyyy/MM/dd`);
  if (/^\/|[^/]$/.test(spec.prefix) && spec.prefix !== '') {
    problems.push(`prefix '${spec.prefix}' must be empty or end with '/' and not start with one`);
  }
  return problems;
}

/** `s3://bucket/[prefix]AWSLogs/<org id>/`. */
export const trailRoot = (spec: TableSpec): string => `s3://${spec.bucket}/${spec.prefix}AWSLogs/${spec.orgId}/`;

/** The CREATE EXTERNAL TABLE statement (`npm run replay:athena -- --setup` runs it). */
export function createTableSql(spec: TableSpec): string {
  const problems = tableSpecProblems(spec);
  if (problems.length > 0) throw new Error(`cannot define the Athena table: ${problems.join('; ')}`);
  const columns = COLUMNS.map((c) => `  \`${c.field.toLowerCase()}\` ${c.type === 'boolean' ? 'BOOLEAN' : 'STRING'}`);
  const root = trailRoot(spec);
  const properties: [string, string][] = [
    ['projection.enabled', 'true'],
    ['projection.account.type', 'enum'],
    ['projection.account.values', [...spec.accounts].sort().join(',')],
    ['projection.region.type', 'enum'],
    ['projection.region.values', [...spec.regions].sort().join(',')],
    ['projection.timestamp.type', 'date'],
    ['projection.timestamp.format', 'yyyy/MM/dd'],
    ['projection.timestamp.range', `${spec.since},NOW`],
    ['projection.timestamp.interval', '1'],
    ['projection.timestamp.interval.unit', 'DAYS'],
    ['storage.location.template', `${root}\${account}/CloudTrail/\${region}/\${timestamp}`],
  ];
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS \`${spec.database}\`.\`${spec.table}\` (`,
    columns.join(',\n'),
    ')',
    'PARTITIONED BY (`account` STRING, `region` STRING, `timestamp` STRING)',
    "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'",
    "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'",
    "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'",
    `LOCATION ${sqlString(root)}`,
    'TBLPROPERTIES (',
    properties.map(([k, v]) => `  ${sqlString(k)}=${sqlString(v)}`).join(',\n'),
    ')',
  ].join('\n');
}

/** One result row turned back into a CloudTrail record, or why it cannot be. */
export type RowResult = { readonly record: Record<string, unknown> } | { readonly problem: string };

/**
 * A result row (the values of {@link COLUMNS} in order, `undefined` for SQL NULL) back into the CloudTrail record.
 * A NULL column is a field the record does not have. An object column that is not JSON means the table is not
 * vigil's (AWS's documented table returns `{type=..., arn=...}` for a STRUCT), which is reported, never guessed.
 */
export function recordFromRow(values: readonly (string | undefined)[]): RowResult {
  if (values.length !== COLUMNS.length) {
    return { problem: `a result row has ${values.length} columns, vigil's query selects ${COLUMNS.length}` };
  }
  const record: Record<string, unknown> = {};
  for (const [i, column] of COLUMNS.entries()) {
    const text = values[i];
    if (text === undefined) continue;
    if (column.type === 'string') record[column.field] = text;
    else if (column.type === 'boolean') {
      if (text !== 'true' && text !== 'false') return { problem: `${column.field} is '${text}', not true or false` };
      record[column.field] = text === 'true';
    } else {
      try {
        record[column.field] = JSON.parse(text);
      } catch {
        return {
          problem:
            `${column.field} is not JSON ('${text.slice(0, 40)}'): the table declares it as a STRUCT; create ` +
            "vigil's table with `npm run replay:athena -- --setup`",
        };
      }
    }
  }
  return { record };
}
