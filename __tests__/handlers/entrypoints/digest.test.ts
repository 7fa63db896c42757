import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { makeDigestSender } from '../../../handlers/adapters/digest-sender';
import { makeEmailPublisher } from '../../../handlers/adapters/email';
import { formatDigestEmail, formatDigestSlack, summarizeDigest } from '../../../handlers/core/format-digest';
import { digestFromEnvironment, handler, readDigestSettings } from '../../../handlers/entrypoints/digest';
import { DeliveryError } from '../../../handlers/errors';
import { type ScriptedServer, startScriptedServer } from '../../helpers/http-server';
import 'aws-sdk-client-mock-jest';

const dynamodb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
beforeEach(() => {
  dynamodb.reset();
  sns.reset();
});

const TOPIC = 'arn:aws:sns:eu-west-1:333333333333:vigil-alerts';
const ENV = { DIGEST_TABLE: 'vigil-digest', EMAIL_TOPIC_ARN: TOPIC, OWNER_ROUTING_FILE: 'owner-routing.json' };

function bundleDir(owners: unknown = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-digest-'));
  writeFileSync(join(dir, 'owner-routing.json'), JSON.stringify(owners));
  return dir;
}

const item = (owner: string, eventId: string) => ({
  day: { S: '2026-12-03' },
  entry: { S: `${owner}#ec2-vpc-changed#${eventId}` },
  kind: { S: 'entry' },
  owner: { S: owner },
  detectionId: { S: 'ec2-vpc-changed' },
  title: { S: 'VPC changed' },
  accountId: { S: '444444444444' },
  accountName: { S: 'prod-payments' },
  region: { S: 'eu-west-1' },
  eventId: { S: eventId },
  eventName: { S: 'CreateVpc' },
  eventTime: { S: '2026-12-03T09:30:00Z' },
  principal: { S: 'arn:aws:sts::444444444444:assumed-role/Admin/alice' },
  resources: { L: [{ S: 'vpc-0abc' }] },
});

describe('readDigestSettings', () => {
  it('reads the table, the routing without PagerDuty and the day offset', () => {
    const settings = readDigestSettings(
      { ...ENV, PAGERDUTY_ROUTING_KEY_REF: 'ssm:/vigil/pd', DIGEST_DAY_OFFSET: '2' },
      bundleDir({ 'payments-team': { slackChannel: '#pay', slackWebhookRef: 'ssm:/vigil/slack/pay' } }),
    );
    expect(settings).toEqual({
      tableName: 'vigil-digest',
      routing: {
        default: { emailTopicArn: TOPIC },
        byOwner: { 'payments-team': { slackChannel: '#pay', slackWebhookRef: 'ssm:/vigil/slack/pay' } },
      },
      dayOffset: 2,
    });
  });
});

describe('the digest with the real adapters', () => {
  it('reads the day before the schedule time, emails each owner once and records it', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [item('payments-team', 'e1'), item('payments-team', 'e2')] });
    dynamodb.on(PutItemCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    const report = await digestFromEnvironment(ENV, bundleDir())({ time: '2026-12-04T07:00:00Z' });

    expect(report).toMatchObject({ day: '2026-12-03', entries: 2, sent: ['payments-team'], failed: [] });
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'vigil-digest',
      ExpressionAttributeValues: { ':day': { S: '2026-12-03' } },
    });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: '[vigil][digest] payments-team: 2 changes on 2026-12-03',
    });
    expect(dynamodb).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({ entry: { S: 'sent#email#payments-team' } }),
      ConditionExpression: 'attribute_not_exists(#entry)',
    });
  });

  it('fails the invocation when an owner could not be reached, and records nothing as sent', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [item('payments-team', 'e1')] });
    sns.on(PublishCommand).rejects(Object.assign(new Error('KMS key disabled'), { name: 'KMSDisabledException' }));

    await expect(digestFromEnvironment(ENV, bundleDir())({})).rejects.toThrow(
      /did not reach 1 owner\(s\): payments-team/,
    );
    expect(dynamodb).not.toHaveReceivedCommand(PutItemCommand);
  });
});

