import { createApprovalRequest } from '../../../../handlers/core/approval/request';
import type { IngressState } from '../../../../handlers/core/remediation/actions/revoke-world-open-ingress';
import {
  executeApprovedRequest,
  exemptionTagArns,
  planUndo,
  preflight,
  remediateEvent,
  undoAction,
  undoApprovedRequest,
} from '../../../../handlers/core/remediation/orchestrate';
import { REMEDIATIONS } from '../../../../handlers/core/remediation/registry';
import type { PlannedCall } from '../../../../handlers/core/remediation/types';
import {
  ACCOUNTS,
  byRemediationRole,
  contextWith,
  FakePorts,
  inAccount,
  loadEvent,
  NOW,
} from '../../../helpers/remediation';

const DETECTION = 'ec2-security-group-world-open-ingress';
const GROUP = 'sg-0f63fecfa17ef4fee';
const RULE = 'sgr-0037eb7c59241731e0';
const OPEN: IngressState = {
  rules: [
    {
      SecurityGroupRuleId: RULE,
      GroupId: GROUP,
      IsEgress: false,
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      CidrIpv4: '0.0.0.0/0',
    },
  ],
};
const CLOSED: IngressState = { rules: [] };
const REVOKE: PlannedCall = {
  service: 'ec2',
  operation: 'RevokeSecurityGroupIngress',
  input: { GroupId: GROUP, SecurityGroupRuleIds: [RULE] },
  region: 'eu-central-1',
};

/** The SSH-to-the-world event, moved to a sandbox account (auto mode in the bundled rollout). */
const sandboxEvent = () => inAccount(loadEvent(DETECTION, 'positive-ssh-ipv4'), ACCOUNTS.sandboxAlice);
/** The same event in its own prod account (approve mode). */
const prodEvent = () => loadEvent(DETECTION, 'positive-ssh-ipv4');
const request = (event = sandboxEvent(), detectionId = DETECTION) => ({ detectionId, event });
const ACTION_ID = `21f0ec88-de27-4093-ab8e-93e5e993e10c:revoke-world-open-ingress`;

describe('remediateEvent in auto mode', () => {
  it('re-reads, snapshots into the audit log before the change, revokes exactly the rule, verifies', async () => {
    const ports = new FakePorts({ states: [OPEN, CLOSED] });

    const decision = await remediateEvent(request(), contextWith(), ports);

    expect(decision).toMatchObject({
      actionId: ACTION_ID,
      mode: 'auto',
      outcome: 'fixed',
      automated: true,
      verifiedAt: NOW.toISOString(),
      calls: [REVOKE],
      reads: [expect.objectContaining({ operation: 'DescribeSecurityGroupRules' })],
      escalated: false,
    });
    expect(ports.trace).toEqual([
      `tags arn:aws:ec2:eu-central-1:${ACCOUNTS.sandboxAlice}:security-group/${GROUP}`,
      'kill-switch',
      `read-state ${GROUP}`,
      `claim ${ACTION_ID}`,
      `breaker ${ACCOUNTS.sandboxAlice}`,
      'audit snapshot in-progress',
      'execute RevokeSecurityGroupIngress',
      `read-state ${GROUP}`,
      'audit result fixed',
      `complete ${ACTION_ID} fixed`,
    ]);
    expect(ports.executed).toEqual([{ target: expect.objectContaining({ resourceId: GROUP }), calls: [REVOKE] }]);
    expect(ports.audited[0]).toMatchObject({
      phase: 'snapshot',
      actor: 'vigil',
      snapshot: { groupId: GROUP, revokedRules: OPEN.rules },
      calls: [REVOKE],
    });
  });

  it('makes no call when the resource is already compliant (and records why)', async () => {
    const ports = new FakePorts({ states: [CLOSED] });
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision.outcome).toBe('already-compliant');
    expect(ports.executed).toEqual([]);
    expect(ports.trace).not.toContainEqual(expect.stringMatching(/^claim/));
    expect(ports.audited).toEqual([expect.objectContaining({ phase: 'decision', outcome: 'already-compliant' })]);
  });

  it('makes zero mutating calls in dry-run and reports the exact calls it would make', async () => {
    const ports = new FakePorts({ states: [OPEN] });
    const decision = await remediateEvent(request(), contextWith({ dryRun: true }), ports);
    expect(decision).toMatchObject({
      outcome: 'dry-run',
      calls: [REVOKE],
      reason: expect.stringMatching(/no call was made/),
    });
    expect(ports.executed).toEqual([]);
    expect(ports.trace).not.toContainEqual(expect.stringMatching(/^(claim|breaker|execute|approval)/));
  });
});

