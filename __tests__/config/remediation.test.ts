import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  approvalPolicyFor,
  assertValidRemediationConfig,
  isCalendarDate,
  loadRemediationConfig,
  RemediationConfigError,
  remediationConfigProblems,
} from '../../config/remediation';
import { BUNDLED_CONFIG, ORG } from '../helpers/remediation';

/** A deep copy of the bundled config with `edit` applied, for "fails when" tests. */
function configWith(edit: (c: any) => void): any {
  const copy = structuredClone(BUNDLED_CONFIG) as any;
  edit(copy);
  return copy;
}

const problemsOf = (raw: unknown) => remediationConfigProblems(raw, ORG);

describe('remediationConfigProblems', () => {
  it('accepts the bundled config/remediation.json for config/org.json', () => {
    expect(problemsOf(BUNDLED_CONFIG)).toEqual([]);
  });

  it('bundles the phased rollout: auto in sandbox and non-prod, approve in prod, notify for management', () => {
    const modes = BUNDLED_CONFIG.modes;
    expect(modes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ environment: 'sandbox', mode: 'auto' }),
        expect.objectContaining({ environment: 'non-prod', mode: 'auto' }),
        expect.objectContaining({ environment: 'prod', mode: 'approve' }),
        expect.objectContaining({ account: ORG.managementAccountId, mode: 'notify' }),
      ]),
    );
    expect(BUNDLED_CONFIG.exemptions[0]).toEqual(
      expect.objectContaining({ owner: expect.any(String), reason: expect.any(String), expires: expect.any(String) }),
    );
  });

  it('accepts the ids of a handler inventory view as well as the full inventory', () => {
    const ids = { accountIds: ORG.accounts.map((a) => a.id), ouIds: ORG.organizationalUnits.map((o) => o.id) };
    expect(remediationConfigProblems(BUNDLED_CONFIG, ids)).toEqual([]);
  });

  it('reports every problem at once, each with its path', () => {
    const raw = configWith((c) => {
      c.modes[0].mode = 'sometimes';
      c.exemptions[0].owner = '';
      c.circuitBreaker.perAccount = 0;
    });
    expect(problemsOf(raw).map((p) => p.path)).toEqual([
      'circuitBreaker.perAccount',
      'modes[0].mode',
      'exemptions[0].owner',
    ]);
  });

  it.each<[string, (c: any) => void, string, RegExp]>([
    [
      'a mode is not one of off/notify/approve/auto',
      (c) => (c.modes[0].mode = 'yes'),
      'modes[0].mode',
      /off \| notify/,
    ],
    [
      'a mode entry names an unknown detection',
      (c) => (c.modes[3].detections = ['no-such-detection']),
      'modes[3].detections[0]',
      /unknown detection id/,
    ],
    [
      'a mode entry names an account outside the inventory',
      (c) => (c.modes[4].account = '999999999999'),
      'modes[4].account',
      /not in the inventory/,
    ],
    ['a mode entry has a malformed account id', (c) => (c.modes[4].account = '1234'), 'modes[4].account', /12-digit/],
    [
      'a mode entry names an unknown OU',
      (c) => (c.modes[3].ou = 'ou-k3m9-nope0000'),
      'modes[3].ou',
      /not an OU in the inventory/,
    ],
    [
      'a mode entry names an unknown environment',
      (c) => (c.modes[0].environment = 'staging'),
      'modes[0].environment',
      /prod \| non-prod \| sandbox/,
    ],
    [
      'a mode entry has two scopes',
      (c) => (c.modes[0].account = ORG.managementAccountId),
      'modes[0]',
      /at most one of account, ou, environment/,
    ],
    [
      'a detection without remediation is set to auto',
      (c) => c.modes.push({ environment: 'prod', detections: ['iam-user-created'], mode: 'auto' }),
      'modes[5].detections[0]',
      /no remediation action/,
    ],
    [
      'two entries set the same scope',
      (c) => c.modes.push({ environment: 'prod', mode: 'auto' }),
      'modes[5]',
      /conflicts with modes\[2\]/,
    ],
    ['an exemption has no owner', (c) => delete c.exemptions[0].owner, 'exemptions[0].owner', /non-empty owner/],
    [
      'an exemption has a blank reason',
      (c) => (c.exemptions[0].reason = '  '),
      'exemptions[0].reason',
      /non-empty reason/,
    ],
    [
      'an exemption expiry is not a date',
      (c) => (c.exemptions[0].expires = 'next week'),
      'exemptions[0].expires',
      /YYYY-MM-DD/,
    ],
    [
      'an exemption expiry is not a calendar day',
      (c) => (c.exemptions[0].expires = '2027-02-30'),
      'exemptions[0].expires',
      /YYYY-MM-DD/,
    ],
    [
      'an exemption names an unknown detection',
      (c) => (c.exemptions[0].detection = 'typo'),
      'exemptions[0].detection',
      /unknown detection id/,
    ],
    [
      'an exemption names an unknown account',
      (c) => (c.exemptions[0].account = '999999999999'),
      'exemptions[0].account',
      /not in the inventory/,
    ],
    [
      'an exemption matches everything',
      (c) => (c.exemptions = [{ owner: 'x', reason: 'y', expires: '2027-01-01' }]),
      'exemptions[0]',
      /kill switch/,
    ],
    ['an exemption resource is *', (c) => (c.exemptions[0].resource = '*'), 'exemptions[0].resource', /every resource/],
    [
      'the exemption tag key is reserved',
      (c) => (c.exemptionTag.key = 'aws:exempt'),
      'exemptionTag.key',
      /not starting with 'aws:'/,
    ],
    [
      'the exemption tag maxDays is not a whole number',
      (c) => (c.exemptionTag.maxDays = 1.5),
      'exemptionTag.maxDays',
      /whole number/,
    ],
    [
      'nobody can approve',
      (c) => (c.approvers = { slackUserIds: [], emails: [] }),
      'approvers',
      /at least one approver/,
    ],
    [
      'a Slack approver is not a member id',
      (c) => (c.approvers.slackUserIds = ['@alice']),
      'approvers.slackUserIds[0]',
      /Slack member id/,
    ],
    ['an approver email is malformed', (c) => (c.approvers.emails = ['alice']), 'approvers.emails[0]', /email address/],
    [
      'the approval timeout is too long',
      (c) => (c.approval.timeoutMinutes = 20000),
      'approval.timeoutMinutes',
      /1 to 10080/,
    ],
    [
      'the timeout action is unknown',
      (c) => (c.approval.onTimeout = 'ignore'),
      'approval.onTimeout',
      /"escalate" or "act"/,
    ],
    [
      'a per-detection approval names an unknown detection',
      (c) => (c.approval.perDetection = { nope: { timeoutMinutes: 5, onTimeout: 'act' } }),
      'approval.perDetection.nope',
      /unknown detection id/,
    ],
    [
      'an approved admin principal is not an IAM ARN',
      (c) => (c.approvedAdminPrincipals = ['break-glass']),
      'approvedAdminPrincipals[0]',
      /IAM ARN glob/,
    ],
    [
      'the kill switch is not an SSM parameter name',
      (c) => (c.killSwitchParameter = 'kill-switch'),
      'killSwitchParameter',
      /SSM parameter name/,
    ],
    [
      'the org-wide breaker is below the per-account one',
      (c) => (c.circuitBreaker.orgWide = 2),
      'circuitBreaker.orgWide',
      /at least perAccount/,
    ],
    ['dryRun is not a boolean', (c) => (c.dryRun = 'yes'), 'dryRun', /true or false/],
    ['a setting is unknown', (c) => (c.dryrun = true), 'dryrun', /unknown setting/],
  ])('fails when %s', (_case, edit, path, message) => {
    expect(problemsOf(configWith(edit))).toEqual(
      expect.arrayContaining([{ path, message: expect.stringMatching(message) }]),
    );
  });

  it('fails when the file is not an object', () => {
    expect(problemsOf([])).toEqual([{ path: '(root)', message: expect.stringMatching(/JSON object/) }]);
  });
});

