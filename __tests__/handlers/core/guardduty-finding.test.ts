import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTriageMessage } from '../../../handlers/core/envelope';
import { findingView } from '../../../handlers/core/guardduty-finding';
import { formatEmail } from '../../../handlers/core/format-email';
import { formatPagerDutyTrigger } from '../../../handlers/core/format-pagerduty';
import { formatSlackMessage } from '../../../handlers/core/format-slack';
import {
  type AlertDecision,
  buildAlert,
  makeTriageContext,
  type TriageDecision,
  triageMessage,
} from '../../../handlers/core/triage';
import type { CloudTrailEventBridgeEvent } from '../../../rules/predicates';
import org from '../../../config/org.json';
import { assertValidInventory } from '../../../config/inventory';
import { toHandlerInventory } from '../../../handlers/core/inventory-view';
import { CATALOG } from '../../../rules/catalog';
import { PREDICATES } from '../../../rules/predicates';
import { messageBody } from '../../fixtures/triage';

const OUTSIDE = 'guardduty-instance-credentials-used-outside-aws';
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'events');
const load = (id: string, name: string): any => JSON.parse(readFileSync(join(FIXTURES, id, `${name}.json`), 'utf8'));
const outside = () => load(OUTSIDE, 'positive-outside-aws');
/** The fixtures' accounts are those of config/org.json (as in the catalog test). */
const ctx = makeTriageContext(toHandlerInventory(assertValidInventory(org)), CATALOG, PREDICATES);

/** Validates and triages `event` as a message of the OutsideAWS detection. */
function decide(event: unknown): TriageDecision {
  const parsed = parseTriageMessage(messageBody(OUTSIDE, event));
  if (!parsed.ok) throw new Error(`fixture rejected: ${parsed.reason}`);
  return triageMessage(parsed.message, ctx);
}
const alertOf = (d: TriageDecision): AlertDecision => {
  if (d.kind !== 'alert') throw new Error(`expected an alert, got ${d.kind}: ${'reason' in d ? d.reason : ''}`);
  return d;
};

describe('parseTriageMessage on GuardDuty findings', () => {
  it('accepts a GuardDuty finding event', () => {
    const event = outside();

    expect(parseTriageMessage(messageBody(OUTSIDE, event))).toEqual({
      ok: true,
      message: { detectionId: OUTSIDE, event },
    });
  });

  it('rejects a finding of another account as an account mismatch', () => {
    const event = outside();
    event.detail.accountId = '999999999999';

    expect(parseTriageMessage(messageBody(OUTSIDE, event))).toMatchObject({ ok: false, code: 'account-mismatch' });
  });

  it.each([
    ['no finding id', (e: any) => delete e.detail.id],
    ['no finding type', (e: any) => delete e.detail.type],
    ['a severity that is not a number', (e: any) => (e.detail.severity = 'HIGH')],
    ['an updatedAt that is not a time', (e: any) => (e.detail.updatedAt = 'yesterday')],
    ['no detail', (e: any) => delete e.detail],
    ['an account that is not 12 digits', (e: any) => (e.account = 'x')],
  ])('rejects a finding with %s as bad-finding', (_case, edit) => {
    const event = outside();
    edit(event);

    expect(parseTriageMessage(messageBody(OUTSIDE, event))).toMatchObject({ ok: false, code: 'bad-finding' });
  });

  it('rejects a look-alike GuardDuty finding put by a member as spoofed', () => {
    const event = outside();
    event.source = 'custom.guardduty';

    expect(parseTriageMessage(messageBody(OUTSIDE, event))).toMatchObject({ ok: false, code: 'spoofed-source' });
  });
});

