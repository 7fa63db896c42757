import { createServer } from 'node:net';
import { type PostJsonOptions, postJson } from '../../../handlers/adapters/http';
import { type ScriptedServer, startScriptedServer } from '../../helpers/http-server';

/** Records the delays instead of sleeping, so a 429 asking for seconds costs no real time. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function post(script: Parameters<typeof startScriptedServer>[0], options: PostJsonOptions = {}) {
  server = await startScriptedServer(script);
  const { waits, sleep } = recordingSleep();
  const outcome = await postJson(
    `${server.url}/hook`,
    { hello: 'world' },
    {
      timeoutMs: 300,
      ...options,
      runtime: { sleep, random: () => 0.5, ...options.runtime },
    },
  );
  return { outcome, waits, server };
}

describe('postJson', () => {
  it('POSTs the payload as JSON and returns the 2xx answer', async () => {
    const { outcome, server } = await post([{ status: 200, body: 'ok', headers: { 'x-answer': '42' } }]);

    expect(outcome).toMatchObject({ ok: true, attempts: 1, waits: [] });
    expect(outcome.ok && outcome.value).toMatchObject({ status: 200, body: 'ok', headers: { 'x-answer': '42' } });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/hook',
      headers: { 'content-type': 'application/json' },
    });
    expect(server.json(0)).toEqual({ hello: 'world' });
  });

  it('waits as long as Retry-After (seconds) asks after a 429, then retries', async () => {
    const { outcome, waits, server } = await post([
      { status: 429, headers: { 'retry-after': '3' }, body: 'rate_limited' },
      { status: 200, body: 'ok' },
    ]);

    expect(outcome).toMatchObject({ ok: true, attempts: 2 });
    expect(waits).toEqual([3000]);
    expect(server.requests).toHaveLength(2);
  });

  it('honours a Retry-After HTTP-date against the injected clock', async () => {
    const now = Date.parse('2024-05-02T10:00:00Z');
    const { outcome, waits } = await post(
      [{ status: 503, headers: { 'retry-after': 'Thu, 02 May 2024 10:00:05 GMT' } }, { status: 200 }],
      { runtime: { now: () => now } },
    );

    expect(outcome.ok).toBe(true);
    expect(waits).toEqual([5000]);
  });

  it('really waits for a short Retry-After when no sleep is injected', async () => {
    server = await startScriptedServer([{ status: 429, headers: { 'retry-after': '0' } }, { status: 200 }]);
    const outcome = await postJson(server.url, {}, { timeoutMs: 300 });

    expect(outcome).toMatchObject({ ok: true, attempts: 2, waits: [0] });
  });

  it('retries a 500 after a jittered backoff', async () => {
    const { outcome, waits, server } = await post([{ status: 500, body: 'rollup_error' }, { status: 200 }], {
      policy: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 1000 },
    });

    expect(outcome).toMatchObject({ ok: true, attempts: 2 });
    expect(waits).toEqual([100]); // random 0.5 × ceiling 200
    expect(server.requests).toHaveLength(2);
  });

  it('abandons an attempt that gets no answer within the timeout, then retries', async () => {
    const started = Date.now();
    const { outcome, server } = await post(
      [
        { status: 200, hang: true },
        { status: 200, body: 'ok' },
      ],
      { timeoutMs: 150 },
    );

    expect(outcome).toMatchObject({ ok: true, attempts: 2 });
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reports a slow answer as a transient timeout', async () => {
    const { outcome } = await post([{ status: 200, delayMs: 400 }], {
      timeoutMs: 100,
      policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });

    expect(outcome).toMatchObject({ ok: false, permanent: false, failure: { kind: 'timeout' } });
  });

  it('does not retry a permanent failure', async () => {
    const { outcome, waits, server } = await post([{ status: 400, body: 'invalid_payload' }, { status: 200 }]);

    expect(outcome).toMatchObject({
      ok: false,
      permanent: true,
      attempts: 1,
      failure: { kind: 'status', status: 400, detail: 'invalid_payload' },
    });
    expect(waits).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('does not follow a redirect', async () => {
    const { outcome, server } = await post([{ status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } }]);

    expect(outcome).toMatchObject({ ok: false, permanent: true, failure: { status: 302 } });
    expect(server.requests).toHaveLength(1);
  });

  it('gives up, transient, when retries are exhausted', async () => {
    const { outcome, waits, server } = await post(Array(5).fill({ status: 503 }));

    expect(outcome).toMatchObject({ ok: false, permanent: false, attempts: 4, reason: 'gave up after 4 attempts' });
    expect(waits).toHaveLength(3);
    expect(server.requests).toHaveLength(4);
  });

  it('reports a refused connection as a transient network failure', async () => {
    // A port that was free a moment ago: nothing listens on it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const outcome = await postJson(
      `http://127.0.0.1:${port}/`,
      {},
      {
        policy: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
        runtime: { sleep: async () => undefined },
      },
    );

    expect(outcome).toMatchObject({
      ok: false,
      permanent: false,
      attempts: 2,
      failure: { kind: 'network', detail: 'ECONNREFUSED' },
    });
  });

  it('starts no attempt it could not finish before the deadline', async () => {
    const now = 1_000_000;
    const { outcome, server } = await post([{ status: 503, headers: { 'retry-after': '1' } }, { status: 200 }], {
      timeoutMs: 300,
      deadline: now + 1200, // a retry would start at now + 1000 and could run until now + 1300
      runtime: { now: () => now },
    });

    expect(outcome).toMatchObject({ ok: false, permanent: false, reason: expect.stringMatching(/deadline/) });
    expect(server.requests).toHaveLength(1);
  });
});