describe('remediateEvent: idempotency', () => {
  it('does nothing again for a second delivery of the same event that still saw the rule open', async () => {
    // The second delivery read the state before the first one acted (concurrent deliveries).
    const ports = new FakePorts({ states: [OPEN, CLOSED, OPEN] });
    const ctx = contextWith();
    await remediateEvent(request(), ctx, ports);
    const records = ports.audited.length;

    const second = await remediateEvent(request(), ctx, ports);

    expect(second).toMatchObject({ outcome: 'duplicate', reason: expect.stringMatching(/completed: fixed/) });
    expect(ports.executed).toHaveLength(1);
    expect(ports.audited).toHaveLength(records);
  });

  it('finds a later delivery already compliant and makes no change', async () => {
    const ports = new FakePorts({ states: [OPEN, CLOSED] });
    const ctx = contextWith();
    await remediateEvent(request(), ctx, ports);
    expect((await remediateEvent(request(), ctx, ports)).outcome).toBe('already-compliant');
    expect(ports.executed).toHaveLength(1);
  });
});

describe('remediateEvent: guards', () => {
  it("refuses a corrective call of vigil's remediation role, before any call", async () => {
    const ports = new FakePorts({ states: [OPEN] });
    const corrective = byRemediationRole(sandboxEvent()) as any;
    corrective.detail.eventName = 'RevokeSecurityGroupIngress';
    const decision = await remediateEvent(request(corrective), contextWith(), ports);
    expect(decision).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/prevents loops/) });
    expect(ports.trace).toEqual([]);
  });

  it('refuses an event from an account outside the inventory', async () => {
    const ports = new FakePorts({ states: [OPEN] });
    const decision = await remediateEvent(request(inAccount(sandboxEvent(), '999999999999')), contextWith(), ports);
    expect(decision).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/not in the inventory/) });
    expect(ports.trace).toEqual([]);
  });

  it('refuses an unknown detection id', async () => {
    const ports = new FakePorts();
    const decision = await remediateEvent(request(sandboxEvent(), 'no-such-detection'), contextWith(), ports);
    expect(decision).toMatchObject({ outcome: 'refused', reason: 'unknown detection no-such-detection' });
    expect(ports.trace).toEqual([]);
  });

  it("refuses what the action's target refuses, before any call", async () => {
    const ports = new FakePorts();
    // A forwarding rule the current catalog does not deploy cannot be recreated: the target refuses.
    const event = structuredClone(
      loadEvent('events-vigil-rule-deleted-or-disabled', 'positive-delete-forwarding-rule'),
    );
    (event.detail.requestParameters as Record<string, unknown>)['name'] = 'vigil-fwd-retired-key';
    const decision = await remediateEvent(
      request(event, 'events-vigil-rule-deleted-or-disabled'),
      contextWith(),
      ports,
    );
    expect(decision).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/redeploy the member stack/) });
    expect(ports.trace).toEqual(['audit decision refused']);
  });

  it('refuses a request whose event is not a finding of the named detection', async () => {
    const ports = new FakePorts({ states: [OPEN] });
    const decision = await remediateEvent(request(sandboxEvent(), 'iam-admin-policy-attached'), contextWith(), ports);
    expect(decision).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/not a finding of/) });
    expect(ports.trace).toEqual([]);
  });
});

