import { formatEscalationPage } from '../../../../handlers/core/approval/escalation';
import {
  type ApprovalBlock,
  asReplacement,
  describeDecider,
  formatApprovalMessage,
  formatNotice,
} from '../../../../handlers/core/approval/slack-message';
import { APPROVAL_ACTIONS } from '../../../../handlers/core/approval/slack-signature';
import { AFTER_EXPIRY, REQUEST_ID, sampleRequest } from '../../../helpers/approvals';

const buttons = (blocks: readonly ApprovalBlock[]) => blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
const texts = (blocks: readonly ApprovalBlock[]) =>
  JSON.stringify(blocks.map((b) => (b.type === 'section' ? b.text?.text : b.type === 'header' ? b.text.text : '')));

describe('formatApprovalMessage', () => {
  it('offers Approve and Reject buttons whose value is the request id', () => {
    const { blocks } = formatApprovalMessage(sampleRequest());

    expect(buttons(blocks)).toEqual([
      expect.objectContaining({ action_id: APPROVAL_ACTIONS.approve, value: REQUEST_ID, style: 'primary' }),
      expect.objectContaining({ action_id: APPROVAL_ACTIONS.reject, value: REQUEST_ID, style: 'danger' }),
    ]);
  });

  it('asks for confirmation before an approval and names the account in the dialog', () => {
    const approve = buttons(formatApprovalMessage(sampleRequest()).blocks)[0];
    expect(approve.confirm?.text.text).toMatch(/1 call in account 111111111111 \(eu-west-1\)/);
  });

  it('shows the exact calls the approver allows, and when the request expires', () => {
    const text = texts(formatApprovalMessage(sampleRequest()).blocks);
    expect(text).toContain('ec2 RevokeSecurityGroupIngress @eu-west-1');
    expect(text).toContain('sgr-0abc1234');
    expect(text).toMatch(/<!date\^1714648800\^.*\|2024-05-02T11:20:00.000Z>/);
    expect(text).toMatch(/expires and is escalated/);
  });

  it('says the plan runs by itself after the timeout when the behaviour is act', () => {
    const request = sampleRequest({ timeout: { timeoutMinutes: 15, onTimeout: 'act' } });
    expect(texts(formatApprovalMessage(request).blocks)).toMatch(/the plan runs automatically/);
  });

  it('replaces the buttons with "Approved by <@U…> at …" once approved', () => {
    const request = sampleRequest({
      status: 'approved',
      decidedBy: 'slack:U04SECLEAD1',
      decidedAt: '2024-05-02T10:30:00.000Z',
    });
    const message = asReplacement(formatApprovalMessage(request));

    expect(message.replace_original).toBe(true);
    expect(buttons(message.blocks)).toEqual([]);
    expect(texts(message.blocks)).toMatch(/Approved by <@U04SECLEAD1> at <!date\^1714645800\^/);
    expect(message.text).toMatch(/^Approved: /);
  });

  it('shows "Rejected by …" for a link approver, escaped', () => {
    const request = sampleRequest({
      status: 'rejected',
      decidedBy: 'email:a<b>@example.com',
      decidedAt: '2024-05-02T10:30:00.000Z',
    });
    const text = texts(formatApprovalMessage(request).blocks);
    expect(text).toContain('Rejected by a&lt;b&gt;@example.com at');
    expect(buttons(formatApprovalMessage(request).blocks)).toEqual([]);
  });

  it('shows "Expired" without buttons', () => {
    const message = formatApprovalMessage(sampleRequest({ status: 'expired' }));
    expect(buttons(message.blocks)).toEqual([]);
    expect(texts(message.blocks)).toMatch(/Expired at <!date\^1714648800.*escalated/);
  });

  it('offers an Undo button after a fix only when undo is available', () => {
    const executed = sampleRequest({
      status: 'executed',
      decidedBy: 'timeout-policy',
      decidedAt: AFTER_EXPIRY.toISOString(),
      executedAt: AFTER_EXPIRY.toISOString(),
      outcome: 'fixed: revoked sgr-0abc1234, verified',
    });

    expect(buttons(formatApprovalMessage(executed, { undoable: true }).blocks)).toEqual([
      expect.objectContaining({ action_id: APPROVAL_ACTIONS.undo, value: REQUEST_ID, confirm: expect.any(Object) }),
    ]);
    expect(buttons(formatApprovalMessage(executed).blocks)).toEqual([]);
    expect(texts(formatApprovalMessage(executed).blocks)).toMatch(
      /Approved by the timeout policy .*executed at .*Outcome:\* fixed: revoked sgr-0abc1234, verified/,
    );
  });

  it('names who asked for an undo', () => {
    const undone = sampleRequest({
      status: 'undone',
      decidedBy: 'slack:U04SECLEAD1',
      decidedAt: '2024-05-02T10:30:00.000Z',
      undoneBy: 'slack:U04SECONCALL',
      undoneAt: '2024-05-02T10:40:00.000Z',
    });
    expect(texts(formatApprovalMessage(undone).blocks)).toMatch(/undo requested by <@U04SECONCALL>/);
  });

  it('escapes event-controlled text so it cannot ping the channel or forge a link', () => {
    const request = sampleRequest();
    const hostile = {
      ...request,
      plan: {
        ...request.plan,
        summary: 'revoke <!channel> <https://evil.example|Approve>',
        calls: [{ ...request.plan.calls[0], input: { GroupId: '```<!here>```' } }],
      },
    };
    const text = texts(formatApprovalMessage(hostile).blocks);
    expect(text).not.toMatch(/<!channel>|<!here>|<https:\/\/evil/);
    expect(text).toContain('&lt;!channel&gt;');
  });

  it('stays within Slack limits when the plan has hundreds of calls', () => {
    const request = sampleRequest();
    const calls = Array.from({ length: 300 }, (_, i) => ({
      ...request.plan.calls[0],
      input: { GroupId: `sg-${i}`.padEnd(80, 'x') },
    }));
    const message = formatApprovalMessage({ ...request, plan: { ...request.plan, calls } });

    for (const block of message.blocks) {
      if (block.type === 'section' && block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
    }
    expect(texts(message.blocks)).toMatch(/… and \d+ more/);
  });
});

describe('formatNotice / describeDecider', () => {
  it('builds an ephemeral reply that leaves the message alone', () => {
    expect(formatNotice('Only approvers <!here>')).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'Only approvers &lt;!here&gt;',
    });
  });

  it.each([
    ['slack:U04SECLEAD1', '<@U04SECLEAD1>'],
    ['slack:U1>|<!channel', 'slack:U1&gt;|&lt;!channel'],
    ['timeout-policy', 'the timeout policy'],
    [undefined, 'nobody'],
  ])('renders %p as %p', (decidedBy, expected) => {
    expect(describeDecider(decidedBy)).toBe(expected);
  });
});

