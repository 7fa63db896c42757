/**
 * Real Terraform over every synthesized stack of the example org and a generated 3-account × 5-region
 * org (scripts/tf-check.ts): init from the provider mirror, validate, plan, show. Assertions are on
 * the plan — planned instances (for_each expanded) and planned values — not only on the JSON.
 *
 * Needs terraform and the provider mirror (/opt/tf-plugins). Without them the suites below are not
 * registered (a console notice says so) and the first test fails when CI=true, so CI can never pass
 * without running Terraform. Slow (a few minutes): at most two terraform processes run at once.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountRegions, type OrgInventory } from '../../config/inventory';
import {
  centralBusArn,
  centralBusName,
  deadLetterQueueName,
  deployRoleArn,
  findingsNames,
  forwarderRoleName,
  heartbeatRoleName,
  functionNames,
  queueNames,
  readOnlyRoleName,
  remediationRoleName,
  remediationUndoRoleName,
  stackIds,
  trailBucketName,
  trailName,
} from '../../config/naming';
import { streamEnabled } from '../../config/findings';
import { GLOBAL_EVENTS_REGION } from '../../config/regions';
import { CATALOG } from '../../rules/catalog';
import { centralRules, forwardingPatterns } from '../../rules/patterns';
import { main as deploy } from '../../scripts/deploy';
import { checkStacks, plannedResources, type ResourceChange, type StackCheck } from '../../scripts/terraform/check';
import { chooseProvider, compatEdits, pinnedVersion, type StackJson } from '../../scripts/terraform/compat';
import { type CheckedOrg, exampleOrg, generatedOrg, synthOrg } from '../../scripts/terraform/orgs';
import { findToolchain, type Toolchain, toolchainProblems } from '../../scripts/terraform/toolchain';
import { type CheckRun, runCheck } from '../../scripts/tf-check';

const toolchain = findToolchain();

describe('the terraform toolchain', () => {
  it('is complete in CI, where the real check must run', () => {
    expect(process.env['CI'] === 'true' && !toolchain ? toolchainProblems() : []).toEqual([]);
  });
});

/** Plans take minutes on two shared cores. */
const SLOW = 20 * 60_000;

/** Security-relevant attribute of each type whose planned value must equal the synthesized one. */
const SECURITY_ATTRIBUTES: Readonly<Record<string, string>> = {
  aws_cloudwatch_event_bus_policy: 'policy',
  aws_iam_role: 'assume_role_policy',
  aws_iam_role_policy: 'policy',
  aws_organizations_policy: 'content',
  aws_s3_bucket_policy: 'policy',
  aws_kms_key: 'policy',
  aws_sqs_queue_policy: 'policy',
};

/** Planned instances a synthesized stack implies: 1 per block, or one per `for_each` key (followed through a reference). */
function expectedInstances(stack: StackJson): number {
  const resources: Record<string, Record<string, Record<string, any>>> = stack['resource'] ?? {};
  const size = (block: Record<string, any>): number => {
    const each = block['for_each'];
    if (each === undefined) return 1;
    if (typeof each === 'object') return Object.keys(each).length;
    const ref = /^\$\{(aws_[a-z0-9_]+)\.([\w-]+)\}$/.exec(String(each));
    if (!ref) throw new Error(`cannot count for_each ${JSON.stringify(each)}`);
    return size(resources[ref[1]!]![ref[2]!]!);
  };
  return Object.values(resources).reduce(
    (n, byName) => n + Object.values(byName).reduce((m, block) => m + size(block), 0),
    0,
  );
}

