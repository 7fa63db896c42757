import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  INTERACTIVE_HTTP,
  makeWorkQueue,
  mintApprovalLinks,
  newApprovalRequestId,
  publishApprovalMessage,
  respondToSlack,
} from '../../../handlers/adapters/approval-channel';
import { verifyLinkToken } from '../../../handlers/core/approval/signed-link';
import { asReplacement, formatApprovalMessage } from '../../../handlers/core/approval/slack-message';
import { REQUEST_ID_PATTERN } from '../../../handlers/core/approval/request';
import type { HttpRuntime } from '../../../handlers/adapters/http';
import { DeliveryError } from '../../../handlers/errors';
import { type ScriptedServer, startScriptedServer } from '../../helpers/http-server';
import { LATER, LINK_KEY, REQUEST_ID, sampleRequest } from '../../helpers/approvals';
import 'aws-sdk-client-mock-jest';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('respondToSlack', () => {
  it('posts the replacement message as JSON to the response_url', async () => {
    server = await startScriptedServer([{ status: 200, body: 'ok' }]);
    const message = asReplacement(formatApprovalMessage(sampleRequest({ status: 'rejected' })));

    await respondToSlack(`${server.url}/actions/T1/2/abc`, message);

    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/actions/T1/2/abc' });
    expect(server.requests[0].headers['content-type']).toBe('application/json');
    expect(server.json(0)).toEqual(JSON.parse(JSON.stringify(message)));
  });

  it('fails with a permanent DeliveryError when Slack says the response_url is used up', async () => {
    server = await startScriptedServer([{ status: 404, body: 'used_url' }]);
    const error = await respondToSlack(`${server.url}/x`, asReplacement(formatApprovalMessage(sampleRequest()))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ permanent: true, status: 404 });
  });

  it('gives up within Slack’s 3 seconds when the response_url hangs', async () => {
    const hung = await startScriptedServer([
      { status: 200, hang: true },
      { status: 200, hang: true },
    ]);
    server = hung;
    // A virtual clock: an attempt's timeout fires once the server holds its request unanswered, and advances the
    // clock by the attempt's timeout; the waits between attempts advance it too. Nothing waits in real time.
    const started = 1_800_000_000_000;
    let now = started;
    const timeouts: number[] = [];
    const runtime: Partial<HttpRuntime> = {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      timer: (ms, fire) => {
        timeouts.push(ms);
        const received = hung.requests.length + 1;
        const poll = setInterval(() => {
          if (hung.requests.length < received) return;
          clearInterval(poll);
          now += ms;
          fire();
        }, 2);
        return () => clearInterval(poll);
      },
    };

    await expect(
      respondToSlack(`${hung.url}/x`, asReplacement(formatApprovalMessage(sampleRequest())), {
        ...INTERACTIVE_HTTP,
        runtime,
      }),
    ).rejects.toThrow(DeliveryError);
    expect(hung.requests).toHaveLength(2);
    // Both attempts ended by their timeouts on the virtual clock, which stayed within Slack's 3 seconds.
    expect(timeouts).toHaveLength(2);
    expect(now - started).toBeLessThan(3000);
  });

  it('fails when the response_url is plain http to a remote host', async () => {
    await expect(
      respondToSlack('http://hooks.slack.com/actions/x', asReplacement(formatApprovalMessage(sampleRequest()))),
    ).rejects.toThrow(/must use https/);
  });
});

describe('publishApprovalMessage', () => {
  it('posts the approval message with its buttons to the webhook', async () => {
    server = await startScriptedServer([{ status: 200, body: 'ok' }]);
    await publishApprovalMessage(`${server.url}/services/T/B/X`, formatApprovalMessage(sampleRequest()));
    expect(JSON.stringify(server.json(0).blocks)).toContain('vigil_approve');
  });
});

describe('makeWorkQueue', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => sqs.reset());
  afterAll(() => sqs.restore());

  it('sends one message with the hand-over as JSON', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/111111111111/vigil-approved-work';

    await makeWorkQueue(
      new SQSClient({ region: 'eu-west-1' }),
      queueUrl,
    )({
      kind: 'execute',
      requestId: REQUEST_ID,
      approver: 'slack:U04SECLEAD1',
      responseUrl: 'https://hooks.slack.com/actions/T/1/x',
    });

    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    const input = sqs.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(input.QueueUrl).toBe(queueUrl);
    expect(JSON.parse(input.MessageBody!)).toEqual({
      kind: 'execute',
      requestId: REQUEST_ID,
      approver: 'slack:U04SECLEAD1',
      responseUrl: 'https://hooks.slack.com/actions/T/1/x',
    });
  });

  it('lets an SQS failure through (the caller reverts the decision)', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('ServiceUnavailable'));
    await expect(
      makeWorkQueue(
        new SQSClient({ region: 'eu-west-1' }),
        'https://sqs.example/q',
      )({
        kind: 'execute',
        requestId: REQUEST_ID,
        approver: 'timeout-policy',
      }),
    ).rejects.toThrow('ServiceUnavailable');
  });
});

describe('mintApprovalLinks / newApprovalRequestId', () => {
  it('issues each approver a verifiable approve and reject link with distinct nonces', () => {
    const [links] = mintApprovalLinks(
      sampleRequest(),
      ['security-oncall@example.com'],
      LINK_KEY,
      'https://fn.example/',
    );
    const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

    const approve = verifyLinkToken(tokenOf(links.approve), LINK_KEY, LATER);
    const reject = verifyLinkToken(tokenOf(links.reject), LINK_KEY, LATER);

    expect(links.approve).toMatch(/^https:\/\/fn\.example\/approve\?token=/);
    expect(approve).toMatchObject({
      ok: true,
      claims: { decision: 'approve', approver: 'security-oncall@example.com' },
    });
    expect(reject).toMatchObject({ ok: true, claims: { decision: 'reject' } });
    expect(approve.ok && reject.ok && approve.claims.nonce !== reject.claims.nonce).toBe(true);
    expect(approve.ok && approve.claims.expiresAt).toBe(Date.parse(sampleRequest().expiresAt) / 1000);
  });

  it('draws request ids that fit the id rule and do not repeat', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newApprovalRequestId()));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(REQUEST_ID_PATTERN);
  });
});
