/**
 * One spec per function: the stack writes each function's environment from the spec, and the function
 * reads it back through the same spec. These tests feed the environment the security stack actually
 * synthesizes (three configurations) to each reader, check the inverse property on the specs
 * themselves, and that a reader lists every problem at once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from '../../../framework/cdktf';
import type { AlertingConfig } from '../../../config/alerting';
import { functionNames } from '../../../config/naming';
import { ConfigurationError } from '../../../handlers/errors';
import {
  approvalTimeoutsEnvironment,
  readApprovalTimeoutsSettings,
} from '../../../handlers/functions/approval-timeouts/spec';
import { approveEnvironment, readApproveSettings } from '../../../handlers/functions/approve/spec';
import { coverageEnvironment, readCoverageSettings } from '../../../handlers/functions/coverage/spec';
import { digestEnvironment, readDigestSettings } from '../../../handlers/functions/digest/spec';
import { readRemediateSettings, remediateEnvironment } from '../../../handlers/functions/remediate/spec';
import {
  readRemediateMemberSettings,
  remediateMemberEnvironment,
} from '../../../handlers/functions/remediate-member/spec';
import {
  findingsEnvironment,
  findingsQueueEnvironment,
  readFindingsQueueUrl,
  readFindingsSettings,
} from '../../../handlers/functions/findings';
import { readTriageSettings, triageEnvironment } from '../../../handlers/functions/triage/spec';
import { CATALOG } from '../../../rules/catalog';
import { SecurityStack } from '../../../stacks/security-stack';
import { TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../../fixtures/inventory';
import { resourcesOfType, synthJson } from '../../helpers/synth';

const FULL_ALERTING: AlertingConfig = {
  ...TEST_ALERTING,
  default: {
    ...TEST_ALERTING.default,
    slackBotTokenRef: 'ssm:/vigil/slack/bot',
    slackChannelId: 'C0123ABCD',
  },
  approvals: {
    slackWebhookRef: 'secretsmanager:vigil/slack/approvals',
    slackSigningSecretRef: 'secretsmanager:vigil/slack/app#signingSecret',
    linkKeyRef: 'secretsmanager:vigil/approvals/link-key',
    escalationRoutingKeyRef: 'ssm:/vigil/pagerduty/escalation',
    emailFrom: 'vigil-approvals@example.com',
  },
  findings: { securityHub: true, stream: { enabled: true } },
};
const NOTIFY_ONLY: AlertingConfig = { default: { emailTopicArn: undefined, emails: ['secops@example.com'] } } as any;

/**
 * Values Terraform fills in at apply time, by the attribute referenced: what AWS would put there. A
 * reference to anything else fails the test (add it here, with a realistic value).
 */
const APPLY_TIME: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\$\{aws_lambda_function_url\.[\w-]+\.function_url\}$/, 'https://abcdefghij.lambda-url.eu-west-1.on.aws/'],
  [/^\$\{aws_kms_key\.[\w-]+\.arn\}$/, 'arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
];

function resolved(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => {
      if (!value.includes('${')) return [name, value];
      const known = APPLY_TIME.find(([pattern]) => pattern.test(value));
      if (!known) throw new Error(`${name}: unknown Terraform reference ${value}`);
      return [name, known[1]];
    }),
  );
}

/** Each function's environment as the security stack synthesizes it (references resolved), by function name. */
function synthesizedEnvironments(alerting: AlertingConfig): Map<string, Record<string, string>> {
  const stack = new SecurityStack(Testing.app(), 'security', {
    inventory: TEST_INVENTORY,
    catalog: CATALOG,
    alerting,
    remediation: TEST_REMEDIATION,
  });
  const functions = resourcesOfType(synthJson(stack), 'aws_lambda_function');
  return new Map(functions.map((f) => [f['function_name'] as string, resolved(f['environment']?.['variables'] ?? {})]));
}

/** A folder holding the files the stack bundles next to index.js. */
function bundleDir(alerting: AlertingConfig): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-spec-'));
  writeFileSync(join(dir, 'owner-routing.json'), JSON.stringify(alerting.owners ?? {}));
  return dir;
}