describe('handler', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('is built from process.env on first use and fails on a bad environment', async () => {
    process.env = { ...saved, DIGEST_TABLE: '' };
    await expect(handler({})).rejects.toThrow(/DIGEST_TABLE: required/);
  });
});

describe('makeDigestSender', () => {
  const digest = summarizeDigest('2026-12-03', 'payments-team', []);
  const message = { slack: formatDigestSlack(digest), email: formatDigestEmail(digest) };
  let server: ScriptedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const secrets = (values: Record<string, string>) => {
    const invalidated: string[] = [];
    return {
      invalidated,
      read: async (ref: string) => values[ref] ?? Promise.reject(new Error(`no ${ref}`)),
      invalidate: (ref: string) => void invalidated.push(ref),
    };
  };

  it('posts to the incoming webhook the routing names', async () => {
    server = await startScriptedServer([{ status: 200, body: 'ok' }]);
    const sender = makeDigestSender({
      secrets: secrets({ 'ssm:/vigil/slack/pay': `${server.url}/hook` }),
      publishEmail: makeEmailPublisher(new SNSClient({ region: 'eu-west-1' })),
    });

    await sender.send('slack', { slackWebhookRef: 'ssm:/vigil/slack/pay' }, message);

    expect(server.requests.map((r) => r.path)).toEqual(['/hook']);
    expect(server.json(0)).toEqual(message.slack);
  });

  it('posts with the bot token to the channel id through the Web API', async () => {
    server = await startScriptedServer([{ status: 200, body: { ok: true, channel: 'C0123ABCD', ts: '1.2' } }]);
    const sender = makeDigestSender({
      secrets: secrets({ 'ssm:/vigil/slack/bot': 'xoxb-token' }),
      publishEmail: makeEmailPublisher(new SNSClient({ region: 'eu-west-1' })),
      slackApiUrl: server.url,
    });

    await sender.send('slack', { slackBotTokenRef: 'ssm:/vigil/slack/bot', slackChannelId: 'C0123ABCD' }, message);

    expect(server.requests[0]).toMatchObject({
      path: '/api/chat.postMessage',
      headers: expect.objectContaining({ authorization: 'Bearer xoxb-token' }),
    });
    expect(server.json(0)).toMatchObject({ channel: 'C0123ABCD', blocks: message.slack.blocks });
  });

  it('drops the cached secret when Slack refuses for good, and says so', async () => {
    server = await startScriptedServer([{ status: 404, body: 'no_service' }]);
    const s = secrets({ 'ssm:/vigil/slack/pay': `${server.url}/hook` });
    const sender = makeDigestSender({ secrets: s, publishEmail: async () => ({ attempts: 1 }) });

    await expect(sender.send('slack', { slackWebhookRef: 'ssm:/vigil/slack/pay' }, message)).rejects.toMatchObject({
      name: 'DeliveryError',
      permanent: true,
    });
    expect(s.invalidated).toEqual(['ssm:/vigil/slack/pay']);
  });

  it('fails when the routing cannot carry the channel', async () => {
    const sender = makeDigestSender({ secrets: secrets({}), publishEmail: async () => ({ attempts: 1 }) });

    await expect(sender.send('slack', { slackChannel: '#pay' }, message)).rejects.toThrow(DeliveryError);
    await expect(sender.send('slack', { slackBotTokenRef: 'ssm:/b' }, message)).rejects.toThrow(/no slackChannelId/);
    await expect(sender.send('email', {}, message)).rejects.toThrow(/no email topic/);
  });

  it('publishes the email to the routing topic', async () => {
    const sent: unknown[] = [];
    const sender = makeDigestSender({
      secrets: secrets({}),
      publishEmail: async (topic, email) => {
        sent.push([topic, email.subject]);
        return { attempts: 1 };
      },
    });

    await sender.send('email', { emailTopicArn: TOPIC }, message);

    expect(sent).toEqual([[TOPIC, message.email.subject]]);
  });
});
