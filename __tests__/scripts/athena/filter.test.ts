import { CATALOG } from '../../../rules/catalog';
import { matchesPattern } from '../../../rules/event-pattern';
import { forwardingPatterns } from '../../../rules/patterns';
import { API_CALL, type Detection, type EventPattern } from '../../../rules/types';
import { wrapCloudTrailRecord } from '../../../scripts/replay/core';
import {
  admits,
  ATHENA,
  candidateFilter,
  CLOUDTRAIL_LAKE,
  type Condition,
  patternCondition,
  renderSql,
} from '../../../scripts/athena/filter';
import { type Json, RECORDS } from './rows';
import { prng as random } from '../../helpers/prng';

const PATTERNS = forwardingPatterns(CATALOG).map((p) => p.pattern);
const FILTER = candidateFilter(CATALOG);

/** Whether any member forwarding pattern delivers the record (what the local engine needs before it can alert). */
function forwarded(record: Json): boolean {
  const wrapped = wrapCloudTrailRecord(record);
  if (!('event' in wrapped)) return false;
  return PATTERNS.some((p) => matchesPattern(p, wrapped.event));
}

const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)]!;

/**
 * Records built from the corpus's parts: one record's identity, another's request, a third's event name and
 * source (or a catalog name on another service), errors on and off. They cross the borders the filter draws.
 */
function generated(count: number, seed: number): Json[] {
  const next = random(seed);
  const names = [...new Set(RECORDS.map((r) => String(r['eventName'])))];
  const sources = [...new Set(RECORDS.map((r) => String(r['eventSource'])))];
  const errors = [
    undefined,
    'AccessDenied',
    'Client.UnauthorizedOperation',
    'ThrottlingException',
    'AccessDeniedException',
  ];
  const out: Json[] = [];
  for (let i = 0; i < count; i++) {
    const base = { ...pick(next, RECORDS) };
    base['userIdentity'] = pick(next, RECORDS)['userIdentity'];
    if (next() < 0.5) base['requestParameters'] = pick(next, RECORDS)['requestParameters'];
    if (next() < 0.5) base['eventName'] = pick(next, names);
    if (next() < 0.3) base['eventSource'] = pick(next, sources);
    const error = pick(next, errors);
    if (error === undefined) delete base['errorCode'];
    else base['errorCode'] = error;
    if (next() < 0.2) base['readOnly'] = !base['readOnly'];
    out.push(base);
  }
  return out;
}

