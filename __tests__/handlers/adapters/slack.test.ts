import type { PostJsonOptions } from '../../../handlers/adapters/http';
import { publishSlackMessage } from '../../../handlers/adapters/slack';
import { formatSlackMessage } from '../../../handlers/core/format-slack';
import { DeliveryError } from '../../../handlers/errors';
import { NOW, sampleAlert } from '../../helpers/alerts';
import { type ScriptedResponse, type ScriptedServer, startScriptedServer } from '../../helpers/http-server';

// The path of a real webhook URL is its secret: it must never show in an error.
const SECRET_PATH = '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
const message = formatSlackMessage(sampleAlert(), { now: NOW });

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function publish(script: ScriptedResponse[], options: PostJsonOptions = {}) {
  server = await startScriptedServer(script);
  const waits: number[] = [];
  const opts: PostJsonOptions = {
    timeoutMs: 200,
    ...options,
    runtime: { sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
  };
  const result = await publishSlackMessage(`${server.url}${SECRET_PATH}`, message, opts).then(
    (receipt) => ({ receipt, error: undefined }),
    (error: unknown) => ({ receipt: undefined, error: error as DeliveryError }),
  );
  return { ...result, waits, server };
}

describe('publishSlackMessage', () => {
  it("posts the Block Kit message to the webhook and accepts Slack's 200 ok", async () => {
    const { receipt, server } = await publish([{ status: 200, body: 'ok' }]);

    expect(receipt).toEqual({ attempts: 1, waits: [] });
    expect(server.requests[0].path).toBe(SECRET_PATH);
    expect(server.json(0)).toEqual(JSON.parse(JSON.stringify(message)));
    expect(server.json(0).blocks[0]).toMatchObject({ type: 'header' });
  });

  it('waits the Retry-After of a 429 before posting again', async () => {
    const { receipt, waits, server } = await publish([
      { status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' },
      { status: 200, body: 'ok' },
    ]);

    expect(receipt).toEqual({ attempts: 2, waits: [1000] });
    expect(waits).toEqual([1000]);
    expect(server.requests).toHaveLength(2);
  });

  it('retries after a 500 rollup_error', async () => {
    const { receipt } = await publish([
      { status: 500, body: 'rollup_error' },
      { status: 200, body: 'ok' },
    ]);

    expect(receipt?.attempts).toBe(2);
  });

  it('retries after a timeout', async () => {
    const { receipt, server } = await publish(
      [
        { status: 200, hang: true },
        { status: 200, body: 'ok' },
      ],
      {
        timeoutMs: 100,
      },
    );

    expect(receipt?.attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
  });

  it.each([
    [400, 'invalid_payload'],
    [403, 'action_prohibited'],
    [404, 'channel_not_found'],
    [404, 'no_service'],
    [410, 'channel_is_archived'],
  ])('fails permanently, without retrying, on %i %s', async (status, body) => {
    const { error, server } = await publish([
      { status, body },
      { status: 200, body: 'ok' },
    ]);

    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ channel: 'slack', permanent: true, attempts: 1, status });
    expect(error?.message).toContain(`HTTP ${status} ${body}`);
    expect(server.requests).toHaveLength(1);
  });

  it('fails transiently when retries are exhausted, without revealing the webhook URL', async () => {
    const { error, server } = await publish(Array(4).fill({ status: 503, body: 'service unavailable' }));

    expect(error).toMatchObject({ channel: 'slack', permanent: false, attempts: 4, status: 503 });
    expect(error?.message).not.toContain(SECRET_PATH);
    expect(error?.message).not.toContain('XXXXXXXX');
    expect(server.requests).toHaveLength(4);
  });

  it('refuses to post over plain http to anything but loopback', async () => {
    await expect(publishSlackMessage(`http://hooks.slack.example${SECRET_PATH}`, message)).rejects.toMatchObject({
      name: 'DeliveryError',
      permanent: true,
      attempts: 0,
      message: 'Slack webhook: the URL must use https, got http:',
    });
  });
});
