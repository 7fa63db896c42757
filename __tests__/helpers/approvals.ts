/**
 * Fixtures of the approval flow: a pending request for a real-shaped plan (revoke a world-open SSH
 * rule), signed Slack interaction requests, function URL events, and an in-memory approval store with
 * the same conditional semantics as the DynamoDB one (status and expiry checked on every write).
 */
import { createHmac } from 'node:crypto';
import type { ApprovalStore } from '../../handlers/adapters/approval-store';
import type { FunctionUrlEvent } from '../../handlers/entrypoints/approve';
import { type ApprovalRequest, createApprovalRequest, TIMEOUT_POLICY } from '../../handlers/core/approval/request';
import { ApprovalConflictError } from '../../handlers/errors';

/** When the request opened. */
export const OPENED = new Date('2024-05-02T10:20:00.000Z');
/** Ten minutes later: inside the 60-minute window. */
export const LATER = new Date('2024-05-02T10:30:00.000Z');
/** After the expiry. */
export const AFTER_EXPIRY = new Date('2024-05-02T11:20:00.000Z');

export const REQUEST_ID = '7d5c0a4e-1f7b-4a52-9d0e-3b6c2a1f0e9d';
export const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
export const LINK_KEY = 'k'.repeat(16) + 'L'.repeat(16) + 'approval-link-key';
export const APPROVER = 'U04SECLEAD1';
export const OUTSIDER = 'U099OUTSIDE';
export const APPROVERS = { slackUserIds: [APPROVER, 'U04SECONCALL'], emails: ['security-oncall@example.com'] };

/** A pending request: revoke the world-open SSH rule sgr-0abc1234 on sg-0123456789abcdef0. */
export function sampleRequest(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  const request = createApprovalRequest({
    id: REQUEST_ID,
    detectionId: 'ec2-security-group-world-open-ingress',
    detectionTitle: 'Security group opened to the internet',
    eventId: 'a1b2c3d4-5678-90ab-cdef-111111111111',
    plan: {
      kind: 'act',
      target: {
        action: 'revoke-world-open-ingress',
        accountId: '111111111111',
        region: 'eu-west-1',
        resourceId: 'sg-0123456789abcdef0',
        details: { securityGroupRuleIds: ['sgr-0abc1234'] },
      },
      summary: 'revoke sgr-0abc1234 (tcp 22 from 0.0.0.0/0) on sg-0123456789abcdef0',
      calls: [
        {
          service: 'ec2',
          operation: 'RevokeSecurityGroupIngress',
          input: { GroupId: 'sg-0123456789abcdef0', SecurityGroupRuleIds: ['sgr-0abc1234'] },
          region: 'eu-west-1',
        },
      ],
      snapshot: { rules: [{ SecurityGroupRuleId: 'sgr-0abc1234', IpProtocol: 'tcp', FromPort: 22, ToPort: 22 }] },
    },
    timeout: { timeoutMinutes: 60, onTimeout: 'escalate' },
    now: OPENED,
  });
  return { ...request, ...overrides };
}

/** {@link sampleRequest} as the approval table stores it (DynamoDB attribute values); `overrides` replace attributes. */
export function approvalItem(overrides: Record<string, unknown> = {}) {
  const r = sampleRequest();
  return {
    id: { S: r.id },
    status: { S: 'pending' },
    detectionId: { S: r.detectionId },
    detectionTitle: { S: r.detectionTitle! },
    eventId: { S: r.eventId },
    accountId: { S: r.accountId },
    region: { S: r.region },
    plan: { S: JSON.stringify(r.plan) },
    requestedAt: { S: r.requestedAt },
    expiresAt: { N: String(Date.parse(r.expiresAt)) },
    timeoutMinutes: { N: '60' },
    onTimeout: { S: 'escalate' },
    ttl: { N: '1717240800' },
    ...overrides,
  };
}

/** A `block_actions` payload as Slack sends it for a click on one of our buttons (ids scrubbed). */
export function blockActionsPayload(
  actionId: string,
  options: { userId?: string; value?: string; responseUrl?: string } = {},
): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: options.userId ?? APPROVER, username: 'sec.lead', name: 'sec.lead', team_id: 'T0000000001' },
    api_app_id: 'A0000000001',
    token: 'legacy-verification-token-unused',
    container: { type: 'message', message_ts: '1714645200.000100', channel_id: 'C0000000001', is_ephemeral: false },
    trigger_id: '1234567890123.1234567890123.abcdef0123456789abcdef0123456789',
    team: { id: 'T0000000001', domain: 'example-sec' },
    channel: { id: 'C0000000001', name: 'sec-approvals' },
    response_url:
      options.responseUrl ?? 'https://hooks.slack.com/actions/T0000000001/1234567890123/XXXXXXXXXXXXXXXXXXXXXXXX',
    actions: [
      {
        action_id: actionId,
        block_id: 'vigil_approval',
        text: { type: 'plain_text', text: 'Approve', emoji: true },
        value: options.value ?? REQUEST_ID,
        style: 'primary',
        type: 'button',
        action_ts: '1714645800.123456',
      },
    ],
  };
}