describe('remediateEvent: modes', () => {
  it('only notifies for the management account, without reading anything', async () => {
    const ports = new FakePorts();
    const event = loadEvent('cloudtrail-logging-stopped', 'positive-org-trail');
    const decision = await remediateEvent(request(event, 'cloudtrail-logging-stopped'), contextWith(), ports);
    expect(decision).toMatchObject({
      mode: 'notify',
      outcome: 'notify-only',
      reason: expect.stringMatching(/account 110000000001/),
    });
    expect(ports.trace).toEqual(['audit decision notify-only']);
  });

  it('does nothing but record the decision when the mode is off', async () => {
    const ports = new FakePorts({ states: [OPEN] });
    const decision = await remediateEvent(request(), contextWith({ modes: [{ mode: 'off' }] }), ports);
    expect(decision).toMatchObject({
      mode: 'off',
      outcome: 'notify-only',
      reason: expect.stringMatching(/remediation is off/),
    });
    expect(ports.trace).toEqual(['audit decision notify-only']);
  });

  it('asks for approval in prod with the exact calls, and records the event for the approved run', async () => {
    const ports = new FakePorts({ states: [OPEN] });
    const decision = await remediateEvent(request(prodEvent()), contextWith(), ports);
    expect(decision).toMatchObject({
      mode: 'approve',
      outcome: 'pending-approval',
      approvalRequestId: 'request-1',
      calls: [REVOKE],
    });
    expect(ports.executed).toEqual([]);
    expect(ports.openings[0]).toMatchObject({
      actionId: ACTION_ID,
      plan: { kind: 'act', calls: [REVOKE] },
      timeout: { timeoutMinutes: 60, onTimeout: 'escalate' },
    });
    expect(ports.audited).toEqual([
      expect.objectContaining({ phase: 'decision', outcome: 'pending-approval', event: prodEvent() }),
    ]);
    expect(ports.claims.get(ACTION_ID)).toEqual({ status: 'completed', outcome: 'pending-approval' });
  });

  it('releases the claim when the approval request cannot be opened, so a retry can', async () => {
    const ports = new FakePorts({ states: [OPEN] });
    ports.approvals.open = async () => {
      throw new Error('approval table unavailable');
    };
    await expect(remediateEvent(request(prodEvent()), contextWith(), ports)).rejects.toThrow(
      'approval table unavailable',
    );
    expect(ports.trace).toContain(`release ${ACTION_ID}`);
    expect(ports.claims.has(ACTION_ID)).toBe(false);
  });
});

describe('remediateEvent: exemptions', () => {
  it('skips an exempt resource (config/remediation.json) without reading its state', async () => {
    const ports = new FakePorts({ states: [OPEN] });
    const event = inAccount(prodEvent(), '110000000004');
    const text = JSON.stringify(event).split(GROUP).join('sg-0b4571011aa00bb11');
    const decision = await remediateEvent(request(JSON.parse(text)), contextWith(), ports);
    expect(decision).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(
        /exempt by config\/remediation.json exemptions\[0\] \(owner network-team, SEC-1432\)/,
      ),
    });
    expect(ports.trace).not.toContainEqual(expect.stringMatching(/^read-state/));
  });

  it('skips a resource tagged exempt', async () => {
    const ports = new FakePorts({
      states: [OPEN],
      tags: { kind: 'read', tags: { 'vigil:exempt': 'pen test; expires=2026-12-01' } },
    });
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/exempt by resource tag vigil:exempt/),
    });
    expect(ports.executed).toEqual([]);
  });

  it('ignores an expired tag and acts, logging why', async () => {
    const ports = new FakePorts({
      states: [OPEN, CLOSED],
      tags: { kind: 'read', tags: { 'vigil:exempt': 'pen test; expires=2026-11-01' } },
    });
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision.outcome).toBe('fixed');
    expect(ports.logs).toContainEqual(
      expect.objectContaining({
        message: 'exemption ignored',
        fields: expect.objectContaining({ ignored: expect.stringMatching(/expired/) }),
      }),
    );
  });

  it('falls back to approve, saying why, when the tags cannot be read', async () => {
    const ports = new FakePorts({ states: [OPEN], tags: { kind: 'failed', error: 'AccessDenied' } });
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision).toMatchObject({
      mode: 'approve',
      outcome: 'pending-approval',
      reason: expect.stringMatching(/approve instead of auto: could not read the tags .*AccessDenied/),
    });
    expect(ports.executed).toEqual([]);
  });
});

