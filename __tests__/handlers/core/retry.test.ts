import {
  type AttemptFailure,
  type AttemptResult,
  backoffDelay,
  classifyFailure,
  classifySdkError,
  classifyStatus,
  decideRetry,
  parseRetryAfter,
  type RetryPolicy,
  runWithRetry,
} from '../../../handlers/core/retry';

const POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5_000 };
const NOW = Date.parse('2024-05-02T10:00:00Z');
const ctx = { now: NOW, random: () => 0.5 };
const status = (code: number, retryAfter?: string): AttemptFailure => ({ kind: 'status', status: code, retryAfter });

describe('classifyStatus', () => {
  it.each([429, 408, 500, 502, 503, 504])('treats %i as transient', (code) => {
    expect(classifyStatus(code)).toBe('transient');
  });

  it.each([400, 401, 403, 404, 410, 413, 301, 302])('treats %i as permanent', (code) => {
    expect(classifyStatus(code)).toBe('permanent');
  });

  it('treats timeouts and network errors as transient', () => {
    expect(classifyFailure({ kind: 'timeout' })).toBe('transient');
    expect(classifyFailure({ kind: 'network', detail: 'ECONNRESET' })).toBe('transient');
  });
});

describe('classifySdkError', () => {
  it.each([
    ['a server fault', { name: 'InternalErrorException', $fault: 'server' as const }, 'transient'],
    ['throttling (a client fault)', { name: 'ThrottledException', $fault: 'client' as const }, 'transient'],
    ['KMS throttling', { name: 'KMSThrottlingException', $fault: 'client' as const }, 'transient'],
    ['a 503 without fault', { name: 'Unknown', $metadata: { httpStatusCode: 503 } }, 'transient'],
    ['no response at all', { name: 'TimeoutError' }, 'transient'],
    ['a bad parameter', { name: 'InvalidParameterException', $fault: 'client' as const }, 'permanent'],
    [
      'a missing secret',
      { name: 'ResourceNotFoundException', $fault: 'client' as const, $metadata: { httpStatusCode: 400 } },
      'permanent',
    ],
    [
      'denied access',
      { name: 'AuthorizationErrorException', $fault: 'client' as const, $metadata: { httpStatusCode: 403 } },
      'permanent',
    ],
  ])('classifies %s', (_case, err, expected) => {
    expect(classifySdkError(err)).toBe(expected);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('3', NOW)).toBe(3000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter('Thu, 02 May 2024 10:00:07 GMT', NOW)).toBe(7000);
  });

  it('returns 0 for a date in the past', () => {
    expect(parseRetryAfter('Thu, 02 May 2024 09:00:00 GMT', NOW)).toBe(0);
  });

  it.each([undefined, '', 'soon', '-1', '1.5', '1e3'])('ignores %p', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles the ceiling on each retry, up to maxDelay', () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay(n, POLICY, top))).toEqual([99, 199, 399, 799, 4999]);
  });

  it('draws uniformly below the ceiling (full jitter)', () => {
    expect(backoffDelay(3, POLICY, () => 0)).toBe(0);
    expect(backoffDelay(3, POLICY, () => 0.5)).toBe(200);
  });
});

describe('decideRetry', () => {
  it('does not retry a permanent failure', () => {
    expect(decideRetry(status(400), 1, POLICY, ctx)).toEqual({
      retry: false,
      permanent: true,
      reason: expect.any(String),
    });
  });

  it('retries a transient failure after a jittered backoff', () => {
    expect(decideRetry(status(503), 2, POLICY, ctx)).toEqual({ retry: true, delayMs: 100 });
    expect(decideRetry({ kind: 'timeout' }, 1, POLICY, ctx)).toEqual({ retry: true, delayMs: 50 });
  });

  it('waits exactly as long as Retry-After asks', () => {
    expect(decideRetry(status(429, '4'), 1, POLICY, ctx)).toEqual({ retry: true, delayMs: 4000 });
    expect(decideRetry(status(503, 'Thu, 02 May 2024 10:00:02 GMT'), 1, POLICY, ctx)).toEqual({
      retry: true,
      delayMs: 2000,
    });
  });

  it('stops, still transient, when Retry-After asks for more than maxDelay', () => {
    expect(decideRetry(status(429, '60'), 1, POLICY, ctx)).toEqual({
      retry: false,
      permanent: false,
      reason: 'server asked to wait 60 s, more than the 5000 ms allowed here',
    });
  });

  it('stops, still transient, after maxAttempts', () => {
    expect(decideRetry(status(500), 4, POLICY, ctx)).toEqual({
      retry: false,
      permanent: false,
      reason: 'gave up after 4 attempts',
    });
  });

  it('stops when the wait would pass the deadline', () => {
    expect(decideRetry(status(429, '2'), 1, POLICY, { ...ctx, deadline: NOW + 1999 })).toMatchObject({
      retry: false,
      permanent: false,
    });
    expect(decideRetry(status(429, '2'), 1, POLICY, { ...ctx, deadline: NOW + 2000 })).toEqual({
      retry: true,
      delayMs: 2000,
    });
  });
});

describe('runWithRetry', () => {
  /** A runtime whose sleep advances a fake clock instead of waiting. */
  function fakeRuntime() {
    let now = NOW;
    const slept: number[] = [];
    return {
      slept,
      runtime: {
        now: () => now,
        random: () => 0.5,
        sleep: async (ms: number) => {
          slept.push(ms);
          now += ms;
        },
      },
    };
  }

  const script = (...results: AttemptResult<string>[]) => {
    const calls: number[] = [];
    return {
      calls,
      attempt: async (n: number) => {
        calls.push(n);
        return results[n - 1];
      },
    };
  };

  it('returns the first success with the attempts and waits it took', async () => {
    const { runtime, slept } = fakeRuntime();
    const { attempt, calls } = script(
      { ok: false, failure: status(500) },
      { ok: false, failure: status(429, '2') },
      { ok: true, value: 'done' },
    );

    const outcome = await runWithRetry(attempt, POLICY, runtime);

    expect(outcome).toEqual({ ok: true, value: 'done', attempts: 3, waits: [50, 2000] });
    expect(calls).toEqual([1, 2, 3]);
    expect(slept).toEqual([50, 2000]);
  });

  it('makes one attempt only for a permanent failure', async () => {
    const { runtime, slept } = fakeRuntime();
    const { attempt, calls } = script({ ok: false, failure: status(404) }, { ok: true, value: 'never' });

    const outcome = await runWithRetry(attempt, POLICY, runtime);

    expect(outcome).toMatchObject({ ok: false, permanent: true, attempts: 1, failure: status(404) });
    expect(calls).toEqual([1]);
    expect(slept).toEqual([]);
  });

  it('gives up, transient, after maxAttempts', async () => {
    const { runtime } = fakeRuntime();
    const failure: AttemptResult<string> = { ok: false, failure: { kind: 'network', detail: 'ECONNRESET' } };
    const { attempt, calls } = script(failure, failure, failure, failure, { ok: true, value: 'too late' });

    const outcome = await runWithRetry(attempt, POLICY, runtime);

    expect(outcome).toMatchObject({ ok: false, permanent: false, attempts: 4, waits: [50, 100, 200] });
    expect(calls).toEqual([1, 2, 3, 4]);
  });
});
