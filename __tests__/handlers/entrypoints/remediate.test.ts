import { type FindingRecord, findingId } from '../../../handlers/core/findings/finding';
import type { FindingsPort } from '../../../handlers/core/findings/ports';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { makeFindingsPort } from '../../../handlers/adapters/findings/port';
import { makeFindingsQueuePort } from '../../../handlers/adapters/findings/queue';
import { createFindingsFlow } from '../../../handlers/core/flows/findings-flow';
import { makeJsonLogger } from '../../../handlers/core/lambda-io';
import { makeNotifier } from '../../../handlers/adapters/notify';
import { makeAuditLog } from '../../../handlers/adapters/remediation/audit';
import { makeBreakerCounter } from '../../../handlers/adapters/remediation/breaker';
import { makeRemediationExecutor } from '../../../handlers/adapters/remediation/execute';
import { makeIdempotencyStore } from '../../../handlers/adapters/remediation/idempotency';
import { makeKillSwitchReader } from '../../../handlers/adapters/remediation/kill-switch';
import { makeLocalMemberIo } from '../../../handlers/adapters/remediation/member-io';
import { makeStateReader } from '../../../handlers/adapters/remediation/read-state';
import type { RemediationConfig } from '../../../config/remediation';
import { type ApprovalRequest, createApprovalRequest } from '../../../handlers/core/approval/request';
import type { Decision, Escalation, OrchestratorPorts } from '../../../handlers/core/remediation/orchestrate';
import {
  createHandler,
  emailApprovalLinks,
  handlerFromEnvironment,
  type AlertDestinations,
  configuredRouting,
  makeOutcomeReporter,
  parseAlertDestinations,
  type RemediateDeps,
  readRemediateSettings,
} from '../../../handlers/entrypoints/remediate';
import { ConfigurationError } from '../../../handlers/errors';
import type { Alert } from '../../../handlers/core/alert';
import { sampleAlert } from '../../helpers/alerts';
import { type ScriptedResponse, type ScriptedServer, startScriptedServer } from '../../helpers/http-server';
import { sampleRequest } from '../../helpers/approvals';
import { inventoryItems, serveInventoryTable } from '../../helpers/inventory-table';
import {
  ACCOUNTS,
  BUNDLED_CONFIG,
  byRemediationRole,
  contextWith,
  inAccount,
  loadEvent,
  NOW,
  VIEW,
} from '../../helpers/remediation';
import 'aws-sdk-client-mock-jest';

const dynamo = mockClient(DynamoDBClient);
const ssm = mockClient(SSMClient);
const ec2 = mockClient(EC2Client);

const DETECTION = 'ec2-security-group-world-open-ingress';
const GROUP = 'sg-0f63fecfa17ef4fee';
const RULE = 'sgr-0037eb7c59241731e0';
const EVENT_ID = '21f0ec88-de27-4093-ab8e-93e5e993e10c';
const sandboxEvent = () => inAccount(loadEvent(DETECTION, 'positive-ssh-ipv4'), ACCOUNTS.sandboxAlice);
const prodEvent = () => loadEvent(DETECTION, 'positive-ssh-ipv4');
const ALERT_SENT = new Date(NOW.getTime() - 90_000).toISOString();

/** Every AWS call in order, across the mocks: `dynamo:PutItem audit …`, `ec2:RevokeSecurityGroupIngress`. */
let order: string[];
/** Whether the rule is open in the (fake) member account. */
let ruleOpen: boolean;

/** An in-memory DynamoDB with the conditions the adapters use. */
function fakeDynamo() {
  const items = new Map<string, Record<string, AttributeValue>>();
  const keyOf = (table: string, key: Record<string, AttributeValue>) =>
    `${table}|${key['pk']?.S}|${key['sk']?.S ?? ''}`;
  dynamo.on(PutItemCommand).callsFake((input) => {
    const key = keyOf(input.TableName, input.Item);
    const old = items.get(key);
    order.push(`dynamo:PutItem ${input.TableName} ${input.Item.phase?.S ?? input.Item.pk.S}`);
    if (old) {
      const takeover =
        input.ConditionExpression.includes('lockExpiresAt') &&
        old['status']?.S === 'in-progress' &&
        Number(old['lockExpiresAt']?.N) < Number(input.ExpressionAttributeValues[':now'].N);
      if (!takeover) throw new ConditionalCheckFailedException({ message: 'exists', $metadata: {}, Item: old });
    }
    items.set(key, input.Item);
    return {};
  });
  dynamo.on(UpdateItemCommand).callsFake((input) => {
    const key = keyOf(input.TableName, input.Key);
    const item = { ...(items.get(key) ?? input.Key) };
    if (input.UpdateExpression.startsWith('ADD')) {
      item['count'] = { N: String(Number(item['count']?.N ?? 0) + 1) };
    } else {
      item['status'] = { S: 'completed' };
      item['outcome'] = input.ExpressionAttributeValues[':outcome'];
    }
    items.set(key, item);
    return { Attributes: { count: item['count'] ?? { N: '0' } } };
  });
  dynamo.on(DeleteItemCommand).callsFake((input) => {
    items.delete(keyOf(input.TableName, input.Key));
    return {};
  });
  dynamo.on(QueryCommand).callsFake((input) => {
    const pk = input.ExpressionAttributeValues[':pk'].S;
    const found = [...items.entries()]
      .filter(([k]) => k.startsWith(`${input.TableName}|${pk}|`))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, v]) => v);
    return { Items: found };
  });
  return items;
}

