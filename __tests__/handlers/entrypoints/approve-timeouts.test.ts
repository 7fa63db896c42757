import { DynamoDBClient, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { makeApprovalStore } from '../../../handlers/adapters/approval-store';
import type { ApprovalAuditRecord, ApprovalRequest } from '../../../handlers/core/approval/request';
import {
  createTimeoutSweeper,
  readSweeperSettings,
  type SweeperDeps,
} from '../../../handlers/entrypoints/approval-timeouts';
import { ApprovalSweepError } from '../../../handlers/errors';
import { AFTER_EXPIRY, approvalItem, LATER, memoryStore, REQUEST_ID, sampleRequest } from '../../helpers/approvals';

const ESCALATE_ID = REQUEST_ID;
const ACT_ID = 'act-request-000000000001';
const FRESH_ID = 'fresh-request-0000000001';

function requests(): ApprovalRequest[] {
  return [
    sampleRequest({ id: ESCALATE_ID }),
    sampleRequest({
      id: ACT_ID,
      timeout: { timeoutMinutes: 15, onTimeout: 'act' },
      expiresAt: '2024-05-02T10:35:00.000Z',
    }),
    sampleRequest({ id: FRESH_ID, expiresAt: '2024-05-02T12:00:00.000Z' }),
  ];
}

function setup(deps: Partial<SweeperDeps> = {}, initial = requests()) {
  const { store, items } = memoryStore(initial);
  const executed: Array<{ id: string; approver: string; status: string }> = [];
  const paged: string[] = [];
  const audit: ApprovalAuditRecord[] = [];
  const sweep = createTimeoutSweeper({
    store,
    execute: async (request, approver) => {
      executed.push({ id: request.id, approver, status: request.status });
    },
    escalate: async (request) => {
      paged.push(request.id);
    },
    audit: async (record) => {
      audit.push(record);
    },
    now: () => AFTER_EXPIRY,
    write: () => {},
    ...deps,
  });
  return { sweep, items, executed, paged, audit };
}

describe('approval timeout sweeper', () => {
  it('escalates an expired request with behaviour escalate: pages, marks expired, audits, runs nothing', async () => {
    const { sweep, items, executed, paged, audit } = setup();

    const report = await sweep();

    expect(report.escalated).toEqual([ESCALATE_ID]);
    expect(paged).toEqual([ESCALATE_ID]);
    expect(items.get(ESCALATE_ID)?.status).toBe('expired');
    expect(executed.map((e) => e.id)).not.toContain(ESCALATE_ID);
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'expired-escalated',
        requestId: ESCALATE_ID,
        actor: 'timeout-policy',
        at: AFTER_EXPIRY.toISOString(),
      }),
    );
  });

  it("acts on an expired request with behaviour act: approved by 'timeout-policy', executed once, audited", async () => {
    const { sweep, items, executed, paged, audit } = setup();

    const report = await sweep();

    expect(report.acted).toEqual([ACT_ID]);
    expect(items.get(ACT_ID)).toMatchObject({ status: 'approved', decidedBy: 'timeout-policy' });
    expect(executed).toEqual([{ id: ACT_ID, approver: 'timeout-policy', status: 'approved' }]);
    expect(paged).not.toContain(ACT_ID);
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'expired-acted',
        requestId: ACT_ID,
        channel: 'timeout-policy',
        calls: expect.any(Array),
      }),
    );
  });

  it('leaves requests that have not expired alone', async () => {
    const { sweep, items } = setup();
    const report = await sweep();
    expect(items.get(FRESH_ID)?.status).toBe('pending');
    expect([...report.escalated, ...report.acted, ...report.skipped, ...report.failed]).not.toContain(FRESH_ID);
  });

  it('does nothing before any request expires', async () => {
    const { sweep, paged, executed } = setup({ now: () => LATER });
    expect(await sweep()).toEqual({ escalated: [], acted: [], skipped: [], failed: [], malformed: [] });
    expect([paged, executed]).toEqual([[], []]);
  });

  it('settles each request once when two runs overlap', async () => {
    const { store, items } = memoryStore(requests());
    const executed: string[] = [];
    const make = () =>
      createTimeoutSweeper({
        store,
        execute: async (r) => {
          executed.push(r.id);
        },
        escalate: async () => {},
        audit: async () => {},
        now: () => AFTER_EXPIRY,
        write: () => {},
      });

    const [a, b] = await Promise.all([make()(), make()()]);

    expect(executed).toEqual([ACT_ID]);
    expect([...a.skipped, ...b.skipped].sort()).toEqual([ACT_ID, ESCALATE_ID].sort());
    expect(items.get(ESCALATE_ID)?.status).toBe('expired');
  });

  it('keeps a request pending when paging fails, so the next run pages again; the run ends in an error', async () => {
    const { sweep, items } = setup({
      escalate: async () => {
        throw new Error('PagerDuty 500');
      },
    });

    const error = await sweep().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApprovalSweepError);
    expect((error as ApprovalSweepError).failed).toEqual([ESCALATE_ID]);
    expect(items.get(ESCALATE_ID)?.status).toBe('pending');
    expect(items.get(ACT_ID)?.status).toBe('approved'); // the other request still went ahead
  });

  it('puts an act request back to pending when the hand-over fails, so the next run retries it', async () => {
    const { sweep, items } = setup({
      execute: async () => {
        throw new Error('SQS unavailable');
      },
    });

    await expect(sweep()).rejects.toThrow(/could not be settled: act-request-000000000001/);
    expect(items.get(ACT_ID)).toMatchObject({ status: 'pending' });
    expect(items.get(ACT_ID)).not.toHaveProperty('decidedBy');
  });
});