describe.each([
  ['every optional setting', FULL_ALERTING],
  ['the test alerting config', TEST_ALERTING],
  ['email only, no approvals', NOTIFY_ONLY],
])('the synthesized environment with %s', (_label, alerting) => {
  const names = functionNames(TEST_INVENTORY);
  const envs = synthesizedEnvironments(alerting);
  const dir = bundleDir(alerting);

  const findingsOn = alerting.findings !== undefined;
  /** The findings queue's variable, which the stack adds to a producer's own spec when findings are on. */
  const queueEnv = (fn: string) => {
    const url = readFindingsQueueUrl(envs.get(fn)!, fn);
    return url === undefined ? {} : findingsQueueEnvironment(url);
  };

  it('has one environment per function, and every one is read without a problem', () => {
    // The findings function exists only when findings are on.
    expect([...envs.keys()].sort()).toEqual(
      Object.values(names)
        .filter((n) => findingsOn || n !== names.findings)
        .sort(),
    );
    for (const fn of [names.triage, names.remediate, names.approve]) {
      expect(readFindingsQueueUrl(envs.get(fn)!, fn)).toBe(
        findingsOn ? 'https://sqs.eu-west-1.amazonaws.com/333333333333/vigil-findings.fifo' : undefined,
      );
    }
    expect(envs.has(names.findings) ? readFindingsSettings(envs.get(names.findings)!, 'findings') : 'off').toEqual(
      findingsOn
        ? { securityHub: { accountId: '333333333333', region: 'eu-west-1' }, streamName: 'vigil-findings' }
        : 'off',
    );
    const read = {
      triage: readTriageSettings(envs.get(names.triage)!, dir),
      remediate: readRemediateSettings(envs.get(names.remediate)!, dir),
      remediateMember: readRemediateMemberSettings(envs.get(names.remediateMember)!),
      approve: readApproveSettings(envs.get(names.approve)!, dir),
      approvalTimeouts: readApprovalTimeoutsSettings(envs.get(names.approvalTimeouts)!),
      digest: readDigestSettings(envs.get(names.digest)!, dir),
      coverage: readCoverageSettings(envs.get(names.coverage)!, dir),
    };
    expect(read.coverage).toMatchObject({
      tableName: 'vigil-coverage',
      inventoryTable: 'vigil-inventory',
      intervalMinutes: 5,
      leaseSeconds: 360,
    });
    // The coverage function pages (pipeline down) through the default route's PagerDuty, when there is one.
    expect(read.coverage.routing.default.pagerdutyRoutingKeyRef).toBe(alerting.default.pagerdutyRoutingKeyRef);
    expect(read.triage.tableName).toBe('vigil-triage-state');
    // The account view is read at run time from the inventory table, by every function that needs it.
    expect([read.triage, read.remediate, read.remediateMember].map((s) => s.inventoryTable)).toEqual([
      'vigil-inventory',
      'vigil-inventory',
      'vigil-inventory',
    ]);
    expect(read.triage.digestTableName).toBe('vigil-digest');
    expect(read.digest).toMatchObject({ tableName: 'vigil-digest', dayOffset: 1 });
    expect(read.digest.routing.byOwner).toEqual(alerting.owners ?? {});
    expect(read.digest.routing.default.pagerdutyRoutingKeyRef).toBeUndefined();
    expect(read.digest.routing.default.emailTopicArn).toBe('arn:aws:sns:eu-west-1:333333333333:vigil-alerts');
    expect(read.triage.routing.byOwner).toEqual(alerting.owners ?? {});
    // Verdict buttons only where the approve function can verify Slack's clicks.
    expect(read.triage.routing.verdictButtons).toBe(alerting.approvals?.slackSigningSecretRef !== undefined);
    expect(read.remediate.memberFunctionName).toBe(names.remediateMember);
    expect(read.remediateMember.namePrefix).toBe(TEST_INVENTORY.namePrefix);
    expect(read.approve.slackSigningSecretRef).toBe(alerting.approvals?.slackSigningSecretRef);
    expect(read.approvalTimeouts.escalationRoutingKeyRef).toBe(alerting.approvals?.escalationRoutingKeyRef);
  });

  it('writes back exactly what the spec builds from what it read (no variable outside the spec)', () => {
    const t = readTriageSettings(envs.get(names.triage)!, dir);
    expect({
      ...triageEnvironment({
        tableName: t.tableName,
        inventoryTable: t.inventoryTable,
        defaultRouting: t.routing.default,
        ownerRoutingFile: 'owner-routing.json',
        remediationQueueUrl: t.remediationQueueUrl!,
        pagerDutyMinSeverity: t.routing.pagerDutyMinSeverity!,
        repeatWindowSeconds: t.repeatWindowSeconds,
        digestTableName: t.digestTableName!,
        coverageTableName: t.coverageTableName!,
        verdictButtons: t.routing.verdictButtons!,
      }),
      ...queueEnv(names.triage),
    }).toEqual(envs.get(names.triage));
    const d = readDigestSettings(envs.get(names.digest)!, dir);
    expect(
      digestEnvironment({
        tableName: d.tableName,
        defaultRouting: d.routing.default,
        ownerRoutingFile: 'owner-routing.json',
      }),
    ).toEqual(envs.get(names.digest));
    const c = readCoverageSettings(envs.get(names.coverage)!, dir);
    expect(
      coverageEnvironment({
        tableName: c.tableName,
        inventoryTable: c.inventoryTable,
        defaultRouting: c.routing.default,
        ownerRoutingFile: 'owner-routing.json',
        intervalMinutes: c.intervalMinutes,
        leaseSeconds: c.leaseSeconds,
        ...(c.optInRegionsCaller ? { optInRegionsCaller: c.optInRegionsCaller } : {}),
      }),
    ).toEqual(envs.get(names.coverage));
    expect(c.optInRegionsCaller).toMatch(/^\d{12}$/);
    const { configFile, alertRoutingFile, forceDryRun, ...r } = readRemediateSettings(envs.get(names.remediate)!, dir);
    expect({ ...remediateEnvironment(r), ...queueEnv(names.remediate) }).toEqual(envs.get(names.remediate));
    const m = readRemediateMemberSettings(envs.get(names.remediateMember)!);
    expect(remediateMemberEnvironment(m)).toEqual(envs.get(names.remediateMember));
    const { remediationConfigFile, ...a } = readApproveSettings(envs.get(names.approve)!, dir);
    expect({ ...approveEnvironment(a), ...queueEnv(names.approve) }).toEqual(envs.get(names.approve));
    expect(
      envs.has(names.findings) ? findingsEnvironment(readFindingsSettings(envs.get(names.findings)!, 'findings')) : {},
    ).toEqual(envs.get(names.findings) ?? {});
    expect(approvalTimeoutsEnvironment(readApprovalTimeoutsSettings(envs.get(names.approvalTimeouts)!))).toEqual(
      envs.get(names.approvalTimeouts),
    );
    expect([configFile, alertRoutingFile, forceDryRun, remediationConfigFile]).toEqual([
      `${dir}/remediation.json`,
      `${dir}/alert-routing.json`,
      false,
      `${dir}/remediation.json`,
    ]);
  });
});

