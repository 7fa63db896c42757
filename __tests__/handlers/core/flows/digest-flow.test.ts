import type { AlertRouting } from '../../../../handlers/core/alert';
import {
  createDigestFlow,
  type DigestFlowDeps,
  DigestRunError,
  digestChannels,
  digestDay,
  digestRouting,
} from '../../../../handlers/core/flows/digest-flow';
import type {
  DigestChannel,
  DigestDay,
  DigestEntry,
  DigestMessage,
} from '../../../../handlers/core/flows/digest-ports';
import {
  DIGEST_SAMPLES,
  formatDigestEmail,
  formatDigestSlack,
  summarizeDigest,
} from '../../../../handlers/core/format-digest';
import type { RoutingConfig } from '../../../../handlers/core/triage-alert';

const DAY = '2026-12-03';
const NOW = new Date('2026-12-04T07:00:05Z');
const TOPIC = 'arn:aws:sns:eu-west-1:333333333333:vigil-alerts';

const ROUTING: RoutingConfig = {
  default: {
    slackChannel: '#security-alerts',
    slackWebhookRef: 'secretsmanager:vigil/slack/security-alerts',
    pagerdutyRoutingKeyRef: 'secretsmanager:vigil/pagerduty/security',
    emailTopicArn: TOPIC,
  },
  byOwner: {
    'payments-team': {
      slackChannel: '#payments-security',
      slackWebhookRef: 'secretsmanager:vigil/slack/payments-security',
      pagerdutyRoutingKeyRef: 'secretsmanager:vigil/pagerduty/payments',
    },
  },
  // Even a floor of `info` never pages a digest.
  pagerDutyMinSeverity: 'info',
};

let n = 0;
const entry = (over: Partial<DigestEntry> = {}): DigestEntry => {
  n += 1;
  return {
    day: DAY,
    owner: 'payments-team',
    detectionId: 'ec2-security-group-changed',
    title: 'Security group changed',
    accountId: '444444444444',
    accountName: 'prod-payments',
    region: 'eu-west-1',
    eventId: `evt-${String(n).padStart(3, '0')}`,
    eventName: 'AuthorizeSecurityGroupIngress',
    eventTime: `${DAY}T${String(n % 24).padStart(2, '0')}:00:00Z`,
    principal: 'arn:aws:sts::444444444444:assumed-role/Admin/alice',
    resources: ['sg-0123456789abcdef0'],
    ...over,
  };
};

/** An in-memory digest store. */
class FakeStore {
  readonly entries: DigestEntry[] = [];
  readonly sent = new Map<string, Set<DigestChannel>>();
  readonly days: string[] = [];
  failMark = false;

  async entriesOf(day: string): Promise<DigestDay> {
    this.days.push(day);
    return {
      entries: this.entries.filter((e) => e.day === day),
      sent: new Map([...this.sent].map(([k, v]) => [k, new Set(v)])),
      unreadable: [],
    };
  }

  async markSent(_day: string, owner: string, channel: DigestChannel): Promise<boolean> {
    if (this.failMark) throw new Error('AccessDeniedException');
    const set = this.sent.get(owner) ?? new Set();
    const first = !set.has(channel);
    this.sent.set(owner, set.add(channel));
    return first;
  }
}

/** Records every send; `failing` lists `<owner>/<channel>` that throw. */
class FakeSender {
  readonly sends: Array<{ channel: DigestChannel; routing: AlertRouting; message: DigestMessage }> = [];
  readonly failing = new Set<string>();

  async send(channel: DigestChannel, routing: AlertRouting, message: DigestMessage): Promise<void> {
    const owner = /for (\S+):/.exec(message.email.body)![1]!;
    if (this.failing.has(`${owner}/${channel}`)) throw new Error(`${channel} refused`);
    this.sends.push({ channel, routing, message });
  }
}

function setup(over: Partial<DigestFlowDeps> = {}) {
  const store = new FakeStore();
  const sender = new FakeSender();
  const lines: Array<Record<string, unknown>> = [];
  const run = createDigestFlow({
    store,
    sender,
    routing: ROUTING,
    now: () => NOW,
    write: (line) => lines.push(JSON.parse(line)),
    ...over,
  });
  return { store, sender, lines, run };
}

describe('digestDay', () => {
  it('is the day before the schedule time, the clock, or the day asked for', () => {
    expect(digestDay({ time: '2026-12-04T07:00:00Z', 'detail-type': 'Scheduled Event' }, NOW, 1)).toBe(DAY);
    // A retry that runs after midnight still reports the day the schedule meant.
    expect(digestDay({ time: '2026-12-04T07:00:00Z' }, new Date('2026-12-05T00:30:00Z'), 1)).toBe(DAY);
    expect(digestDay(undefined, NOW, 1)).toBe(DAY);
    expect(digestDay({}, NOW, 0)).toBe('2026-12-04');
    expect(digestDay({ day: '2026-11-30' }, NOW, 1)).toBe('2026-11-30');
    expect(digestDay({ day: 'yesterday', time: 'soon' }, NOW, 1)).toBe(DAY);
  });
});