describe('assertValidRemediationConfig', () => {
  it('returns a valid config', () => {
    expect(assertValidRemediationConfig(BUNDLED_CONFIG, ORG)).toBe(BUNDLED_CONFIG);
  });

  it('fails when the config has problems, listing each', () => {
    const raw = configWith((c) => {
      c.modes[0].mode = 'yes';
      c.exemptions[0].expires = '31/03/2027';
    });
    expect(() => assertValidRemediationConfig(raw, ORG)).toThrow(RemediationConfigError);
    expect(() => assertValidRemediationConfig(raw, ORG)).toThrow(
      /2 problem\(s\)[\s\S]*modes\[0\]\.mode[\s\S]*exemptions\[0\]\.expires/,
    );
  });
});

describe('loadRemediationConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-remediation-config-'));

  it('reads and validates a file', () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify(BUNDLED_CONFIG));
    expect(loadRemediationConfig(file, ORG).killSwitchParameter).toBe('/vigil/remediation/kill-switch');
  });

  it('fails when the file is not JSON', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ "dryRun": ');
    expect(() => loadRemediationConfig(file, ORG)).toThrow(/bad\.json has 1 problem[\s\S]*cannot read it/);
  });
});

describe('approvalPolicyFor', () => {
  it('uses the per-detection override when there is one, else the default', () => {
    expect(approvalPolicyFor(BUNDLED_CONFIG, 'cloudtrail-logging-stopped')).toEqual({
      timeoutMinutes: 15,
      onTimeout: 'act',
    });
    expect(approvalPolicyFor(BUNDLED_CONFIG, 'iam-admin-policy-attached')).toEqual({
      timeoutMinutes: 60,
      onTimeout: 'escalate',
    });
  });
});

describe('isCalendarDate', () => {
  it.each([
    ['2027-03-31', true],
    ['2028-02-29', true],
    ['2027-02-29', false],
    ['2027-3-31', false],
    [20270331, false],
  ])('%s → %s', (value, expected) => {
    expect(isCalendarDate(value)).toBe(expected);
  });
});