function fakeMember() {
  ec2.on(DescribeSecurityGroupRulesCommand).callsFake(() => {
    order.push('ec2:DescribeSecurityGroupRules');
    return {
      SecurityGroupRules: ruleOpen
        ? [
            {
              SecurityGroupRuleId: RULE,
              GroupId: GROUP,
              IsEgress: false,
              IpProtocol: 'tcp',
              FromPort: 22,
              ToPort: 22,
              CidrIpv4: '0.0.0.0/0',
            },
          ]
        : [],
    };
  });
  ec2.on(RevokeSecurityGroupIngressCommand).callsFake(() => {
    order.push('ec2:RevokeSecurityGroupIngress');
    ruleOpen = false;
    return { Return: true };
  });
  ec2.on(AuthorizeSecurityGroupIngressCommand).callsFake(() => {
    order.push('ec2:AuthorizeSecurityGroupIngress');
    ruleOpen = true;
    return { Return: true };
  });
}

interface Harness {
  readonly deps: RemediateDeps;
  readonly lines: string[];
  readonly reported: Decision[];
  readonly escalations: Escalation[];
  readonly requests: Map<string, ApprovalRequest>;
}

function harness(config: Partial<RemediationConfig> = {}): Harness {
  const client = new DynamoDBClient({});
  const lines: string[] = [];
  const reported: Decision[] = [];
  const escalations: Escalation[] = [];
  const requests = new Map<string, ApprovalRequest>();
  const context = contextWith(config);
  const executor = makeRemediationExecutor({ namePrefix: 'vigil' });
  const reader = makeStateReader({ namePrefix: 'vigil' });
  const ports: OrchestratorPorts = {
    now: () => NOW,
    readKillSwitch: makeKillSwitchReader({
      client: new SSMClient({}),
      parameter: BUNDLED_CONFIG.killSwitchParameter,
      ttlMs: 0,
    }),
    readTags: async () => ({ kind: 'read', tags: {} }),
    readState: (target) => reader.read(target),
    execute: (target, calls) => executor.execute({ accountId: target.accountId, calls }),
    idempotency: makeIdempotencyStore({ client, tableName: 'state' }),
    takeBreakerSlot: makeBreakerCounter({ client, tableName: 'state', windowMinutes: 60 }),
    audit: makeAuditLog({ client, tableName: 'audit' }),
    approvals: {
      open: async (o) => {
        const request = createApprovalRequest({
          id: `request-${requests.size + 1}`,
          detectionId: o.detection.id,
          eventId: o.eventId,
          plan: o.plan,
          timeout: o.timeout,
          now: o.now,
        });
        requests.set(request.id, request);
        return { requestId: request.id };
      },
      get: async (id) => requests.get(id),
      markExecuted: async (id, write) => {
        const r = { ...requests.get(id)!, status: 'executed' as const, outcome: write.outcome };
        requests.set(id, r);
        return r;
      },
    },
    escalate: async (e) => {
      escalations.push(e);
    },
    log: () => undefined,
  };
  const deps: RemediateDeps = {
    context,
    ports,
    reportOutcome: async (d) => {
      reported.push(d);
    },
    write: (line) => lines.push(line),
  };
  return { deps, lines, reported, escalations, requests };
}

const mutating = () => ec2.commandCalls(RevokeSecurityGroupIngressCommand).length;
const reopened = () => ec2.commandCalls(AuthorizeSecurityGroupIngressCommand).length;

beforeEach(() => {
  dynamo.reset();
  ssm.reset();
  ec2.reset();
  order = [];
  ruleOpen = true;
  fakeDynamo();
  fakeMember();
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
});