describe('digestRouting', () => {
  it("is the owner's routing over the default, without PagerDuty", () => {
    expect(digestRouting('payments-team', ROUTING)).toEqual({
      slackChannel: '#payments-security',
      slackWebhookRef: 'secretsmanager:vigil/slack/payments-security',
      emailTopicArn: TOPIC,
    });
    expect(digestRouting('nobody-in-particular', ROUTING)).not.toHaveProperty('pagerdutyRoutingKeyRef');
  });

  it('drops PagerDuty even when it is the only channel', () => {
    const onlyPaging = digestRouting('x', { default: { pagerdutyRoutingKeyRef: 'ssm:/pd' } });
    expect(onlyPaging).toEqual({});
    expect(digestChannels(onlyPaging)).toEqual([]);
  });
});

describe('the digest run', () => {
  it('sends one message per owner per channel, Slack and email, never PagerDuty', async () => {
    const { store, sender, run } = setup();
    store.entries.push(entry(), entry(), entry({ owner: 'platform-team' }), entry({ day: '2026-12-02' }));

    const report = await run({ time: '2026-12-04T07:00:00Z' });

    expect(report).toEqual({
      day: DAY,
      entries: 3,
      sent: ['payments-team', 'platform-team'],
      alreadySent: [],
      failed: [],
      unreadable: [],
    });
    expect(sender.sends.map((s) => [s.channel, s.routing.slackChannel])).toEqual([
      ['slack', '#payments-security'],
      ['email', '#payments-security'],
      ['slack', '#security-alerts'],
      ['email', '#security-alerts'],
    ]);
    expect(sender.sends.every((s) => s.routing.pagerdutyRoutingKeyRef === undefined)).toBe(true);
    expect(sender.sends[0]!.message.email.subject).toBe('[vigil][digest] payments-team: 2 changes on 2026-12-03');
    expect(sender.sends[2]!.message.email.subject).toBe('[vigil][digest] platform-team: 1 change on 2026-12-03');
    expect(store.sent).toEqual(
      new Map([
        ['payments-team', new Set(['slack', 'email'])],
        ['platform-team', new Set(['slack', 'email'])],
      ]),
    );
  });

  it('sends nothing when the day has no entries', async () => {
    const { sender, run } = setup();

    await expect(run()).resolves.toMatchObject({ day: DAY, entries: 0, sent: [] });
    expect(sender.sends).toEqual([]);
  });

  it('sends nothing twice when run again for the same day', async () => {
    const { store, sender, run } = setup();
    store.entries.push(entry(), entry({ owner: 'platform-team' }));
    await run();
    const first = sender.sends.length;

    const again = await run();

    expect(sender.sends).toHaveLength(first);
    expect(again).toMatchObject({ sent: [], alreadySent: ['payments-team', 'platform-team'], failed: [] });
  });

  it('tries every owner, then fails the run naming those that failed; the retry sends only what is missing', async () => {
    const { store, sender, lines, run } = setup();
    store.entries.push(entry({ owner: 'a-team' }), entry({ owner: 'payments-team' }), entry({ owner: 'z-team' }));
    sender.failing.add('payments-team/slack');

    const failure = await run().catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(DigestRunError);
    expect((failure as DigestRunError).failed).toEqual(['payments-team']);
    expect((failure as Error).message).toBe('the 2026-12-03 digest did not reach 1 owner(s): payments-team');
    expect(sender.sends.map((s) => `${/for (\S+):/.exec(s.message.email.body)![1]}/${s.channel}`)).toEqual([
      'a-team/slack',
      'a-team/email',
      'payments-team/email',
      'z-team/slack',
      'z-team/email',
    ]);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'digest not delivered', owner: 'payments-team' }),
    );

    // The retry (Lambda's, same event): only the Slack message of payments-team goes out.
    sender.failing.clear();
    sender.sends.length = 0;
    const retry = await run();
    expect(sender.sends.map((s) => s.channel)).toEqual(['slack']);
    expect(retry).toMatchObject({ sent: ['payments-team'], alreadySent: ['a-team', 'z-team'], failed: [] });
  });

  it('fails an owner whose digest went out but could not be recorded', async () => {
    const { store, run } = setup();
    store.entries.push(entry());
    store.failMark = true;

    await expect(run()).rejects.toThrow(DigestRunError);
  });

  it('fails an owner without a Slack or email route (PagerDuty alone does not count)', async () => {
    const { store, sender, run } = setup({ routing: { default: { pagerdutyRoutingKeyRef: 'ssm:/pd' } } });
    store.entries.push(entry());

    await expect(run()).rejects.toThrow(/payments-team/);
    expect(sender.sends).toEqual([]);
  });

  it('reports items it cannot read, and still sends the rest', async () => {
    const { store, sender, lines, run } = setup();
    store.entries.push(entry());
    const read = store.entriesOf.bind(store);
    store.entriesOf = async (day) => ({ ...(await read(day)), unreadable: ['broken#item'] });

    const report = await run();

    expect(report).toMatchObject({ sent: ['payments-team'], unreadable: ['broken#item'] });
    expect(sender.sends).toHaveLength(2);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'skipped digest items that cannot be read' }),
    );
  });

  it('fails when the store cannot be read (Lambda retries the whole run)', async () => {
    const { store, run } = setup();
    store.entriesOf = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };

    await expect(run()).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});

