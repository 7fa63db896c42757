import { Readable } from 'node:stream';
import { RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { InvokeCommand, LambdaClient, LambdaServiceException } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { MEMBER_CLIENT_CONFIG, makeMemberClient } from '../../../../handlers/adapters/remediation/member-client';
import { makeLocalMemberIo } from '../../../../handlers/adapters/remediation/member-io';
import {
  MEMBER_REQUEST_TTL_MS,
  type MemberResponse,
  memberRequestMessage,
} from '../../../../handlers/core/remediation/member-contract';
import type { PlannedCall, RemediationTarget } from '../../../../handlers/core/remediation/types';
import { createMemberHandler } from '../../../../handlers/entrypoints/remediate-member';
import {
  MemberInvokeError,
  MemberRequestError,
  RemediationCallError,
  RemediationStateError,
} from '../../../../handlers/errors';
import { fakeMacKey } from '../../../helpers/member-mac';
import { mockAll } from './sdk-scenarios';

const lambda = mockClient(LambdaClient);
const mocks = mockAll();
const KEY = fakeMacKey();
const NOW = new Date('2026-03-01T10:00:00.000Z');
const client = makeMemberClient({
  functionName: 'vigil-remediate-member',
  client: new LambdaClient({}),
  sign: KEY.sign,
  now: () => NOW,
});
const encode = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const answer = (r: MemberResponse) =>
  lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode(r) as never });
const sentRequest = (i = 0) =>
  JSON.parse(new TextDecoder().decode(lambda.commandCalls(InvokeCommand)[i]!.args[0].input.Payload as Uint8Array));

/** The error a call fails with (the test fails if it succeeds). */
const failureOf = (p: Promise<unknown>): Promise<any> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );

const TARGET: RemediationTarget = {
  action: 'revoke-world-open-ingress',
  accountId: '444444444444',
  region: 'eu-west-1',
  resourceId: 'sg-0123',
  details: {},
};
const REVOKE: PlannedCall = {
  service: 'ec2',
  operation: 'RevokeSecurityGroupIngress',
  input: { GroupId: 'sg-0123', SecurityGroupRuleIds: ['sgr-1'] },
  region: 'eu-west-1',
};
const ACTION_ID = 'e-1:revoke-world-open-ingress';
const EXECUTE = {
  accountId: '444444444444',
  action: 'revoke-world-open-ingress' as const,
  requestId: ACTION_ID,
  calls: [REVOKE],
};
const DETAILS = {
  accountId: '444444444444',
  region: 'eu-west-1',
  service: 'ec2',
  operation: 'RevokeSecurityGroupIngress',
  code: 'UnauthorizedOperation',
  permanent: true,
};

beforeEach(() => {
  lambda.reset();
  for (const m of Object.values(mocks)) m.reset();
});

