/**
 * The catalog's forwarding layer as a record filter that SQL engines can run (issue #17): the member forwarding
 * patterns (rules/patterns.ts `forwardingPatterns`, the same data that builds the member rules) compiled to a small
 * condition tree over CloudTrail record fields, rendered as the WHERE clause of an Athena query over the trail
 * bucket (or of a CloudTrail Lake query), and evaluated here in JavaScript with the same semantics so tests can hold
 * it against the local engine. Pure: no I/O.
 *
 * Conservative by construction: a record the local engine would alert on passes a member forwarding pattern, so it
 * must pass this filter. Every pattern part this compiler cannot express exactly in SQL becomes `true` (the filter
 * widens, never narrows): rule state (read-only events), rule scope (global services in us-east-1), `detail-type`,
 * numbers and booleans, `anything-but`, `numeric`, `exists`, `cidr`, `equals-ignore-case`, suffixes, and string values
 * with characters whose JSON spelling may vary. What it does express:
 * - `source: ["aws.x"]`: `eventsource LIKE 'x.%'` (the envelope's source is `aws.` + the eventSource's service prefix,
 *   handlers/core/sweep/to-event.ts);
 * - strings, `prefix` and `wildcard` on the record's top-level string fields (`eventSource`, `eventName`,
 *   `errorCode`, ...): `IN`, `LIKE`;
 * - strings anywhere inside an object field (`userIdentity`, `requestParameters`, ...): the quoted value appears in
 *   the field's JSON text (`strpos(useridentity, '"Root"') > 0`), which holds wherever in the object (or array) the
 *   pattern looks for it.
 */
import { forwardingPatterns } from '../../rules/patterns';
import { type Detection, type EventPattern, GUARDDUTY_FINDING } from '../../rules/types';

/** Top-level CloudTrail record fields that hold a string (Athena column = the lowercased name). */
export const STRING_FIELDS = [
  'eventVersion',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'errorMessage',
  'requestID',
  'eventID',
  'eventType',
  'apiVersion',
  'recipientAccountId',
  'sharedEventID',
  'vpcEndpointId',
  'vpcEndpointAccountId',
  'eventCategory',
  'sessionCredentialFromConsole',
] as const;

/** Top-level CloudTrail record fields that hold an object or array (declared STRING: Athena returns their JSON). */
export const JSON_FIELDS = [
  'userIdentity',
  'requestParameters',
  'responseElements',
  'additionalEventData',
  'resources',
  'serviceEventDetails',
  'tlsDetails',
  'addendum',
  'edgeDeviceDetails',
  'insightDetails',
] as const;

/** Top-level CloudTrail record fields that hold a boolean. */
export const BOOLEAN_FIELDS = ['readOnly', 'managementEvent'] as const;

export type StringField = (typeof STRING_FIELDS)[number];
export type JsonField = (typeof JSON_FIELDS)[number];

/** A condition over one CloudTrail record. */
export type Condition =
  | { readonly kind: 'true' }
  | { readonly kind: 'false' }
  | { readonly kind: 'and'; readonly of: readonly Condition[] }
  | { readonly kind: 'or'; readonly of: readonly Condition[] }
  /** The string field equals one of the values. */
  | { readonly kind: 'in'; readonly field: StringField; readonly values: readonly string[] }
  /** The string field starts with the prefix. */
  | { readonly kind: 'prefix'; readonly field: StringField; readonly prefix: string }
  /** The string field matches the EventBridge wildcard (`*` = any run of characters). */
  | { readonly kind: 'wildcard'; readonly field: StringField; readonly wildcard: string }
  /** The object field's JSON text contains one of the needles. */
  | { readonly kind: 'contains'; readonly field: JsonField; readonly needles: readonly string[] };

const TRUE: Condition = { kind: 'true' };
const FALSE: Condition = { kind: 'false' };

/** AND, simplified: `true` parts drop out, a `false` part makes it `false`. */
export function and(parts: readonly Condition[]): Condition {
  const kept: Condition[] = [];
  for (const p of parts) {
    if (p.kind === 'false') return FALSE;
    if (p.kind === 'and') kept.push(...p.of);
    else if (p.kind !== 'true') kept.push(p);
  }
  return kept.length === 0 ? TRUE : kept.length === 1 ? kept[0]! : { kind: 'and', of: kept };
}