describe('remediate handler: a detection from triage', () => {
  it('revokes exactly the offending rule, with the snapshot in the audit table before the change', async () => {
    const h = harness();
    const alert = sampleAlert();

    const decision = (await createHandler(h.deps)({
      detectionId: DETECTION,
      event: sandboxEvent(),
      alertRef: { sentAt: ALERT_SENT, alert },
    })) as Decision;

    expect(decision).toMatchObject({
      outcome: 'fixed',
      mode: 'auto',
      actionId: `${EVENT_ID}:revoke-world-open-ingress`,
    });
    expect(ec2).toHaveReceivedCommandTimes(RevokeSecurityGroupIngressCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(RevokeSecurityGroupIngressCommand, {
      GroupId: GROUP,
      SecurityGroupRuleIds: [RULE],
    });
    expect(order.indexOf('dynamo:PutItem audit snapshot')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('dynamo:PutItem audit snapshot')).toBeLessThan(
      order.indexOf('ec2:RevokeSecurityGroupIngress'),
    );
    expect(order.indexOf('dynamo:PutItem audit result')).toBeGreaterThan(
      order.indexOf('ec2:RevokeSecurityGroupIngress'),
    );
    expect(h.reported).toEqual([decision]);
  });

  it('emits the KPIs as EMF: outcome, automated and time to respond (verified fixed − alert sent)', async () => {
    const h = harness();
    await createHandler(h.deps)({ detectionId: DETECTION, event: sandboxEvent(), alertRef: { sentAt: ALERT_SENT } });
    const emf = h.lines.map((l) => JSON.parse(l)).find((l) => l._aws);
    expect(emf).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'Vigil',
            Dimensions: [['DetectionId', 'Severity'], []],
            Metrics: [{ Name: 'Automated' }, { Name: 'TimeToRespondMs', Unit: 'Milliseconds' }],
          },
          { Namespace: 'Vigil', Dimensions: [['Outcome']], Metrics: [{ Name: 'Remediations', Unit: 'Count' }] },
        ],
      },
      DetectionId: DETECTION,
      Severity: 'critical',
      Outcome: 'fixed',
      Automated: 1,
      Remediations: 1,
      TimeToRespondMs: 90_000,
    });
  });

  it('makes zero new writes to AWS when the same event is delivered again', async () => {
    const h = harness();
    const handle = createHandler(h.deps);
    await handle({ detectionId: DETECTION, event: sandboxEvent() });
    ruleOpen = true; // opened again meanwhile: that is a new event, not a reason to replay this one

    const second = (await handle({ detectionId: DETECTION, event: sandboxEvent() })) as Decision;

    expect(second.outcome).toBe('duplicate');
    expect(mutating()).toBe(1);
    expect(h.reported).toHaveLength(1);
  });

  it('makes no mutating call in dry-run and reports the exact calls', async () => {
    const h = harness({ dryRun: true });
    const decision = (await createHandler(h.deps)({ detectionId: DETECTION, event: sandboxEvent() })) as Decision;
    expect(decision.outcome).toBe('dry-run');
    expect(decision.calls).toEqual([
      {
        service: 'ec2',
        operation: 'RevokeSecurityGroupIngress',
        input: { GroupId: GROUP, SecurityGroupRuleIds: [RULE] },
        region: 'eu-central-1',
      },
    ]);
    expect(mutating()).toBe(0);
  });

  it('executes nothing when the kill switch is on', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'on' } });
    const h = harness();
    const decision = (await createHandler(h.deps)({ detectionId: DETECTION, event: sandboxEvent() })) as Decision;
    expect(decision).toMatchObject({ outcome: 'notify-only', mode: 'notify' });
    expect(ec2.calls()).toHaveLength(0);
  });

  it('fails safe when SSM is unreachable: nothing is executed and a page goes out', async () => {
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    const h = harness();
    const decision = (await createHandler(h.deps)({ detectionId: DETECTION, event: sandboxEvent() })) as Decision;
    expect(decision).toMatchObject({ outcome: 'notify-only', reason: expect.stringMatching(/failing safe/) });
    expect(ec2.calls()).toHaveLength(0);
    expect(h.escalations).toEqual([expect.objectContaining({ kind: 'kill-switch-unreadable' })]);
  });

  it("never acts on a corrective call of vigil's own remediation role", async () => {
    const h = harness();
    const corrective = byRemediationRole(sandboxEvent()) as any;
    corrective.detail.eventName = 'RevokeSecurityGroupIngress';
    const decision = (await createHandler(h.deps)({ detectionId: DETECTION, event: corrective })) as Decision;
    expect(decision.outcome).toBe('refused');
    expect(ec2.calls()).toHaveLength(0);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('trips the circuit breaker after perAccount actions: approval instead, and a page', async () => {
    const h = harness({ circuitBreaker: { perAccount: 1, orgWide: 10, windowMinutes: 60 } });
    const handle = createHandler(h.deps);
    await handle({ detectionId: DETECTION, event: sandboxEvent() });
    ruleOpen = true;
    const other = JSON.parse(
      JSON.stringify(sandboxEvent()).split(EVENT_ID).join('7d1a9f00-0000-4000-8000-000000000002'),
    );

    const second = (await handle({ detectionId: DETECTION, event: other })) as Decision;

    expect(second).toMatchObject({ outcome: 'pending-approval', mode: 'approve', escalated: true });
    expect(mutating()).toBe(1);
    expect(h.escalations).toEqual([expect.objectContaining({ kind: 'circuit-breaker', breakerScope: 'account' })]);
  });

  it('drops malformed input without retrying it', async () => {
    const h = harness();
    expect(await createHandler(h.deps)({ hello: 'world' })).toEqual({ outcome: 'invalid', reason: expect.any(String) });
    expect(ec2.calls()).toHaveLength(0);
  });

  it('lets a broken dependency fail the invocation so Lambda retries', async () => {
    dynamo.on(PutItemCommand).rejects(Object.assign(new Error('service unavailable'), { name: 'InternalServerError' }));
    const h = harness();
    await expect(createHandler(h.deps)({ detectionId: DETECTION, event: sandboxEvent() })).rejects.toThrow(
      'service unavailable',
    );
    expect(mutating()).toBe(0);
  });
});

describe('remediate handler: approved work', () => {
  async function pendingRequest(h: Harness, decidedBy = 'slack:U04SECLEAD1') {
    const handle = createHandler(h.deps);
    const decision = (await handle({
      detectionId: DETECTION,
      event: prodEvent(),
      alertRef: { sentAt: ALERT_SENT },
    })) as Decision;
    expect(decision.outcome).toBe('pending-approval');
    expect(mutating()).toBe(0);
    const id = decision.approvalRequestId!;
    h.requests.set(id, { ...h.requests.get(id)!, status: 'approved', decidedBy });
    return { handle, id };
  }

  it('executes an approved request handed over through SQS, once', async () => {
    const h = harness();
    const { handle, id } = await pendingRequest(h);
    const body = JSON.stringify({ kind: 'execute', requestId: id, approver: 'slack:U04SECLEAD1' });

    const response = await handle({
      Records: [
        { messageId: 'm-1', body },
        { messageId: 'm-2', body },
      ],
    });

    expect(response).toEqual({ batchItemFailures: [] });
    expect(mutating()).toBe(1);
    expect(h.requests.get(id)).toMatchObject({ status: 'executed', outcome: expect.stringMatching(/^fixed/) });
    const fixed = h.reported.find((d) => d.outcome === 'fixed');
    expect(fixed).toMatchObject({ actor: 'slack:U04SECLEAD1', automated: false, alertRef: { sentAt: ALERT_SENT } });
  });

  it('accepts the {approvedRequestId, approver} form of a direct invoke', async () => {
    const h = harness();
    const { handle, id } = await pendingRequest(h, 'email:security-oncall@example.com');
    const decision = (await handle({
      approvedRequestId: id,
      approver: 'email:security-oncall@example.com',
    })) as Decision;
    expect(decision).toMatchObject({ outcome: 'fixed', actor: 'email:security-oncall@example.com' });
  });

  it('reports a message whose work failed as a batch item failure, and drops what is not JSON', async () => {
    const h = harness();
    const { handle, id } = await pendingRequest(h);
    dynamo.on(QueryCommand).rejects(new Error('throttled'));
    const response = await handle({
      Records: [
        { messageId: 'bad', body: 'not json' },
        { messageId: 'm-1', body: JSON.stringify({ kind: 'execute', requestId: id, approver: 'slack:U04SECLEAD1' }) },
      ],
    });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(mutating()).toBe(0);
  });
});

