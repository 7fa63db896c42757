import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { makeApprovalStore } from '../../../handlers/adapters/approval-store';
import type { ApprovalAuditRecord, ApprovalRequest } from '../../../handlers/core/approval/request';
import { APPROVAL_ACTIONS } from '../../../handlers/core/approval/slack-signature';
import {
  type ApproveDeps,
  createApproveHandler,
  handler,
  handlerFromEnvironment,
  readApproveSettings,
  readApprovers,
} from '../../../handlers/entrypoints/approve';
import { type ScriptedServer, startScriptedServer } from '../../helpers/http-server';
import {
  AFTER_EXPIRY,
  APPROVER,
  APPROVERS,
  blockActionsPayload,
  formBody,
  LATER,
  LINK_KEY,
  memoryStore,
  OUTSIDER,
  REQUEST_ID,
  SIGNING_SECRET,
  sampleRequest,
  slackClick,
  slackSignature,
  urlEvent,
} from '../../helpers/approvals';
import 'aws-sdk-client-mock-jest';

let slack: ScriptedServer;
beforeEach(async () => {
  // Slack's response_url answers 200 "ok" (script long enough for every post a test makes).
  slack = await startScriptedServer(Array.from({ length: 5 }, () => ({ status: 200, body: 'ok' })));
});
afterEach(async () => {
  await slack.close();
});

/** A handler on an in-memory store holding `requests`, with recording execute/undo/audit. */
function setup(options: { requests?: ApprovalRequest[]; now?: Date; deps?: Partial<ApproveDeps> } = {}) {
  const { store, items } = memoryStore(options.requests ?? [sampleRequest()]);
  const executed: Array<{ request: ApprovalRequest; approver: string; responseUrl?: string }> = [];
  const undone: Array<{ request: ApprovalRequest; approver: string }> = [];
  const audit: ApprovalAuditRecord[] = [];
  const lines: string[] = [];
  const deps: ApproveDeps = {
    store,
    approvers: APPROVERS,
    slackSigningSecret: async () => SIGNING_SECRET,
    linkKey: async () => LINK_KEY,
    execute: async (request, approver, opts) => {
      executed.push({ request, approver, ...opts });
    },
    undo: async (request, approver) => {
      undone.push({ request, approver });
    },
    audit: async (record) => {
      audit.push(record);
    },
    now: () => options.now ?? LATER,
    write: (line) => lines.push(line),
    ...options.deps,
  };
  return { handle: createApproveHandler(deps), items, executed, undone, audit, lines };
}

const responseUrl = () => `${slack.url}/actions/T0000000001/1234567890123/XXXXXXXXXXXXXXXXXXXXXXXX`;
const click = (actionId: string, opts: Parameters<typeof slackClick>[2] = {}, now = LATER) =>
  slackClick(actionId, now, { responseUrl: responseUrl(), ...opts });

