import { readRemediateSettings as remediateEntrypointReader } from '../../../handlers/entrypoints/remediate';
import {
  APPROVAL_TIMEOUTS_ENV,
  environmentOf as timeoutsEnvironment,
  readSweeperSettings,
  type SweeperSettings,
} from '../../../handlers/functions/approval-timeouts/spec';
import {
  APPROVE_ENV,
  type ApproveEnvironment,
  environmentOf as approveEnvironment,
  readApproveEnvironment,
} from '../../../handlers/functions/approve/spec';
import {
  environmentOf as memberEnvironment,
  REMEDIATE_MEMBER_ENV,
  type RemediateMemberEnvironment,
  readRemediateMemberEnvironment,
} from '../../../handlers/functions/remediate-member/spec';
import {
  environmentOf as remediateEnvironment,
  REMEDIATE_ENV,
  type RemediateEnvironment,
  readRemediateEnvironment,
  readRemediateSettings,
} from '../../../handlers/functions/remediate/spec';
import {
  environmentOf as triageEnvironment,
  readTriageEnvironment,
  TRIAGE_ENV,
  type TriageEnvironment,
} from '../../../handlers/functions/triage/spec';

/** The message of what `read` throws (it must throw a ConfigurationError). */
function problemsOf(read: () => unknown): string {
  let error: unknown;
  try {
    read();
  } catch (err) {
    error = err;
  }
  expect(error).toMatchObject({ name: 'ConfigurationError' });
  return (error as Error).message;
}

const TRIAGE_FULL: TriageEnvironment = {
  tableName: 'vigil-triage-state',
  defaultRouting: {
    slackChannel: '#security-alerts',
    slackWebhookRef: 'secretsmanager:vigil/slack/security',
    slackBotTokenRef: 'secretsmanager:vigil/slack/bot',
    slackChannelId: 'C0123ABCD',
    pagerdutyRoutingKeyRef: 'ssm:/vigil/pagerduty',
    emailTopicArn: 'arn:aws:sns:eu-west-1:110000000003:vigil-alerts',
  },
  pagerDutyMinSeverity: 'critical',
  ownerRouting: { 'payments-team': { slackChannel: '#pay', slackWebhookRef: 'ssm:/vigil/slack/pay' } },
  ownerRoutingFile: 'owner-routing.json',
  inventoryFile: '/opt/inventory.json',
  repeatWindowSeconds: 600,
  eventDedupeSeconds: 172_800,
  leaseSeconds: 120,
  remediationQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/110000000003/vigil-remediation',
};
const TRIAGE_MINIMAL: TriageEnvironment = {
  tableName: 'vigil-triage-state',
  defaultRouting: { emailTopicArn: 'arn:aws:sns:eu-west-1:110000000003:vigil-alerts' },
};

const APPROVE_FULL: ApproveEnvironment = {
  tableName: 'vigil-approvals',
  auditTable: 'vigil-remediation-audit',
  workQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/110000000003/vigil-remediation',
  slackSigningSecretRef: 'secretsmanager:vigil/slack-app#signingSecret',
  linkKeyRef: 'ssm:/vigil/approval/link-key',
  remediationConfigFile: '/opt/remediation.json',
};
const { linkKeyRef: _l, remediationConfigFile: _r, ...APPROVE_MINIMAL } = APPROVE_FULL;

const TIMEOUTS: SweeperSettings = {
  tableName: 'vigil-approvals',
  auditTable: 'vigil-remediation-audit',
  workQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/110000000003/vigil-remediation',
  escalationRoutingKeyRef: 'ssm:/vigil/pagerduty/security-oncall',
};

const MEMBER_FULL: RemediateMemberEnvironment = {
  namePrefix: 'vigil',
  memberRequestKeyArn: 'arn:aws:kms:eu-west-1:110000000003:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  inventoryFile: '/opt/inventory.json',
};
const { inventoryFile: _i, ...MEMBER_MINIMAL } = MEMBER_FULL;

const REMEDIATE_FULL: RemediateEnvironment = {
  stateTable: 'vigil-remediation-state',
  auditTable: 'vigil-remediation-audit',
  approvalTable: 'vigil-approvals',
  centralBusArn: 'arn:aws:events:eu-west-1:110000000003:event-bus/vigil-security',
  deployRoleName: 'vigil-deploy',
  configFile: '/opt/remediation.json',
  inventoryFile: '/opt/inventory.json',
  alertRoutingFile: '/opt/alert-routing.json',
  killSwitchParameter: '/vigil/kill-switch',
  dryRun: true,
  approvalSlackWebhookRef: 'secretsmanager:vigil/slack/approvals',
  escalationRoutingKeyRef: 'ssm:/vigil/pagerduty/security-oncall',
  memberFunctionName: 'vigil-remediate-member',
  memberRequestKeyArn: MEMBER_FULL.memberRequestKeyArn,
  approvalLinkKeyRef: 'secretsmanager:vigil/approvals/link-key',
  approvalEmailFrom: 'vigil-approvals@example.com',
  approvalBaseUrl: 'https://abc.lambda-url.eu-west-1.on.aws/',
};
const REMEDIATE_MINIMAL: RemediateEnvironment = {
  stateTable: REMEDIATE_FULL.stateTable,
  auditTable: REMEDIATE_FULL.auditTable,
  approvalTable: REMEDIATE_FULL.approvalTable,
  centralBusArn: REMEDIATE_FULL.centralBusArn,
  deployRoleName: REMEDIATE_FULL.deployRoleName,
};