describe('remediate handler: nothing from the queue is trusted', () => {
  const APPROVER = 'slack:U04SECLEAD1';

  /** A request approved by `decidedBy` in the store, and the handler. */
  async function approvedRequest(h: Harness, decidedBy = APPROVER) {
    const handle = createHandler(h.deps);
    const decision = (await handle({ detectionId: DETECTION, event: prodEvent() })) as Decision;
    const id = decision.approvalRequestId!;
    h.requests.set(id, { ...h.requests.get(id)!, status: 'approved', decidedBy });
    return { handle, id };
  }

  /** A request approved, executed (the rule revoked) and then, in the store, `changes`. */
  async function executedRequest(h: Harness, changes: Partial<ApprovalRequest> = {}) {
    const { handle, id } = await approvedRequest(h);
    const executed = (await handle({ kind: 'execute', requestId: id, approver: APPROVER })) as Decision;
    expect(executed.outcome).toBe('fixed');
    h.requests.set(id, { ...h.requests.get(id)!, executedAt: NOW.toISOString(), ...changes });
    return { handle, id };
  }

  it("refuses an execute hand-over whose approver is not the store's, and leaves the request for its own", async () => {
    const h = harness();
    const { handle, id } = await approvedRequest(h);

    const decision = (await handle({ kind: 'execute', requestId: id, approver: 'slack:U0ATTACKER' })) as Decision;

    expect(decision).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/names slack:U0ATTACKER but approval request .* was approved by slack:U04SECLEAD1/),
    });
    expect(mutating()).toBe(0);
    expect(h.requests.get(id)!.status).toBe('approved');
  });

  it('refuses, and closes, a request the store says was approved by someone who is not a configured approver', async () => {
    const h = harness();
    const { handle, id } = await approvedRequest(h, 'slack:U0ATTACKER');

    const decision = (await handle({ kind: 'execute', requestId: id, approver: 'slack:U0ATTACKER' })) as Decision;

    expect(decision).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/slack:U0ATTACKER is not a configured approver/),
    });
    expect(mutating()).toBe(0);
    expect(h.requests.get(id)).toMatchObject({ status: 'executed', outcome: expect.stringMatching(/^refused/) });
  });

  it('refuses an approval by the timeout policy when the request escalates on timeout', async () => {
    const h = harness();
    const { handle, id } = await approvedRequest(h, 'timeout-policy');

    const decision = (await handle({ kind: 'execute', requestId: id, approver: 'timeout-policy' })) as Decision;

    expect(decision).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/approved by the timeout policy, but its timeout behaviour is escalate/),
    });
    expect(mutating()).toBe(0);
  });

  it('refuses an undo hand-over for a request nobody asked to undo (still executed)', async () => {
    const h = harness();
    const { handle, id } = await executedRequest(h);

    const result = await handle({ kind: 'undo', requestId: id, approver: APPROVER });

    expect(result).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/is executed: an undo runs only once an approver pressed Undo/),
    });
    expect(reopened()).toBe(0);
  });

  it("refuses an undo hand-over whose approver is not the store's undoer", async () => {
    const h = harness();
    const { handle, id } = await executedRequest(h, { status: 'undone', undoneBy: APPROVER });

    const result = await handle({ kind: 'undo', requestId: id, approver: 'slack:U04SECONCALL' });

    expect(result).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/names slack:U04SECONCALL but approval request .* was undone by slack:U04SECLEAD1/),
    });
    expect(reopened()).toBe(0);
  });

  it('refuses an undo the store says was asked for by someone who is not a configured approver', async () => {
    const h = harness();
    const { handle, id } = await executedRequest(h, { status: 'undone', undoneBy: 'email:intruder@example.com' });

    const result = await handle({ kind: 'undo', requestId: id, approver: 'email:intruder@example.com' });

    expect(result).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/email:intruder@example.com is not a configured approver/),
    });
    expect(reopened()).toBe(0);
  });

  it('refuses an undo of a request that was never executed', async () => {
    const h = harness();
    const { handle, id } = await executedRequest(h, { status: 'undone', undoneBy: APPROVER, executedAt: undefined });

    const result = await handle({ kind: 'undo', requestId: id, approver: APPROVER });

    expect(result).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/was never executed/) });
    expect(reopened()).toBe(0);
  });

  it('undoes an executed request its configured undoer asked to undo, as that approver', async () => {
    const h = harness();
    const { handle, id } = await executedRequest(h, { status: 'undone', undoneBy: 'slack:U04SECONCALL' });

    const result = await handle({ kind: 'undo', requestId: id, approver: 'slack:U04SECONCALL' });

    expect(result).toMatchObject({ outcome: 'fixed', reason: expect.stringMatching(/^undone by slack:U04SECONCALL/) });
    expect(reopened()).toBe(1);
  });

  it('exports the finding lifecycle in order: approval requested, approved, remediated, verified, undone', async () => {
    const published: FindingRecord[][] = [];
    const base = harness();
    const h = {
      ...base,
      deps: {
        ...base.deps,
        findings: {
          publish: async (records: readonly FindingRecord[]) => {
            published.push([...records]);
            return { ok: true as const };
          },
        },
      },
    };
    const { handle, id } = await executedRequest(h, { status: 'undone', undoneBy: 'slack:U04SECONCALL' });

    await handle({ kind: 'undo', requestId: id, approver: 'slack:U04SECONCALL' });

    const updates = published.flat().map((r) => (r.kind === 'update' ? r.update : undefined));
    expect(updates.map((u) => u?.status)).toEqual([
      'approval-requested',
      'approved',
      'remediated',
      'verified',
      'undone',
    ]);
    expect(new Set(updates.map((u) => u?.findingId)).size).toBe(1);
    expect(updates.at(-1)).toMatchObject({ actor: 'slack:U04SECONCALL' });
  });

  it('refuses, alert only, an event whose account and detail.recipientAccountId disagree', async () => {
    const h = harness();
    const event = sandboxEvent();
    const forged = { ...event, account: ACCOUNTS.paymentsProd };

    const decision = (await createHandler(h.deps)({ detectionId: DETECTION, event: forged })) as Decision;

    expect(decision).toMatchObject({
      outcome: 'refused',
      mode: 'notify',
      reason: expect.stringMatching(
        new RegExp(`account ${ACCOUNTS.paymentsProd} and detail.recipientAccountId ${ACCOUNTS.sandboxAlice} disagree`),
      ),
    });
    expect(mutating()).toBe(0);
    expect(ec2.calls()).toHaveLength(0);
  });
});

