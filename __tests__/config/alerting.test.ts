import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertingProblems, digestSecretRefs, secretRefs } from '../../config/alerting';
import example from '../../config/alerting.json';
import { loadConfig } from '../../config/load';
import { inventoryWith, TEST_ALERTING } from '../fixtures/inventory';

describe('alertingProblems', () => {
  it('accepts the bundled example and the test config', () => {
    expect(alertingProblems(example)).toEqual([]);
    expect(alertingProblems(TEST_ALERTING)).toEqual([]);
  });

  it.each<[string, unknown, string, RegExp]>([
    [
      'a plain webhook URL instead of a secret reference',
      { default: { slackChannel: '#s', slackWebhookRef: 'https://hooks.slack.com/services/T/B/x' } },
      'default.slackWebhookRef',
      /store it in Secrets Manager or SSM/,
    ],
    [
      'a malformed reference',
      { default: { pagerdutyRoutingKeyRef: 'vault:key' } },
      'default.pagerdutyRoutingKeyRef',
      /secretsmanager:<name> or ssm:\/<path>/,
    ],
    [
      'a channel without webhook',
      { default: { slackChannel: '#s', emails: ['a@b.co'] } },
      'default.slackWebhookRef',
      /required with slackChannel/,
    ],
    [
      'a Slack bot token without a channel id',
      { default: { slackBotTokenRef: 'secretsmanager:vigil/slack/bot' } },
      'default.slackChannelId',
      /required with slackBotTokenRef/,
    ],
    [
      'a channel name where the channel id belongs',
      { default: { slackBotTokenRef: 'secretsmanager:vigil/slack/bot', slackChannelId: '#security' } },
      'default.slackChannelId',
      /expected a Slack channel id like C0123ABCD/,
    ],
    [
      'a lower-case owner channel id',
      {
        default: { emails: ['a@b.co'] },
        owners: { team: { slackBotTokenRef: 'secretsmanager:vigil/slack/bot', slackChannelId: 'c0123abcd' } },
      },
      'owners.team.slackChannelId',
      /expected a Slack channel id/,
    ],
    [
      'a channel id without a bot token',
      { default: { emails: ['a@b.co'], slackChannelId: 'C0123ABCD' } },
      'default.slackBotTokenRef',
      /required with slackChannelId/,
    ],
    [
      'a plain bot token instead of a secret reference',
      { default: { slackBotTokenRef: 'xoxb-123', slackChannelId: 'C0123ABCD' } },
      'default.slackBotTokenRef',
      /secretsmanager:<name> or ssm:\/<path>/,
    ],
    ['no default channel at all', { default: {} }, 'default', /alerts reach nobody/],
    ['a bad email', { default: { emails: ['not-an-email'] } }, 'default.emails[0]', /not an email address/],
    [
      'a bad approvals sender address',
      { default: { emails: ['a@b.co'] }, approvals: { emailFrom: 'vigil approvals' } },
      'approvals.emailFrom',
      /not an email address/,
    ],
    [
      'an unknown severity',
      { default: { emails: ['a@b.co'] }, pagerdutyMinSeverity: 'urgent' },
      'pagerdutyMinSeverity',
      /high/,
    ],
    [
      'a retention CloudWatch does not offer',
      { default: { emails: ['a@b.co'] }, logRetentionDays: 100 },
      'logRetentionDays',
      /retention periods/,
    ],
    ['a digest hour past 23', { default: { emails: ['a@b.co'] }, digestHourUtc: 24 }, 'digestHourUtc', /0 to 23/],
    [
      'a fractional digest hour',
      { default: { emails: ['a@b.co'] }, digestHourUtc: 6.5 },
      'digestHourUtc',
      /whole hour/,
    ],
    ['a digest hour as text', { default: { emails: ['a@b.co'] }, digestHourUtc: '7' }, 'digestHourUtc', /got "7"/],
  ])('fails when the config has %s', (_case, raw, path, message) => {
    expect(alertingProblems(raw)).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it('accepts a Slack bot route, alone or with a channel name', () => {
    expect(
      alertingProblems({
        default: {
          slackChannel: '#security-alerts',
          slackBotTokenRef: 'secretsmanager:vigil/slack/app#botToken',
          slackChannelId: 'C0123ABCD',
        },
        owners: { team: { slackBotTokenRef: 'ssm:/vigil/slack/bot', slackChannelId: 'G01234567' } },
      }),
    ).toEqual([]);
  });

  it('lists the Slack bot token among the secret references, for the functions that read it', () => {
    expect(
      secretRefs({
        ...TEST_ALERTING,
        owners: {
          ...TEST_ALERTING.owners,
          team: { slackBotTokenRef: 'ssm:/vigil/slack/bot', slackChannelId: 'C0123ABCD' },
        },
      }),
    ).toContain('ssm:/vigil/slack/bot');
  });

  it('accepts digest hours 0 to 23', () => {
    for (const digestHourUtc of [0, 7, 23]) {
      expect(alertingProblems({ default: { emails: ['a@b.co'] }, digestHourUtc })).toEqual([]);
    }
  });

  it("gives the digest the Slack routes' secrets only, never a PagerDuty key", () => {
    expect(digestSecretRefs(TEST_ALERTING)).toEqual([
      'secretsmanager:vigil/slack/payments',
      'secretsmanager:vigil/slack/security',
    ]);
  });

  it('lists every secret reference once, sorted', () => {
    expect(secretRefs(TEST_ALERTING)).toEqual([
      'secretsmanager:vigil/slack/payments',
      'secretsmanager:vigil/slack/security',
      'ssm:/vigil/pagerduty/security',
    ]);
  });
});

describe('loadConfig', () => {
  it('reports the problems of every file at once, each prefixed with its file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
    const inventory = join(dir, 'org.json');
    const alerting = join(dir, 'alerting.json');
    writeFileSync(inventory, JSON.stringify(inventoryWith((i) => (i.homeRegion = 'ap-south-1'))));
    writeFileSync(alerting, JSON.stringify({ default: {} }));
    expect(() => loadConfig({ inventory, alerting })).toThrow(
      new RegExp(`${inventory}: homeRegion[\\s\\S]*${alerting}: default: no channel`),
    );
  });
});
