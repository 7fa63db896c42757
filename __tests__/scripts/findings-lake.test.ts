import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FINDING_STATUSES } from '../../handlers/core/findings/finding';
import { FINDINGS_QUERIES, findingsDdl } from '../../scripts/findings-lake';

const ROOT = join(__dirname, '..', '..');
const ddl = findingsDdl({ database: 'vigil_findings', bucket: 'vigil-findings-333333333333-eu-west-1' });

/** Top-level columns and their first-level struct fields, as `col` and `col.field`. */
function declaredPaths(text: string): Set<string> {
  const paths = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^ {2}`(\w+)` (.+?),?$/.exec(line);
    if (!m) continue;
    const [, column, type] = m;
    paths.add(column!);
    // First-level fields of a struct column: depth 1 inside `struct<...>`.
    if (!type!.startsWith('struct<')) continue;
    let depth = 0;
    for (const token of type!.matchAll(/[<>]|`(\w+)`:/g)) {
      if (token[0] === '<') depth++;
      else if (token[0] === '>') depth--;
      else if (depth === 1) paths.add(`${column}.${token[1]}`);
    }
  }
  for (const p of ['year', 'month', 'day']) paths.add(p);
  return paths;
}

describe('the findings lake', () => {
  const declared = declaredPaths(ddl);

  it("is an external JSON table over the stream's date partitions, with partition projection", () => {
    expect(ddl).toContain("LOCATION 's3://vigil-findings-333333333333-eu-west-1/ocsf/'");
    expect(ddl).toContain(
      "'storage.location.template' = 's3://vigil-findings-333333333333-eu-west-1/ocsf/year=${year}/month=${month}/day=${day}/'",
    );
    expect([...declared]).toEqual(
      expect.arrayContaining(['time', 'severity_id', 'finding_info.uid', 'unmapped.owner']),
    );
  });

  it.each(FINDINGS_QUERIES.map((q) => [q.title, q.sql]))('query "%s" uses only declared columns', (_title, sql) => {
    const tops = new Set([...declared].filter((p) => !p.includes('.')));
    const dotted = [...sql.matchAll(/\b([a-z_]+)\.([a-z_]+)\b/g)]
      .map((m) => `${m[1]}.${m[2]}`)
      .filter((p) => tops.has(p.split('.')[0]!));
    // Bare columns: the *_id ones, "time" and the partition (not fields after a dot).
    const bare = [...sql.matchAll(/(?<![.\w])([a-z_]+_id|"time"|year)\b/g)].map((m) => m[1]!.replace(/"/g, ''));
    const used = [...dotted, ...bare];
    expect(used.length).toBeGreaterThan(2);
    expect(used.filter((p) => !declared.has(p))).toEqual([]);
  });

  it('queries statuses the mapping writes', () => {
    const statuses = FINDINGS_QUERIES.flatMap((q) =>
      [...q.sql.matchAll(/vigil_status = '([a-z-]+)'/g)].map((m) => m[1]),
    );
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => !(FINDING_STATUSES as readonly string[]).includes(s!))).toEqual([]);
  });

  it.each([['docs/findings.md'], ['README.md']])('shows the same queries in %s', (file) => {
    const doc = readFileSync(join(ROOT, file), 'utf8');
    expect(FINDINGS_QUERIES.filter((q) => !doc.includes(q.sql)).map((q) => q.title)).toEqual([]);
  });
});
