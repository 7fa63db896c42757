/**
 * Replay predicts production: the catalog fixture corpus (__tests__/fixtures/events) goes through
 *  - production's path, read from the synthesized Terraform: the member stacks' forwarding rules (pattern
 *    and rule state) decide what reaches the central bus, the security stack's central rules decide which
 *    messages their input transformers queue, and the triage Lambda's handler (fakes for DynamoDB, tags,
 *    Slack and PagerDuty) triages them, with the clock at each event's time;
 *  - `npm run replay -- --json` over the same events, in the same order;
 * and the two must agree decision for decision: same detections, same outcome (alerted, digest, held back,
 * dropped and why), same severity, same remediation hand-off.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from '../../framework/cdktf';
import { loadConfig } from '../../config/load';
import type { TriageOutcome } from '../../handlers/core/flows/triage-ports';
import { toHandlerInventory } from '../../handlers/core/inventory-view';
import { makeTriageContext } from '../../handlers/core/triage';
import { createHandler } from '../../handlers/entrypoints/triage';
import { CATALOG } from '../../rules/catalog';
import { compilePattern } from '../../rules/event-pattern';
import { forwardingPatterns, STATE_ALL_MANAGEMENT } from '../../rules/patterns';
import { PREDICATES } from '../../rules/predicates';
import { main } from '../../scripts/replay';
import { MemberStack } from '../../stacks/member-stack';
import { SecurityStack } from '../../stacks/security-stack';
import { remediationPermissions } from '../../derive/remediation-permissions';
import { resourcesOfType, synthJson } from '../helpers/synth';
import { FakeClock, FakeDedupeStore, FakeNotifier, FakeTags } from '../helpers/triage-fakes';

type Json = Record<string, any>;

const FIXTURES = join(__dirname, '..', 'fixtures', 'events');
const config = loadConfig();
const files = readdirSync(FIXTURES)
  .sort()
  .flatMap((dir) =>
    readdirSync(join(FIXTURES, dir))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => join(FIXTURES, dir, f)),
  );
const events: Json[] = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));

/** A decision as both sides report it. */
const key = (eventId: string, detectionId: string | undefined) => `${eventId} ${detectionId}`;
interface Decision {
  readonly outcome: string;
  readonly severity?: string;
  readonly remediation?: string;
}

const readOnlyManagement = (e: Json) =>
  e['detail']?.['readOnly'] === true && [undefined, 'Management'].includes(e['detail']?.['eventCategory']);

/** Production's forwarding, from the synthesized member stacks: each account's rules by region, state and pattern. */
function memberForwarding(): (event: Json) => boolean {
  const patterns = forwardingPatterns(CATALOG);
  const permissions = remediationPermissions(CATALOG);
  const byAccount = new Map<string, Array<{ region: string; all: boolean; match: (e: unknown) => boolean }>>();
  for (const accountId of new Set(events.map((e) => e['account'] as string))) {
    const account = config.inventory.accounts.find((a) => a.id === accountId)!;
    const tf = synthJson(
      new MemberStack(Testing.app(), `member-${accountId}`, {
        inventory: config.inventory,
        account,
        patterns,
        permissions,
      }),
    );
    const rules = resourcesOfType(tf, 'aws_cloudwatch_event_rule').filter((r) => r['for_each']);
    const entries = rules.flatMap((rule) => {
      const local = /^\$\{local\.(\w+)\[each\.value\.key\]\}$/.exec(rule['event_pattern'])![1]!;
      return Object.values(rule['for_each'] as Record<string, Json>).map((each) => ({
        region: each['region'] as string,
        all: each['state'] === STATE_ALL_MANAGEMENT,
        match: compilePattern(JSON.parse(tf['locals'][local][each['key']])),
      }));
    });
    byAccount.set(accountId, entries);
  }
  return (event) =>
    (byAccount.get(event['account']) ?? []).some(
      (r) => r.region === event['region'] && (r.all || !readOnlyManagement(event)) && r.match(event),
    );
}