describe('candidateFilter over the catalog', () => {
  it('admits every fixture record a member forwarding rule delivers, and rejects some others', () => {
    const delivered = RECORDS.filter(forwarded);
    expect(delivered.length).toBeGreaterThan(150);
    expect(delivered.filter((r) => !admits(FILTER, r)).map((r) => `${r['eventSource']} ${r['eventName']}`)).toEqual([]);
    // The filter filters: a describe call no detection looks at is left in S3.
    expect(admits(FILTER, { ...delivered[0], eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances' })).toBe(
      false,
    );
  });

  it('admits every generated record a member forwarding rule delivers (5,000 records, seeded)', () => {
    const records = generated(5000, 20261204);
    const delivered = records.filter(forwarded);
    expect(delivered.length).toBeGreaterThan(1000);
    expect(delivered.filter((r) => !admits(FILTER, r)).length).toBe(0);
    // And it is selective on the same records: not everything passes.
    expect(records.filter((r) => !admits(FILTER, r)).length).toBeGreaterThan(100);
  });
});

const detection = (over: Partial<Detection> & Pick<Detection, 'forward' | 'pattern'>): Detection => ({
  id: 'test-detection',
  title: 'Test',
  class: 'exposure',
  severity: 'high',
  rationale: 'test',
  compliance: {},
  ...over,
});

const apiCall = (eventSource: string, eventNames: string[]): Pick<Detection, 'forward' | 'pattern'> => ({
  forward: { kind: 'api', source: `aws.${eventSource.split('.')[0]}`, eventSource, eventNames },
  pattern: {
    source: [`aws.${eventSource.split('.')[0]}`],
    'detail-type': [API_CALL],
    detail: { eventSource: [eventSource], eventName: eventNames },
  },
});

const custom = (key: string, pattern: EventPattern): Pick<Detection, 'forward' | 'pattern'> => ({
  forward: { kind: 'pattern', key, pattern },
  pattern,
});

describe('the SQL of catalog variations', () => {
  it('names the services and calls of API-call detections', () => {
    const sql = renderSql(
      candidateFilter([detection(apiCall('s3.amazonaws.com', ['PutBucketPolicy', 'DeleteBucketPolicy']))]),
    );
    expect(sql).toContain("eventsource LIKE 's3.%' ESCAPE '\\'");
    expect(sql).toContain("eventsource = 's3.amazonaws.com'");
    expect(sql).toContain("eventname IN ('DeleteBucketPolicy', 'PutBucketPolicy')");
    expect(sql).not.toContain('TRUE');
  });

  it('turns error-code prefixes and wildcards into LIKE, with LIKE metacharacters escaped', () => {
    const sql = renderSql(
      candidateFilter([
        detection(
          custom('denied', {
            detail: { errorCode: [{ prefix: 'Access_Denied' }, { wildcard: '*Unauthorized%Operation' }] },
          }),
        ),
      ]),
    );
    expect(sql).toBe(
      "errorcode LIKE 'Access\\_Denied%' ESCAPE '\\'\n   OR errorcode LIKE '%Unauthorized\\%Operation' ESCAPE '\\'",
    );
  });

  it('looks for values inside object fields in their JSON text, both spellings of a slash', () => {
    const sql = renderSql(
      candidateFilter([
        detection(custom('root', { detail: { userIdentity: { type: ['Root'] } } })),
        detection(custom('hb', { detail: { requestParameters: { name: ['/vigil/heartbeat'] } } })),
      ]),
    );
    expect(sql).toContain(`strpos(useridentity, '"Root"') > 0`);
    expect(sql).toContain(
      `(strpos(requestparameters, '"/vigil/heartbeat"') > 0 OR strpos(requestparameters, '"\\/vigil\\/heartbeat"') > 0)`,
    );
  });

  it('widens to TRUE what SQL cannot say exactly, so one such detection reads everything', () => {
    const widening: EventPattern[] = [
      { detail: { eventName: [{ 'anything-but': 'Describe' }] } },
      { detail: { requestParameters: { withDecryption: [true] } } },
      { detail: { userIdentity: { arn: ["arn:aws:iam::1:user/o'brien"] } } },
      { detail: { eventName: [{ suffix: 'Policy' }] } },
      { 'detail-type': [API_CALL] },
    ];
    for (const pattern of widening) {
      expect(patternCondition(pattern)).toEqual({ kind: 'true' });
    }
    const filter = candidateFilter([
      detection(apiCall('iam.amazonaws.com', ['CreateUser'])),
      detection(custom('wide', widening[0]!)),
    ]);
    expect(filter).toEqual({ kind: 'true' });
    expect(renderSql(filter)).toBe('TRUE');
  });

  it('keeps the exact parts of a pattern when another part widens (AND drops only the widened part)', () => {
    const c = patternCondition({
      source: ['aws.ssm'],
      detail: { eventName: ['GetParameter'], requestParameters: { withDecryption: [true] } },
    });
    expect(renderSql(c)).toBe("eventsource LIKE 'ssm.%' ESCAPE '\\' AND eventname = 'GetParameter'");
  });

  it('doubles single quotes in values', () => {
    expect(renderSql(patternCondition({ detail: { eventName: ["it's"] } }))).toBe("eventname = 'it''s'");
  });

  it('speaks CloudTrail Lake: column names as in the record, object fields through json_format', () => {
    const c: Condition = patternCondition({ detail: { eventName: ['CreateUser'], userIdentity: { type: ['Root'] } } });
    expect(renderSql(c, CLOUDTRAIL_LAKE)).toBe(
      `eventName = 'CreateUser' AND strpos(json_format(CAST(userIdentity AS JSON)), '"Root"') > 0`,
    );
    expect(renderSql(c, ATHENA)).toBe(`eventname = 'CreateUser' AND strpos(useridentity, '"Root"') > 0`);
  });
});

describe('admits', () => {
  it('follows SQL: a missing field fails, wildcards match whole values, object fields by their JSON text', () => {
    const wildcard: Condition = { kind: 'wildcard', field: 'errorCode', wildcard: '*Unauthorized*' };
    expect([admits(wildcard, {}), admits(wildcard, { errorCode: 'Client.UnauthorizedOperation' })]).toEqual([
      false,
      true,
    ]);
    const contains: Condition = { kind: 'contains', field: 'userIdentity', needles: ['"Root"'] };
    expect([
      admits(contains, {}),
      admits(contains, { userIdentity: { type: 'Root' } }),
      admits(contains, { userIdentity: { type: 'IAMUser' } }),
    ]).toEqual([false, true, false]);
    expect(admits({ kind: 'false' }, {})).toBe(false);
  });
});
