import type { PostJsonOptions } from '../../../handlers/adapters/http';
import {
  postSlackChatMessage,
  publishSlackMessage,
  type SlackApiOptions,
  updateSlackChatMessage,
} from '../../../handlers/adapters/slack';
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
    timeoutMs: 5_000,
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

const TOKEN = 'xoxb-000000000000-0000000000000-XXXXXXXXXXXXXXXXXXXXXXXX';
const CHANNEL = 'C0123ABCD';
const TS = '1405894322.002768';

/** Runs `call` against a local Web API answering with `script`. */
async function webApi<T>(script: ScriptedResponse[], call: (opts: SlackApiOptions) => Promise<T>) {
  server = await startScriptedServer(script);
  const waits: number[] = [];
  const opts: SlackApiOptions = {
    baseUrl: server.url,
    timeoutMs: 5_000,
    runtime: { sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
  };
  const result = await call(opts).then(
    (receipt) => ({ receipt, error: undefined }),
    (error: unknown) => ({ receipt: undefined, error: error as DeliveryError }),
  );
  return { ...result, waits, server };
}

describe('postSlackChatMessage', () => {
  it('posts to chat.postMessage with the bot token and returns the channel and ts of the message', async () => {
    const { receipt, server } = await webApi(
      // Slack echoes the posted message back: more than the 4 KB a webhook answer is cut to.
      [{ status: 200, body: { ok: true, channel: CHANNEL, ts: TS, message: { text: 'x'.repeat(10_000) } } }],
      (opts) => postSlackChatMessage(TOKEN, CHANNEL, message, opts),
    );

    expect(receipt).toEqual({ attempts: 1, waits: [], channel: CHANNEL, ts: TS });
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/api/chat.postMessage' });
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(server.requests[0].headers['content-type']).toBe('application/json; charset=utf-8');
    expect(server.json(0)).toEqual({
      channel: CHANNEL,
      text: message.text,
      blocks: JSON.parse(JSON.stringify(message.blocks)),
    });
  });

  it.each(['channel_not_found', 'not_in_channel', 'invalid_auth', 'invalid_blocks', 'msg_too_long'])(
    'fails permanently, without retrying, on ok:false %s (HTTP 200), without revealing the token',
    async (code) => {
      const { error, server } = await webApi(
        [
          { status: 200, body: { ok: false, error: code } },
          { status: 200, body: { ok: true, channel: CHANNEL, ts: TS } },
        ],
        (opts) => postSlackChatMessage(TOKEN, CHANNEL, message, opts),
      );

      expect(error).toBeInstanceOf(DeliveryError);
      expect(error).toMatchObject({ channel: 'slack', permanent: true, attempts: 1 });
      expect(error?.message).toContain(code);
      expect(error?.message).toContain('Slack chat.postMessage');
      expect(error?.message).not.toContain(TOKEN);
      expect(server.requests).toHaveLength(1);
    },
  );

  it('retries an ok:false internal_error (transient)', async () => {
    const { receipt, server } = await webApi(
      [
        { status: 200, body: { ok: false, error: 'internal_error' } },
        { status: 200, body: { ok: true, channel: CHANNEL, ts: TS } },
      ],
      (opts) => postSlackChatMessage(TOKEN, CHANNEL, message, opts),
    );

    expect(receipt).toMatchObject({ attempts: 2, ts: TS });
    expect(server.requests).toHaveLength(2);
  });

  it('waits the Retry-After of a 429 ratelimited before posting again', async () => {
    const { receipt, waits, server } = await webApi(
      [
        { status: 429, headers: { 'retry-after': '2' }, body: { ok: false, error: 'ratelimited' } },
        { status: 200, body: { ok: true, channel: CHANNEL, ts: TS } },
      ],
      (opts) => postSlackChatMessage(TOKEN, CHANNEL, message, opts),
    );

    expect(receipt).toEqual({ attempts: 2, waits: [2000], channel: CHANNEL, ts: TS });
    expect(waits).toEqual([2000]);
    expect(server.requests).toHaveLength(2);
  });

  it('fails permanently on a 200 that is not Web API JSON', async () => {
    const { error } = await webApi([{ status: 200, body: '<html>proxy</html>' }], (opts) =>
      postSlackChatMessage(TOKEN, CHANNEL, message, opts),
    );

    expect(error).toMatchObject({ channel: 'slack', permanent: true, attempts: 1 });
  });

  it('refuses a base URL over plain http to anything but loopback', async () => {
    await expect(
      postSlackChatMessage(TOKEN, CHANNEL, message, { baseUrl: 'http://slack.example' }),
    ).rejects.toMatchObject({ name: 'DeliveryError', permanent: true, attempts: 0 });
  });
});

describe('updateSlackChatMessage', () => {
  it('calls chat.update with the channel, ts, text and blocks of the new message', async () => {
    const updated = formatSlackMessage(
      { ...sampleAlert(), remediation: { mode: 'auto', state: 'fixed', detail: 'verified' } },
      { now: NOW },
    );
    const { receipt, server } = await webApi([{ status: 200, body: { ok: true, channel: CHANNEL, ts: TS } }], (opts) =>
      updateSlackChatMessage(TOKEN, CHANNEL, TS, updated, opts),
    );

    expect(receipt).toEqual({ attempts: 1, waits: [], channel: CHANNEL, ts: TS });
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/api/chat.update' });
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(server.json(0)).toEqual({
      channel: CHANNEL,
      ts: TS,
      text: updated.text,
      blocks: JSON.parse(JSON.stringify(updated.blocks)),
    });
    expect(JSON.stringify(server.json(0).blocks)).not.toEqual(JSON.stringify(message.blocks));
  });

  it('fails permanently on message_not_found', async () => {
    const { error, server } = await webApi(
      [
        { status: 200, body: { ok: false, error: 'message_not_found' } },
        { status: 200, body: { ok: true, channel: CHANNEL, ts: TS } },
      ],
      (opts) => updateSlackChatMessage(TOKEN, CHANNEL, TS, message, opts),
    );

    expect(error).toMatchObject({ channel: 'slack', permanent: true, attempts: 1 });
    expect(error?.message).toContain('message_not_found');
    expect(server.requests).toHaveLength(1);
  });
});
