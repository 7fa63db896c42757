import { signLinkToken } from '../../../handlers/core/approval/signed-link';
import type { ApprovalAuditRecord, ApprovalRequest } from '../../../handlers/core/approval/request';
import { type ApproveDeps, createApproveHandler } from '../../../handlers/entrypoints/approve';
import {
  AFTER_EXPIRY,
  APPROVERS,
  LATER,
  LINK_KEY,
  memoryStore,
  REQUEST_ID,
  sampleRequest,
  urlEvent,
} from '../../helpers/approvals';

const EMAIL = 'security-oncall@example.com';
const EXPIRES = Date.parse(sampleRequest().expiresAt) / 1000;

function token(overrides: Partial<Parameters<typeof signLinkToken>[0]> = {}, key = LINK_KEY) {
  return signLinkToken(
    {
      requestId: REQUEST_ID,
      decision: 'approve',
      approver: EMAIL,
      expiresAt: EXPIRES,
      nonce: 'Zm9yLXRlc3RzLW9ubHktMTY',
      ...overrides,
    },
    key,
  );
}

function setup(options: { requests?: ApprovalRequest[]; now?: Date; deps?: Partial<ApproveDeps> } = {}) {
  const { store, items, writes } = memoryStore(options.requests ?? [sampleRequest()]);
  const executed: Array<{ request: ApprovalRequest; approver: string }> = [];
  const audit: ApprovalAuditRecord[] = [];
  const deps: ApproveDeps = {
    store,
    approvers: APPROVERS,
    slackSigningSecret: async () => 'unused-in-link-tests',
    linkKey: async () => LINK_KEY,
    execute: async (request, approver) => {
      executed.push({ request, approver });
    },
    audit: async (record) => {
      audit.push(record);
    },
    respond: async () => {
      throw new Error('links never post to Slack');
    },
    now: () => options.now ?? LATER,
    write: () => {},
    ...options.deps,
  };
  return { handle: createApproveHandler(deps), items, writes, executed, audit };
}

const show = (t: string) => urlEvent('GET', '/approve', { query: { token: t } });
const submit = (t: string, base64 = false) =>
  urlEvent('POST', '/approve', { body: new URLSearchParams({ token: t }).toString(), base64 });

describe('approve handler: signed links', () => {
  it('GET shows a confirmation page with a POST form and decides nothing (link previews are harmless)', async () => {
    const { handle, writes, executed } = setup();
    const t = token();

    const res = await handle(show(t));

    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<form method="post" action="/approve">');
    expect(res.body).toContain(`<input type="hidden" name="token" value="${t}">`);
    expect(res.body).toContain('RevokeSecurityGroupIngress');
    expect(writes).toEqual([]);
    expect(executed).toEqual([]);
  });

  it('serves pages that cannot be cached, framed or leak the token through the Referer', async () => {
    const { handle } = setup();
    const res = await handle(show(token()));
    expect(res.headers).toMatchObject({
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy': expect.stringContaining("frame-ancestors 'none'"),
    });
  });

  it('POST approves once: executes, audits with the link channel and the approver email', async () => {
    const { handle, items, executed, audit } = setup();

    const res = await handle(submit(token(), true));

    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Approved. The remediation is running.');
    expect(items.get(REQUEST_ID)).toMatchObject({ status: 'approved', decidedBy: `email:${EMAIL}` });
    expect(executed).toEqual([
      { request: expect.objectContaining({ status: 'approved' }), approver: `email:${EMAIL}` },
    ]);
    expect(audit).toEqual([expect.objectContaining({ action: 'approved', channel: 'link', actor: `email:${EMAIL}` })]);
  });

  it('POST rejects with a reject link', async () => {
    const { handle, items, executed } = setup();
    const res = await handle(submit(token({ decision: 'reject' })));
    expect(res.statusCode).toBe(200);
    expect(items.get(REQUEST_ID)?.status).toBe('rejected');
    expect(executed).toEqual([]);
  });

  it('fails with 410 when the same link is used twice, executing once', async () => {
    const { handle, executed } = setup();
    const t = token();

    const first = await handle(submit(t));
    const second = await handle(submit(t));

    expect([first.statusCode, second.statusCode]).toEqual([200, 410]);
    expect(executed).toHaveLength(1);
  });

  it('fails with 410 when a reused token meets a request that was reverted to pending (nonce is single-use)', async () => {
    const { handle, items, executed } = setup();
    const t = token();
    await handle(submit(t));
    items.set(REQUEST_ID, sampleRequest()); // back to pending, e.g. after a revert

    const replay = await handle(submit(t));

    expect(replay.statusCode).toBe(410);
    expect(replay.body).toContain('This link was used before');
    expect(executed).toHaveLength(1);
  });

  it('fails with 410 once the other link of the pair decided the request', async () => {
    const { handle, executed } = setup();
    await handle(submit(token({ decision: 'reject', nonce: 'cmVqZWN0LW5vbmNlLTE2Ynl0' })));

    const res = await handle(submit(token()));

    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('already rejected');
    expect(executed).toEqual([]);
  });

  it('fails with 401 on a forged token, for GET and POST', async () => {
    const { handle, items } = setup();
    const forged = token({}, 'an-attacker-key-that-is-long-enough-to-sign');

    expect((await handle(show(forged))).statusCode).toBe(401);
    expect((await handle(submit(forged))).statusCode).toBe(401);
    expect(items.get(REQUEST_ID)?.status).toBe('pending');
  });

  it('fails with 410 on an expired link', async () => {
    const { handle, items } = setup({ now: AFTER_EXPIRY });
    const res = await handle(submit(token()));
    expect(res.statusCode).toBe(410);
    expect(items.get(REQUEST_ID)?.status).toBe('pending');
  });

  it('fails with 410 when the link outlives an expired request (token expiry later than the request)', async () => {
    const { handle, executed } = setup({ now: AFTER_EXPIRY });
    const res = await handle(submit(token({ expiresAt: EXPIRES + 86_400 })));
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('expired');
    expect(executed).toEqual([]);
  });

  it('fails with 403 for a link issued to someone who is not (or no longer) an approver', async () => {
    const { handle, executed, audit } = setup();
    const t = token({ approver: 'former-employee@example.com' });

    expect((await handle(show(t))).statusCode).toBe(403);
    expect((await handle(submit(t))).statusCode).toBe(403);
    expect(executed).toEqual([]);
    expect(audit).toEqual([expect.objectContaining({ action: 'refused', actor: 'email:former-employee@example.com' })]);
  });

  it.each([
    ['no token', urlEvent('GET', '/approve')],
    ['a damaged token', show('not-a-token')],
    ['a POST without token', urlEvent('POST', '/approve', { body: 'foo=bar' })],
  ])('fails with 400 on %s', async (_case, event) => {
    const { handle } = setup();
    expect((await handle(event)).statusCode).toBe(400);
  });

  it('escapes request data in the page (no script from event data)', async () => {
    const hostile = sampleRequest();
    const { handle } = setup({
      requests: [{ ...hostile, plan: { ...hostile.plan, summary: '<script>alert(1)</script>' } }],
    });
    const res = await handle(show(token()));
    expect(res.body).not.toContain('<script>');
    expect(res.body).toContain('&lt;script&gt;');
  });
});
