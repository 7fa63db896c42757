import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { makeDedupeStore } from '../../../handlers/adapters/dedupe-store';
import { makeResourceTagsReader } from '../../../handlers/adapters/resource-tags';
import {
  createHandler,
  handler,
  handlerFromEnvironment,
  readTriageSettings,
} from '../../../handlers/entrypoints/triage';
import { fixtureRecord, loadTriageEvent, sqsRecord, TRIAGE_VIEW, triageContext } from '../../fixtures/triage';
import { type Items, inventoryItems, serveInventoryTable } from '../../helpers/inventory-table';
import { FakeNotifier, LogCapture } from '../../helpers/triage-fakes';
import 'aws-sdk-client-mock-jest';

const dynamodb = mockClient(DynamoDBClient);
const sts = mockClient(STSClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const secretsManager = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);

beforeEach(() => {
  dynamodb.reset();
  sts.reset();
  tagging.reset();
  secretsManager.reset();
  sns.reset();
});

const ENV = {
  DEDUPE_TABLE: 'vigil-triage-dedupe',
  INVENTORY_TABLE: 'vigil-inventory',
  SLACK_CHANNEL: '#security-alerts',
  SLACK_WEBHOOK_REF: 'secretsmanager:vigil/slack/security',
};

/** The inventory table as the security stack writes it (TRIAGE_VIEW unless a test deploys another). */
let inventory: Items;
beforeEach(() => {
  inventory = inventoryItems(TRIAGE_VIEW);
  serveInventoryTable(dynamodb, ENV.INVENTORY_TABLE, () => inventory);
});

