import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { makeApprovalLinkMailer } from '../../../handlers/adapters/approval-email';
import { verifyLinkToken } from '../../../handlers/core/approval/signed-link';
import { LATER, LINK_KEY, REQUEST_ID, sampleRequest } from '../../helpers/approvals';

const ses = mockClient(SESv2Client);
beforeEach(() => ses.reset());

const BASE_URL = 'https://abc123.lambda-url.eu-west-1.on.aws/';
const APPROVERS = ['alice@example.com', 'bob@example.com'];

function mailer(key: () => Promise<string> = async () => LINK_KEY) {
  return makeApprovalLinkMailer({
    ses: new SESv2Client({}),
    from: 'vigil-approvals@example.com',
    key,
    baseUrl: BASE_URL,
  });
}

/** The tokens of the links in a sent email's text body, by decision. */
function tokensIn(text: string): { approve: string; reject: string } {
  const token = (label: string) => {
    const url = new URL(new RegExp(`^${label}:\\s+(\\S+)$`, 'm').exec(text)![1]!);
    expect(`${url.origin}${url.pathname}`).toBe('https://abc123.lambda-url.eu-west-1.on.aws/approve');
    return url.searchParams.get('token')!;
  };
  return { approve: token('Approve'), reject: token('Reject') };
}

describe('makeApprovalLinkMailer', () => {
  it('sends one email per approver, addressed to that approver alone, with their own links', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });

    const result = await mailer()(sampleRequest(), APPROVERS);

    expect(result).toEqual({ sent: APPROVERS, failed: [] });
    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(2);
    const tokens: string[] = [];
    calls.forEach((call, i) => {
      const input = call.args[0].input;
      expect(input.FromEmailAddress).toBe('vigil-approvals@example.com');
      expect(input.Destination).toEqual({ ToAddresses: [APPROVERS[i]] });
      const simple = input.Content!.Simple!;
      expect(simple.Subject!.Data).toMatch(/^\[vigil\] Approval needed: .* in 111111111111$/);
      expect(simple.Body!.Html!.Data).toContain('Approve</a>');
      expect(input.Content!.Raw).toBeUndefined();
      const { approve, reject } = tokensIn(simple.Body!.Text!.Data!);
      for (const [token, decision] of [
        [approve, 'approve'],
        [reject, 'reject'],
      ] as const) {
        const check = verifyLinkToken(token, LINK_KEY, LATER);
        expect(check).toMatchObject({ ok: true, claims: { requestId: REQUEST_ID, decision, approver: APPROVERS[i] } });
        tokens.push(token);
      }
    });
    expect(new Set(tokens).size).toBe(4);
  });

  it('keeps going when one approver’s email is refused, and reports it', async () => {
    ses
      .on(SendEmailCommand)
      .rejectsOnce(Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected' }))
      .resolves({ MessageId: 'm-2' });

    const result = await mailer()(sampleRequest(), APPROVERS);

    expect(result).toEqual({
      sent: ['bob@example.com'],
      failed: [{ email: 'alice@example.com', error: 'MessageRejected: Email address is not verified.' }],
    });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(2);
  });

  it('reads the key once per call, and not at all without approvers', async () => {
    ses.on(SendEmailCommand).resolves({});
    const key = jest.fn(async () => LINK_KEY);
    const send = mailer(key);

    await send(sampleRequest(), [...APPROVERS, 'carol@example.com']);
    expect(key).toHaveBeenCalledTimes(1);
    expect(await send(sampleRequest(), [])).toEqual({ sent: [], failed: [] });
    expect(key).toHaveBeenCalledTimes(1);
  });

  it('throws, sending nothing, when the key cannot be read or is too short', async () => {
    await expect(
      mailer(async () => {
        throw new Error('AccessDeniedException');
      })(sampleRequest(), APPROVERS),
    ).rejects.toThrow(/AccessDenied/);
    await expect(mailer(async () => 'short')(sampleRequest(), APPROVERS)).rejects.toThrow(/at least 32/);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});
