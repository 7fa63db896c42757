import { MAX_BODY_CHARS, parseTriageMessage } from '../../../handlers/core/envelope';
import { loadTriageEvent, messageBody } from '../../fixtures/triage';

const DETECTION = 'cloudtrail-logging-stopped';
const parse = (event: unknown, detectionId: unknown = DETECTION) =>
  parseTriageMessage(JSON.stringify({ detectionId, event }));

/** The fixture event with `edit` applied. */
const edited = (edit: (e: any) => void) => {
  const e = loadTriageEvent('stop-logging-prod');
  edit(e);
  return e;
};

describe('parseTriageMessage', () => {
  it('accepts the message a central rule writes', () => {
    const event = loadTriageEvent('stop-logging-prod');

    const result = parseTriageMessage(messageBody(DETECTION, event));

    expect(result).toEqual({ ok: true, message: { detectionId: DETECTION, event } });
  });

  it('accepts a console sign-in event in either spelling of its detail-type', () => {
    for (const detailType of ['AWS Console Signin via CloudTrail', 'AWS Console Sign In via CloudTrail']) {
      const event = edited((e) => {
        e['detail-type'] = detailType;
        e.source = 'aws.signin';
      });
      expect(parse(event).ok).toBe(true);
    }
  });

  it('accepts an event without recipientAccountId', () => {
    expect(parse(edited((e) => delete e.detail.recipientAccountId)).ok).toBe(true);
  });

  it.each([
    ['a body that is not JSON', '{"detectionId": "x", "event": ', 'not-json'],
    ['a JSON array', '[1, 2]', 'bad-envelope'],
    ['a body without event', JSON.stringify({ detectionId: DETECTION }), 'bad-envelope'],
    ['a detectionId that is not a string', JSON.stringify({ detectionId: 42, event: {} }), 'bad-envelope'],
    [
      'a detectionId that is not a catalog-style id',
      JSON.stringify({ detectionId: 'DROP TABLE', event: {} }),
      'bad-envelope',
    ],
  ])('rejects %s', (_case, body, code) => {
    expect(parseTriageMessage(body)).toMatchObject({ ok: false, code });
  });

  it('rejects a body larger than any EventBridge event', () => {
    const body = messageBody(DETECTION, { padding: 'x'.repeat(MAX_BODY_CHARS) });

    expect(parseTriageMessage(body)).toMatchObject({ ok: false, code: 'too-large' });
  });

  it.each([
    ['a custom source (PutEvents by a member)', (e: any) => (e.source = 'custom.app')],
    ['a source that only contains aws', (e: any) => (e.source = 'myaws.cloudtrail')],
    ['no source', (e: any) => delete e.source],
  ])('rejects %s as spoofed', (_case, edit) => {
    const result = parse(edited(edit));

    expect(result).toMatchObject({ ok: false, code: 'spoofed-source', reason: expect.stringMatching(/not an AWS/) });
  });

  it('rejects an AWS event that CloudTrail did not deliver', () => {
    const result = parse(edited((e) => (e['detail-type'] = 'EC2 Instance State-change Notification')));

    expect(result).toMatchObject({ ok: false, code: 'not-cloudtrail' });
  });

  it('accepts an account the inventory does not list: the bus admits only the org, so it is a new member', () => {
    const result = parse(
      edited((e) => {
        e.account = '999999999999';
        e.detail.recipientAccountId = '999999999999';
      }),
    );

    expect(result).toMatchObject({ ok: true, message: { event: { account: '999999999999' } } });
  });

  it('rejects an account that is not a 12-digit id', () => {
    expect(parse(edited((e) => (e.account = 'constructor')))).toMatchObject({ ok: false, code: 'missing-field' });
  });

  it('rejects an event whose recipientAccountId differs from its account', () => {
    const result = parse(edited((e) => (e.detail.recipientAccountId = '110000000001')));

    expect(result).toMatchObject({
      ok: false,
      code: 'account-mismatch',
      reason: expect.stringContaining('110000000001'),
    });
  });

  it.each([
    ['id', (e: any) => delete e.id],
    ['time', (e: any) => (e.time = 'yesterday')],
    ['region', (e: any) => (e.region = 'Mars')],
    ['detail', (e: any) => delete e.detail],
    ['detail.eventName', (e: any) => delete e.detail.eventName],
    ['detail.eventSource', (e: any) => (e.detail.eventSource = 42)],
    ['detail.eventTime', (e: any) => delete e.detail.eventTime],
    ['detail.eventID', (e: any) => delete e.detail.eventID],
  ])('rejects a truncated event without a valid %s', (field, edit) => {
    const result = parse(edited(edit));

    expect(result).toMatchObject({ ok: false, code: 'missing-field', reason: expect.stringContaining(field) });
  });

  it.each([
    ['null', null],
    ['a string', 'root'],
    ['missing', undefined],
  ])('accepts a userIdentity that is %s: who called is unknown, the finding still alerts', (_case, value) => {
    const result = parse(edited((e) => (e.detail.userIdentity = value)));

    expect(result).toMatchObject({ ok: true });
  });

  it('names every missing field at once', () => {
    const result = parse(
      edited((e) => {
        e.detail = { eventName: 'StopLogging' };
      }),
    );

    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringContaining('detail.eventSource, detail.eventTime, detail.eventID ('),
    });
  });

  it('keeps attacker-controlled values short in the reason', () => {
    const result = parse(edited((e) => (e.source = `custom.${'x'.repeat(100_000)}`)));

    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeLessThan(200);
  });

  it('accepts a 200 KB event', () => {
    const event = edited((e) => (e.detail.requestParameters.padding = 'p'.repeat(200_000)));

    const result = parseTriageMessage(messageBody(DETECTION, event));

    expect(result.ok).toBe(true);
  });

  it.each([
    [
      'an event that is an array nested thousands deep',
      (deep: string) => `{"detectionId":"${DETECTION}","event":${deep}}`,
      'bad-envelope',
    ],
    [
      'a recipientAccountId nested thousands deep',
      (deep: string) =>
        messageBody(
          DETECTION,
          edited((e) => (e.detail.recipientAccountId = '__DEEP__')),
        ).replace('"__DEEP__"', deep),
      'account-mismatch',
    ],
  ])('rejects %s with a short reason instead of throwing RangeError', (_case, body, code) => {
    const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;

    const result = parseTriageMessage(body(deep));

    expect(result).toMatchObject({ ok: false, code, reason: expect.stringMatching(/\[\[\[.*\.\.\./) });
  });
});