describe('readTriageSettings', () => {
  it('reads the table, the default routing and the defaults', () => {
    expect(readTriageSettings(ENV, '/var/task')).toEqual({
      tableName: 'vigil-triage-dedupe',
      inventoryTable: 'vigil-inventory',
      routing: {
        default: { slackChannel: '#security-alerts', slackWebhookRef: 'secretsmanager:vigil/slack/security' },
        byOwner: {},
        pagerDutyMinSeverity: 'high',
        // Off unless the stack says the approve function can verify Slack's clicks.
        verdictButtons: false,
      },
      repeatWindowSeconds: 900,
      eventDedupeSeconds: 86_400,
      leaseSeconds: 300,
    });
  });

  it('reads every optional setting', () => {
    const settings = readTriageSettings(
      {
        ...ENV,
        PAGERDUTY_ROUTING_KEY_REF: 'ssm:/vigil/pagerduty',
        PAGERDUTY_MIN_SEVERITY: 'critical',
        EMAIL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:110000000003:vigil-alerts',
        OWNER_ROUTING: JSON.stringify({
          'payments-team': { slackChannel: '#pay', slackWebhookRef: 'ssm:/vigil/slack/pay' },
        }),
        REPEAT_WINDOW_SECONDS: '600',
        EVENT_DEDUPE_SECONDS: '172800',
        DEDUPE_LEASE_SECONDS: '120',
      },
      '/var/task',
    );

    expect(settings).toMatchObject({
      routing: {
        default: { pagerdutyRoutingKeyRef: 'ssm:/vigil/pagerduty', emailTopicArn: expect.stringContaining(':sns:') },
        byOwner: { 'payments-team': { slackChannel: '#pay', slackWebhookRef: 'ssm:/vigil/slack/pay' } },
        pagerDutyMinSeverity: 'critical',
      },
      repeatWindowSeconds: 600,
      eventDedupeSeconds: 172_800,
      leaseSeconds: 120,
    });
  });

  it('fails listing every problem at once', () => {
    const env = {
      SLACK_WEBHOOK_REF: 'https://hooks.slack.com/services/T000/B000/XXXX',
      PAGERDUTY_MIN_SEVERITY: 'urgent',
      REPEAT_WINDOW_SECONDS: 'fifteen',
      OWNER_ROUTING: JSON.stringify({ team: { slackWebhookRef: 'plain-text', colour: 'red' } }),
    };

    let message = '';
    try {
      readTriageSettings(env, '/var/task');
    } catch (err) {
      expect((err as Error).name).toBe('ConfigurationError');
      message = (err as Error).message;
    }

    expect(message).toMatch(/has 8 problem\(s\)/);
    for (const part of [
      'DEDUPE_TABLE: required',
      'INVENTORY_TABLE: required',
      'SLACK_WEBHOOK_REF: not a secret reference',
      'no default channel',
      'PAGERDUTY_MIN_SEVERITY',
      'REPEAT_WINDOW_SECONDS',
      'OWNER_ROUTING.team.slackWebhookRef',
      'OWNER_ROUTING.team.colour: unknown field',
    ]) {
      expect(message).toContain(part);
    }
    // A webhook pasted where its reference belongs must not end up in logs.
    expect(message).not.toContain('hooks.slack.com');
  });

  it('fails when a Slack channel has no webhook to post with', () => {
    expect(() =>
      readTriageSettings({ DEDUPE_TABLE: 't', INVENTORY_TABLE: 'i', SLACK_CHANNEL: '#x', EMAIL_TOPIC_ARN: 'arn' }, '/'),
    ).toThrow(/SLACK_CHANNEL is set without SLACK_WEBHOOK_REF/);
  });

  it('reads a Slack bot token and channel id for the default route and owner routes', () => {
    const settings = readTriageSettings(
      {
        DEDUPE_TABLE: 't',
        INVENTORY_TABLE: 'i',
        SLACK_CHANNEL: '#security-alerts',
        SLACK_BOT_TOKEN_REF: 'secretsmanager:vigil/slack/bot',
        SLACK_CHANNEL_ID: 'C0123ABCD',
        OWNER_ROUTING: JSON.stringify({
          'payments-team': { slackBotTokenRef: 'secretsmanager:vigil/slack/bot', slackChannelId: 'C0PAYMENTS1' },
        }),
      },
      '/',
    );
    expect(settings.routing.default).toEqual({
      slackChannel: '#security-alerts',
      slackBotTokenRef: 'secretsmanager:vigil/slack/bot',
      slackChannelId: 'C0123ABCD',
    });
    expect(settings.routing.byOwner?.['payments-team']).toEqual({
      slackBotTokenRef: 'secretsmanager:vigil/slack/bot',
      slackChannelId: 'C0PAYMENTS1',
    });
  });

  it('fails when a Slack bot token has no channel id, or the channel id is not one', () => {
    expect(() =>
      readTriageSettings(
        { DEDUPE_TABLE: 't', INVENTORY_TABLE: 'i', SLACK_BOT_TOKEN_REF: 'secretsmanager:vigil/slack/bot' },
        '/',
      ),
    ).toThrow(/SLACK_BOT_TOKEN_REF is set without SLACK_CHANNEL_ID/);
    expect(() =>
      readTriageSettings(
        {
          DEDUPE_TABLE: 't',
          INVENTORY_TABLE: 'i',
          SLACK_BOT_TOKEN_REF: 'secretsmanager:vigil/slack/bot',
          SLACK_CHANNEL_ID: '#security',
        },
        '/',
      ),
    ).toThrow(/SLACK_CHANNEL_ID: expected a channel id/);
    expect(() =>
      readTriageSettings(
        {
          ...ENV,
          OWNER_ROUTING: JSON.stringify({ team: { slackBotTokenRef: 'secretsmanager:vigil/slack/bot' } }),
        },
        '/',
      ),
    ).toThrow(/OWNER_ROUTING\.team\.slackChannelId: required with slackBotTokenRef/);
  });

  it('fails when OWNER_ROUTING is not JSON', () => {
    expect(() => readTriageSettings({ ...ENV, OWNER_ROUTING: '{team: x}' }, '/')).toThrow(/OWNER_ROUTING: not JSON/);
  });
});