describe('makeOutcomeReporter', () => {
  const alert = sampleAlert();
  const decision = (outcome: Decision['outcome']): Decision => ({
    detectionId: alert.detection.id,
    eventId: alert.event.eventId,
    accountId: alert.event.account.id,
    mode: 'auto',
    outcome,
    reason: `the ${outcome} reason`,
    modeReasons: [],
    reads: [],
    calls: [],
    actor: 'vigil',
    automated: outcome === 'fixed',
    escalated: false,
    alertRef: { sentAt: ALERT_SENT, alert },
  });
  const notifier = () => ({ notify: jest.fn().mockResolvedValue([]), resolve: jest.fn().mockResolvedValue({}) });

  it('posts a fix to Slack only and resolves the PagerDuty incident', async () => {
    const n = notifier();
    await makeOutcomeReporter(n)(decision('fixed'));
    expect(n.notify).toHaveBeenCalledWith(
      expect.objectContaining({
        routing: { slackChannel: '#sec-payments', slackWebhookRef: 'secretsmanager:vigil/slack/sec-payments' },
        remediation: { mode: 'auto', state: 'fixed', detail: 'the fixed reason' },
      }),
    );
    expect(n.resolve).toHaveBeenCalledWith(alert);
  });

  it('sends a failure to every routed channel and resolves nothing', async () => {
    const n = notifier();
    await makeOutcomeReporter(n)(decision('failed'));
    expect(n.notify).toHaveBeenCalledWith(
      expect.objectContaining({ routing: alert.routing, remediation: expect.objectContaining({ state: 'failed' }) }),
    );
    expect(n.resolve).not.toHaveBeenCalled();
  });

  it('reports a pending approval to Slack only', async () => {
    const n = notifier();
    await makeOutcomeReporter(n)(decision('pending-approval'));
    expect(n.notify).toHaveBeenCalledTimes(1);
    expect(n.notify.mock.calls[0][0].routing).not.toHaveProperty('pagerdutyRoutingKeyRef');
    expect(n.resolve).not.toHaveBeenCalled();
  });

  it('does nothing without an alert', async () => {
    const n = notifier();
    await makeOutcomeReporter(n)({ ...decision('fixed'), alertRef: undefined } as Decision);
    expect(n.notify).not.toHaveBeenCalled();
  });

  describe('with the alerting config (the request crossed a queue)', () => {
    const { emailTopicArn, ...paymentsRoute } = alert.routing;
    const DESTINATIONS: AlertDestinations = {
      routes: [{ slackChannel: '#sec-alerts', slackWebhookRef: 'secretsmanager:vigil/slack/default' }, paymentsRoute],
      emailTopicArn: emailTopicArn!,
    };

    it('reports to configured destinations as they are', async () => {
      const n = notifier();
      await makeOutcomeReporter(n, undefined, DESTINATIONS)(decision('failed'));
      expect(n.notify).toHaveBeenCalledWith(expect.objectContaining({ routing: alert.routing }));
    });

    it('drops, and logs, destinations the alerting config does not name (another secret, channel or topic)', async () => {
      const n = notifier();
      const logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
      const forged: Alert = {
        ...alert,
        routing: {
          slackChannel: '#sec-payments',
          slackWebhookRef: 'secretsmanager:vigil/approvals/slack-signing-secret',
          pagerdutyRoutingKeyRef: 'secretsmanager:vigil/pagerduty/escalation',
          emailTopicArn: 'arn:aws:sns:eu-west-1:333333333333:somebody-elses-topic',
        },
      };

      await makeOutcomeReporter(
        n,
        (level, message, fields) => void logs.push({ level, message, ...(fields ? { fields } : {}) }),
        DESTINATIONS,
      )({ ...decision('failed'), alertRef: { alert: forged } });

      expect(n.notify).toHaveBeenCalledWith(expect.objectContaining({ routing: { slackChannel: '#sec-payments' } }));
      expect(logs).toContainEqual({
        level: 'warn',
        message: expect.stringMatching(/outside config\/alerting\.json/),
        fields: expect.objectContaining({ dropped: ['slackWebhookRef', 'pagerdutyRoutingKeyRef', 'emailTopicArn'] }),
      });
    });
  });

  describe('configuredRouting', () => {
    it('drops a routing that is not an object or holds non-string values', () => {
      const destinations = { routes: [{ slackChannel: '#a' }], emailTopicArn: 'arn:aws:sns:eu-west-1:1:t' };
      expect(configuredRouting('#a', destinations)).toEqual({ routing: {}, dropped: [] });
      expect(configuredRouting({ slackChannel: ['#a'] }, destinations)).toEqual({
        routing: {},
        dropped: ['slackChannel'],
      });
    });
  });

  describe('with a Slack bot token (real notifier, local Slack Web API)', () => {
    const TS = '1405894322.002768';
    const botAlert = sampleAlert({
      routing: {
        slackChannel: '#sec-payments',
        slackBotTokenRef: 'secretsmanager:vigil/slack/bot',
        slackChannelId: 'C0123ABCD',
      },
    });
    let slack: ScriptedServer | undefined;
    afterEach(async () => {
      await slack?.close();
      slack = undefined;
    });
    const reporter = async (script: ScriptedResponse[]) => {
      slack = await startScriptedServer(script);
      const logs: Array<{ level: string; message: string }> = [];
      const n = makeNotifier({
        secrets: { read: async () => 'xoxb-test-token', invalidate: () => undefined },
        publishEmail: async () => ({ attempts: 1 }) as never,
        now: () => NOW,
        http: { timeoutMs: 10_000, runtime: { sleep: async () => undefined, random: () => 0.5 } },
        slackApiUrl: slack.url,
      });
      const report = makeOutcomeReporter(n, (level, message) => void logs.push({ level, message }));
      return { report, logs, slack };
    };
    const withSlackRef = (outcome: Decision['outcome'], ref?: { channel: string; ts: string }): Decision => ({
      ...decision(outcome),
      alertRef: { sentAt: ALERT_SENT, alert: botAlert, ...(ref ? { slack: ref } : {}) },
    });

    it('updates the original message in place (chat.update) when alertRef.slack is present', async () => {
      const { report, logs, slack } = await reporter([
        { status: 200, body: { ok: true, channel: 'C0123ABCD', ts: TS } },
      ]);

      await report(withSlackRef('fixed', { channel: 'C0123ABCD', ts: TS }));

      expect(slack.requests.map((r) => r.path)).toEqual(['/api/chat.update']);
      expect(slack.json(0)).toMatchObject({ channel: 'C0123ABCD', ts: TS });
      expect(JSON.stringify(slack.json(0).blocks)).toContain('the fixed reason');
      expect(logs).toEqual([]);
    });

    it("never edits a message outside the alert's bot channel: it posts a follow-up there instead", async () => {
      const { report, slack } = await reporter([{ status: 200, body: { ok: true, channel: 'C0123ABCD', ts: '2.0' } }]);

      await report(withSlackRef('fixed', { channel: 'C0OTHERCHAN', ts: TS }));

      expect(slack.requests.map((r) => r.path)).toEqual(['/api/chat.postMessage']);
      expect(slack.json(0)).toMatchObject({ channel: 'C0123ABCD' });
    });

    it('posts a follow-up (chat.postMessage) when the alert has no message reference', async () => {
      const { report, slack } = await reporter([{ status: 200, body: { ok: true, channel: 'C0123ABCD', ts: '2.0' } }]);

      await report(withSlackRef('fixed'));

      expect(slack.requests.map((r) => r.path)).toEqual(['/api/chat.postMessage']);
      expect(slack.json(0)).toMatchObject({ channel: 'C0123ABCD' });
      expect(slack.json(0)).not.toHaveProperty('ts');
    });

    it('falls back to a follow-up, and logs it, when the update fails permanently', async () => {
      const { report, logs, slack } = await reporter([
        { status: 200, body: { ok: false, error: 'message_not_found' } },
        { status: 200, body: { ok: true, channel: 'C0123ABCD', ts: '2.0' } },
      ]);

      await report(withSlackRef('fixed', { channel: 'C0123ABCD', ts: TS }));

      expect(slack.requests.map((r) => r.path)).toEqual(['/api/chat.update', '/api/chat.postMessage']);
      expect(JSON.stringify(slack.json(1).blocks)).toContain('the fixed reason');
      expect(logs).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringMatching(/follow-up/) })]);
    });

    it('does not post a follow-up when the update fails transiently (the caller logs it)', async () => {
      const { report, slack } = await reporter(Array(4).fill({ status: 503, body: 'unavailable' }));

      await expect(report(withSlackRef('fixed', { channel: 'C0123ABCD', ts: TS }))).rejects.toMatchObject({
        name: 'NotificationError',
        permanent: false,
      });
      expect(slack.requests.every((r) => r.path === '/api/chat.update')).toBe(true);
    });

    it('keeps the webhook follow-up when the routing has no bot token, even with a message reference', async () => {
      const n = notifier();
      const update = jest.fn();
      await makeOutcomeReporter({ ...n, update })({
        ...decision('fixed'),
        alertRef: { sentAt: ALERT_SENT, alert, slack: { channel: 'C0123ABCD', ts: TS } },
      });
      expect(update).not.toHaveBeenCalled();
      expect(n.notify).toHaveBeenCalledTimes(1);
      expect(n.resolve).toHaveBeenCalledWith(alert);
    });
  });
});

