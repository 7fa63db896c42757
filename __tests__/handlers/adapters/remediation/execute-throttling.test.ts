/**
 * Throttling is retried by the SDK itself (retry mode `adaptive`). aws-sdk-client-mock replaces `send`
 * and would skip the retry middleware, so these tests answer at the HTTP level instead: the real
 * clients, their real retry strategy and error parsing, a fake request handler. For every action, the
 * first call of its fix is answered with the service's throttling error once, then with success.
 */
import { Readable } from 'node:stream';
import { makeRemediationExecutor } from '../../../../handlers/adapters/remediation/execute';
import { REMEDIATIONS, remediationFor } from '../../../../handlers/core/remediation/registry';
import type { PlannedCall, RemediationService } from '../../../../handlers/core/remediation/types';
import { RemediationCallError } from '../../../../handlers/errors';
import { loadRemediationEvent } from '../../../fixtures/remediation/load';
import { SCENARIOS } from '../../core/remediation/scenarios';

interface FakeResponse {
  readonly statusCode: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

const XML = { 'content-type': 'text/xml' };
const JSON_11 = { 'content-type': 'application/x-amz-json-1.1' };

/** Each protocol's throttling answer, as the services document them. */
const THROTTLED: Readonly<Record<RemediationService, FakeResponse>> = {
  ec2: {
    statusCode: 503,
    headers: XML,
    body: '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r-1</RequestID></Response>',
  },
  iam: {
    statusCode: 400,
    headers: XML,
    body: '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>',
  },
  rds: {
    statusCode: 400,
    headers: XML,
    body: '<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>',
  },
  s3: {
    statusCode: 503,
    headers: { 'content-type': 'application/xml' },
    body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>r-1</RequestId><HostId>h-1</HostId></Error>',
  },
  s3control: {
    statusCode: 503,
    headers: { 'content-type': 'application/xml' },
    body: '<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error><RequestId>r-1</RequestId><HostId>h-1</HostId></ErrorResponse>',
  },
  cloudtrail: { statusCode: 400, headers: JSON_11, body: '{"__type":"ThrottlingException","message":"Rate exceeded"}' },
  kms: { statusCode: 400, headers: JSON_11, body: '{"__type":"ThrottlingException","message":"Rate exceeded"}' },
  // GuardDuty is a REST-JSON API: its throttling answer is a 429 with the error type in the body.
  guardduty: {
    statusCode: 429,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' },
    body: '{"message":"Rate exceeded","__type":"TooManyRequestsException"}',
  },
  config: { statusCode: 400, headers: JSON_11, body: '{"__type":"ThrottlingException","message":"Rate exceeded"}' },
  events: { statusCode: 400, headers: JSON_11, body: '{"__type":"ThrottlingException","message":"Rate exceeded"}' },
};

/** A successful answer to a mutating call. */
function ok(c: PlannedCall): FakeResponse {
  switch (c.service) {
    case 'ec2':
      return {
        statusCode: 200,
        headers: XML,
        body: `<${c.operation}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-2</requestId><return>true</return></${c.operation}Response>`,
      };
    case 'iam':
      return {
        statusCode: 200,
        headers: XML,
        body: `<${c.operation}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></${c.operation}Response>`,
      };
    case 'rds':
      return {
        statusCode: 200,
        headers: XML,
        body: `<${c.operation}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${c.operation}Result></${c.operation}Result><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></${c.operation}Response>`,
      };
    case 's3':
    case 's3control':
      return { statusCode: 200, body: '' };
    case 'events':
      return { statusCode: 200, headers: JSON_11, body: '{"FailedEntryCount":0,"FailedEntries":[]}' };
    default:
      return { statusCode: 200, headers: JSON_11, body: '{}' };
  }
}

/** A request handler that answers from a script and records what it was asked. */
function fakeHandler(script: readonly FakeResponse[]) {
  const requests: Array<{
    method: string;
    hostname: string;
    path: string;
    headers: Record<string, string>;
    body: unknown;
  }> = [];
  return {
    requests,
    handler: {
      handle: async (request: {
        method: string;
        hostname: string;
        path: string;
        headers: Record<string, string>;
        body: unknown;
      }) => {
        const answer = script[Math.min(requests.length, script.length - 1)]!;
        requests.push(request);
        return {
          response: {
            statusCode: answer.statusCode,
            headers: answer.headers ?? {},
            body: Readable.from([Buffer.from(answer.body)]),
          },
        };
      },
    },
  };
}

const executorWith = (handler: unknown, maxAttempts = 3) =>
  makeRemediationExecutor({
    namePrefix: 'vigil',
    maxAttempts,
    credentialsFor: () => async () => ({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    }),
    clientConfig: { requestHandler: handler },
  });

/** The first call of each action's fix (one scenario per action). */
const FIRST_CALLS = [...new Map(SCENARIOS.map((s) => [s.action, s])).values()].map((s) => {
  const def = remediationFor(s.action);
  const target = def.target(loadRemediationEvent(s.fixture), s.ctx);
  if ('refuse' in target) throw new Error(target.refuse);
  const plan = def.plan(target, s.before);
  if (plan.kind !== 'act') throw new Error(`${s.action}: expected a fix`);
  return [s.action, plan.calls[0]!.operation, plan.calls[0]!] as const;
});

/**
 * Runs `work` with jest's fake clock, advancing it until the work settles: the SDK's adaptive retry
 * back-off and client-side rate limiter wait on timers and `Date.now()`, which the fake clock drives,
 * so no test waits in real time. Returns how much fake time passed (the SDK's waits).
 */
async function withFakeClock<T>(work: () => Promise<T>): Promise<{ result: T; waitedMs: number }> {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  try {
    const started = Date.now();
    let settled = false;
    const running = work().finally(() => {
      settled = true;
    });
    running.catch(() => undefined);
    while (!settled) await jest.advanceTimersByTimeAsync(100);
    return { result: await running, waitedMs: Date.now() - started };
  } finally {
    jest.useRealTimers();
  }
}

describe('executor under throttling', () => {
  it('covers every action', () => {
    expect(FIRST_CALLS).toHaveLength(Object.keys(REMEDIATIONS).length);
    expect(FIRST_CALLS.map(([action]) => action).sort()).toEqual(Object.keys(REMEDIATIONS).sort());
  });

  it.each(FIRST_CALLS)('%s: retries %s after the service throttles it once', async (_action, _operation, call) => {
    const fake = fakeHandler([THROTTLED[call.service], ok(call)]);

    const { result, waitedMs } = await withFakeClock(() =>
      executorWith(fake.handler).execute({ accountId: '444444444444', calls: [call] }),
    );

    expect(result.calls).toEqual([{ call, outcome: 'done' }]);
    // The retry waited (SDK back-off on the fake clock), not for real.
    expect(waitedMs).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(2);
    // The same request twice, to the service and region of the call.
    expect(fake.requests[1]?.path).toBe(fake.requests[0]?.path);
    // IAM has one global endpoint; every other service is called in the call's region.
    expect(fake.requests[0]?.hostname).toContain(call.service === 'iam' ? 'iam.amazonaws.com' : call.region);
  });

  it('gives up after maxAttempts with a transient RemediationCallError', async () => {
    const [, , call] = FIRST_CALLS.find(([action]) => action === 'revoke-world-open-ingress')!;
    const fake = fakeHandler([THROTTLED.ec2]);

    const { result: err } = await withFakeClock(() =>
      executorWith(fake.handler, 2)
        .execute({ accountId: '444444444444', calls: [call] })
        .catch((e: unknown) => e),
    );

    expect(err).toBeInstanceOf(RemediationCallError);
    expect(err).toMatchObject({ code: 'RequestLimitExceeded', permanent: false });
    expect(fake.requests).toHaveLength(2);
  });

  it('does not retry a permanent error', async () => {
    const [, , call] = FIRST_CALLS.find(([action]) => action === 'restart-config-recorder')!;
    const fake = fakeHandler([
      {
        statusCode: 400,
        headers: JSON_11,
        body: '{"__type":"NoAvailableDeliveryChannelException","message":"Delivery channel is not available to start configuration recorder."}',
      },
    ]);

    await expect(
      executorWith(fake.handler).execute({ accountId: '444444444444', calls: [call] }),
    ).rejects.toMatchObject({
      code: 'NoAvailableDeliveryChannelException',
      permanent: true,
    });
    expect(fake.requests).toHaveLength(1);
  });
});