describe('handlerFromEnvironment', () => {
  const invalid = { Records: [{ messageId: 'm-1', body: '{"detectionId": "x"}' }] };

  it('builds a handler that reads the account view from the inventory table', async () => {
    const run = handlerFromEnvironment(ENV, '/var/task');
    expect(await run(invalid)).toEqual({ batchItemFailures: [] });
    expect(dynamodb.commandCalls(GetItemCommand, { TableName: 'vigil-inventory' })).toHaveLength(1);
    expect(dynamodb.commandCalls(BatchGetItemCommand)).toHaveLength(1);
  });

  it('fails the invocation (SQS keeps the messages) when the inventory table has no view', async () => {
    inventory = new Map();
    await expect(handlerFromEnvironment(ENV, '/var/task')(invalid)).rejects.toThrow(
      expect.objectContaining({
        name: 'ConfigurationError',
        message: expect.stringContaining('cannot read the inventory view from the inventory table vigil-inventory'),
      }),
    );
  });

  it('fails the invocation when the view is from another version', async () => {
    inventory = inventoryItems({ ...TRIAGE_VIEW, version: 0 } as unknown as typeof TRIAGE_VIEW);
    await expect(handlerFromEnvironment(ENV, '/var/task')(invalid)).rejects.toThrow(/version: expected 3/);
  });
});

describe('handler', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('is built from process.env on first use and drops an invalid message without writing anything', async () => {
    process.env = { ...saved, ...ENV };

    const out = await handler({ Records: [{ messageId: 'm-1', body: '{"detectionId": "x"}' }] });

    expect(out).toEqual({ batchItemFailures: [] });
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });
});

describe('triage handler with the real adapters', () => {
  const TRAIL = 'arn:aws:cloudtrail:eu-west-1:110000000006:trail/payments-audit';
  const setup = () => {
    const notifier = new FakeNotifier();
    const log = new LogCapture();
    const run = createHandler({
      context: triageContext(),
      store: makeDedupeStore(new DynamoDBClient({ region: 'eu-west-1' }), 'vigil-triage-dedupe'),
      tags: makeResourceTagsReader({ roleName: 'vigil-readonly', sts: new STSClient({ region: 'eu-west-1' }) }),
      notifier,
      routing: { default: { slackWebhookRef: 'secretsmanager:vigil/slack/security' } },
      now: () => new Date('2025-07-01T01:13:05Z'),
      write: log.write,
    });
    return { run, notifier, log };
  };

  it('claims the event, reads the owner tag in the member account, alerts and records it as sent', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb.on(UpdateItemCommand).resolves({});
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIA',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date('2025-07-01T02:00:00Z'),
      },
    });
    tagging.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [{ ResourceARN: TRAIL, Tags: [{ Key: 'owner', Value: 'audit-team' }] }],
    });
    const { run, notifier } = setup();

    const out = await run({ Records: [fixtureRecord('stop-logging-prod', 'm-1')] });

    expect(out).toEqual({ batchItemFailures: [] });
    expect(dynamodb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'vigil-triage-dedupe',
      Item: expect.objectContaining({
        pk: { S: 'event#cloudtrail-logging-stopped#0d3b9c2a-6f41-4e8b-b7a5-1c9e2d4f6a01' },
        owner: { S: 'm-1' },
      }),
    });
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::110000000006:role/vigil-readonly',
    });
    expect(notifier.sent[0]!.alert.owner).toBe('audit-team');
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: { pk: { S: 'event#cloudtrail-logging-stopped#0d3b9c2a-6f41-4e8b-b7a5-1c9e2d4f6a01' } },
      ExpressionAttributeValues: expect.objectContaining({ ':status': { S: 'sent' } }),
    });
  });

  it('acknowledges a duplicate that DynamoDB reports as already sent, without alerting', async () => {
    dynamodb.on(PutItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { status: { S: 'sent' } },
      }),
    );
    const { run, notifier, log } = setup();

    const out = await run({ Records: [fixtureRecord('stop-logging-prod', 'm-2')] });

    expect(out).toEqual({ batchItemFailures: [] });
    expect(notifier.attempts).toHaveLength(0);
    expect(log.metrics[0]).toMatchObject({ Deduplicated: 1 });
    expect(log.logs[0]).toMatchObject({ outcome: 'duplicate', status: 'sent' });
  });
});