describe('approve handler: Slack interactions', () => {
  it('accepts an approval from a configured approver: executes once, audits, updates the message', async () => {
    const { handle, items, executed, audit } = setup();

    const res = await handle(click(APPROVAL_ACTIONS.approve));

    expect(res.statusCode).toBe(200);
    expect(items.get(REQUEST_ID)).toMatchObject({ status: 'approved', decidedBy: `slack:${APPROVER}` });
    expect(executed).toHaveLength(1);
    expect(executed[0]).toMatchObject({ approver: `slack:${APPROVER}`, responseUrl: responseUrl() });
    expect(executed[0].request.status).toBe('approved');
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'approved',
        actor: `slack:${APPROVER}`,
        channel: 'slack',
        requestId: REQUEST_ID,
        at: LATER.toISOString(),
        calls: sampleRequest().plan.calls,
      }),
    ]);
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0].path).toBe('/actions/T0000000001/1234567890123/XXXXXXXXXXXXXXXXXXXXXXXX');
    const update = slack.json(0);
    expect(update.replace_original).toBe(true);
    expect(JSON.stringify(update.blocks)).toContain(`Approved by <@${APPROVER}> at <!date^${LATER.getTime() / 1000}`);
    expect(JSON.stringify(update.blocks)).not.toContain(APPROVAL_ACTIONS.approve);
  });

  it('accepts a body that Lambda did not base64-encode', async () => {
    const { handle, executed } = setup();
    const res = await handle(click(APPROVAL_ACTIONS.approve, { base64: false }));
    expect(res.statusCode).toBe(200);
    expect(executed).toHaveLength(1);
  });

  it('rejects: no execution, audited, message says "Rejected by"', async () => {
    const { handle, items, executed, audit } = setup();

    const res = await handle(click(APPROVAL_ACTIONS.reject));

    expect(res.statusCode).toBe(200);
    expect(items.get(REQUEST_ID)?.status).toBe('rejected');
    expect(executed).toHaveLength(0);
    expect(audit).toEqual([expect.objectContaining({ action: 'rejected', actor: `slack:${APPROVER}` })]);
    expect(audit[0]).not.toHaveProperty('calls');
    expect(JSON.stringify(slack.json(0).blocks)).toContain(`Rejected by <@${APPROVER}>`);
  });

  it('fails with 401 when the signature is wrong, and touches nothing', async () => {
    const { handle, items, executed, audit } = setup();

    const res = await handle(click(APPROVAL_ACTIONS.approve, { secret: 'not-the-signing-secret-of-this-app' }));

    expect(res).toMatchObject({ statusCode: 401, body: 'invalid request signature' });
    expect(items.get(REQUEST_ID)?.status).toBe('pending');
    expect(executed).toHaveLength(0);
    expect(audit).toHaveLength(0);
    expect(slack.requests).toHaveLength(0);
  });

  it('fails with 401 when the body was altered after signing (a different request id)', async () => {
    const { handle, executed } = setup();
    const signed = click(APPROVAL_ACTIONS.reject, { base64: false });
    const forged = { ...signed, body: signed.body!.replace('vigil_reject', 'vigil_approve') };

    expect((await handle(forged)).statusCode).toBe(401);
    expect(executed).toHaveLength(0);
  });

  it('fails with 401 when the timestamp is outside the five-minute window (a replayed capture)', async () => {
    const { handle, items, executed } = setup({ now: LATER });
    const captured = click(APPROVAL_ACTIONS.approve, {}, new Date(LATER.getTime() - 6 * 60_000));

    const res = await handle(captured);

    expect(res.statusCode).toBe(401);
    expect(items.get(REQUEST_ID)?.status).toBe('pending');
    expect(executed).toHaveLength(0);
  });

  it('fails with 401 when the signature headers are missing', async () => {
    const { handle } = setup();
    const res = await handle(
      urlEvent('POST', '/slack/interactions', { body: formBody(blockActionsPayload('vigil_approve')) }),
    );
    expect(res.statusCode).toBe(401);
  });

  it('fails with 403 for a Slack user who is not an approver; audited, told privately, message untouched', async () => {
    const { handle, items, executed, audit } = setup();

    const res = await handle(click(APPROVAL_ACTIONS.approve, { userId: OUTSIDER }));

    expect(res.statusCode).toBe(403);
    expect(items.get(REQUEST_ID)?.status).toBe('pending');
    expect(executed).toHaveLength(0);
    expect(audit).toEqual([expect.objectContaining({ action: 'refused', actor: `slack:${OUTSIDER}` })]);
    expect(slack.json(0)).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: expect.stringMatching(/Only configured approvers/),
    });
  });

  it('fails with 410 on a second decision of the same request (replay), executing once in total', async () => {
    const { handle, executed, audit } = setup();

    const first = await handle(click(APPROVAL_ACTIONS.approve));
    const second = await handle(click(APPROVAL_ACTIONS.approve, { userId: 'U04SECONCALL' }));

    expect([first.statusCode, second.statusCode]).toEqual([200, 410]);
    expect(executed).toHaveLength(1);
    expect(audit.map((r) => r.action)).toEqual(['approved', 'refused']);
    // The stale buttons are replaced with the request as it stands.
    expect(slack.json(1).replace_original).toBe(true);
    expect(JSON.stringify(slack.json(1).blocks)).toContain(`Approved by <@${APPROVER}>`);
  });

  it('fails with 410 on an expired request and shows the message as expired', async () => {
    const { handle, items, executed } = setup({ now: AFTER_EXPIRY });

    const res = await handle(click(APPROVAL_ACTIONS.approve, {}, AFTER_EXPIRY));

    expect(res.statusCode).toBe(410);
    expect(items.get(REQUEST_ID)?.status).toBe('pending'); // the sweeper settles it, not a late click
    expect(executed).toHaveLength(0);
    expect(slack.json(0).replace_original).toBe(true);
    expect(JSON.stringify(slack.json(0).blocks)).toMatch(/Expired at/);
    expect(JSON.stringify(slack.json(0).blocks)).not.toContain(APPROVAL_ACTIONS.approve);
  });

  it('fails with 410 when the request does not exist (deleted by TTL)', async () => {
    const { handle } = setup({ requests: [] });
    const res = await handle(click(APPROVAL_ACTIONS.approve));
    expect(res.statusCode).toBe(410);
    expect(slack.json(0).text).toMatch(/no longer exists/);
  });

  it.each([
    ['a foreign button', formBody({ ...blockActionsPayload('other'), response_url: 'https://hooks.slack.com/a' })],
    ['a body that is not a Slack form', 'hello'],
  ])('fails with 400 on %s (signed, but not ours)', async (_case, body) => {
    const { handle } = setup();
    const ts = Math.floor(LATER.getTime() / 1000);
    const res = await handle(
      urlEvent('POST', '/slack/interactions', {
        body,
        headers: { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': slackSignature(body, ts) },
      }),
    );
    expect(res.statusCode).toBe(400);
  });

  it('reverts the approval and answers 503 when the hand-over to the executor fails', async () => {
    const { handle, items, audit } = setup({
      deps: {
        execute: async () => {
          throw new Error('SQS unavailable');
        },
      },
    });

    const res = await handle(click(APPROVAL_ACTIONS.approve));

    expect(res.statusCode).toBe(503);
    expect(items.get(REQUEST_ID)).toMatchObject({ status: 'pending' });
    expect(items.get(REQUEST_ID)).not.toHaveProperty('decidedBy');
    expect(audit.map((r) => r.action)).toEqual(['approved', 'reverted']);
    expect(slack.json(0).text).toMatch(/not recorded and nothing was changed/);
  });

  it('reverts the approval without executing when the audit record cannot be written', async () => {
    const { handle, items, executed } = setup({
      deps: {
        audit: async () => {
          throw new Error('audit table unavailable');
        },
      },
    });

    const res = await handle(click(APPROVAL_ACTIONS.approve));

    expect(res.statusCode).toBe(503);
    expect(items.get(REQUEST_ID)?.status).toBe('pending');
    expect(executed).toHaveLength(0);
  });

  it('answers 503 and logs loudly when even the revert fails (the request needs a human)', async () => {
    const { store } = memoryStore([sampleRequest()]);
    const { handle, lines } = setup({
      deps: {
        store: {
          ...store,
          revert: async () => {
            throw new Error('DynamoDB unavailable');
          },
        },
        execute: async () => {
          throw new Error('SQS unavailable');
        },
      },
    });

    const res = await handle(click(APPROVAL_ACTIONS.approve));

    expect(res.statusCode).toBe(503);
    expect(lines.join('\n')).toMatch(/revert failed; the request needs a human/);
  });

  it('still answers 200 when Slack refuses the message update (the decision stands)', async () => {
    await slack.close();
    slack = await startScriptedServer([{ status: 404, body: 'expired_url' }]);
    const { handle, executed, lines } = setup();

    const res = await handle(click(APPROVAL_ACTIONS.approve));

    expect(res.statusCode).toBe(200);
    expect(executed).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/response_url post failed/);
  });

  it('undoes an executed request on the Undo button, once', async () => {
    const executedRequest = sampleRequest({ status: 'executed', decidedBy: `slack:${APPROVER}` });
    const { handle, items, undone, audit } = setup({ requests: [executedRequest] });

    const first = await handle(click(APPROVAL_ACTIONS.undo));
    const second = await handle(click(APPROVAL_ACTIONS.undo));

    expect([first.statusCode, second.statusCode]).toEqual([200, 410]);
    expect(undone).toHaveLength(1);
    expect(items.get(REQUEST_ID)).toMatchObject({ status: 'undone', undoneBy: `slack:${APPROVER}` });
    expect(audit.map((r) => r.action)).toEqual(['undo-requested', 'refused']);
  });

  it('refuses Undo with 410 when this deployment cannot undo', async () => {
    const { handle, items } = setup({
      requests: [sampleRequest({ status: 'executed' })],
      deps: { undo: undefined },
    });
    const res = await handle(click(APPROVAL_ACTIONS.undo));
    expect(res.statusCode).toBe(410);
    expect(items.get(REQUEST_ID)?.status).toBe('executed');
  });

  it('never shows an internal error to the caller (500, no details)', async () => {
    const { handle, lines } = setup({
      deps: {
        slackSigningSecret: async () => {
          throw new Error('AccessDeniedException: arn:aws:secretsmanager:eu-west-1:111111111111:secret:slack');
        },
      },
    });

    const res = await handle(click(APPROVAL_ACTIONS.approve));

    expect(res).toMatchObject({ statusCode: 500, body: 'internal error' });
    expect(lines.join('\n')).toMatch(/AccessDeniedException/);
  });
});