/** The form body Slack posts: `payload=<url-encoded JSON>`. */
export function formBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Slack's signature of `body` at `timestamp` (seconds), computed independently of the code under test. */
export function slackSignature(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** A function URL event (payload format 2.0) with lower-cased header names, as Lambda delivers it. */
export function urlEvent(
  method: string,
  rawPath: string,
  options: {
    body?: string;
    headers?: Record<string, string>;
    query?: Record<string, string>;
    base64?: boolean;
  } = {},
): FunctionUrlEvent {
  const body = options.body;
  return {
    rawPath,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(body === undefined
      ? {}
      : {
          body: options.base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
          isBase64Encoded: !!options.base64,
        }),
    requestContext: { http: { method, sourceIp: '203.0.113.7' } },
  };
}

/** A signed Slack interaction request for a click, at `now`. */
export function slackClick(
  actionId: string,
  now: Date,
  options: { userId?: string; value?: string; responseUrl?: string; secret?: string; base64?: boolean } = {},
): FunctionUrlEvent {
  const body = formBody(blockActionsPayload(actionId, options));
  const ts = Math.floor(now.getTime() / 1000);
  return urlEvent('POST', '/slack/interactions', {
    body,
    base64: options.base64 ?? true,
    headers: { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': slackSignature(body, ts, options.secret) },
  });
}

/** An in-memory {@link ApprovalStore} with the DynamoDB store's conditions, and a record of writes. */
export function memoryStore(initial: readonly ApprovalRequest[] = []) {
  const items = new Map(initial.map((r) => [r.id, r]));
  const nonces = new Set<string>();
  const writes: string[] = [];
  const conflict = (id: string, conflict: ApprovalConflictError['conflict']) => {
    const current = items.get(id);
    return new ApprovalConflictError(`conflict on ${id}: ${conflict}`, {
      requestId: id,
      conflict,
      ...(current ? { currentStatus: current.status } : {}),
      ...(current?.decidedBy ? { decidedBy: current.decidedBy } : {}),
    });
  };
  const update = (
    id: string,
    from: ApprovalRequest['status'],
    change: Partial<ApprovalRequest>,
    check?: () => boolean,
  ) => {
    const current = items.get(id);
    if (!current) throw conflict(id, 'not-found');
    if (current.status !== from) throw conflict(id, 'already-decided');
    if (check && !check()) throw conflict(id, from === 'pending' ? 'expired' : 'already-decided');
    const next = { ...current, ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete (next as Record<string, unknown>)[k];
    items.set(id, next);
    writes.push(`${id}:${from}->${next.status}`);
    return next;
  };
  const store: ApprovalStore = {
    async put(request) {
      items.set(request.id, request);
    },
    async get(id) {
      return items.get(id);
    },
    async decide(id, w) {
      return update(
        id,
        'pending',
        { status: w.to, decidedBy: w.decidedBy, decidedAt: w.now.toISOString() },
        () => Date.parse(items.get(id)!.expiresAt) > w.now.getTime(),
      );
    },
    async settleTimeout(id, w) {
      const decided = w.to === 'approved' ? { decidedBy: TIMEOUT_POLICY, decidedAt: w.now.toISOString() } : {};
      return update(
        id,
        'pending',
        { status: w.to, ...decided },
        () => Date.parse(items.get(id)!.expiresAt) <= w.now.getTime(),
      );
    },
    async revert(id, w) {
      const undo = w.from === 'undone';
      update(
        id,
        w.from,
        undo
          ? { status: 'executed', undoneBy: undefined, undoneAt: undefined }
          : { status: 'pending', decidedBy: undefined, decidedAt: undefined },
        () => (undo ? items.get(id)!.undoneBy : items.get(id)!.decidedBy) === w.decidedBy,
      );
    },
    async markExecuted(id, w) {
      return update(id, 'approved', { status: 'executed', executedAt: w.now.toISOString(), outcome: w.outcome });
    },
    async markUndone(id, w) {
      return update(id, 'executed', { status: 'undone', undoneBy: w.undoneBy, undoneAt: w.now.toISOString() });
    },
    async useNonce(nonce, w) {
      if (nonces.has(nonce)) throw conflict(w.requestId, 'token-used');
      nonces.add(nonce);
    },
    async listExpiredPending(now, limit = 100) {
      return [...items.values()]
        .filter((r) => r.status === 'pending' && Date.parse(r.expiresAt) <= now.getTime())
        .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt))
        .slice(0, limit);
    },
  };
  return { store, items, writes };
}
