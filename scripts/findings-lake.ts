/**
 * The findings lake (issue #15): the Athena table over the findings bucket, generated from the OCSF
 * mapping's columns (handlers/core/findings/ocsf.ts OCSF_LAKE_COLUMNS), and the example queries the
 * README and docs/findings.md show. `npm run findings:ddl` prints the DDL (scripts/findings-ddl.ts);
 * __tests__/scripts/findings-lake.test.ts checks that the queries only use columns the DDL declares.
 */
import { OCSF_LAKE_COLUMNS } from '../handlers/core/findings/ocsf';

export interface LakeNames {
  /** Glue/Athena database, e.g. `vigil_findings`. */
  readonly database: string;
  /** The findings bucket (config/naming.ts findingsNames(inv).bucket). */
  readonly bucket: string;
}

export const FINDINGS_TABLE = 'detection_findings';

/** Struct field names, quoted: OCSF uses `desc`, `type` and `time`, which Hive reserves. */
function quoteFields(type: string): string {
  return type.replace(/([<,])([a-z_]+):/g, '$1`$2`:');
}

/**
 * `CREATE EXTERNAL TABLE` over `s3://<bucket>/ocsf/`, JSON lines (GZIP), partitioned by the stream's
 * `year=/month=/day=` prefixes with partition projection (no crawler, no MSCK REPAIR).
 */
export function findingsDdl(names: LakeNames): string {
  const location = `s3://${names.bucket}/ocsf/`;
  const columns = OCSF_LAKE_COLUMNS.map(([name, type]) => `  \`${name}\` ${quoteFields(type)}`).join(',\n');
  return `CREATE EXTERNAL TABLE IF NOT EXISTS ${names.database}.${FINDINGS_TABLE} (
${columns}
)
PARTITIONED BY (\`year\` string, \`month\` string, \`day\` string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')
LOCATION '${location}'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.year.type' = 'integer',
  'projection.year.range' = '2025,2099',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'projection.day.type' = 'integer',
  'projection.day.range' = '1,31',
  'projection.day.digits' = '2',
  'storage.location.template' = '${location}year=\${year}/month=\${month}/day=\${day}/'
);
`;
}

const T = `vigil_findings.${FINDINGS_TABLE}`;

/** The README's example queries (Athena / Trino SQL), by title. */
export const FINDINGS_QUERIES: ReadonlyArray<{ readonly title: string; readonly sql: string }> = [
  {
    title: 'Open critical findings by owner',
    sql: `WITH per_finding AS (
  SELECT finding_info.uid AS id,
         max_by(activity_id, "time") AS last_activity,
         max(CASE WHEN activity_id = 1 THEN unmapped.owner END) AS owner,
         max(severity_id) AS severity_id
  FROM ${T}
  WHERE year >= '2026'
  GROUP BY finding_info.uid
)
SELECT owner, count(*) AS open_critical
FROM per_finding
WHERE severity_id = 5 AND last_activity <> 3
GROUP BY owner
ORDER BY open_critical DESC;`,
  },
  {
    title: 'MTTR by detection (alert sent to verified fix)',
    sql: `WITH per_finding AS (
  SELECT finding_info.uid AS id,
         max(unmapped.detection_id) AS detection,
         min(CASE WHEN activity_id = 1 THEN "time" END) AS created_ms,
         min(CASE WHEN unmapped.vigil_status = 'verified' THEN "time" END) AS verified_ms
  FROM ${T}
  WHERE year >= '2026'
  GROUP BY finding_info.uid
)
SELECT detection, count(*) AS verified_fixes,
       round(avg(verified_ms - created_ms) / 60000.0, 1) AS mttr_minutes,
       round(approx_percentile(verified_ms - created_ms, 0.9) / 60000.0, 1) AS p90_minutes
FROM per_finding
WHERE created_ms IS NOT NULL AND verified_ms IS NOT NULL
GROUP BY detection
ORDER BY mttr_minutes DESC;`,
  },
  {
    title: 'False-positive rate by detection (responder verdicts)',
    sql: `SELECT unmapped.detection_id AS detection,
       count(DISTINCT CASE WHEN activity_id = 1 THEN finding_info.uid END) AS findings,
       count(DISTINCT CASE WHEN unmapped.vigil_status = 'false-positive' THEN finding_info.uid END) AS false_positives,
       round(100.0 * count(DISTINCT CASE WHEN unmapped.vigil_status = 'false-positive' THEN finding_info.uid END)
             / nullif(count(DISTINCT CASE WHEN activity_id = 1 THEN finding_info.uid END), 0), 1) AS false_positive_pct
FROM ${T}
WHERE year >= '2026'
GROUP BY unmapped.detection_id
ORDER BY false_positive_pct DESC;`,
  },
];