describe('approve handler: routes', () => {
  it.each([
    ['GET', '/slack/interactions', 405],
    ['PUT', '/approve', 405],
    ['GET', '/', 404],
    ['POST', '/admin', 404],
  ])('answers %s %s with %i', async (method, path, status) => {
    const { handle } = setup();
    expect((await handle(urlEvent(method, path))).statusCode).toBe(status);
  });

  it('takes no Slack interactions when no signing secret is configured (signed links still work)', async () => {
    const { handle } = setup({ deps: { slackSigningSecret: undefined } });
    const body = formBody(blockActionsPayload('vigil_approve'));
    expect((await handle(urlEvent('POST', '/slack/interactions', { body }))).statusCode).toBe(404);
    expect((await handle(urlEvent('PUT', '/approve'))).statusCode).toBe(405);
  });

  it('serves no signed links when no link key is configured', async () => {
    const { handle } = setup({ deps: { linkKey: undefined } });
    expect((await handle(urlEvent('GET', '/approve', { query: { token: 'x.y' } }))).statusCode).toBe(404);
  });

  it('refuses a body over 256 KB unread', async () => {
    const { handle } = setup();
    const res = await handle(urlEvent('POST', '/slack/interactions', { body: 'a'.repeat(300 * 1024) }));
    expect(res.statusCode).toBe(413);
  });
});