describe('owner routing from a bundled file', () => {
  const base = {
    DEDUPE_TABLE: 'vigil-triage-state',
    INVENTORY_TABLE: 'vigil-inventory',
    EMAIL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:110000000003:vigil-alerts',
  };

  it('reads OWNER_ROUTING_FILE relative to the code directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-routing-'));
    writeFileSync(
      join(dir, 'owner-routing.json'),
      JSON.stringify({ 'payments-team': { slackChannel: '#pay', slackWebhookRef: 'secretsmanager:vigil/slack/pay' } }),
    );
    const settings = readTriageSettings({ ...base, OWNER_ROUTING_FILE: 'owner-routing.json' }, dir);
    expect(settings.routing.byOwner?.['payments-team']).toEqual({
      slackChannel: '#pay',
      slackWebhookRef: 'secretsmanager:vigil/slack/pay',
    });
  });

  it('fails when the routing file is missing', () => {
    expect(() => readTriageSettings({ ...base, OWNER_ROUTING_FILE: 'nope.json' }, tmpdir())).toThrow(
      /OWNER_ROUTING_FILE: cannot read nope.json/,
    );
  });
});

describe('the daily digest in production wiring', () => {
  const DIGEST_ENV = { ...ENV, EMAIL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:110000000003:vigil-alerts' };
  // A security group change that opens nothing: the change monitor (class change, severity info).
  const change = () => {
    const event = loadTriageEvent('sg-ingress-ssh-world');
    event.detail.requestParameters.ipPermissions.items[0].ipRanges.items[0].cidrIp = '10.20.0.0/16';
    event.detail.responseElements = null;
    return sqsRecord('m-digest', 'ec2-security-group-changed', event);
  };

  it('reads DIGEST_TABLE', () => {
    expect(readTriageSettings({ ...ENV, DIGEST_TABLE: 'vigil-digest' }, '/').digestTableName).toBe('vigil-digest');
    expect(readTriageSettings(ENV, '/')).not.toHaveProperty('digestTableName');
  });

  it('with DIGEST_TABLE, records a change monitor in the digest table and notifies nobody', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb.on(UpdateItemCommand).resolves({});
    sts.on(AssumeRoleCommand).rejects(new Error('AccessDenied'));
    const run = handlerFromEnvironment({ ...DIGEST_ENV, DIGEST_TABLE: 'vigil-digest' }, '/var/task');

    const out = await run({ Records: [change()] });

    expect(out).toEqual({ batchItemFailures: [] });
    const digestPuts = dynamodb
      .commandCalls(PutItemCommand)
      .map((c) => c.args[0].input)
      .filter((i) => i.TableName === 'vigil-digest');
    expect(digestPuts).toHaveLength(1);
    expect(digestPuts[0]!.Item).toMatchObject({
      kind: { S: 'entry' },
      detectionId: { S: 'ec2-security-group-changed' },
      eventName: { S: 'AuthorizeSecurityGroupIngress' },
    });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'vigil-triage-dedupe',
      ExpressionAttributeValues: expect.objectContaining({ ':status': { S: 'digest' } }),
    });
    expect(secretsManager.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it('without DIGEST_TABLE, alerts the change monitor in real time as before', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb.on(UpdateItemCommand).resolves({});
    sts.on(AssumeRoleCommand).rejects(new Error('AccessDenied'));
    sns.rejects(new Error('not under test'));
    secretsManager.rejects(new Error('not under test'));
    const run = handlerFromEnvironment(DIGEST_ENV, '/var/task');

    await run({ Records: [change()] });

    expect(dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input.TableName)).not.toContain('vigil-digest');
    expect(sns.calls().length + secretsManager.calls().length).toBeGreaterThan(0);
  });
});