describe('readRemediateSettings', () => {
  const dirs: string[] = [];
  /** A bundle folder with `config`, removed after the tests; the account view is in the inventory table. */
  const bundleDir = (config: unknown = BUNDLED_CONFIG): string => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-remediate-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'remediation.json'), JSON.stringify(config));
    writeFileSync(join(dir, 'alert-routing.json'), JSON.stringify(ALERT_ROUTING));
    return dir;
  };
  const ALERT_ROUTING = {
    routes: [{ slackChannel: '#sec-alerts', slackWebhookRef: 'secretsmanager:vigil/slack/default' }],
    emailTopicArn: 'arn:aws:sns:eu-west-1:110000000003:vigil-alerts',
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const MEMBER_ENV = {
    MEMBER_FUNCTION_NAME: 'vigil-remediate-member',
    MEMBER_REQUEST_KEY_ARN: 'arn:aws:kms:eu-west-1:110000000003:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  };
  const ENV = {
    REMEDIATION_STATE_TABLE: 'vigil-remediation-state',
    REMEDIATION_AUDIT_TABLE: 'vigil-remediation-audit',
    APPROVAL_TABLE: 'vigil-approvals',
    CENTRAL_BUS_ARN: 'arn:aws:events:eu-west-1:110000000003:event-bus/vigil-security',
    DEPLOY_ROLE_NAME: 'vigil-deploy',
    INVENTORY_TABLE: 'vigil-inventory',
  };
  beforeEach(() => serveInventoryTable(dynamo, ENV.INVENTORY_TABLE, () => inventoryItems(VIEW)));

  it('reads the tables, names and bundled file paths', () => {
    expect(readRemediateSettings({ ...ENV, DRY_RUN: 'true' }, '/var/task')).toEqual({
      stateTable: 'vigil-remediation-state',
      auditTable: 'vigil-remediation-audit',
      approvalTable: 'vigil-approvals',
      centralBusArn: ENV.CENTRAL_BUS_ARN,
      deployRoleName: 'vigil-deploy',
      inventoryTable: 'vigil-inventory',
      configFile: '/var/task/remediation.json',
      alertRoutingFile: '/var/task/alert-routing.json',
      forceDryRun: true,
    });
  });

  it('reads the signed-link email settings, and refuses a bad sender or a non-https base URL', () => {
    const links = {
      APPROVAL_LINK_KEY_REF: 'secretsmanager:vigil/approvals/link-key',
      APPROVAL_EMAIL_FROM: 'vigil-approvals@example.com',
      APPROVAL_BASE_URL: 'https://abc.lambda-url.eu-west-1.on.aws/',
    };
    expect(readRemediateSettings({ ...ENV, ...links }, '/var/task')).toMatchObject({
      approvalLinkKeyRef: links.APPROVAL_LINK_KEY_REF,
      approvalEmailFrom: links.APPROVAL_EMAIL_FROM,
      approvalBaseUrl: links.APPROVAL_BASE_URL,
    });
    const read = () =>
      readRemediateSettings(
        { ...ENV, APPROVAL_EMAIL_FROM: 'vigil', APPROVAL_BASE_URL: 'http://abc.example', APPROVAL_LINK_KEY_REF: 'k' },
        '/var/task',
      );
    expect(read).toThrow(
      /3 problem\(s\)[\s\S]*APPROVAL_LINK_KEY_REF[\s\S]*APPROVAL_EMAIL_FROM[\s\S]*APPROVAL_BASE_URL/,
    );
  });

  it('fails when settings are missing or malformed, naming every one', () => {
    const read = () =>
      readRemediateSettings({ DRY_RUN: 'maybe', ESCALATION_PAGERDUTY_ROUTING_KEY_REF: 'https://x' }, '/var/task');
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(
      /8 problem\(s\)[\s\S]*REMEDIATION_STATE_TABLE[\s\S]*DEPLOY_ROLE_NAME[\s\S]*INVENTORY_TABLE[\s\S]*DRY_RUN[\s\S]*ESCALATION_PAGERDUTY_ROUTING_KEY_REF/,
    );
  });

  it('builds the handler from the environment, the bundled files and the inventory table', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const dir = bundleDir();
    const handle = handlerFromEnvironment({ ...ENV, ...MEMBER_ENV }, dir);
    expect(await handle({ nothing: true })).toMatchObject({ outcome: 'invalid' });
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/APPROVAL_SLACK_WEBHOOK_REF is not set/));
    log.mockRestore();
  });

  it('warns and sends no link emails when the link settings are only partly set', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const dir = bundleDir();
    await handlerFromEnvironment({ ...ENV, ...MEMBER_ENV, APPROVAL_EMAIL_FROM: 'vigil@example.com' }, dir)({});
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/"level":"warn".*approval link emails are off/));
    log.mockRestore();
  });

  it('fails without a way to reach member accounts (MEMBER_FUNCTION_NAME and its key, or in-process adapters)', () => {
    const dir = bundleDir();
    expect(() => handlerFromEnvironment(ENV, dir)).toThrow(/MEMBER_FUNCTION_NAME and MEMBER_REQUEST_KEY_ARN: required/);
    // Without the key nothing could be executed: remediate-member refuses unsigned requests.
    expect(() => handlerFromEnvironment({ ...ENV, MEMBER_FUNCTION_NAME: 'vigil-remediate-member' }, dir)).toThrow(
      /MEMBER_REQUEST_KEY_ARN: required/,
    );
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(typeof handlerFromEnvironment(ENV, dir, makeLocalMemberIo({ namePrefix: 'vigil' }))).toBe('function');
    log.mockRestore();
  });

  it('fails when the bundled alert routing is missing or malformed, naming the file', () => {
    const dir = bundleDir();
    expect(() =>
      handlerFromEnvironment({ ...ENV, ...MEMBER_ENV, ALERT_ROUTING_FILE: join(dir, 'missing.json') }, dir),
    ).toThrow(/cannot read .*missing\.json/);
    expect(() => parseAlertDestinations({ routes: [{ slackChannel: 1 }] }, 'alert-routing.json')).toThrow(
      /alert-routing\.json: expected \{"routes"/,
    );
  });

  it('fails the invocation when the bundled remediation config does not validate against the view', async () => {
    const dir = bundleDir({ ...BUNDLED_CONFIG, modes: [{ mode: 'always' }] });
    const handle = handlerFromEnvironment(ENV, dir, makeLocalMemberIo({ namePrefix: 'vigil' }));
    await expect(handle({})).rejects.toThrow(/modes\[0\]\.mode/);
  });

  it('fails the invocation, naming the table, when the inventory view cannot be read (nothing is decided)', async () => {
    dynamo.reset();
    serveInventoryTable(dynamo, ENV.INVENTORY_TABLE, () => new Map());
    const handle = handlerFromEnvironment({ ...ENV, ...MEMBER_ENV }, bundleDir());
    await expect(handle({ nothing: true })).rejects.toThrow(
      /cannot read the inventory view from the inventory table vigil-inventory/,
    );
  });
});