describe('remediateEvent: kill switch', () => {
  it('executes nothing when the kill switch is on', async () => {
    const ports = new FakePorts({ states: [OPEN], killSwitch: { kind: 'value', value: 'on' } });
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision).toMatchObject({
      mode: 'notify',
      outcome: 'notify-only',
      reason: expect.stringMatching(/kill switch .* 'on'/),
    });
    expect(ports.trace).not.toContainEqual(expect.stringMatching(/^(read-state|claim|execute|approval|escalate)/));
  });

  it('fails safe when SSM cannot be read, and pages', async () => {
    const ports = new FakePorts({ states: [OPEN], killSwitch: { kind: 'unreadable', error: 'TimeoutError: ssm' } });
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision).toMatchObject({
      outcome: 'notify-only',
      escalated: true,
      reason: expect.stringMatching(/failing safe/),
    });
    expect(ports.executed).toEqual([]);
    expect(ports.escalations).toEqual([expect.objectContaining({ kind: 'kill-switch-unreadable' })]);
  });
});

describe('remediateEvent: circuit breaker', () => {
  it.each([
    ['per account', { account: 6, org: 6 }, 'account'],
    ['org-wide', { account: 1, org: 21 }, 'organization'],
  ] as const)('drops to approve and pages when it trips %s', async (_case, breaker, scope) => {
    const ports = new FakePorts({ states: [OPEN], breaker });
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision).toMatchObject({
      mode: 'approve',
      outcome: 'pending-approval',
      escalated: true,
      reason: expect.stringMatching(/circuit breaker/),
    });
    expect(ports.executed).toEqual([]);
    expect(ports.escalations).toEqual([expect.objectContaining({ kind: 'circuit-breaker', breakerScope: scope })]);
    expect(ports.openings).toHaveLength(1);
  });

  it('lets the last action within the limit run', async () => {
    const ports = new FakePorts({ states: [OPEN, CLOSED], breaker: { account: 5, org: 20 } });
    expect((await remediateEvent(request(), contextWith(), ports)).outcome).toBe('fixed');
  });
});

describe('remediateEvent: failures', () => {
  it('escalates a failed call, with the snapshot already recorded and the undo command', async () => {
    const ports = new FakePorts({
      states: [OPEN],
      executeError: Object.assign(new Error('not allowed'), { name: 'UnauthorizedOperation' }),
    });
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision).toMatchObject({
      outcome: 'failed',
      escalated: true,
      reason: expect.stringMatching(/UnauthorizedOperation: not allowed/),
    });
    expect(ports.audited.map((r) => [r.phase, r.outcome])).toEqual([
      ['snapshot', 'in-progress'],
      ['result', 'failed'],
    ]);
    expect(ports.escalations[0]).toMatchObject({
      kind: 'failure',
      reason: expect.stringMatching(`npm run undo -- ${ACTION_ID}`),
    });
    expect(ports.claims.get(ACTION_ID)).toEqual({ status: 'completed', outcome: 'failed' });
  });

  it('escalates when the change does not verify', async () => {
    const ports = new FakePorts({ states: [OPEN, OPEN] });
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/verification failed: still open/),
    });
    expect(ports.escalations).toHaveLength(1);
  });

  it('changes nothing when the snapshot cannot be written to the audit log', async () => {
    const ports = new FakePorts({
      states: [OPEN],
      auditError: (r) => (r.phase === 'snapshot' ? new Error('ProvisionedThroughputExceededException') : undefined),
    });
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/could not write the audit snapshot, so nothing was changed/),
    });
    expect(ports.executed).toEqual([]);
  });

  it('keeps the outcome when only the bookkeeping after the change fails (and logs it)', async () => {
    const ports = new FakePorts({
      states: [OPEN, CLOSED],
      auditError: (r) => (r.phase === 'result' ? new Error('audit down') : undefined),
    });
    ports.idempotency.complete = async () => {
      throw new Error('state table down');
    };
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision.outcome).toBe('fixed');
    expect(ports.logs.map((l) => l.message)).toEqual([
      'audit result record not written',
      'idempotency claim not completed',
    ]);
  });

  it('still reports a failure when the page cannot be sent (and logs it)', async () => {
    const ports = new FakePorts({ states: [OPEN], executeError: new Error('boom') });
    ports.escalate = async () => {
      throw new Error('PagerDuty down');
    };
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision).toMatchObject({ outcome: 'failed', escalated: false });
    expect(ports.logs).toContainEqual(expect.objectContaining({ level: 'error', message: 'escalation failed' }));
  });

  it('escalates when the state cannot be read, and claims nothing', async () => {
    const ports = new FakePorts({ readStateError: new Error('AccessDenied') });
    const decision = await remediateEvent(request(), contextWith(), ports);
    expect(decision).toMatchObject({
      outcome: 'failed',
      escalated: true,
      reason: expect.stringMatching(/could not read the current state/),
    });
    expect(ports.trace).not.toContainEqual(expect.stringMatching(/^claim/));
  });
});

