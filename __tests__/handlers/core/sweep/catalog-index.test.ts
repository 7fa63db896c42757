/**
 * The catalog runner's index (handlers/core/sweep/catalog-index.ts) is exact: for the whole catalog, over the
 * catalog's fixture events, the replay fixture corpus and events generated from them (fast-check, fixed seed), the
 * indexed runner returns exactly what a linear scan of every central pattern returns.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { admittedValues } from '../../../../handlers/core/sweep/catalog-index';
import {
  compileCatalog,
  isReadOnlyManagementEvent,
  type Verdict,
} from '../../../../handlers/core/sweep/catalog-runner';
import { type TrailEvent, wrapCloudTrailRecord } from '../../../../handlers/core/sweep/to-event';
import { CATALOG } from '../../../../rules/catalog';
import { compilePattern } from '../../../../rules/event-pattern';
import { PREDICATES } from '../../../../rules/predicates';

const FIXTURES = join(__dirname, '../../../fixtures');
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));

/** The catalog's fixture events and every record of the replay fixture corpus's CloudTrail log files. */
function corpus(): TrailEvent[] {
  const events = walk(join(FIXTURES, 'events'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(f, 'utf8')) as TrailEvent);
  for (const f of walk(join(FIXTURES, 'replay/cloudtrail')).filter((f) => /_CloudTrail_.*\.json(\.gz)?$/.test(f))) {
    let text: string;
    try {
      const raw = readFileSync(f);
      text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    } catch {
      continue; // the truncated download of the fixtures
    }
    for (const r of (JSON.parse(text) as { Records: unknown[] }).Records) {
      const w = wrapCloudTrailRecord(r);
      if ('event' in w) events.push(w.event);
    }
  }
  return events;
}

const runner = compileCatalog(CATALOG, PREDICATES);
const linear = CATALOG.map((d) => ({ d, match: compilePattern(d.pattern) }));

/** The verdict of a linear scan of every central pattern. */
function linearVerdict(event: TrailEvent): Verdict {
  const matched: string[] = [];
  const readOnlySkipped: string[] = [];
  for (const { d, match } of linear) {
    if (!match(event)) continue;
    if (d.readOnlyEvents !== true && isReadOnlyManagementEvent(event)) readOnlySkipped.push(d.id);
    else matched.push(d.id);
  }
  return { matched, readOnlySkipped, forwarded: matched.length === 0 || runner.forwards(event) };
}

const EVENTS = corpus();
const literals = (path: string[]) =>
  [...new Set(CATALOG.flatMap((d) => [...(admittedValues(d.pattern as Record<string, unknown>, path) ?? [])]))].sort();
const NAMES = literals(['detail', 'eventName']);
const SOURCES = literals(['detail', 'eventSource']);

/** A value for an indexed field: kept, a catalog literal, another string, missing, or an array. */
const fieldValue = (known: readonly string[]) =>
  fc.oneof(
    fc.constant<'keep'>('keep'),
    fc.constantFrom(...known),
    fc.string({ maxLength: 12 }),
    fc.constant(undefined),
    fc.array(fc.constantFrom(...known), { minLength: 1, maxLength: 2 }),
  );

const generated = fc
  .record({
    base: fc.integer({ min: 0, max: EVENTS.length - 1 }),
    source: fc.oneof(fc.constant<'keep'>('keep'), fc.string({ maxLength: 12 }), fc.constantFrom('aws.iam', 'aws.ssm')),
    eventSource: fieldValue(SOURCES),
    eventName: fieldValue(NAMES),
    readOnly: fc.constantFrom('keep', true, false),
    errorCode: fc.constantFrom('keep', undefined, null, '', 'AccessDenied', 'Client.UnauthorizedOperation'),
    rootCaller: fc.boolean(),
  })
  .map((g): TrailEvent => {
    const base = EVENTS[g.base]!;
    const detail: Record<string, unknown> = { ...base.detail };
    const set = (k: string, v: unknown) => {
      if (v === 'keep') return;
      if (v === undefined) delete detail[k];
      else detail[k] = v;
    };
    set('eventSource', g.eventSource);
    set('eventName', g.eventName);
    set('readOnly', g.readOnly);
    set('errorCode', g.errorCode);
    if (g.rootCaller) detail['userIdentity'] = { type: 'Root', accountId: base.account };
    return { ...base, source: g.source === 'keep' ? base.source : g.source, detail };
  });

describe('catalog index', () => {
  it('reduces $or branches and top-level sources to the values they admit', () => {
    const pattern = {
      source: ['aws.ssm', 'aws.iam'],
      detail: {
        $or: [{ eventName: ['Get', 'Put'] }, { eventName: ['Put', 'List'], eventSource: ['x'] }],
        eventSource: ['x'],
      },
    };
    expect([...(admittedValues(pattern, ['detail', 'eventName']) ?? [])].sort()).toEqual(['Get', 'List', 'Put']);
    // IP-like strings ('Add' is hexadecimal) are compared by address, so they admit any value.
    expect(admittedValues({ detail: { eventName: ['Add'] } }, ['detail', 'eventName'])).toBeUndefined();
    expect([...(admittedValues(pattern, ['source']) ?? [])]).toEqual(['aws.ssm', 'aws.iam']);
    expect(admittedValues({ detail: { eventName: [{ prefix: 'Get' }] } }, ['detail', 'eventName'])).toBeUndefined();
  });

  it('gives the linear scan verdict on every fixture event and replay record', () => {
    expect(EVENTS.length).toBeGreaterThan(400);
    const differing = EVENTS.filter((e) => JSON.stringify(runner.evaluate(e)) !== JSON.stringify(linearVerdict(e))).map(
      (e) => e.id,
    );
    expect(differing).toEqual([]);
    // The corpus exercises the index: matches and read-only skips both occur.
    expect(EVENTS.some((e) => runner.evaluate(e).matched.length > 0)).toBe(true);
  });

  it('gives the linear scan verdict on generated events', () => {
    fc.assert(
      fc.property(generated, (event) => {
        expect(runner.evaluate(event)).toEqual(linearVerdict(event));
      }),
      { seed: 1414, numRuns: 3000 },
    );
  });
});