/** A JSON document with object keys sorted: the provider normalizes policies, which reorders keys. */
const canonical = (json: string): string =>
  JSON.stringify(JSON.parse(json), (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

const sorted = (values: Iterable<string>): string[] => [...values].sort();

function terraformSuites(tc: Toolchain): void {
  const orgs: readonly CheckedOrg[] = [exampleOrg(), generatedOrg(3, 5)];
  const memberCases = orgs.flatMap((org) =>
    org.config.inventory.accounts.map((a) => [`${org.label}/${stackIds.member(a.id)}`, org, a.id] as const),
  );
  let run: CheckRun;
  const output: string[] = [];
  const tempFolders = () => readdirSync(tmpdir()).filter((f) => f.startsWith('vigil-tf-'));
  let tempBefore: string[];

  const checkOf = (org: CheckedOrg, id: string): StackCheck => {
    const found = run.checks.find((c) => c.source.org === org.label && c.source.id === id);
    if (!found) throw new Error(`no check of ${org.label}/${id}`);
    return found;
  };
  const planned = (check: StackCheck): ResourceChange[] => plannedResources(check.plan!.json!);
  const plannedOfType = (check: StackCheck, type: string) => planned(check).filter((c) => c.type === type);
  const valuesOf = (c: ResourceChange): Record<string, any> => c.change.after ?? {};

  beforeAll(async () => {
    tempBefore = tempFolders();
    run = await runCheck({ orgs: orgs.map((o) => () => o), validateOnly: false, parallelism: 2 }, tc, (l) =>
      output.push(l),
    );
  }, SLOW);

  describe('npm run tf:check', () => {
    it('validates and plans every stack without an error or an unlisted warning', () => {
      const problems = Object.fromEntries(
        run.checks.filter((c) => c.problems.length > 0).map((c) => [`${c.source.org}/${c.source.id}`, c.problems]),
      );
      expect(problems).toEqual({});
      expect(run.checks.filter((c) => !c.plan?.json).map((c) => c.source.id)).toEqual([]);
    });

    it.each(orgs.map((o) => [o.label, o] as const))('checks every stack of the %s org', (_label, org) => {
      const expected = [
        stackIds.bootstrap,
        stackIds.logArchive,
        stackIds.orgTrail,
        stackIds.security,
        ...org.config.inventory.accounts.map((a) => stackIds.member(a.id)),
      ];
      expect(sorted(run.checks.filter((c) => c.source.org === org.label).map((c) => c.source.id))).toEqual(
        sorted(expected),
      );
    });

    it('applies exactly the edits the mirrored provider implies, and prints versions and edits', () => {
      const text = output.join('\n');
      for (const check of run.checks) {
        const choice = chooseProvider(pinnedVersion(check.synthesized), tc.mirrored);
        expect(check.provider).toEqual(choice);
        expect(check.edits).toEqual(compatEdits(choice));
        expect(text).toContain(`pinned ${choice.pinned}`);
        expect(text).toContain(`used ${choice.used}`);
        for (const e of check.edits) expect(text).toContain(e.description);
      }
      expect(text).toContain(`mirrored ${tc.mirrored.join(', ')}`);
      expect(text).toMatch(/not validated: /);
    });

    it('leaves no temporary folder behind', () => {
      expect(tempFolders()).toEqual(tempBefore);
    });
  });

  describe('every planned stack', () => {
    it('creates exactly the synthesized resources, for_each expanded, and nothing else', () => {
      const counts = run.checks.map((c) => ({
        stack: `${c.source.org}/${c.source.id}`,
        planned: planned(c).length,
        summary: c.plan?.summary,
      }));
      expect(counts).toEqual(
        run.checks.map((c) => {
          const n = expectedInstances(c.synthesized);
          return {
            stack: `${c.source.org}/${c.source.id}`,
            planned: n,
            summary: { add: n, change: 0, remove: 0, import: 0, operation: 'plan' },
          };
        }),
      );
    });

    it('plans security-relevant attributes exactly as synthesized (or unknown only where they reference a resource of the stack)', () => {
      const mismatches: string[] = [];
      const compared = new Set<string>();
      for (const check of run.checks) {
        for (const c of planned(check)) {
          const attr = SECURITY_ATTRIBUTES[c.type];
          if (!attr) continue;
          const synthesized = String(check.synthesized['resource'][c.type][c.name][attr]);
          const where = `${check.source.org}/${check.source.id} ${c.address}.${attr}`;
          const refs = synthesized.match(/\$\{[^}]*\}/g) ?? [];
          if (refs.length > 0) {
            const foreign = refs.filter((r) => !/^\$\{aws_[a-z0-9_]+\.[\w-]+\.(arn|id|name)\}$/.test(r));
            if (c.change.after_unknown[attr] !== true || foreign.length > 0) {
              mismatches.push(`${where}: known despite ${refs.join(', ')}, or refers outside the stack`);
            }
          } else if (canonical(valuesOf(c)[attr]) !== canonical(synthesized)) {
            mismatches.push(`${where}: planned ${valuesOf(c)[attr]} but synthesized ${synthesized}`);
          } else {
            compared.add(c.type);
          }
        }
      }
      expect(mismatches).toEqual([]);
      expect(sorted(compared)).toEqual(sorted(Object.keys(SECURITY_ATTRIBUTES)));
    });
  });

  describe('what the offline edits remove, checked on the synthesized JSON', () => {
    /** The account each stack deploys into, from the inventory. */
    const accountOf = (inv: OrgInventory, id: string): string =>
      id === stackIds.bootstrap || id === stackIds.orgTrail
        ? inv.managementAccountId
        : id === stackIds.logArchive
          ? inv.logArchiveAccountId
          : id === stackIds.security
            ? inv.securityAccountId
            : id.slice(stackIds.member('').length);

    it('pins every provider to its account and has it assume the deploy role there (bootstrap, which creates the role, does not)', () => {
      const providers = run.checks.map((c) => ({
        stack: `${c.source.org}/${c.source.id}`,
        providers: c.synthesized['provider']['aws'].map((p: Record<string, any>) => ({
          allowed: p['allowed_account_ids'],
          role: p['assume_role']?.[0]?.['role_arn'],
        })),
      }));
      expect(providers).toEqual(
        run.checks.map((c) => {
          const inv = orgs.find((o) => o.label === c.source.org)!.config.inventory;
          const account = accountOf(inv, c.source.id);
          return {
            stack: `${c.source.org}/${c.source.id}`,
            providers: [
              {
                allowed: [account],
                role: c.source.id === stackIds.bootstrap ? undefined : deployRoleArn(inv, account),
              },
            ],
          };
        }),
      );
    });

    it('places every member rule and target in one of the account regions (the region the 5.x plan cannot see)', () => {
      for (const [, org, id] of memberCases) {
        const stack = checkOf(org, stackIds.member(id)).synthesized;
        const regions = accountRegions(org.config.inventory, org.config.inventory.accounts.find((a) => a.id === id)!);
        for (const type of ['aws_cloudwatch_event_rule', 'aws_cloudwatch_event_target']) {
          for (const block of Object.values<Record<string, any>>(stack['resource'][type])) {
            expect(block['region']).toBe('${each.value.region}');
          }
        }
        const rule = Object.values<Record<string, any>>(stack['resource']['aws_cloudwatch_event_rule'])[0]!;
        const placed = Object.values<Record<string, any>>(rule['for_each']).map((p) => p['region']);
        expect(sorted(new Set(placed))).toEqual(sorted(regions));
      }
    });
  });

  describe('member stacks', () => {
    const patterns = forwardingPatterns(CATALOG);
    /** `<region>/<pattern key>` placements implied by the inventory and the catalog. */
    const placements = (inv: OrgInventory, accountId: string) =>
      accountRegions(inv, inv.accounts.find((a) => a.id === accountId)!).flatMap((region) =>
        patterns
          .filter((p) => p.scope !== 'global' || region === GLOBAL_EVENTS_REGION)
          .map((p) => ({ key: `${region}/${p.key}`, pattern: p })),
      );

    it.each(memberCases)(
      '%s: one rule per region × pattern, planned with its pattern, name and state',
      (_l, org, id) => {
        const inv = org.config.inventory;
        const expected = placements(inv, id);
        const rules = plannedOfType(checkOf(org, stackIds.member(id)), 'aws_cloudwatch_event_rule');
        expect(sorted(rules.map((r) => String(r.index)))).toEqual(sorted(expected.map((p) => p.key)));
        for (const { key, pattern } of expected) {
          const rule = valuesOf(rules.find((r) => r.index === key)!);
          expect({ key, name: rule['name'], state: rule['state'], pattern: JSON.parse(rule['event_pattern']) }).toEqual(
            {
              key,
              name: `${inv.namePrefix}-fwd-${pattern.key}`,
              state: pattern.state,
              pattern: pattern.pattern,
            },
          );
        }
      },
    );

    it.each(memberCases)('%s: one target per rule, to the central bus', (_l, org, id) => {
      const inv = org.config.inventory;
      const targets = plannedOfType(checkOf(org, stackIds.member(id)), 'aws_cloudwatch_event_target');
      expect(sorted(targets.map((t) => String(t.index)))).toEqual(sorted(placements(inv, id).map((p) => p.key)));
      expect(new Set(targets.map((t) => valuesOf(t)['arn']))).toEqual(new Set([centralBusArn(inv)]));
    });

    it.each(memberCases)(
      '%s: the forwarder, heartbeat and read-only roles, plus remediation and undo outside the management account, each with one policy',
      (_l, org, id) => {
        const inv = org.config.inventory;
        const check = checkOf(org, stackIds.member(id));
        const changeRoles = id !== inv.managementAccountId || inv.remediateManagementAccount === true;
        const names = [
          forwarderRoleName(inv),
          heartbeatRoleName(inv),
          readOnlyRoleName(inv),
          ...(changeRoles ? [remediationRoleName(inv), remediationUndoRoleName(inv)] : []),
        ];
        expect(sorted(plannedOfType(check, 'aws_iam_role').map((r) => valuesOf(r)['name']))).toEqual(sorted(names));
        expect(plannedOfType(check, 'aws_iam_role_policy')).toHaveLength(names.length);
      },
    );
  });

  describe.each(orgs.map((o) => [o.label, o] as const))('the %s security stack', (_label, org) => {
    const inv = org.config.inventory;
    const check = () => checkOf(org, stackIds.security);
    // The generated org turns findings on (scripts/terraform/orgs.ts), the example org leaves them off.
    const findings = org.config.alerting.findings;
    const findingsOn = findings?.securityHub === true || streamEnabled(findings);
    const fns = Object.values(functionNames(inv)).filter((f) => findingsOn || f !== functionNames(inv).findings);
    const onBus = (type: string) =>
      plannedOfType(check(), type).filter((r) => valuesOf(r)['event_bus_name'] === centralBusName(inv));

    it('plans the central bus with one rule and one target per catalog detection', () => {
      const rules = centralRules(CATALOG, inv.namePrefix).map((r) => r.name);
      expect(plannedOfType(check(), 'aws_cloudwatch_event_bus').map((b) => valuesOf(b)['name'])).toEqual([
        centralBusName(inv),
      ]);
      expect(sorted(onBus('aws_cloudwatch_event_rule').map((r) => valuesOf(r)['name']))).toEqual(sorted(rules));
      expect(sorted(onBus('aws_cloudwatch_event_target').map((t) => valuesOf(t)['rule']))).toEqual(sorted(rules));
    });

    it('plans every function with its own role', () => {
      expect(sorted(plannedOfType(check(), 'aws_lambda_function').map((f) => valuesOf(f)['function_name']))).toEqual(
        sorted(fns),
      );
      // The findings stream's delivery role is Firehose's, not a function's.
      const streamRole = streamEnabled(findings) ? [findingsNames(inv).firehoseRole] : [];
      expect(sorted(plannedOfType(check(), 'aws_iam_role').map((r) => valuesOf(r)['name']))).toEqual(
        sorted([...fns, ...streamRole]),
      );
    });

    it('plans the findings queue (FIFO), its DLQ and the findings function when findings are on, nothing of it when off', () => {
      const queues = plannedOfType(check(), 'aws_sqs_queue').map((q) => valuesOf(q));
      const fifo = queues.filter((q) => q['fifo_queue'] === true).map((q) => q['name']);
      expect(sorted(fifo)).toEqual(
        findingsOn ? sorted([queueNames(inv).findings, deadLetterQueueName(queueNames(inv).findings)]) : [],
      );
      expect(plannedOfType(check(), 'aws_kinesis_firehose_delivery_stream').map((s) => valuesOf(s)['name'])).toEqual(
        streamEnabled(findings) ? [findingsNames(inv).stream] : [],
      );
    });

    it('plans an error alarm per function, a not-empty alarm per dead-letter queue (one per work queue and per scheduled target) the triage-dropped-invalid, malformed-approval-records, coverage and sweep alarms', () => {
      const queues = plannedOfType(check(), 'aws_sqs_queue').map((q) => String(valuesOf(q)['name']));
      const dlqs = queues.filter((q) => q.endsWith('-dlq') || q.endsWith('-dlq.fifo'));
      // Scheduled targets (the daily digest) keep what they could not deliver in a queue of their own.
      const resources = check().synthesized['resource'];
      const queueName = (ref: string) =>
        String(resources['aws_sqs_queue'][/aws_sqs_queue\.([\w-]+)\.arn/.exec(ref)![1]!]['name']);
      const scheduleDlqs = Object.values<Record<string, any>>(resources['aws_cloudwatch_event_target'])
        .filter((t) => t['event_bus_name'] === undefined && t['dead_letter_config'])
        .map((t) => queueName(t['dead_letter_config']['arn']));
      expect(sorted(dlqs)).toEqual(
        sorted([...queues.filter((q) => !dlqs.includes(q)).map(deadLetterQueueName), ...scheduleDlqs]),
      );
      expect(
        sorted(plannedOfType(check(), 'aws_cloudwatch_metric_alarm').map((a) => valuesOf(a)['alarm_name'])),
      ).toEqual(
        sorted([
          ...fns.map((f) => `${f}-errors`),
          ...dlqs.map((q) => `${q}-not-empty`),
          `${inv.namePrefix}-triage-dropped-invalid`,
          `${inv.namePrefix}-malformed-approval-records`,
          // Proof of coverage: the checker has not run, and cells went silent.
          `${inv.namePrefix}-coverage-not-running`,
          `${inv.namePrefix}-coverage-silent-cells`,
          // The trail-log sweep: a growing backlog, late findings of high or critical severity, digest failures.
          `${inv.namePrefix}-sweep-backlog`,
          `${inv.namePrefix}-sweep-late-critical`,
          `${inv.namePrefix}-sweep-late-high`,
          `${inv.namePrefix}-trail-digest-failures`,
          // Findings: not enqueued by triage, a backlog on the findings queue, a failing stream delivery.
          ...(findingsOn ? [`${inv.namePrefix}-findings-export-failed`, `${inv.namePrefix}-findings-backlog`] : []),
          ...(streamEnabled(findings) ? [`${findingsNames(inv).stream}-delivery-failing`] : []),
        ]),
      );
    });

    it('plans exactly the tables the functions are granted', () => {
      const granted = new Set<string>();
      for (const policy of Object.values<Record<string, any>>(check().synthesized['resource']['aws_iam_role_policy'])) {
        for (const m of String(policy['policy']).matchAll(/:table\/([\w.-]+?)(?:\/|")/g)) granted.add(m[1]!);
      }
      expect(sorted(plannedOfType(check(), 'aws_dynamodb_table').map((t) => valuesOf(t)['name']))).toEqual(
        sorted(granted),
      );
    });
  });

  describe.each(orgs.map((o) => [o.label, o] as const))('the %s governance stacks', (_label, org) => {
    const inv = org.config.inventory;

    it('plans the organization trail and one attachment per guardrail SCP part and configured target', () => {
      const check = checkOf(org, stackIds.orgTrail);
      expect(plannedOfType(check, 'aws_cloudtrail').map((t) => valuesOf(t))).toEqual([
        expect.objectContaining({
          name: trailName(inv),
          s3_bucket_name: trailBucketName(inv),
          is_organization_trail: true,
          is_multi_region_trail: true,
        }),
      ]);
      const parts = plannedOfType(check, 'aws_organizations_policy');
      expect(parts.length).toBeGreaterThanOrEqual(1);
      expect(
        sorted(plannedOfType(check, 'aws_organizations_policy_attachment').map((a) => valuesOf(a)['target_id'])),
      ).toEqual(sorted(parts.flatMap(() => inv.scpTargets)));
    });

    it('plans the trail bucket in the log-archive stack', () => {
      expect(
        plannedOfType(checkOf(org, stackIds.logArchive), 'aws_s3_bucket').map((b) => valuesOf(b)['bucket']),
      ).toEqual([trailBucketName(inv)]);
    });
  });

  describe('a deliberately broken stack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tf-broken-'));
    let results: Map<string, StackCheck>;
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** Variants of a generated member stack, each with one mistake. */
    const breakages: Record<string, (s: StackJson) => void> = {
      'bad-attribute': (s) => {
        firstBlock(s, 'aws_cloudwatch_event_rule')['bogus_attribute'] = 'x';
      },
      'invalid-reference': (s) => {
        firstBlock(s, 'aws_cloudwatch_event_rule')['description'] = '${local.missing}';
      },
      'invalid-event-pattern': (s) => {
        patternsLocal(s)['root'] = '{"detail": [';
      },
      'rule-name-too-long': (s) => {
        for (const p of Object.values<Record<string, any>>(firstBlock(s, 'aws_cloudwatch_event_rule')['for_each'])) {
          p['name'] = `vigil-fwd-${'x'.repeat(60)}`;
        }
      },
      'deprecated-argument': (s) => {
        firstBlock(s, 'aws_iam_role')['managed_policy_arns'] = [];
      },
      'target-left-in-provider-region': (s) => {
        delete firstBlock(s, 'aws_cloudwatch_event_target')['region'];
      },
      'pattern-aws-would-reject': (s) => {
        patternsLocal(s)['root'] = '{"source": "aws.ec2", "detail": {"x": [{"no-such-operator": 1}]}}';
      },
    };

    beforeAll(async () => {
      const base = checkOf(orgs[1]!, stackIds.member(orgs[1]!.config.inventory.accounts[0]!.id)).synthesized;
      const sources = Object.entries(breakages).map(([id, breakIt]) => {
        const stack = structuredClone(base);
        breakIt(stack);
        mkdirSync(join(dir, id));
        writeFileSync(join(dir, id, 'cdk.tf.json'), JSON.stringify(stack));
        return { org: 'broken', id, dir: join(dir, id) };
      });
      const checks = await checkStacks(sources, { toolchain: tc });
      results = new Map(checks.map((c) => [c.source.id, c]));
    }, SLOW);

    it.each([
      [
        'bad-attribute',
        /^validate: error: Extraneous JSON object property: No argument or block type is named "bogus_attribute"/,
      ],
      [
        'invalid-reference',
        /^validate: error: Reference to undeclared local value: A local value with the name "missing"/,
      ],
      ['invalid-event-pattern', /^plan: error: "event_pattern" contains an invalid JSON/],
      ['rule-name-too-long', /^plan: error: "name" cannot be longer than 64 characters/],
      ['deprecated-argument', /^validate: warning: Argument is deprecated: managed_policy_arns is deprecated/],
      ['target-left-in-provider-region', /^aws_cloudwatch_event_target\.\S+: regional resource without `region`/],
    ])('fails the check for %s, with the message', (id, message) => {
      expect(results.get(id)!.problems).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
    });

    it('cannot catch an event pattern that is valid JSON but invalid for EventBridge (the provider checks syntax and length only; rules/pattern-check.ts checks the rest at synth)', () => {
      expect(results.get('pattern-aws-would-reject')!.problems).toEqual([]);
    });
  });

  describe('npm run deploy -- --plan --offline-check', () => {
    const org = orgs[1]!;
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tf-deploy-'));
    const lines: string[] = [];
    let code: number;
    /** deploy's own temporary folder goes here (TMPDIR), so the test sees exactly what it leaves. */
    const scratch = mkdtempSync(join(tmpdir(), 'vigil-tf-deploy-scratch-'));
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    });

    beforeAll(async () => {
      synthOrg(org, dir);
      code = await deploy(['--plan', '--offline-check', '--dir', dir], {
        out: (l) => lines.push(l),
        env: { ...process.env, TMPDIR: scratch },
        ask: () => Promise.reject(new Error('--plan never asks')),
      });
    }, SLOW);

    it('plans every stack with the real binary in dependency order: security, log-archive, org-trail, members (bootstrap is applied alone)', () => {
      const members = org.config.inventory.accounts.map((a) => stackIds.member(a.id)).sort();
      expect(code).toBe(0);
      expect(lines).toContainEqual(expect.stringMatching(/^not included: bootstrap: .*--stacks bootstrap/));
      expect(lines.filter((l) => l.startsWith('step '))).toEqual([
        'step 1/4: security',
        'step 2/4: log-archive',
        'step 3/4: org-trail',
        `step 4/4: ${members.join(', ')}`,
      ]);
    });

    it("summarizes each stack's planned changes, as tf:check planned them", () => {
      for (const id of [
        stackIds.logArchive,
        stackIds.orgTrail,
        stackIds.security,
        stackIds.member(org.config.inventory.accounts[0]!.id),
      ]) {
        const add = checkOf(org, id).plan!.summary!.add;
        expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${id} +planned +${add} +0 +0 `)));
      }
    });

    it('removes its temporary copies', () => {
      expect(readdirSync(scratch)).toEqual([]);
    });
  });
}

/** The first block of a resource type in a stack. */
function firstBlock(stack: StackJson, type: string): Record<string, any> {
  return Object.values<Record<string, any>>(stack['resource'][type])[0]!;
}

/** The member stack's local holding the forwarding patterns by key. */
function patternsLocal(stack: StackJson): Record<string, string> {
  return Object.values<Record<string, string>>(stack['locals'])[0]!;
}

// Registered last: the suites use the constants and helpers above.
if (toolchain) {
  terraformSuites(toolchain);
} else {
  console.warn(
    `Terraform plan suites NOT run: ${toolchainProblems().join('; ')}. They run wherever terraform and the mirror exist (CI fails without them).`,
  );
}