/** OR, simplified: a `true` part makes it `true`, `false` parts drop out. */
export function or(parts: readonly Condition[]): Condition {
  const kept: Condition[] = [];
  for (const p of parts) {
    if (p.kind === 'true') return TRUE;
    if (p.kind === 'or') kept.push(...p.of);
    else if (p.kind !== 'false') kept.push(p);
  }
  return kept.length === 0 ? FALSE : kept.length === 1 ? kept[0]! : { kind: 'or', of: kept };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Characters whose JSON spelling is always themselves (so a quoted value appears verbatim in any JSON text). */
const PLAIN = /^[A-Za-z0-9 _.:@+=,#-]*$/;

/** The JSON spellings of a string value as it may appear inside an object's JSON text; undefined when unsure. */
function jsonSpellings(value: string): string[] | undefined {
  if (PLAIN.test(value)) return [`"${value}"`];
  // `/` may be written `\/` by some serialisers; both spellings are searched.
  if (PLAIN.test(value.replaceAll('/', ''))) return [`"${value}"`, `"${value.replaceAll('/', '\\/')}"`];
  return undefined;
}

const stringField = (name: string): StringField | undefined => STRING_FIELDS.find((f) => f === name);
const jsonField = (name: string): JsonField | undefined => JSON_FIELDS.find((f) => f === name);

/** One leaf of a pattern (the alternatives at `path`) as a condition; `true` when it cannot say exactly. */
function leaf(path: readonly string[], alternatives: readonly unknown[]): Condition {
  if (path.length === 1 && path[0] === 'source') {
    const parts: Condition[] = [];
    for (const a of alternatives) {
      if (typeof a !== 'string' || !a.startsWith('aws.') || a.length === 4) return TRUE;
      parts.push({ kind: 'prefix', field: 'eventSource', prefix: `${a.slice(4)}.` });
    }
    return or(parts);
  }
  if (path[0] !== 'detail' || path.length < 2) return TRUE;
  const top = path[1]!;
  const str = path.length === 2 ? stringField(top) : undefined;
  if (str) {
    const values: string[] = [];
    const parts: Condition[] = [];
    for (const a of alternatives) {
      if (typeof a === 'string') values.push(a);
      else if (isObject(a) && Object.keys(a).length === 1 && typeof a['prefix'] === 'string') {
        parts.push({ kind: 'prefix', field: str, prefix: a['prefix'] });
      } else if (isObject(a) && Object.keys(a).length === 1 && typeof a['wildcard'] === 'string') {
        parts.push({ kind: 'wildcard', field: str, wildcard: a['wildcard'] });
      } else return TRUE;
    }
    if (values.length > 0) parts.push({ kind: 'in', field: str, values: [...new Set(values)].sort() });
    return or(parts);
  }
  const obj = path.length > 2 ? jsonField(top) : undefined;
  if (obj) {
    const needles: string[] = [];
    for (const a of alternatives) {
      const spelled = typeof a === 'string' ? jsonSpellings(a) : undefined;
      if (!spelled) return TRUE;
      needles.push(...spelled);
    }
    return needles.length === 0 ? FALSE : { kind: 'contains', field: obj, needles: [...new Set(needles)].sort() };
  }
  return TRUE;
}

/** An EventBridge pattern as a condition (an AND over its fields, `$or` as OR). */
export function patternCondition(pattern: EventPattern, path: readonly string[] = []): Condition {
  const parts: Condition[] = [];
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or') {
      parts.push(Array.isArray(value) ? or(value.map((p) => (isObject(p) ? patternCondition(p, path) : TRUE))) : TRUE);
    } else if (Array.isArray(value)) parts.push(leaf([...path, key], value));
    else if (isObject(value)) parts.push(patternCondition(value, [...path, key]));
    else parts.push(TRUE);
  }
  return and(parts);
}

/**
 * The candidate filter of a catalog: a record passes when any member forwarding pattern may deliver it. Patterns
 * for GuardDuty findings are left out: findings are EventBridge events of GuardDuty, never records of the trail
 * (those detections alert in real time only; a trail replay cannot find them).
 */
export function candidateFilter(catalog: readonly Detection[]): Condition {
  return or(
    forwardingPatterns(catalog)
      .filter((p) => !JSON.stringify(p.pattern['detail-type'] ?? []).includes(GUARDDUTY_FINDING))
      .map((p) => patternCondition(p.pattern)),
  );
}