describe('formatApprovalMessage limits', () => {
  it('cuts a huge plan summary inside the section limit without leaving half an entity', () => {
    const request = sampleRequest();
    const message = formatApprovalMessage({ ...request, plan: { ...request.plan, summary: '<'.repeat(5000) } });
    const plan = message.blocks[1];
    expect(plan.type === 'section' && plan.text?.text.length).toBeLessThanOrEqual(3000);
    expect(plan.type === 'section' && plan.text?.text).toMatch(/(&lt;)+…$/);
  });

  it('shows the detection id when the request has no title', () => {
    const { detectionTitle: _, ...untitled } = sampleRequest();
    expect(formatApprovalMessage(untitled).text).toContain('ec2-security-group-world-open-ingress');
  });

  it('falls back to the raw value of a date it cannot parse', () => {
    const text = texts(formatApprovalMessage(sampleRequest({ expiresAt: 'soon<' })).blocks);
    expect(text).toContain('soon&lt;');
  });

  it('shows a decided request without times when they are missing', () => {
    expect(texts(formatApprovalMessage(sampleRequest({ status: 'executed' })).blocks)).toMatch(
      /Approved by nobody at ; executed\./,
    );
    expect(texts(formatApprovalMessage(sampleRequest({ status: 'undone' })).blocks)).toMatch(
      /undo requested by nobody at \./,
    );
  });

  it('says the timeout policy runs the plan when a late click meets an act request', () => {
    const request = sampleRequest({ status: 'expired', timeout: { timeoutMinutes: 15, onTimeout: 'act' } });
    expect(texts(formatApprovalMessage(request).blocks)).toMatch(/the timeout policy runs the plan/);
  });
});

describe('formatEscalationPage', () => {
  it('names the detection by id when the request has no title', () => {
    const { detectionTitle: _, ...untitled } = sampleRequest();
    expect(formatEscalationPage(untitled, 'k', AFTER_EXPIRY).payload.summary).toContain(
      'ec2-security-group-world-open-ingress in 111111111111',
    );
  });

  it('pages with the request as dedup key, so a repeated page joins the same incident', () => {
    const page = formatEscalationPage(sampleRequest(), 'R0UTINGKEY0000000000000000000000', AFTER_EXPIRY);
    expect(page).toMatchObject({
      routing_key: 'R0UTINGKEY0000000000000000000000',
      event_action: 'trigger',
      dedup_key: `vigil/approval/${REQUEST_ID}`,
      payload: {
        severity: 'error',
        summary: expect.stringMatching(/^Remediation approval timed out after 60 min: Security group opened/),
        custom_details: expect.objectContaining({ request_id: REQUEST_ID, calls: 1 }),
      },
    });
  });
});