describe('the digest message', () => {
  it('counts per detection and per account, most frequent first', () => {
    const d = summarizeDigest(DAY, 'payments-team', [
      entry(),
      entry({ detectionId: 'vpc-changed', title: 'VPC changed', accountId: '555555555555', accountName: 'dev' }),
      entry(),
    ]);

    expect(d.byDetection).toEqual([
      { key: 'ec2-security-group-changed', label: 'Security group changed', count: 2 },
      { key: 'vpc-changed', label: 'VPC changed', count: 1 },
    ]);
    expect(d.byAccount).toEqual([
      { key: '444444444444', label: 'prod-payments (444444444444)', count: 2 },
      { key: '555555555555', label: 'dev (555555555555)', count: 1 },
    ]);
  });

  it(`lists the first ${DIGEST_SAMPLES} events by time with their CloudTrail links, then says how many more`, () => {
    const entries = Array.from({ length: 23 }, (_, i) =>
      entry({ eventId: `e${i}`, eventTime: `${DAY}T10:${String(59 - i).padStart(2, '0')}:00Z` }),
    );
    const d = summarizeDigest(DAY, 'payments-team', entries);
    const slack = formatDigestSlack(d);
    const email = formatDigestEmail(d);
    const slackText = slack.blocks.map((b) => ('text' in b && b.text ? b.text.text : '')).join('\n');

    expect(d.samples).toHaveLength(DIGEST_SAMPLES);
    expect(d.samples[0]!.eventId).toBe('e22');
    expect(d.more).toBe(3);
    expect(slackText).toContain(
      '<https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/e22|CloudTrail event>',
    );
    expect(slackText).not.toContain('#/events/e2|');
    expect(slackText).toContain('… and 3 more events');
    expect(slack.blocks.length).toBeLessThanOrEqual(50);
    expect(email.body).toContain(
      'event:     https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/e22',
    );
    expect(email.body).toContain('... and 3 more events');
    expect(email.body).toContain('Events (first 20 by time)');
  });

  it('escapes event values in Slack and keeps each on one line in email', () => {
    const hostile = entry({
      principal: 'arn:aws:iam::444444444444:user/<!channel>',
      resources: ['<https://evil.example|Approve>', 'sg-1`'],
      eventName: 'Put\nApprove: https://evil.example',
    });
    const d = summarizeDigest(DAY, '<!here>', [hostile]);
    // Mentions and links are parsed in mrkdwn only (the header is plain_text).
    const slack = JSON.stringify(formatDigestSlack(d).blocks.filter((b) => b.type !== 'header'));
    const email = formatDigestEmail(d).body;

    expect(slack).not.toContain('<!channel>');
    expect(slack).not.toContain('<!here>');
    expect(slack).not.toContain('<https://evil.example');
    expect(slack).toContain('&lt;!channel&gt;');
    expect(email).not.toMatch(/^Approve:/m);
    expect(slack).not.toContain('\\nApprove');
  });

  it('stays within Slack limits however long the values', () => {
    const long = 'x'.repeat(5000);
    const entries = Array.from({ length: 40 }, (_, i) =>
      entry({
        detectionId: `d${i}`,
        title: long,
        accountId: `${i}`.padStart(12, '0'),
        principal: long,
        resources: [long, long, long, long],
      }),
    );
    const slack = formatDigestSlack(summarizeDigest(DAY, long, entries));

    expect(slack.blocks.length).toBeLessThanOrEqual(50);
    for (const b of slack.blocks) {
      if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(3000);
      if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(150);
    }
    expect(formatDigestEmail(summarizeDigest(DAY, long, entries)).subject.length).toBeLessThan(100);
  });
});
