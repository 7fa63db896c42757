/**
 * Accounts the account view lacks (issue #11): triage notes every event from one for the coverage map
 * (one "account not in the inventory" message per account), never for a known account, and a failed
 * note never holds the alert back (fail open on detection).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccountSightings } from '../../../handlers/core/flows/triage-ports';
import { createHandler, type SqsEvent } from '../../../handlers/entrypoints/triage';
import { sqsRecord, triageContext } from '../../fixtures/triage';
import { FakeClock, FakeDedupeStore, FakeNotifier, FakeTags, LogCapture } from '../../helpers/triage-fakes';

const EVENTS = join(__dirname, '..', '..', 'fixtures', 'events');
const DETECTION = 'cloudtrail-logging-stopped';
const FIXTURE = join(EVENTS, DETECTION, 'positive-org-trail.json');
const STRANGER = '999999999999';

function event(account?: string) {
  const e = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  if (account) {
    e.account = account;
    e.detail.recipientAccountId = account;
    e.detail.eventID = `${e.detail.eventID.slice(0, -12)}${account}`;
  }
  return e;
}

function setup(sightings: AccountSightings) {
  const notifier = new FakeNotifier();
  const log = new LogCapture();
  const clock = new FakeClock(Date.parse('2026-12-04T10:00:00Z'));
  const handler = createHandler({
    context: triageContext(),
    store: new FakeDedupeStore(),
    tags: new FakeTags(),
    notifier,
    routing: { default: { emailTopicArn: 'arn:aws:sns:eu-west-1:110000000003:vigil-alerts' }, byOwner: {} },
    now: clock.now,
    write: log.write,
    sightings,
  });
  return { handler, notifier, log };
}

const batch = (...records: Array<{ messageId: string; body: string }>): SqsEvent => ({ Records: records });

describe('triage notes accounts the inventory lacks', () => {
  it('notes an event from an unknown account (and still alerts on it), never one from a known account', async () => {
    const noted: string[] = [];
    const t = setup({ note: async (a, r, at) => void noted.push(`${a}/${r}@${at}`) });

    const out = await t.handler(
      batch(sqsRecord('m1', DETECTION, event(STRANGER)), sqsRecord('m2', DETECTION, event())),
    );

    expect(out).toEqual({ batchItemFailures: [] });
    expect(noted).toEqual([`${STRANGER}/${event().region}@2026-12-04T10:00:00.000Z`]);
    expect(t.notifier.sent.map((s) => s.alert.event.account.id).sort()).toEqual([event().account, STRANGER].sort());
  });

  it('alerts even when the note fails, and logs the failure', async () => {
    const t = setup({
      note: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
    });

    const out = await t.handler(batch(sqsRecord('m1', DETECTION, event(STRANGER))));

    expect(out).toEqual({ batchItemFailures: [] });
    expect(t.notifier.sent).toHaveLength(1);
    expect(t.log.parsed.filter((l) => l.message === 'could not note an account the inventory lacks')).toEqual([
      expect.objectContaining({ level: 'warn', account: STRANGER, error: expect.stringContaining('Throughput') }),
    ]);
  });
});