describe('executeApprovedRequest', () => {
  /** The configured approver (config/remediation.json) who approved the request in the store. */
  const APPROVER = 'slack:U04SECLEAD1';
  /** Runs the prod event to a pending request, then marks it approved. */
  async function approved(ports: FakePorts) {
    const ctx = contextWith();
    await remediateEvent(request(prodEvent()), ctx, ports);
    const opening = ports.openings[0]!;
    const pending = createApprovalRequest({
      id: 'request-1',
      detectionId: DETECTION,
      eventId: opening.eventId,
      plan: opening.plan,
      timeout: opening.timeout,
      now: NOW,
    });
    return { ctx, request: { ...pending, status: 'approved' as const, decidedBy: APPROVER } };
  }

  it('executes the approved calls after re-reading the state, as the approver, and closes the request', async () => {
    const ports = new FakePorts({ states: [OPEN, OPEN, CLOSED] });
    const { ctx, request: approvedRequest } = await approved(ports);
    ports.options.approvals = { 'request-1': approvedRequest };

    const decision = await executeApprovedRequest(
      { requestId: 'request-1', approver: 'slack:U04SECLEAD1' },
      ctx,
      ports,
    );

    expect(decision).toMatchObject({ outcome: 'fixed', actor: 'slack:U04SECLEAD1', automated: false, calls: [REVOKE] });
    expect(ports.executed).toHaveLength(1);
    expect(ports.audited.find((r) => r.phase === 'snapshot')).toMatchObject({
      actor: 'slack:U04SECLEAD1',
      approvalRequestId: 'request-1',
    });
    expect(ports.executedRequests).toEqual([{ id: 'request-1', outcome: expect.stringMatching(/^fixed: /) }]);
  });

  it('runs an approved request once, however often it is handed over', async () => {
    const ports = new FakePorts({ states: [OPEN, OPEN, CLOSED, OPEN] });
    const { ctx, request: approvedRequest } = await approved(ports);
    ports.options.approvals = { 'request-1': approvedRequest };
    const work = { requestId: 'request-1', approver: 'slack:U04SECLEAD1' };

    await executeApprovedRequest(work, ctx, ports);
    const again = await executeApprovedRequest(work, ctx, ports);

    expect(again.outcome).toBe('duplicate');
    expect(ports.executed).toHaveLength(1);
  });

  it.each([
    ['pending', 'refused'],
    ['rejected', 'refused'],
    ['executed', 'duplicate'],
  ] as const)('does not act on a %s request', async (status, outcome) => {
    const ports = new FakePorts({ states: [OPEN] });
    const { ctx, request: r } = await approved(ports);
    ports.options.approvals = { 'request-1': { ...r, status } };
    const decision = await executeApprovedRequest({ requestId: 'request-1', approver: APPROVER }, ctx, ports);
    expect(decision.outcome).toBe(outcome);
    expect(ports.executed).toEqual([]);
  });

  it('asks again instead of running calls nobody approved when the state changed', async () => {
    const other = { ...OPEN.rules[0]!, SecurityGroupRuleId: 'sgr-0aaaaaaaaaaaaaaaa', FromPort: 3389, ToPort: 3389 };
    const ports = new FakePorts({ states: [OPEN, { rules: [...OPEN.rules, other] }] });
    // The event named one rule; a second offending rule with the same id set cannot appear, so change the id.
    const { ctx, request: r } = await approved(ports);
    ports.options.approvals = {
      'request-1': {
        ...r,
        plan: { ...r.plan, calls: [{ ...REVOKE, input: { GroupId: GROUP, SecurityGroupRuleIds: ['sgr-old'] } }] },
      },
    };
    const decision = await executeApprovedRequest({ requestId: 'request-1', approver: APPROVER }, ctx, ports);
    expect(decision).toMatchObject({
      outcome: 'pending-approval',
      approvalRequestId: 'request-2',
      reason: expect.stringMatching(/calls needed now differ/),
    });
    expect(ports.executed).toEqual([]);
  });

  it('refuses a request that does not exist', async () => {
    const ports = new FakePorts();
    const decision = await executeApprovedRequest({ requestId: 'request-9', approver: APPROVER }, contextWith(), ports);
    expect(decision).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/does not exist/) });
  });

  it('refuses, and closes the request, when the audit log has no decision record to re-plan from', async () => {
    const ports = new FakePorts({ states: [OPEN] });
    const { ctx, request: r } = await approved(ports);
    ports.audited.length = 0;
    ports.options.approvals = { 'request-1': r };
    const decision = await executeApprovedRequest({ requestId: 'request-1', approver: APPROVER }, ctx, ports);
    expect(decision).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/no decision record/) });
    expect(ports.executedRequests).toEqual([{ id: 'request-1', outcome: expect.stringMatching(/^refused/) }]);
  });

  it('refuses when the mode was lowered to notify since the request', async () => {
    const ports = new FakePorts({ states: [OPEN] });
    const { request: r } = await approved(ports);
    ports.options.approvals = { 'request-1': r };
    const lowered = contextWith({ modes: [{ environment: 'prod', mode: 'notify' }] });
    const decision = await executeApprovedRequest({ requestId: 'request-1', approver: APPROVER }, lowered, ports);
    expect(decision).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/mode is notify now/) });
    expect(ports.executed).toEqual([]);
  });

  it('makes no call when the resource was fixed meanwhile', async () => {
    const ports = new FakePorts({ states: [OPEN, CLOSED] });
    const { ctx, request: r } = await approved(ports);
    ports.options.approvals = { 'request-1': r };
    const decision = await executeApprovedRequest({ requestId: 'request-1', approver: APPROVER }, ctx, ports);
    expect(decision.outcome).toBe('already-compliant');
    expect(ports.executed).toEqual([]);
  });

  it('makes no call in dry-run', async () => {
    const ports = new FakePorts({ states: [OPEN] });
    const { request: r } = await approved(ports);
    ports.options.approvals = { 'request-1': r };
    const decision = await executeApprovedRequest(
      { requestId: 'request-1', approver: APPROVER },
      contextWith({ dryRun: true }),
      ports,
    );
    expect(decision).toMatchObject({ outcome: 'dry-run', calls: [REVOKE] });
    expect(ports.executed).toEqual([]);
  });

  it('executes nothing when the kill switch is on, and says so on the request', async () => {
    const ports = new FakePorts({ states: [OPEN] });
    const { ctx, request: r } = await approved(ports);
    ports.options.approvals = { 'request-1': r };
    (ports.options as { killSwitch?: unknown }).killSwitch = { kind: 'value', value: 'true' };
    const decision = await executeApprovedRequest({ requestId: 'request-1', approver: APPROVER }, ctx, ports);
    expect(decision).toMatchObject({
      outcome: 'notify-only',
      reason: expect.stringMatching(/approved, but kill switch/),
    });
    expect(ports.executed).toEqual([]);
    expect(ports.executedRequests).toEqual([{ id: 'request-1', outcome: expect.stringMatching(/^notify-only/) }]);
  });
});