describe('findingView', () => {
  it('reads who, what, where and when from the finding', () => {
    const view = findingView(outside());

    expect(view.detail).toMatchObject({
      eventSource: 'guardduty.amazonaws.com',
      eventName: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      eventTime: '2025-05-07T10:12:40.512Z',
      eventID: '6ec9a1b2c3d4e5f60718293a4b5c6d7e-20250507T101240512Z',
      awsRegion: 'eu-west-1',
      recipientAccountId: '110000000005',
      sourceIPAddress: '198.51.100.77',
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:iam::110000000005:role/orders-api-instance',
        accessKeyId: 'ASIA110000000005INST',
      },
      requestParameters: expect.objectContaining({ api: 'ListBuckets', instanceId: 'i-0a1b2c3d4e5f60718', count: 3 }),
      resources: [{ ARN: 'arn:aws:ec2:eu-west-1:110000000005:instance/i-0a1b2c3d4e5f60718' }],
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    });
  });

  it('leaves a CloudTrail event as it is', () => {
    const event = load(OUTSIDE, 'negative-cloudtrail-instance-role-call') as CloudTrailEventBridgeEvent;

    expect(findingView(event)).toBe(event);
  });

  it('gives each update of a finding its own event id, and a redelivery the same one', () => {
    const first = outside();
    const update = outside();
    update.detail.updatedAt = '2025-05-07T16:12:40.512Z';

    expect(findingView(first).detail.eventID).toBe(findingView(outside()).detail.eventID);
    expect(findingView(update).detail.eventID).not.toBe(findingView(first).detail.eventID);
  });

  it('reads a finding without resource or updatedAt with what is there', () => {
    const event = outside();
    delete event.detail.resource;
    delete event.detail.updatedAt;

    const view = findingView(event);

    expect(view.detail.userIdentity).toBeUndefined();
    expect(view.detail['eventTime']).toBe(event.time);
    expect(view.detail['resources']).toEqual([]);
  });

  it('names an IAM user and the root user by their ARNs', () => {
    const user = outside();
    user.detail.resource.accessKeyDetails.userType = 'IAMUser';
    const root = outside();
    root.detail.resource.accessKeyDetails.userType = 'Root';

    expect(findingView(user).detail.userIdentity?.['arn']).toBe('arn:aws:iam::110000000005:user/orders-api-instance');
    expect(findingView(root).detail.userIdentity?.['arn']).toBe('arn:aws:iam::110000000005:root');
  });
});

describe('triage of a GuardDuty finding', () => {
  it('alerts with the principal, the finding and the instance, and requests no remediation', () => {
    const decision = alertOf(decide(outside()));

    expect(decision).toMatchObject({
      detection: { id: OUTSIDE },
      accountId: '110000000005',
      event: {
        eventId: '6ec9a1b2c3d4e5f60718293a4b5c6d7e-20250507T101240512Z',
        eventName: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        actor: { type: 'AssumedRole', arn: 'arn:aws:iam::110000000005:role/orders-api-instance' },
        sourceIPAddress: '198.51.100.77',
        resources: ['arn:aws:ec2:eu-west-1:110000000005:instance/i-0a1b2c3d4e5f60718'],
      },
      keys: { event: `event#${OUTSIDE}#6ec9a1b2c3d4e5f60718293a4b5c6d7e-20250507T101240512Z` },
    });
    expect(decision.keys.resource).toMatch(new RegExp(`^resource#${OUTSIDE}#110000000005#eu-west-1#`));
    expect(decision.detection.remediation).toBeUndefined();
  });

  it('still alerts on a finding it cannot fully read, with a note and no remediation', () => {
    const event = outside();
    delete event.detail.resource;

    const decision = alertOf(decide(event));

    expect(decision.event.actor).toEqual({ type: 'Unknown' });
    expect(decision.notes).toEqual([expect.stringMatching(/who made the call is unknown/)]);
    expect(decision.unreadable).toMatch(/no userIdentity/);
  });

  it('formats the alert for every channel with a link to the finding', () => {
    const alert = buildAlert(
      alertOf(decide(outside())),
      { owner: 'orders-team', source: 'org-default', detail: 'x' },
      {},
    );
    const link =
      'https://eu-west-1.console.aws.amazon.com/guardduty/home?region=eu-west-1#/findings?fId=6ec9a1b2c3d4e5f60718293a4b5c6d7e';

    expect(alert.links.cloudTrailEvent).toBe(link);
    expect(JSON.stringify(formatSlackMessage(alert, { now: new Date('2025-05-07T10:13:00Z') }))).toContain(
      'InstanceCredentialExfiltration.OutsideAWS',
    );
    expect(
      JSON.stringify(formatPagerDutyTrigger(alert, 'routing-key', { now: new Date('2025-05-07T10:13:00Z') })),
    ).toContain('orders-api-instance');
    expect(formatEmail(alert, { now: new Date('2025-05-07T10:13:00Z') }).body).toContain(link);
  });
});