describe('makeMemberClient', () => {
  it('invokes the member function synchronously with the request and returns its result', async () => {
    answer({ ok: true, result: { rules: [] } });

    expect(await client.readState(TARGET)).toEqual({ rules: [] });
    expect(lambda.commandCalls(InvokeCommand)[0]!.args[0].input).toMatchObject({
      FunctionName: 'vigil-remediate-member',
      InvocationType: 'RequestResponse',
    });
    expect(sentRequest()).toEqual({ op: 'read-state', target: TARGET });
  });

  it('sends execute requests with their role, action and id, expiring and signed', async () => {
    answer({ ok: true, result: { dryRun: false, calls: [{ call: REVOKE, outcome: 'done' }] } });

    await client.execute({ ...EXECUTE, role: 'undo' });

    const { mac, ...unsigned } = sentRequest();
    expect(unsigned).toEqual({
      op: 'execute',
      ...EXECUTE,
      role: 'undo',
      expiresAt: new Date(NOW.getTime() + MEMBER_REQUEST_TTL_MS).toISOString(),
    });
    expect(await KEY.verify(memberRequestMessage(unsigned), mac)).toBe(true);
    // The MAC covers the role: the same request as a remediation is another message.
    expect(await KEY.verify(memberRequestMessage({ ...unsigned, role: 'remediation' }), mac)).toBe(false);
  });

  it('sends nothing when the request cannot be signed', async () => {
    const unsigned = makeMemberClient({
      functionName: 'vigil-remediate-member',
      client: new LambdaClient({}),
      sign: async () => {
        throw Object.assign(new Error('not authorized to kms:GenerateMac'), { name: 'AccessDeniedException' });
      },
    });

    const err = await failureOf(unsigned.execute({ ...EXECUTE, role: 'remediation' }));

    expect(err).toBeInstanceOf(MemberInvokeError);
    expect(err.message).toMatch(/signing the execute request .* AccessDeniedException/);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('re-creates a serialized RemediationCallError with every field', async () => {
    answer({
      ok: false,
      error: {
        name: 'RemediationCallError',
        message: 'ec2:RevokeSecurityGroupIngress failed',
        details: { ...DETAILS, index: 1, completed: ['RevokeSecurityGroupIngress'] },
        cause: { name: 'UnauthorizedOperation', message: 'no' },
      },
    });

    const err = await failureOf(client.execute({ ...EXECUTE, role: 'remediation' }));

    expect(err).toBeInstanceOf(RemediationCallError);
    expect(err).toMatchObject({ ...DETAILS, index: 1, completed: ['RevokeSecurityGroupIngress'] });
    expect(err.cause).toMatchObject({ name: 'UnauthorizedOperation', message: 'no' });
  });

  it('re-creates a serialized RemediationStateError and a refused request', async () => {
    answer({
      ok: false,
      error: { name: 'RemediationStateError', message: 'reading failed', details: { ...DETAILS, permanent: false } },
    });
    const state = await failureOf(client.readState(TARGET));
    expect(state).toBeInstanceOf(RemediationStateError);
    expect(state).toMatchObject({ permanent: false, code: 'UnauthorizedOperation' });

    answer({ ok: false, error: { name: 'MemberRequestError', message: 'op: expected ...' } });
    const refused = await failureOf(client.readState(TARGET));
    expect(refused).toBeInstanceOf(MemberRequestError);
    expect(refused.permanent).toBe(true);
  });

  it('turns an unhandled failure of the function (FunctionError) into a transient MemberInvokeError', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 120.00 seconds' }) as never,
    });

    const err = await failureOf(client.readState(TARGET));

    expect(err).toBeInstanceOf(MemberInvokeError);
    expect(err).toMatchObject({ op: 'read-state', permanent: false, functionError: 'Unhandled' });
    expect(err.message).toMatch(/Sandbox\.Timedout: Task timed out after 120\.00 seconds/);
  });

  it('refuses an answer outside the contract (permanent) and reports a failed invoke by its class', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode('{"status":"fine"}') as never });
    expect(await failureOf(client.readState(TARGET))).toMatchObject({
      name: 'MemberInvokeError',
      permanent: true,
    });

    lambda.on(InvokeCommand).rejects(
      new LambdaServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'no',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const denied = await failureOf(client.readState(TARGET));
    expect(denied).toMatchObject({ name: 'MemberInvokeError', permanent: true });
    expect(denied.message).toMatch(/AccessDeniedException/);
  });

  it('never throws for tags: a failed hop is an unavailable answer', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: encode({}) as never });

    expect(await client.readTags({ accountId: '444444444444', region: 'eu-west-1', arns: ['arn:aws:s3:::b'] })).toEqual(
      {
        status: 'unavailable',
        reason: expect.stringMatching(/^MemberInvokeError: /),
      },
    );
  });

  it('behaves like the in-process adapters across a real member handler (errors included)', async () => {
    const member = createMemberHandler(
      makeLocalMemberIo({ namePrefix: 'vigil', sts: new STSClient({}) }),
      {
        accountIds: new Set(['444444444444']),
        readOnlyAccountIds: new Set<string>(),
        verifyMac: KEY.verify,
        now: () => NOW,
      },
      () => undefined,
    );
    lambda.on(InvokeCommand).callsFake(async (input: { Payload: Uint8Array }) => ({
      StatusCode: 200,
      Payload: encode(await member(JSON.parse(new TextDecoder().decode(input.Payload)))),
    }));
    mocks.ec2
      .on(RevokeSecurityGroupIngressCommand)
      .rejects({ name: 'UnauthorizedOperation', $fault: 'client', message: 'no', $metadata: { httpStatusCode: 403 } });
    const local = makeLocalMemberIo({ namePrefix: 'vigil', sts: new STSClient({}) });
    const request = { ...EXECUTE, role: 'remediation' as const };

    const remote = await failureOf(client.execute(request));
    const direct = await failureOf(local.execute(request));

    expect(remote).toBeInstanceOf(RemediationCallError);
    expect({ ...remote, message: remote.message }).toEqual({ ...direct, message: direct.message });
  });
});

describe('throttling', () => {
  it('is retried by the SDK: adaptive mode with several attempts', async () => {
    expect(MEMBER_CLIENT_CONFIG).toEqual({ maxAttempts: 4, retryMode: 'adaptive' });
    const c = new LambdaClient(MEMBER_CLIENT_CONFIG);
    expect(await c.config.maxAttempts()).toBe(4);
    expect(await c.config.retryStrategy()).toMatchObject({ mode: 'adaptive' });
  });

  // aws-sdk-client-mock replaces `send` and would skip the retry middleware: answer at the HTTP level.
  it('retries a TooManyRequestsException (reserved concurrency taken) and then succeeds', async () => {
    lambda.restore();
    const responses = [
      {
        statusCode: 429,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' },
        body: '{"message":"Rate Exceeded.","Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User"}',
      },
      { statusCode: 200, headers: {}, body: JSON.stringify({ ok: true, result: { rules: [] } }) },
    ];
    let requests = 0;
    const requestHandler = {
      handle: async () => {
        const r = responses[Math.min(requests++, responses.length - 1)]!;
        return {
          response: { statusCode: r.statusCode, headers: r.headers, body: Readable.from([Buffer.from(r.body)]) },
        };
      },
    };
    const real = makeMemberClient({
      functionName: 'vigil-remediate-member',
      sign: KEY.sign,
      client: new LambdaClient({
        ...MEMBER_CLIENT_CONFIG,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIA', secretAccessKey: 's' },
        requestHandler,
      }),
    });

    // The SDK's back-off between the attempts runs on fake timers: the retry is real, the wait is not. Ticks and
    // immediates stay real (the response stream needs them); the clock moves on while the call is pending.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      let settled = false;
      const state = real.readState(TARGET).finally(() => {
        settled = true;
      });
      while (!settled) {
        await new Promise((resolve) => setImmediate(resolve));
        await jest.advanceTimersByTimeAsync(50);
      }
      expect(await state).toEqual({ rules: [] });
    } finally {
      jest.useRealTimers();
    }
    expect(requests).toBe(2);
  });
});