// One mock per client class for the whole file: a second mockClient() of the same class would be undone
// by the first one's restore().
const ddb = mockClient(DynamoDBClient);
const sm = mockClient(SecretsManagerClient);
beforeEach(() => {
  ddb.reset();
  sm.reset();
});
afterAll(() => {
  ddb.restore();
  sm.restore();
});

describe('approve handler: with the DynamoDB store', () => {
  it('answers 410 when the conditional write finds the request already decided (lost race)', async () => {
    const r = sampleRequest();
    const item = {
      id: { S: r.id },
      status: { S: 'pending' },
      detectionId: { S: r.detectionId },
      eventId: { S: r.eventId },
      accountId: { S: r.accountId },
      region: { S: r.region },
      plan: { S: JSON.stringify(r.plan) },
      requestedAt: { S: r.requestedAt },
      expiresAt: { N: String(Date.parse(r.expiresAt)) },
      timeoutMinutes: { N: '60' },
      onTimeout: { S: 'escalate' },
    };
    const decided = { ...item, status: { S: 'approved' }, decidedBy: { S: 'slack:U04SECONCALL' } };
    // Read as pending, but another approver's write lands first.
    ddb.on(GetItemCommand).resolvesOnce({ Item: item }).resolves({ Item: decided });
    ddb.on(UpdateItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: decided,
      }),
    );
    const { handle, executed, audit } = setup({
      deps: {
        store: makeApprovalStore({ tableName: 'vigil-approvals', client: new DynamoDBClient({ region: 'eu-west-1' }) }),
      },
    });

    const res = await handle(click(APPROVAL_ACTIONS.approve));

    expect(res.statusCode).toBe(410);
    expect(executed).toHaveLength(0);
    expect(audit).toEqual([
      expect.objectContaining({ action: 'refused', reason: expect.stringMatching(/already-decided/) }),
    ]);
    expect(JSON.stringify(slack.json(0).blocks)).toContain('Approved by <@U04SECONCALL>');
  });
});