/** Production's central rules, from the synthesized security stack: pattern and input template of each. */
function centralRules(): Array<{ match: (e: unknown) => boolean; body: (event: Json) => string }> {
  const tf = synthJson(
    new SecurityStack(Testing.app(), 'security', {
      inventory: config.inventory,
      catalog: CATALOG,
      alerting: config.alerting,
      remediation: config.remediation,
    }),
  );
  const rules = tf['resource']['aws_cloudwatch_event_rule'] as Record<string, Json>;
  return resourcesOfType(tf, 'aws_cloudwatch_event_target')
    .filter((t) => t['input_transformer'])
    .map((t) => {
      const ruleKey = /^\$\{aws_cloudwatch_event_rule\.([\w-]+)\.name\}$/.exec(t['rule'])![1]!;
      const template: string = t['input_transformer']['input_template'];
      return {
        match: compilePattern(JSON.parse(rules[ruleKey]!['event_pattern'])),
        body: (event: Json) => template.replace('<aws.events.event.json>', JSON.stringify(event)),
      };
    });
}

async function production(): Promise<Map<string, Decision>> {
  const forwards = memberForwarding();
  const central = centralRules();
  const clock = new FakeClock(0);
  const outcomes: TriageOutcome[] = [];
  const handler = createHandler({
    context: makeTriageContext(toHandlerInventory(config.inventory), CATALOG, PREDICATES, {
      repeatWindowSeconds: config.alerting.repeatWindowSeconds ?? 900,
    }),
    store: new FakeDedupeStore(),
    tags: new FakeTags(),
    notifier: new FakeNotifier(),
    routing: { default: { slackChannel: '#security' } },
    now: clock.now,
    write: () => undefined,
    requestRemediation: async () => undefined,
    digest: { record: async () => undefined },
    concurrency: 1,
    observe: (o) => outcomes.push(o),
  });
  let n = 0;
  for (const event of events) {
    if (!forwards(event)) continue;
    clock.ms = Date.parse(event['detail']['eventTime']);
    const Records = central.filter((r) => r.match(event)).map((r) => ({ messageId: `m-${++n}`, body: r.body(event) }));
    await handler({ Records });
  }
  return new Map(outcomes.map((o) => [key(o.eventId!, o.detectionId), decisionOf(o)]));
}

const decisionOf = (o: { outcome: string; severity?: string; remediation?: string }): Decision => ({
  outcome: o.outcome,
  ...(o.severity ? { severity: o.severity } : {}),
  ...(o.remediation ? { remediation: o.remediation } : {}),
});

async function replay(): Promise<Map<string, Decision>> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-agreement-'));
  try {
    const corpus = join(dir, 'corpus.jsonl');
    writeFileSync(corpus, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
    const out: string[] = [];
    const code = await main(['--json', corpus], {
      stdout: (text) => out.push(...text.split('\n')),
      stderr: () => undefined,
      progress: () => undefined,
      stderrIsTTY: false,
    });
    expect(code).toBe(0);
    const lines = out.filter((l) => l !== '').map((l) => JSON.parse(l));
    return new Map(
      lines
        .filter((l) => l.decisions)
        .flatMap((l) => l.decisions.map((d: Json) => [key(l.eventId, d.detection), decisionOf(d as never)] as const)),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('replay and production triage agree on the fixture corpus', () => {
  it('makes the same decision for every message, and the corpus exercises every outcome class', async () => {
    const [prod, backtest] = [await production(), await replay()];

    expect(Object.fromEntries(backtest)).toEqual(Object.fromEntries(prod));
    const outcomes = new Set([...prod.values()].map((d) => d.outcome));
    for (const expected of [
      'alerted',
      'digest',
      'suppressed',
      'folded',
      'no-finding',
      'superseded',
      'own-remediation',
    ]) {
      expect(outcomes).toContain(expected);
    }
    expect(prod.size).toBeGreaterThan(150);
  }, 120_000);
});
