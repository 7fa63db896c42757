import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { makeEmailPublisher } from '../../../handlers/adapters/email';
import { type ChannelOutcome, makeNotifier, type NotifierDeps } from '../../../handlers/adapters/notify';
import { makeSecretReader } from '../../../handlers/adapters/secrets';
import type { Alert } from '../../../handlers/core/alert';
import { pagerDutyDedupKey } from '../../../handlers/core/format-pagerduty';
import { NotificationError } from '../../../handlers/errors';
import { NOW, sampleAlert } from '../../helpers/alerts';
import { type ScriptedResponse, type ScriptedServer, startScriptedServer } from '../../helpers/http-server';
import 'aws-sdk-client-mock-jest';

const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const sns = mockClient(SNSClient);

const ROUTING_KEY = 'R0UTINGKEY0000000000000000000001';
const BOT_TOKEN = 'xoxb-000000000000-0000000000000-XXXXXXXXXXXXXXXXXXXXXXXX';
const TS = '1405894322.002768';
/** The sample alert routed to Slack through a bot (Web API) as well as a webhook: the bot wins. */
const botAlert = sampleAlert({
  routing: {
    ...sampleAlert().routing,
    slackBotTokenRef: 'secretsmanager:vigil/slack/bot',
    slackChannelId: 'C0123ABCD',
  },
});
const alert = sampleAlert();
const accepted: ScriptedResponse = {
  status: 202,
  body: { status: 'success', message: 'Event processed', dedup_key: pagerDutyDedupKey(alert) },
};

let slack: ScriptedServer;
let pagerduty: ScriptedServer;
let waits: number[];

/** Local Slack and PagerDuty servers with these scripts; secrets point Slack at its server. */
async function setup(slackScript: ScriptedResponse[], pagerDutyScript: ScriptedResponse[]) {
  slack = await startScriptedServer(slackScript);
  pagerduty = await startScriptedServer(pagerDutyScript);
  sm.on(GetSecretValueCommand, { SecretId: 'vigil/slack/sec-payments' }).resolves({
    SecretString: `${slack.url}/services/T000/B000/XXXX`,
  });
  sm.on(GetSecretValueCommand, { SecretId: 'vigil/slack/bot' }).resolves({ SecretString: BOT_TOKEN });
  ssm.on(GetParameterCommand, { Name: '/vigil/pagerduty/payments' }).resolves({
    Parameter: { Type: 'SecureString', Value: ROUTING_KEY },
  });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1', $metadata: { attempts: 1 } });
  waits = [];
  const deps: NotifierDeps = {
    secrets: makeSecretReader({
      secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
      ssm: new SSMClient({ region: 'eu-west-1' }),
    }),
    publishEmail: makeEmailPublisher(new SNSClient({ region: 'eu-west-1' })),
    now: () => NOW,
    http: { timeoutMs: 5_000, runtime: { sleep: async (ms) => void waits.push(ms), random: () => 0.5 } },
    pagerDutyUrl: `${pagerduty.url}/v2/enqueue`,
    slackApiUrl: slack.url,
  };
  return makeNotifier(deps);
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as NotificationError,
  );

beforeEach(() => {
  sm.reset();
  ssm.reset();
  sns.reset();
});
afterEach(async () => {
  await slack?.close();
  await pagerduty?.close();
});