describe('handlerFromEnvironment', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());
  afterAll(() => sqs.restore());

  const env = {
    APPROVAL_TABLE: 'vigil-approvals',
    REMEDIATION_AUDIT_TABLE: 'vigil-remediation-audit',
    SLACK_SIGNING_SECRET_REF: 'secretsmanager:vigil/slack-app#signingSecret',
    APPROVAL_WORK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/vigil-approved-work',
    REMEDIATION_CONFIG_FILE: path.join(__dirname, '../../../config/remediation.json'),
  };

  /** The sample request as stored, open for another hour of real time (the wired handler runs on the real clock). */
  function openItem(status = 'pending') {
    const r = sampleRequest();
    return {
      id: { S: r.id },
      status: { S: status },
      detectionId: { S: r.detectionId },
      eventId: { S: r.eventId },
      accountId: { S: r.accountId },
      region: { S: r.region },
      plan: { S: JSON.stringify(r.plan) },
      requestedAt: { S: r.requestedAt },
      expiresAt: { N: String(Date.now() + 3_600_000) },
      timeoutMinutes: { N: '60' },
      onTimeout: { S: 'escalate' },
      ...(status === 'pending'
        ? {}
        : { decidedBy: { S: `slack:${APPROVER}` }, decidedAt: { S: new Date().toISOString() } }),
    };
  }

  it('verifies with the secret read by reference, records, audits to the audit table and enqueues the plan', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ signingSecret: SIGNING_SECRET }) });
    ddb.on(GetItemCommand).resolves({ Item: openItem() });
    ddb.on(UpdateItemCommand).resolves({ Attributes: openItem('approved') });
    ddb.on(PutItemCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const handle = handlerFromEnvironment(env, '/var/task');

    const forged = await handle(
      click(APPROVAL_ACTIONS.approve, { secret: 'wrong-secret-wrong-secret-wrong' }, new Date()),
    );
    const real = await handle(click(APPROVAL_ACTIONS.approve, {}, new Date()));

    expect([forged.statusCode, real.statusCode]).toEqual([401, 200]);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'vigil/slack-app' });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1); // cached for the second request
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, { TableName: 'vigil-approvals' });
    expect(ddb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'vigil-remediation-audit',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: expect.objectContaining({
        pk: { S: `${sampleRequest().eventId}:revoke-world-open-ingress` },
        actor: { S: `slack:${APPROVER}` },
        phase: { S: 'decision' },
      }),
    });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    expect(JSON.parse(sqs.commandCalls(SendMessageCommand)[0].args[0].input.MessageBody!)).toEqual({
      kind: 'execute',
      requestId: REQUEST_ID,
      approver: `slack:${APPROVER}`,
      responseUrl: responseUrl(),
    });
    expect(slack.json(0).replace_original).toBe(true);
  });
});

describe('readApproveSettings / readApprovers', () => {
  const env = {
    APPROVAL_TABLE: 'vigil-approvals',
    REMEDIATION_AUDIT_TABLE: 'vigil-remediation-audit',
    SLACK_SIGNING_SECRET_REF: 'secretsmanager:vigil/slack-app#signingSecret',
    APPROVAL_LINK_KEY_REF: 'ssm:/vigil/approval/link-key',
    APPROVAL_WORK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/vigil-approved-work',
  };

  it('reads secret references, never secret values', () => {
    expect(readApproveSettings(env, '/var/task')).toEqual({
      tableName: 'vigil-approvals',
      auditTable: 'vigil-remediation-audit',
      slackSigningSecretRef: 'secretsmanager:vigil/slack-app#signingSecret',
      linkKeyRef: 'ssm:/vigil/approval/link-key',
      workQueueUrl: env.APPROVAL_WORK_QUEUE_URL,
      remediationConfigFile: '/var/task/remediation.json',
    });
  });

  it('leaves signed links off when no link key reference is set', () => {
    const { APPROVAL_LINK_KEY_REF: _, ...withoutLinks } = env;
    expect(readApproveSettings(withoutLinks, '/var/task')).not.toHaveProperty('linkKeyRef');
  });

  it('fails when the signing secret is configured as a plain value, naming every problem', () => {
    expect(() =>
      readApproveSettings({ ...env, APPROVAL_TABLE: '', SLACK_SIGNING_SECRET_REF: SIGNING_SECRET }, '/var/task'),
    ).toThrow(/2 problem\(s\)[\s\S]*APPROVAL_TABLE[\s\S]*SLACK_SIGNING_SECRET_REF: not a secret reference/);
  });

  it('reads the approvers of the repository’s remediation config', () => {
    const approvers = readApprovers(path.join(__dirname, '../../../config/remediation.json'));
    expect(approvers.slackUserIds.length + approvers.emails.length).toBeGreaterThan(0);
  });

  it('fails when the remediation config has no approvers', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-approve-'));
    const file = path.join(dir, 'remediation.json');
    writeFileSync(file, JSON.stringify({ approvers: { slackUserIds: 'U1' } }));
    expect(() => readApprovers(file)).toThrow(/approvers must be/);
    expect(() => readApprovers(path.join(dir, 'missing.json'))).toThrow(/cannot read the remediation config/);
  });

  it('answers 500 (and builds nothing) when the Lambda environment is incomplete', async () => {
    const saved = process.env.APPROVAL_TABLE;
    delete process.env.APPROVAL_TABLE;
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const res = await handler(click(APPROVAL_ACTIONS.approve));
      expect(res).toMatchObject({ statusCode: 500, body: 'internal error' });
      expect(log).toHaveBeenCalledWith(expect.stringContaining('APPROVAL_TABLE: required'));
    } finally {
      log.mockRestore();
      if (saved !== undefined) process.env.APPROVAL_TABLE = saved;
    }
  });
});