describe('undo', () => {
  it('refuses when nothing was changed', async () => {
    expect(planUndo(ACTION_ID, [], REMEDIATIONS)).toEqual({
      kind: 'refuse',
      reason: expect.stringMatching(/no audit records/),
    });
    const ports = new FakePorts({ states: [CLOSED] });
    await remediateEvent(request(), contextWith(), ports);
    expect(planUndo(ACTION_ID, ports.audited, REMEDIATIONS)).toEqual({
      kind: 'refuse',
      reason: expect.stringMatching(/never changed anything/),
    });
  });

  it('authorizes the revoked rule again from the snapshot, recording before and after', async () => {
    const ports = new FakePorts({ states: [OPEN, CLOSED] });
    await remediateEvent(request(), contextWith(), ports);
    ports.trace.length = 0;

    const result = await undoAction(ACTION_ID, 'operator:alice', ports, REMEDIATIONS);

    const authorize = {
      service: 'ec2',
      operation: 'AuthorizeSecurityGroupIngress',
      input: {
        GroupId: GROUP,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      },
      region: 'eu-central-1',
    };
    expect(result).toEqual({
      outcome: 'fixed',
      reason: expect.stringMatching(/undone by operator:alice/),
      calls: [authorize],
    });
    expect(ports.trace).toEqual([
      'audit undo-snapshot in-progress',
      'execute AuthorizeSecurityGroupIngress',
      'audit undo-result fixed',
    ]);
    expect(await undoAction(ACTION_ID, 'operator:bob', ports, REMEDIATIONS)).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/already undone by operator:alice/),
    });
  });

  it('makes no call and writes nothing in dry-run', async () => {
    const ports = new FakePorts({ states: [OPEN, CLOSED] });
    await remediateEvent(request(), contextWith(), ports);
    const records = ports.audited.length;
    const result = await undoAction(ACTION_ID, 'operator:alice', ports, REMEDIATIONS, { dryRun: true });
    expect(result.outcome).toBe('dry-run');
    expect(result.calls).toHaveLength(1);
    expect(ports.executed).toHaveLength(1); // the original revoke only
    expect(ports.audited).toHaveLength(records);
  });
});