describe.each([
  {
    name: 'triage',
    names: TRIAGE_ENV,
    write: triageEnvironment,
    read: readTriageEnvironment,
    full: TRIAGE_FULL,
    minimal: TRIAGE_MINIMAL,
  },
  {
    name: 'approve',
    names: APPROVE_ENV,
    write: approveEnvironment,
    read: readApproveEnvironment,
    full: APPROVE_FULL,
    minimal: APPROVE_MINIMAL,
  },
  {
    name: 'approval-timeouts',
    names: APPROVAL_TIMEOUTS_ENV,
    write: timeoutsEnvironment,
    read: readSweeperSettings,
    full: TIMEOUTS,
    minimal: TIMEOUTS,
  },
  {
    name: 'remediate-member',
    names: REMEDIATE_MEMBER_ENV,
    write: memberEnvironment,
    read: readRemediateMemberEnvironment,
    full: MEMBER_FULL,
    minimal: MEMBER_MINIMAL,
  },
  {
    name: 'remediate',
    names: REMEDIATE_ENV,
    write: remediateEnvironment,
    read: readRemediateEnvironment,
    full: REMEDIATE_FULL,
    minimal: REMEDIATE_MINIMAL,
  },
] as const)('the $name spec', ({ names, write, read, full, minimal }) => {
  const writeAny = write as (x: unknown) => Record<string, string>;
  const readAny = read as (env: Record<string, string | undefined>) => unknown;

  it('reads back what environmentOf writes, with every variable set', () => {
    const env = writeAny(full);
    expect(readAny(env)).toEqual(full);
    // Every variable of the spec is written, and nothing else.
    expect(Object.keys(env).sort()).toEqual([...new Set(Object.values(names))].sort());
  });

  it('reads back what environmentOf writes, with only the required variables', () => {
    expect(readAny(writeAny(minimal))).toEqual(minimal);
  });

  it('names every missing required variable at once', () => {
    const required = Object.keys(writeAny(minimal)).filter((n) => !/^(EMAIL_TOPIC_ARN)$/.test(n));
    const message = problemsOf(() => readAny({}));
    for (const variable of required) expect(message).toContain(`${variable}: required`);
  });
});

describe('problems of invalid values', () => {
  it('triage: lists every invalid variable', () => {
    const message = problemsOf(() =>
      readTriageEnvironment({
        ...triageEnvironment(TRIAGE_MINIMAL),
        SLACK_WEBHOOK_REF: 'https://hooks.slack.com/services/T000/B000/XXXX',
        PAGERDUTY_MIN_SEVERITY: 'urgent',
        REPEAT_WINDOW_SECONDS: '-1',
        EVENT_DEDUPE_SECONDS: '59',
        DEDUPE_LEASE_SECONDS: '1.5',
        OWNER_ROUTING: '[',
      }),
    );
    expect(message).toMatch(/has 6 problem\(s\)/);
    for (const part of [
      'SLACK_WEBHOOK_REF: not a secret reference',
      "PAGERDUTY_MIN_SEVERITY: expected one of info | low | medium | high | critical, got 'urgent'",
      "REPEAT_WINDOW_SECONDS: expected a whole number ≥ 0, got '-1'",
      "EVENT_DEDUPE_SECONDS: expected a whole number ≥ 60, got '59'",
      "DEDUPE_LEASE_SECONDS: expected a whole number ≥ 1, got '1.5'",
      'OWNER_ROUTING: not JSON',
    ]) {
      expect(message).toContain(part);
    }
    expect(message).not.toContain('hooks.slack.com');
  });

  it('remediate-member: names the bad prefix and key ARN', () => {
    const message = problemsOf(() =>
      readRemediateMemberEnvironment({ NAME_PREFIX: 'Vigil', MEMBER_REQUEST_KEY_ARN: 'key' }),
    );
    expect(message).toMatch(/2 problem\(s\)/);
    expect(message).toContain(
      "NAME_PREFIX: expected lower-case letters, digits and '-', starting with a letter, got 'Vigil'",
    );
    expect(message).toContain('MEMBER_REQUEST_KEY_ARN: expected a KMS key ARN');
  });

  it('approval-timeouts: a plain routing key is refused without repeating it', () => {
    const message = problemsOf(() =>
      readSweeperSettings({
        ...timeoutsEnvironment(TIMEOUTS),
        ESCALATION_PAGERDUTY_ROUTING_KEY_REF: 'R0UTINGKEY00000',
      }),
    );
    expect(message).toMatch(/1 problem\(s\)[\s\S]*ESCALATION_PAGERDUTY_ROUTING_KEY_REF: not a secret reference/);
    expect(message).not.toContain('R0UTINGKEY00000');
  });
});

describe('the remediate spec replaces remediate.ts readRemediateSettings', () => {
  const cases: Record<string, Record<string, string>> = {
    full: remediateEnvironment(REMEDIATE_FULL),
    minimal: remediateEnvironment(REMEDIATE_MINIMAL),
    'dry run off': { ...remediateEnvironment(REMEDIATE_MINIMAL), DRY_RUN: 'false' },
    broken: { DRY_RUN: 'maybe', ESCALATION_PAGERDUTY_ROUTING_KEY_REF: 'https://x' },
    'bad links': {
      ...remediateEnvironment(REMEDIATE_MINIMAL),
      APPROVAL_EMAIL_FROM: 'vigil',
      APPROVAL_BASE_URL: 'http://abc.example',
      APPROVAL_LINK_KEY_REF: 'k',
    },
  };
  const outcome = (read: () => unknown) => {
    try {
      return { value: read() };
    } catch (err) {
      return { error: (err as Error).message };
    }
  };

  it.each(Object.keys(cases))('gives the same settings or the same problems: %s', (name) => {
    const env = cases[name]!;
    expect(outcome(() => readRemediateSettings(env, '/var/task'))).toEqual(
      outcome(() => remediateEntrypointReader(env, '/var/task')),
    );
  });
});