describe('makeNotifier().notify', () => {
  it('sends the alert to Slack, PagerDuty and email', async () => {
    const notifier = await setup([{ status: 200, body: 'ok' }], [accepted]);

    const outcomes = await notifier.notify(alert);

    expect(outcomes).toEqual<ChannelOutcome[]>([
      { channel: 'slack', status: 'sent', attempts: 1, target: '#sec-payments' },
      { channel: 'pagerduty', status: 'sent', attempts: 1, target: pagerDutyDedupKey(alert) },
      { channel: 'email', status: 'sent', attempts: 1, target: alert.routing.emailTopicArn! },
    ]);
    expect(slack.requests[0].path).toBe('/services/T000/B000/XXXX');
    expect(slack.json(0).blocks[0].text.text).toContain('CloudTrail logging was stopped');
    expect(pagerduty.json(0)).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      payload: { severity: 'critical' },
    });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: alert.routing.emailTopicArn,
      Subject: expect.stringMatching(/^\[vigil\]\[CRITICAL\] CloudTrail logging was stopped/),
    });
  });

  it('sends only to the routed channels', async () => {
    const notifier = await setup([], [accepted]);
    const pdOnly = sampleAlert({ routing: { pagerdutyRoutingKeyRef: 'ssm:/vigil/pagerduty/payments' } });

    const outcomes = await notifier.notify(pdOnly);

    expect(outcomes.map((o) => `${o.channel}:${o.status}`)).toEqual([
      'slack:skipped',
      'pagerduty:sent',
      'email:skipped',
    ]);
    expect(slack.requests).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it('recovers from a 429 and a 500 within the retries', async () => {
    const notifier = await setup(
      [
        { status: 429, headers: { 'retry-after': '2' } },
        { status: 200, body: 'ok' },
      ],
      [{ status: 500 }, accepted],
    );

    const outcomes = await notifier.notify(alert);

    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(3);
    expect(waits).toEqual(expect.arrayContaining([2000, 125]));
  });

  it('throws a transient NotificationError when a channel still fails after its retries (the DLQ path)', async () => {
    const notifier = await setup([{ status: 200, body: 'ok' }], Array(4).fill({ status: 503 }));

    const error = await failure(notifier.notify(alert));

    expect(error).toBeInstanceOf(NotificationError);
    expect(error).toMatchObject({ name: 'NotificationError', permanent: false, delivered: ['slack', 'email'] });
    expect(error?.failures).toHaveLength(1);
    expect(error?.failures[0]).toMatchObject({ channel: 'pagerduty', permanent: false, attempts: 4, status: 503 });
    expect(error?.message).toMatch(/was not delivered to pagerduty \(transient\)/);
    expect(pagerduty.requests).toHaveLength(4);
  });

  it('skips channels an earlier attempt delivered', async () => {
    const notifier = await setup([], [accepted]);

    const outcomes = await notifier.notify(alert, { skip: ['slack', 'email'] });

    expect(outcomes.map((o) => o.status)).toEqual(['skipped', 'sent', 'skipped']);
    expect(slack.requests).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it('throws a permanent NotificationError on a dead webhook, and re-reads its secret next time', async () => {
    const notifier = await setup(
      [
        { status: 404, body: 'no_service' },
        { status: 200, body: 'ok' },
      ],
      [accepted, accepted],
    );

    const error = await failure(notifier.notify(alert, { skip: ['email'] }));
    expect(error).toMatchObject({ permanent: true, delivered: ['pagerduty'] });
    expect(error?.failures[0]).toMatchObject({ channel: 'slack', permanent: true, attempts: 1, status: 404 });
    expect(error?.message).toContain('HTTP 404 no_service');
    expect(slack.requests).toHaveLength(1);

    // The webhook may have been rotated meanwhile: the cached URL is not trusted again.
    await notifier.notify(alert, { skip: ['email', 'pagerduty'] });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('is transient when one channel fails permanently and another transiently', async () => {
    const notifier = await setup([{ status: 400, body: 'invalid_payload' }], Array(4).fill({ status: 500 }));

    const error = await failure(notifier.notify(alert));

    expect(error).toMatchObject({ permanent: false, delivered: ['email'] });
    expect(error?.failures.map((f) => [f.channel, f.permanent])).toEqual([
      ['slack', true],
      ['pagerduty', false],
    ]);
  });

  it('fails permanently when a secret is missing', async () => {
    const notifier = await setup([], [accepted]);
    sm.on(GetSecretValueCommand, { SecretId: 'vigil/slack/gone' }).rejects(
      new ResourceNotFoundException({ message: 'not found', $metadata: {} }),
    );
    const gone = sampleAlert({ routing: { ...alert.routing, slackWebhookRef: 'secretsmanager:vigil/slack/gone' } });

    const error = await failure(notifier.notify(gone, { skip: ['pagerduty', 'email'] }));

    expect(error?.failures[0]).toMatchObject({ channel: 'slack', permanent: true, attempts: 0 });
    expect(error?.failures[0].message).toMatch(/slack: cannot read its secret: reading Secrets Manager secret/);
    expect(slack.requests).toHaveLength(0);
  });

  it('fails permanently when the routing names a Slack channel without a webhook', async () => {
    const notifier = await setup([], []);
    const noWebhook: Alert = sampleAlert({ routing: { slackChannel: '#sec-payments' } });

    const error = await failure(notifier.notify(noWebhook));

    expect(error).toMatchObject({ permanent: true, delivered: [] });
    expect(error?.failures[0].message).toMatch(/routing names channel '#sec-payments' but no slackWebhookRef/);
  });

  it('fails permanently when the routing names no channel at all, rather than dropping the alert', async () => {
    const notifier = await setup([], []);

    const error = await failure(notifier.notify(sampleAlert({ routing: {} })));

    expect(error).toMatchObject({ name: 'NotificationError', permanent: true, failures: [] });
    expect(error?.message).toMatch(/has no notification channel in its routing .* it would reach nobody/);
  });
});

describe('makeNotifier().resolve', () => {
  it('resolves the PagerDuty alert of the same detection and resource', async () => {
    const notifier = await setup([], [accepted]);

    await expect(notifier.resolve(alert)).resolves.toMatchObject({ channel: 'pagerduty', status: 'sent' });
    expect(pagerduty.json(0)).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: pagerDutyDedupKey(alert),
    });
  });

  it('skips an alert without PagerDuty routing', async () => {
    const notifier = await setup([], []);

    await expect(notifier.resolve(sampleAlert({ routing: {} }))).resolves.toMatchObject({ status: 'skipped' });
    expect(pagerduty.requests).toHaveLength(0);
  });

  it('throws a NotificationError when PagerDuty refuses the resolve', async () => {
    const notifier = await setup([], [{ status: 400, body: { status: 'invalid event' } }]);

    await expect(notifier.resolve(alert)).rejects.toMatchObject({ name: 'NotificationError', permanent: true });
  });
});

describe('makeNotifier() with a Slack bot token', () => {
  it('posts through chat.postMessage instead of the webhook and reports the message channel and ts', async () => {
    const notifier = await setup([{ status: 200, body: { ok: true, channel: 'C0123ABCD', ts: TS } }], [accepted]);

    const outcomes = await notifier.notify(botAlert);

    expect(outcomes[0]).toEqual<ChannelOutcome>({
      channel: 'slack',
      status: 'sent',
      attempts: 1,
      target: '#sec-payments',
      slack: { channel: 'C0123ABCD', ts: TS },
    });
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0].path).toBe('/api/chat.postMessage');
    expect(slack.requests[0].headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
    expect(slack.json(0)).toMatchObject({ channel: 'C0123ABCD', text: expect.any(String) });
  });

  it('posts to the webhook, with no message reference, when no bot token is configured', async () => {
    const notifier = await setup([{ status: 200, body: 'ok' }], [accepted]);

    const outcomes = await notifier.notify(alert);

    expect(outcomes[0]).toEqual({ channel: 'slack', status: 'sent', attempts: 1, target: '#sec-payments' });
    expect(slack.requests[0].path).toBe('/services/T000/B000/XXXX');
    expect(slack.requests[0].headers.authorization).toBeUndefined();
  });

  it('fails the notification permanently on ok:false not_in_channel', async () => {
    const notifier = await setup([{ status: 200, body: { ok: false, error: 'not_in_channel' } }], [accepted]);

    const error = await failure(notifier.notify(botAlert));

    expect(error).toMatchObject({ name: 'NotificationError', permanent: true, delivered: ['pagerduty', 'email'] });
    expect(error?.failures[0].message).toContain('not_in_channel');
    expect(slack.requests).toHaveLength(1);
  });

  it('update edits the posted message in place with chat.update', async () => {
    const notifier = await setup([{ status: 200, body: { ok: true, channel: 'C0123ABCD', ts: TS } }], []);
    const fixed = { ...botAlert, remediation: { mode: 'auto' as const, state: 'fixed' as const, detail: 'verified' } };

    const outcome = await notifier.update(fixed, { channel: 'C0123ABCD', ts: TS });

    expect(outcome).toMatchObject({ channel: 'slack', status: 'sent', slack: { channel: 'C0123ABCD', ts: TS } });
    expect(slack.requests[0].path).toBe('/api/chat.update');
    expect(slack.requests[0].headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
    expect(slack.json(0)).toMatchObject({ channel: 'C0123ABCD', ts: TS });
    expect(JSON.stringify(slack.json(0).blocks)).toContain('verified');
    expect(pagerduty.requests).toHaveLength(0);
  });

  it('update throws a permanent NotificationError when the message is gone', async () => {
    const notifier = await setup([{ status: 200, body: { ok: false, error: 'message_not_found' } }], []);

    await expect(notifier.update(botAlert, { channel: 'C0123ABCD', ts: TS })).rejects.toMatchObject({
      name: 'NotificationError',
      permanent: true,
    });
  });

  it('update is skipped without a bot token (a webhook cannot edit)', async () => {
    const notifier = await setup([], []);

    await expect(notifier.update(alert, { channel: 'C0123ABCD', ts: TS })).resolves.toMatchObject({
      status: 'skipped',
    });
    expect(slack.requests).toHaveLength(0);
  });
});