describe('approval timeout sweeper: audit failures', () => {
  it('logs the whole record of an escalation it could not audit, and ends the run in an error', async () => {
    const lines: string[] = [];
    const { sweep, items } = setup(
      {
        audit: async () => {
          throw new Error('audit table unavailable');
        },
        write: (line) => lines.push(line),
      },
      [sampleRequest()],
    );

    await expect(sweep()).rejects.toBeInstanceOf(ApprovalSweepError);
    expect(items.get(REQUEST_ID)?.status).toBe('expired');
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.message === 'audit record not written');
    expect(logged.record).toMatchObject({ action: 'expired-escalated', requestId: REQUEST_ID });
  });
});

describe('readSweeperSettings', () => {
  const env = {
    APPROVAL_TABLE: 'vigil-approvals',
    REMEDIATION_AUDIT_TABLE: 'vigil-remediation-audit',
    APPROVAL_WORK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/vigil-approved-work',
    ESCALATION_PAGERDUTY_ROUTING_KEY_REF: 'ssm:/vigil/pagerduty/security-oncall',
  };

  it('reads the table, the work queue and the escalation secret reference', () => {
    expect(readSweeperSettings(env)).toEqual({
      tableName: 'vigil-approvals',
      auditTable: 'vigil-remediation-audit',
      workQueueUrl: env.APPROVAL_WORK_QUEUE_URL,
      escalationRoutingKeyRef: 'ssm:/vigil/pagerduty/security-oncall',
    });
  });

  it('fails when the routing key is configured as a plain value, listing every problem', () => {
    expect(() =>
      readSweeperSettings({ ESCALATION_PAGERDUTY_ROUTING_KEY_REF: 'R0UTINGKEY0000000000000000000000' }),
    ).toThrow(
      /4 problem\(s\)[\s\S]*APPROVAL_TABLE[\s\S]*REMEDIATION_AUDIT_TABLE[\s\S]*APPROVAL_WORK_QUEUE_URL[\s\S]*not a secret reference/,
    );
  });

  describe('with the DynamoDB store', () => {
    const ddb = mockClient(DynamoDBClient);
    afterEach(() => ddb.reset());

    it('skips and reports a malformed approval record, and settles the others', async () => {
      ddb.on(QueryCommand).resolves({
        Items: [
          approvalItem({ id: { S: 'broken-request-000001' }, plan: { S: '{not json' } }),
          approvalItem({ id: { S: ESCALATE_ID } }),
        ],
      });
      ddb
        .on(UpdateItemCommand)
        .resolves({ Attributes: approvalItem({ id: { S: ESCALATE_ID }, status: { S: 'expired' } }) });
      const lines: string[] = [];
      const { sweep, paged } = setup({
        store: makeApprovalStore({ tableName: 'vigil-approvals', client: new DynamoDBClient({ region: 'eu-west-1' }) }),
        write: (line) => void lines.push(line),
      });

      const report = await sweep();

      expect(report).toMatchObject({ escalated: [ESCALATE_ID], failed: [], malformed: ['broken-request-000001'] });
      expect(paged).toEqual([ESCALATE_ID]);
      const parsed = lines.map((l) => JSON.parse(l));
      expect(parsed).toContainEqual(
        expect.objectContaining({
          level: 'error',
          requestId: 'broken-request-000001',
          reason: expect.stringMatching(/JSON/),
        }),
      );
      expect(parsed).toContainEqual(expect.objectContaining({ MalformedApprovalRecords: 1, _aws: expect.any(Object) }));
    });
  });
});
