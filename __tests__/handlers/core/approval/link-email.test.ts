import {
  approvalEmailSubject,
  formatApprovalEmail,
  MAX_SUBJECT_LENGTH,
} from '../../../../handlers/core/approval/link-email';
import { REQUEST_ID, sampleRequest } from '../../../helpers/approvals';

const LINKS = {
  approver: 'security-oncall@example.com',
  approve: 'https://abc.lambda-url.eu-west-1.on.aws/approve?token=APPROVE.TOKEN',
  reject: 'https://abc.lambda-url.eu-west-1.on.aws/approve?token=REJECT.TOKEN',
};

describe('formatApprovalEmail', () => {
  it('names the detection, account, region, plan and request', () => {
    const { text, html } = formatApprovalEmail(sampleRequest(), LINKS);
    for (const body of [text, html]) {
      expect(body).toContain('Security group opened to the internet (ec2-security-group-world-open-ingress)');
      expect(body).toContain('111111111111');
      expect(body).toContain('eu-west-1');
      expect(body).toContain(REQUEST_ID);
    }
    expect(text).toContain('Plan:      revoke sgr-0abc1234 (tcp 22 from 0.0.0.0/0) on sg-0123456789abcdef0');
  });

  it('lists the exact calls with their input', () => {
    const { text } = formatApprovalEmail(sampleRequest(), LINKS);
    expect(text).toContain('Calls (1), exactly as they will be sent:');
    expect(text).toContain(
      '1. ec2:RevokeSecurityGroupIngress in eu-west-1 {"GroupId":"sg-0123456789abcdef0","SecurityGroupRuleIds":["sgr-0abc1234"]}',
    );
  });

  it('shows the expiry in UTC and both links, and says they are personal and single-use', () => {
    const { text, html } = formatApprovalEmail(sampleRequest(), LINKS);
    expect(text).toContain('Expires:   2024-05-02 11:20 UTC');
    expect(text).toContain(`Approve: ${LINKS.approve}`);
    expect(text).toContain(`Reject:  ${LINKS.reject}`);
    expect(text).toMatch(/personal and single-use: they decide as security-oncall@example\.com/);
    expect(html).toContain(`<a href="${LINKS.approve}">Approve</a>`);
    expect(html).toContain(`<a href="${LINKS.reject}">Reject</a>`);
    expect(html).toMatch(/personal and single-use/);
  });

  it('falls back to the detection id without a title', () => {
    const { subject, text } = formatApprovalEmail(sampleRequest({ detectionTitle: undefined }), LINKS);
    expect(subject).toBe('[vigil] Approval needed: ec2-security-group-world-open-ingress in 111111111111');
    expect(text).toContain('Detection: ec2-security-group-world-open-ingress\n');
  });

  it('escapes whatever came from the event in the HTML', () => {
    const request = sampleRequest();
    const { html } = formatApprovalEmail(
      { ...request, plan: { ...request.plan, summary: 'revoke <script>alert("x")</script> & more' } },
      LINKS,
    );
    expect(html).not.toContain('<script>');
    expect(html).toContain('revoke &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
  });

  it('clips huge call inputs and long call lists', () => {
    const request = sampleRequest();
    const call = { ...request.plan.calls[0]!, input: { PolicyDocument: 'x'.repeat(10_000) } };
    const { text } = formatApprovalEmail(
      { ...request, plan: { ...request.plan, calls: Array.from({ length: 60 }, () => call) } },
      LINKS,
    );
    expect(text).toContain('Calls (60)');
    expect(text).toContain('... (clipped)');
    expect(text).toContain('50. ec2:');
    expect(text).not.toContain('51. ec2:');
    expect(text).toContain('... and 10 more');
    expect(text.length).toBeLessThan(120_000);
  });
});

describe('approvalEmailSubject', () => {
  it('is one ASCII line of at most 100 characters, whatever the title', () => {
    const subjects = [
      approvalEmailSubject('Security group opened to the internet', '111111111111'),
      approvalEmailSubject('Sécurité\r\nBcc: attacker@example.com\t— ünïcodé 🚨', '111111111111'),
      approvalEmailSubject('A'.repeat(300), '111111111111'),
    ];
    for (const s of subjects) {
      expect(s.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
      expect(s).toMatch(/^[\x20-\x7e]+$/);
    }
    expect(subjects[0]).toBe('[vigil] Approval needed: Security group opened to the internet in 111111111111');
    expect(subjects[1]).toBe('[vigil] Approval needed: Securite Bcc: attacker@example.com unicode in 111111111111');
    expect(subjects[2]).toMatch(/^\[vigil\] Approval needed: A+\.\.\. in 111111111111$/);
    expect(subjects[2]).toHaveLength(MAX_SUBJECT_LENGTH);
  });
});