/** EventBridge wildcard → regular expression (only `*` is special; `\*` is a literal star). */
function wildcardRegExp(wildcard: string): RegExp {
  let source = '';
  for (let i = 0; i < wildcard.length; i++) {
    const c = wildcard[i]!;
    if (c === '\\' && wildcard[i + 1] === '*') {
      source += '\\*';
      i++;
    } else if (c === '*') source += '.*';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

/**
 * Whether `record` passes `condition`, with the SQL rendering's semantics: a missing field fails every test; an
 * object field is tested on its JSON text.
 */
export function admits(condition: Condition, record: Readonly<Record<string, unknown>>): boolean {
  switch (condition.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'and':
      return condition.of.every((c) => admits(c, record));
    case 'or':
      return condition.of.some((c) => admits(c, record));
    case 'in': {
      const v = record[condition.field];
      return typeof v === 'string' && condition.values.includes(v);
    }
    case 'prefix': {
      const v = record[condition.field];
      return typeof v === 'string' && v.startsWith(condition.prefix);
    }
    case 'wildcard': {
      const v = record[condition.field];
      return typeof v === 'string' && wildcardRegExp(condition.wildcard).test(v);
    }
    case 'contains': {
      const v = record[condition.field];
      if (v === undefined || v === null) return false;
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      return condition.needles.some((n) => text.includes(n));
    }
  }
}

/** A SQL string literal. */
export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** LIKE pattern (escape character `\`) that matches strings starting with `prefix`. */
const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, '\\$&')}%`;

/** LIKE pattern (escape character `\`) for an EventBridge wildcard. */
function likeWildcard(wildcard: string): string {
  let out = '';
  for (let i = 0; i < wildcard.length; i++) {
    const c = wildcard[i]!;
    if (c === '\\' && wildcard[i + 1] === '*') {
      out += '*';
      i++;
    } else if (c === '*') out += '%';
    else out += c.replace(/[\\%_]/g, '\\$&');
  }
  return out;
}

/** How a dialect names a record field. */
export interface Dialect {
  /** A top-level string field. */
  readonly string: (field: StringField) => string;
  /** The JSON text of a top-level object field; undefined when the dialect cannot read it (the test widens). */
  readonly jsonText: (field: JsonField) => string | undefined;
}

/** Athena over the trail bucket with vigil's table (scripts/athena/table.ts): every field is a lowercased column. */
export const ATHENA: Dialect = {
  string: (field) => field.toLowerCase(),
  jsonText: (field) => field.toLowerCase(),
};

/**
 * CloudTrail Lake (Trino): top-level fields are columns of the same names; objects are typed columns (a struct for
 * userIdentity, maps for requestParameters), whose JSON text is `json_format(CAST(x AS JSON))`.
 */
export const CLOUDTRAIL_LAKE: Dialect = {
  string: (field) => field,
  jsonText: (field) => `json_format(CAST(${field} AS JSON))`,
};

/** The condition as a SQL boolean expression. */
export function renderSql(condition: Condition, dialect: Dialect = ATHENA): string {
  switch (condition.kind) {
    case 'true':
      return 'TRUE';
    case 'false':
      return 'FALSE';
    case 'and':
      return condition.of.map((c) => wrap(c, dialect)).join(' AND ');
    case 'or':
      return condition.of.map((c) => wrap(c, dialect)).join('\n   OR ');
    case 'in':
      return condition.values.length === 1
        ? `${dialect.string(condition.field)} = ${sqlString(condition.values[0]!)}`
        : `${dialect.string(condition.field)} IN (${condition.values.map(sqlString).join(', ')})`;
    case 'prefix':
      return `${dialect.string(condition.field)} LIKE ${sqlString(likePrefix(condition.prefix))} ESCAPE '\\'`;
    case 'wildcard':
      return `${dialect.string(condition.field)} LIKE ${sqlString(likeWildcard(condition.wildcard))} ESCAPE '\\'`;
    case 'contains': {
      const text = dialect.jsonText(condition.field);
      if (text === undefined) return 'TRUE';
      const tests = condition.needles.map((n) => `strpos(${text}, ${sqlString(n)}) > 0`);
      return tests.length === 1 ? tests[0]! : `(${tests.join(' OR ')})`;
    }
  }
}

const wrap = (c: Condition, dialect: Dialect): string =>
  c.kind === 'and' || c.kind === 'or' ? `(${renderSql(c, dialect)})` : renderSql(c, dialect);