describe('emailApprovalLinks', () => {
  const request = sampleRequest();
  const logged = () => {
    const lines: Array<[string, string, Record<string, unknown> | undefined]> = [];
    return {
      lines,
      log: (level: string, message: string, fields?: Record<string, unknown>) => lines.push([level, message, fields]),
    };
  };

  it('logs each refused email as an error, and the sent ones as info', async () => {
    const { lines, log } = logged();
    const mail = jest.fn(async () => ({
      sent: ['a@example.com'],
      failed: [{ email: 'b@example.com', error: 'MessageRejected: no' }],
    }));
    await emailApprovalLinks(mail, request, ['a@example.com', 'b@example.com'], log);
    expect(mail).toHaveBeenCalledWith(request, ['a@example.com', 'b@example.com']);
    expect(lines).toEqual([
      [
        'error',
        'approval link email not sent',
        { requestId: request.id, approver: 'b@example.com', error: 'MessageRejected: no' },
      ],
      ['info', 'approval link emails sent', { requestId: request.id, approvers: ['a@example.com'] }],
    ]);
  });

  it('never throws: a mailer failure (e.g. the key is unreadable) is logged as an error', async () => {
    const { lines, log } = logged();
    await expect(
      emailApprovalLinks(
        async () => Promise.reject(new Error('AccessDeniedException')),
        request,
        ['a@example.com'],
        log,
      ),
    ).resolves.toBeUndefined();
    expect(lines).toEqual([
      ['error', 'approval link emails not sent', expect.objectContaining({ requestId: request.id })],
    ]);
  });
});