describe('trusting nothing from the queue', () => {
  const APPROVER = 'slack:U04SECLEAD1';

  it('refuses, alert only, an event whose account is not its recipientAccountId (the account vigil acts in)', () => {
    const event = sandboxEvent();
    const checked = preflight(request({ ...event, account: ACCOUNTS.paymentsProd }), contextWith());

    expect(checked).toEqual({
      done: expect.objectContaining({
        outcome: 'refused',
        mode: 'notify',
        reason: expect.stringMatching(/account 110000000006 and detail\.recipientAccountId 110000000011 disagree/),
      }),
    });
  });

  it('names the action the calls were planned for to the executor (remediate signs it into the request)', async () => {
    const ports = new FakePorts({ states: [OPEN, CLOSED] });
    const execute = jest.spyOn(ports, 'execute');

    await remediateEvent(request(), contextWith(), ports);
    await undoAction(ACTION_ID, 'operator:alice', ports, REMEDIATIONS);

    expect((execute.mock.calls as unknown[][]).map((c) => c[2])).toEqual([
      { actionId: ACTION_ID },
      { actionId: ACTION_ID },
    ]);
  });

  it('refuses to undo, through a request, a change that request did not make (an automatic fix of the event)', async () => {
    const ports = new FakePorts({ states: [OPEN, CLOSED] });
    const fixed = await remediateEvent(request(), contextWith(), ports);
    expect(fixed.outcome).toBe('fixed');
    const plan = fixed.plan!;
    if (plan.kind !== 'act') throw new Error('expected a plan that acts');
    const pending = createApprovalRequest({
      id: 'request-1',
      detectionId: DETECTION,
      eventId: fixed.eventId,
      plan,
      timeout: { timeoutMinutes: 60, onTimeout: 'escalate' },
      now: NOW,
    });
    ports.options.approvals = {
      'request-1': { ...pending, status: 'undone', undoneBy: APPROVER, executedAt: NOW.toISOString() },
    };

    const result = await undoApprovedRequest(
      { requestId: 'request-1', approver: APPROVER },
      contextWith().config.approvers,
      ports,
      REMEDIATIONS,
    );

    expect(result).toMatchObject({
      outcome: 'refused',
      actionId: ACTION_ID,
      reason: expect.stringMatching(/was not made by approval request request-1 \(its snapshot names no request\)/),
    });
    expect(ports.executed).toHaveLength(1); // the automatic fix only
  });
});

describe('exemptionTagArns', () => {
  it('reads tag exemptions only from workload resources (security groups, buckets)', () => {
    const target = { accountId: '110000000011', region: 'eu-west-1', details: {} };
    expect(exemptionTagArns({ ...target, action: 'restore-bucket-public-access-block', resourceId: 'site' })).toEqual([
      'arn:aws:s3:::site',
    ]);
    expect(exemptionTagArns({ ...target, action: 'revoke-world-open-ingress', resourceId: 'sg-1' })).toEqual([
      'arn:aws:ec2:eu-west-1:110000000011:security-group/sg-1',
    ]);
    // Anyone allowed to tag a trail or a forwarding rule could otherwise switch its guardrail off.
    expect(exemptionTagArns({ ...target, action: 'restart-trail-logging', resourceId: 'trail' })).toEqual([]);
    expect(exemptionTagArns({ ...target, action: 'restore-forwarding-rule', resourceId: 'vigil-fwd-x' })).toEqual([]);
  });
});