describe('spec readers', () => {
  const collect = (read: () => unknown): string => {
    try {
      read();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigurationError);
      return (err as Error).message;
    }
    throw new Error('expected a ConfigurationError');
  };

  it('list every problem of an environment at once, each naming its variable', () => {
    expect(
      collect(() => readRemediateMemberSettings({ NAME_PREFIX: 'Vigil!', MEMBER_REQUEST_KEY_ARN: 'arn:aws:kms:x' })),
    ).toBe(
      'remediate-member handler configuration has 3 problem(s):\n' +
        "  - NAME_PREFIX: expected lower-case letters, digits and '-', starting with a letter, got 'Vigil!'\n" +
        '  - MEMBER_REQUEST_KEY_ARN: required (ARN of the KMS HMAC key remediate signs execute requests with), ' +
        "got 'arn:aws:kms:x'\n" +
        '  - INVENTORY_TABLE: required (the inventory table, which holds the account view)',
    );
    expect(
      collect(() =>
        readApproveSettings(
          { APPROVAL_TABLE: 't', SLACK_SIGNING_SECRET_REF: 'hunter2', APPROVAL_LINK_KEY_REF: 'x:y' },
          '/d',
        ),
      ),
    ).toMatch(
      /^approve handler configuration has 4 problem\(s\):\n {2}- REMEDIATION_AUDIT_TABLE: required.*\n {2}- SLACK_SIGNING_SECRET_REF: not a secret reference.*\n {2}- APPROVAL_LINK_KEY_REF: not a secret reference.*\n {2}- APPROVAL_WORK_QUEUE_URL: required/,
    );
    expect(
      collect(() =>
        readTriageSettings(
          { REPEAT_WINDOW_SECONDS: '-1', PAGERDUTY_MIN_SEVERITY: 'urgent', EMAIL_TOPIC_ARN: 'arn' },
          '/d',
        ),
      ),
    ).toMatch(
      /DEDUPE_TABLE: required[\s\S]*PAGERDUTY_MIN_SEVERITY: expected one of[\s\S]*REPEAT_WINDOW_SECONDS: expected a whole number ≥ 0/,
    );
  });

  it('list every problem of the digest environment, and never ask it for PagerDuty', () => {
    expect(
      collect(() =>
        readDigestSettings(
          { DIGEST_DAY_OFFSET: '-1', PAGERDUTY_ROUTING_KEY_REF: 'ssm:/vigil/pd', SLACK_WEBHOOK_REF: 'hunter2' },
          '/d',
        ),
      ),
    ).toMatch(
      /^digest handler configuration has 4 problem\(s\):\n {2}- DIGEST_TABLE: required.*\n {2}- SLACK_WEBHOOK_REF: not a secret reference.*\n {2}- no default channel: set SLACK_WEBHOOK_REF, SLACK_BOT_TOKEN_REF or EMAIL_TOPIC_ARN.*\n {2}- DIGEST_DAY_OFFSET: expected a whole number ≥ 0/,
    );
  });

  it('never repeat a secret given in place of its reference', () => {
    expect(
      collect(() => readApprovalTimeoutsSettings({ ESCALATION_PAGERDUTY_ROUTING_KEY_REF: 'R0ut1ngK3y' })),
    ).not.toContain('R0ut1ngK3y');
  });
});