describe('remediate handler: finding updates (issue #15)', () => {
  const recorder = (outcomes: Array<{ ok: boolean }> = []) => {
    const published: FindingRecord[][] = [];
    const port: FindingsPort = {
      publish: async (records) => {
        published.push([...records]);
        return outcomes.shift()?.ok === false
          ? {
              ok: false,
              failures: [{ sink: 'securityhub', records: records.length, permanent: false, error: 'Throttling' }],
            }
          : { ok: true };
      },
    };
    return { port, published };
  };

  it('exports remediated then verified, in order, for an automatic fix', async () => {
    const h = harness();
    const findings = recorder();

    await createHandler({ ...h.deps, findings: findings.port })({
      detectionId: DETECTION,
      event: sandboxEvent(),
      alertRef: { sentAt: ALERT_SENT, alert: sampleAlert() },
    });

    expect(findings.published).toHaveLength(1);
    expect(
      findings.published[0]!.map((r) => (r.kind === 'update' ? [r.update.status, r.update.actor] : r.kind)),
    ).toEqual([
      ['remediated', 'vigil'],
      ['verified', 'vigil'],
    ]);
    expect(findings.published[0]![0]).toMatchObject({
      update: {
        findingId: findingId(DETECTION, EVENT_ID),
        accountId: expect.stringMatching(/^\d{12}$/),
        eventId: EVENT_ID,
      },
    });
  });

  it('through the findings queue, the findings function moves the Security Hub workflow in order: NOTIFIED, then RESOLVED', async () => {
    const sqs = mockClient(SQSClient);
    const hub = mockClient(SecurityHubClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    hub.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
    const noWait = { now: () => 0, sleep: async () => undefined, random: () => 0 };
    try {
      const h = harness();
      const queue = 'https://sqs.eu-west-1.amazonaws.com/333333333333/vigil-findings.fifo';

      await createHandler({ ...h.deps, findings: makeFindingsQueuePort(queue, () => new SQSClient({}), noWait) })({
        detectionId: DETECTION,
        event: sandboxEvent(),
        alertRef: { sentAt: ALERT_SENT, alert: sampleAlert() },
      });
      const records = sqs.commandCalls(SendMessageCommand).map((c, i) => ({
        messageId: `m-${i}`,
        body: c.args[0].input.MessageBody!,
        attributes: { MessageGroupId: c.args[0].input.MessageGroupId! },
      }));
      const port = makeFindingsPort(
        { securityHub: { accountId: '333333333333', region: 'eu-west-1' } },
        {
          securityHub: (region) => new SecurityHubClient({ region }),
          firehose: () => {
            throw new Error('no stream configured');
          },
        },
        noWait,
      )!;
      const exported = await createFindingsFlow({ port, logger: makeJsonLogger('t', () => undefined), now: () => 0 })({
        Records: records,
      });

      expect(exported).toEqual({ batchItemFailures: [] });
      expect(records.map((r) => r.attributes.MessageGroupId)).toEqual([
        findingId(DETECTION, EVENT_ID),
        findingId(DETECTION, EVENT_ID),
      ]);
      expect(hub.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input.Workflow?.Status)).toEqual([
        'NOTIFIED',
        'RESOLVED',
      ]);
    } finally {
      sqs.restore();
      hub.restore();
    }
  });

  it('logs updates it could not export and still reports the outcome', async () => {
    const h = harness();
    const findings = recorder([{ ok: false }]);

    const decision = (await createHandler({ ...h.deps, findings: findings.port })({
      detectionId: DETECTION,
      event: sandboxEvent(),
    })) as Decision;

    expect(decision.outcome).toBe('fixed');
    expect(h.reported).toEqual([decision]);
    expect(h.lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ level: 'error', outcome: 'finding-export-failed', updates: expect.any(Array) }),
    );
  });
});
