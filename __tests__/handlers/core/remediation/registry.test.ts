import {
  iamActionFor,
  REMEDIATIONS,
  remediationFor,
  remediationIamActions,
  remediationReadIamActions,
  remediationUndoIamActions,
} from '../../../../handlers/core/remediation/registry';
import type { PlannedCall, RemediationActionDef } from '../../../../handlers/core/remediation/types';
import { CATALOG } from '../../../../rules/catalog';
import type { RemediationId } from '../../../../rules/types';
import { loadRemediationEvent } from '../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from './helpers';
import { SCENARIOS } from './scenarios';

const ALL_IDS = [
  'revoke-world-open-ingress',
  'restore-bucket-public-access-block',
  'restore-account-public-access-block',
  'revert-policy-version',
  'detach-admin-policy',
  'restart-trail-logging',
  'restore-forwarding-rule',
  'cancel-key-deletion',
  'restart-config-recorder',
  'recreate-config-recorder-or-channel',
  'remove-public-bucket-policy-statements',
  'remove-public-bucket-acl-grants',
  'delete-admin-inline-policy',
  'remove-user-from-admin-group',
  'deactivate-access-key',
  'enable-disabled-key',
  'enable-guardduty-detector',
  'recreate-guardduty-detector',
  'restore-event-selectors',
  'restore-trail-settings',
  'delete-world-open-nacl-entry',
  'delete-login-profile',
  'remove-bus-policy-statement',
  'remove-foreign-launch-permissions',
  'remove-foreign-snapshot-permissions',
  'remove-foreign-db-snapshot-access',
] as const satisfies readonly RemediationId[];
// Fails to compile when RemediationId gains a member this list (and so this test) does not know.
const exhaustive: Exclude<RemediationId, (typeof ALL_IDS)[number]> extends never ? true : never = true;

// The orchestrator takes the registry as a plain record of definitions: this must keep compiling.
const asRecord: Readonly<Record<RemediationId, RemediationActionDef>> = REMEDIATIONS;

const IAM_ACTION = /^[a-z0-9-]+:[A-Z][A-Za-z]+$/;

/** Every call a scenario leads to, by kind. */
const callsOf = (scenarioIndex: number) => {
  const sc = SCENARIOS[scenarioIndex]!;
  const def = remediationFor(sc.action);
  const target = targetOrFail(def.target(loadRemediationEvent(sc.fixture), sc.ctx));
  const plan = actOrFail(def.plan(target, sc.before));
  // Facts verify learns after the change (a created resource's id) reach undo with the snapshot.
  const undo = def.undo(stored({ ...plan.snapshot, ...(sc.undoFacts ?? {}) }));
  return { def, reads: def.stateReads(target), plan: plan.calls, undo };
};
const ALL = SCENARIOS.map((_, i) => callsOf(i));

describe('remediation registry', () => {
  it('defines every RemediationId, under its own id', () => {
    expect(exhaustive).toBe(true);
    expect(asRecord).toBe(REMEDIATIONS);
    expect(Object.keys(REMEDIATIONS).sort()).toEqual([...ALL_IDS].sort());
    for (const [id, def] of Object.entries(REMEDIATIONS)) expect(def.id).toBe(id);
  });

  it('defines every remediation the catalog names', () => {
    const used = CATALOG.flatMap((d) => (d.remediation ? [d.remediation.action] : []));

    expect(used.length).toBeGreaterThan(0);
    for (const id of used) expect(REMEDIATIONS).toHaveProperty(id);
  });

  it.each(ALL_IDS)('%s declares at least one IAM action of each kind (undo: or why none), all well-formed', (id) => {
    const def = REMEDIATIONS[id] as RemediationActionDef;

    expect(def.iamActions.length).toBeGreaterThanOrEqual(1);
    expect(def.readIamActions.length).toBeGreaterThanOrEqual(1);
    // An action that cannot be undone says why, and then declares no undo action (and runs only with approval).
    expect(def.undoIamActions.length === 0).toBe(def.undoNotPossible !== undefined);
    if (def.undoNotPossible !== undefined) expect(def.approvalOnly).toEqual(expect.any(String));
    for (const a of [...def.iamActions, ...def.readIamActions, ...def.undoIamActions]) expect(a).toMatch(IAM_ACTION);
  });

  it('has a scenario that needs fixing for every action', () => {
    expect(new Set(SCENARIOS.map((s) => s.action))).toEqual(new Set(ALL_IDS));
  });

  it.each(SCENARIOS.map((s, i) => [s.action, s.name, i] as const))(
    '%s (%s): every planned call needs an action it declares',
    (_action, _name, i) => {
      const { def, reads, plan, undo } = ALL[i]!;
      const needs = (calls: readonly PlannedCall[]) => calls.map(iamActionFor);

      expect(def.iamActions).toEqual(expect.arrayContaining(needs(plan)));
      expect(def.undoIamActions).toEqual(expect.arrayContaining(needs(undo)));
      expect(def.readIamActions).toEqual(expect.arrayContaining(needs(reads)));
    },
  );

  it('declares no mutating action that no scenario uses (least privilege), iam:PassRole aside', () => {
    const used = new Set(ALL.flatMap((c) => [...c.plan, ...c.undo].map(iamActionFor)));
    const declared = Object.values(REMEDIATIONS).flatMap((d) => [
      ...(d as RemediationActionDef).iamActions,
      ...(d as RemediationActionDef).undoIamActions,
    ]);

    expect(declared.filter((a) => a !== 'iam:PassRole' && !used.has(a))).toEqual([]);
  });

  it('declares iam:PassRole where a call hands a role to AWS (PutTargets with RoleArn)', () => {
    for (const { def, plan, undo } of ALL) {
      if (plan.some((c) => c.operation === 'PutTargets')) expect(def.iamActions).toContain('iam:PassRole');
      if (undo.some((c) => c.operation === 'PutTargets')) expect(def.undoIamActions).toContain('iam:PassRole');
    }
  });

  it.each([
    ['ec2', 'RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
    ['config', 'StartConfigurationRecorder', 'config:StartConfigurationRecorder'],
    ['s3', 'PutPublicAccessBlock', 's3:PutBucketPublicAccessBlock'],
    ['s3', 'DeletePublicAccessBlock', 's3:PutBucketPublicAccessBlock'],
    ['s3control', 'PutPublicAccessBlock', 's3:PutAccountPublicAccessBlock'],
    ['s3control', 'GetPublicAccessBlock', 's3:GetAccountPublicAccessBlock'],
  ] as const)('maps %s %s to the IAM action %s', (service, operation, iamAction) => {
    expect(iamActionFor({ service, operation })).toBe(iamAction);
  });

  it('lists the role policies as sorted unions without duplicates', () => {
    const mutating = remediationIamActions();

    expect(mutating).toEqual([...new Set(mutating)].sort());
    expect(mutating).toEqual(expect.arrayContaining(['ec2:RevokeSecurityGroupIngress', 'kms:CancelKeyDeletion']));
    expect(mutating).not.toContain('cloudtrail:StopLogging'); // undo only
    expect(remediationReadIamActions()).toContain('cloudtrail:LookupEvents');
    expect(remediationUndoIamActions()).toContain('cloudtrail:StopLogging');
  });
});