describe('actions that cannot be undone', () => {
  const passwordSet = () =>
    inAccount(
      loadEvent('iam-login-profile-set-for-other-user', 'positive-create-login-profile'),
      ACCOUNTS.sandboxAlice,
    );

  it('run only with approval, even where the config says auto, and say why', async () => {
    const ports = new FakePorts({ states: [{ exists: true, createDate: '2020-01-01T00:00:00Z' }] });
    const decision = await remediateEvent(
      request(passwordSet(), 'iam-login-profile-set-for-other-user'),
      contextWith({ modes: [{ mode: 'auto' }] }),
      ports,
    );

    expect(decision).toMatchObject({
      mode: 'approve',
      outcome: 'pending-approval',
      calls: [expect.objectContaining({ operation: 'DeleteLoginProfile' })],
    });
    expect(decision.modeReasons?.join(' ')).toMatch(
      /runs only with approval \(deleting a login profile cannot be undone/,
    );
    expect(ports.executed).toEqual([]);
  });

  it('refuse undo with the reason', () => {
    const record = {
      phase: 'snapshot',
      action: 'delete-login-profile',
      snapshot: { userName: 'alice', region: 'us-east-1' },
      target: {
        action: 'delete-login-profile',
        accountId: '444444444444',
        region: 'us-east-1',
        resourceId: 'user/alice',
        details: {},
      },
    };
    expect(planUndo('e:delete-login-profile', [record as never], REMEDIATIONS)).toEqual({
      kind: 'refuse',
      reason: expect.stringMatching(
        /^delete-login-profile cannot be undone: a deleted login profile cannot be restored/,
      ),
    });
  });
});

describe('actions whose undo needs what only the change can tell (a created resource id)', () => {
  it('records what verify learned on the result record, and undo reads it with the snapshot', async () => {
    const event = inAccount(loadEvent('guardduty-detector-deleted', 'positive-delete'), ACCOUNTS.sandboxAlice);
    const deleted = String((event.detail.requestParameters as Record<string, unknown>)['detectorId']);
    const recreated = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    const history = {
      complete: true,
      events: [
        {
          eventId: 'created',
          eventName: 'CreateDetector',
          eventTime: '2025-07-01T00:00:00Z',
          cloudTrailEvent: JSON.stringify({
            requestParameters: { enable: true },
            responseElements: { detectorId: deleted },
          }),
        },
      ],
    };
    const after = {
      current: { detectorId: recreated, status: 'ENABLED', findingPublishingFrequency: 'SIX_HOURS', features: [] },
      history,
    };
    const ports = new FakePorts({ states: [{ history }, after] });

    const decision = await remediateEvent(
      request(event, 'guardduty-detector-deleted'),
      contextWith({ modes: [{ mode: 'auto' }] }),
      ports,
    );

    expect(decision).toMatchObject({ outcome: 'fixed' });
    const snapshot = ports.audited.find((r) => r.phase === 'snapshot')!;
    // Before the change the new id is unknown: the snapshot cannot hold it; the result record does.
    expect(snapshot.snapshot).not.toHaveProperty('createdDetectorId');
    expect(ports.audited.find((r) => r.phase === 'result')?.snapshot).toEqual({
      ...snapshot.snapshot,
      createdDetectorId: recreated,
    });
    expect(planUndo(snapshot.actionId, ports.audited, REMEDIATIONS)).toMatchObject({
      kind: 'undo',
      calls: [{ service: 'guardduty', operation: 'DeleteDetector', input: { DetectorId: recreated } }],
    });
    // Without the result record (the change was never verified), there is no id to delete: refused, not guessed.
    expect(planUndo(snapshot.actionId, [snapshot], REMEDIATIONS)).toEqual({
      kind: 'refuse',
      reason: expect.stringMatching(/recreate-guardduty-detector has nothing to undo for this snapshot/),
    });
  });
});
