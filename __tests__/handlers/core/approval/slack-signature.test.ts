import {
  APPROVAL_ACTIONS,
  computeSlackSignature,
  parseSlackInteraction,
  verifySlackSignature,
} from '../../../../handlers/core/approval/slack-signature';
import { blockActionsPayload, formBody, REQUEST_ID, SIGNING_SECRET, slackSignature } from '../../../helpers/approvals';

// The worked example of Slack's "Verifying requests from Slack" guide (a slash command body).
const DOC = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
    '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
    '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
    '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};
const DOC_NOW = new Date(Number(DOC.timestamp) * 1000 + 30_000);

describe('verifySlackSignature', () => {
  const verify = (overrides: Partial<Parameters<typeof verifySlackSignature>[0]> = {}) =>
    verifySlackSignature({
      signingSecret: DOC.secret,
      timestamp: DOC.timestamp,
      signature: DOC.signature,
      rawBody: DOC.body,
      now: DOC_NOW,
      ...overrides,
    });

  it("reproduces the signature of Slack's documented example", () => {
    expect(computeSlackSignature(DOC.secret, DOC.timestamp, DOC.body)).toBe(DOC.signature);
    expect(verify()).toEqual({ ok: true });
  });

  it('accepts a timestamp up to five minutes either side of the clock', () => {
    const ts = Number(DOC.timestamp) * 1000;
    expect(verify({ now: new Date(ts + 300_000) })).toEqual({ ok: true });
    expect(verify({ now: new Date(ts - 300_000) })).toEqual({ ok: true });
  });

  it.each([
    ['older than five minutes (a replay)', 301_000],
    ['more than five minutes in the future', -301_000],
  ])('fails when the timestamp is %s', (_case, offsetMs) => {
    const now = new Date(Number(DOC.timestamp) * 1000 + offsetMs);
    expect(verify({ now })).toEqual({ ok: false, failure: 'stale-timestamp' });
  });

  it('fails when a re-signed old request carries a fresh timestamp header but the old signature', () => {
    expect(verify({ timestamp: String(Math.floor(DOC_NOW.getTime() / 1000)) })).toEqual({
      ok: false,
      failure: 'bad-signature',
    });
  });

  it.each([
    ['the body was changed', { rawBody: DOC.body.replace('foobar', 'foobaz') }],
    ['the secret is another app’s', { signingSecret: 'another-apps-signing-secret-value' }],
    ['the signature has the wrong version', { signature: DOC.signature.replace('v0=', 'v1=') }],
    ['the signature is truncated', { signature: DOC.signature.slice(0, -2) }],
    ['the signature is upper-case hex', { signature: DOC.signature.toUpperCase().replace('V0=', 'v0=') }],
    ['the signing secret is empty', { signingSecret: '' }],
  ])('fails when %s', (_case, overrides) => {
    expect(verify(overrides)).toEqual({ ok: false, failure: 'bad-signature' });
  });

  it.each([
    ['no timestamp', { timestamp: undefined }, 'missing-headers'],
    ['no signature', { signature: undefined }, 'missing-headers'],
    ['a timestamp that is not a number', { timestamp: '1531420618.5' }, 'bad-timestamp'],
    ['a timestamp in milliseconds', { timestamp: `${DOC.timestamp}000` }, 'bad-timestamp'],
  ] as const)('fails on %s', (_case, overrides, failure) => {
    expect(verify(overrides)).toEqual({ ok: false, failure });
  });

  it('verifies an interaction body signed with the test secret', () => {
    const body = formBody(blockActionsPayload(APPROVAL_ACTIONS.approve));
    const signature = slackSignature(body, 1714645800);

    expect(
      verifySlackSignature({
        signingSecret: SIGNING_SECRET,
        timestamp: '1714645800',
        signature,
        rawBody: body,
        now: new Date(1714645800_000),
      }),
    ).toEqual({ ok: true });
  });
});

describe('parseSlackInteraction', () => {
  it('reads the clicking user, the button, the request id and the response_url', () => {
    const parsed = parseSlackInteraction(formBody(blockActionsPayload(APPROVAL_ACTIONS.approve)));

    expect(parsed).toEqual({
      ok: true,
      click: {
        kind: 'approve',
        requestId: REQUEST_ID,
        userId: 'U04SECLEAD1',
        responseUrl: 'https://hooks.slack.com/actions/T0000000001/1234567890123/XXXXXXXXXXXXXXXXXXXXXXXX',
        teamId: 'T0000000001',
      },
    });
  });

  it.each([
    ['reject', APPROVAL_ACTIONS.reject],
    ['undo', APPROVAL_ACTIONS.undo],
  ])('recognises the %s button', (kind, actionId) => {
    const parsed = parseSlackInteraction(formBody(blockActionsPayload(actionId)));
    expect(parsed.ok && parsed.click.kind).toBe(kind);
  });

  it('reads a payload without team', () => {
    const parsed = parseSlackInteraction(formBody({ ...blockActionsPayload(APPROVAL_ACTIONS.reject), team: null }));
    expect(parsed.ok && parsed.click).not.toHaveProperty('teamId');
  });

  it('accepts a loopback http response_url (local test servers) but no other http', () => {
    const local = parseSlackInteraction(
      formBody(blockActionsPayload(APPROVAL_ACTIONS.approve, { responseUrl: 'http://127.0.0.1:8080/r' })),
    );
    const remote = parseSlackInteraction(
      formBody(blockActionsPayload(APPROVAL_ACTIONS.approve, { responseUrl: 'http://hooks.slack.com/actions/x' })),
    );
    expect(local.ok).toBe(true);
    expect(remote).toEqual({ ok: false, reason: 'no https response_url' });
  });

  const base = () => blockActionsPayload(APPROVAL_ACTIONS.approve);
  it.each([
    ['a body without payload', 'foo=bar', /no payload/],
    ['a payload that is not JSON', 'payload=%7Bnot-json', /not JSON/],
    ['a view_submission', formBody({ ...base(), type: 'view_submission' }), /unsupported interaction type/],
    ['a user id that could inject mrkdwn', formBody({ ...base(), user: { id: 'U1>|<!channel' } }), /user.id/],
    ['no user', formBody({ ...base(), user: undefined }), /user.id/],
    [
      'a foreign button',
      formBody({ ...base(), actions: [{ action_id: 'other_app', value: REQUEST_ID }] }),
      /not a vigil button/,
    ],
    ['no actions', formBody({ ...base(), actions: [] }), /not a vigil button/],
    [
      'actions that are not a list',
      formBody({ ...base(), actions: { action_id: 'vigil_approve' } }),
      /not a vigil button/,
    ],
    ['a payload that is a list', formBody([base()]), /unsupported interaction type/],
    [
      'a value that is not a request id',
      formBody(blockActionsPayload(APPROVAL_ACTIONS.approve, { value: 'nonce#abc' })),
      /request id/,
    ],
    ['no response_url', formBody({ ...base(), response_url: undefined }), /response_url/],
    ['a response_url that is not a URL', formBody({ ...base(), response_url: 'not a url' }), /response_url/],
  ])('fails when it gets %s', (_case, body, reason) => {
    const parsed = parseSlackInteraction(body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(reason);
  });
});
