/** Exact identity of vigil's heartbeat (handlers/core/heartbeat.ts): the role ARN of the event's own account, the exact call. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkHeartbeat, heartbeatLatencyMs } from '../../../handlers/core/heartbeat';
import type { CloudTrailEventBridgeEvent } from '../../../rules/predicates';

const EVENTS = join(__dirname, '..', '..', 'fixtures', 'events');
const load = (path: string): any => JSON.parse(readFileSync(join(EVENTS, path), 'utf8'));
const regional = () => load('vigil-heartbeat/positive-scheduler-put-parameter.json');
const global = () => load('vigil-heartbeat-global/positive-scheduler-tag-role.json');
const check = (e: unknown, prefix = 'vigil') => checkHeartbeat(e as CloudTrailEventBridgeEvent, prefix);
const issuer = (e: any) => e.detail.userIdentity.sessionContext.sessionIssuer;

describe('checkHeartbeat', () => {
  it('recognises the regional and the global heartbeat of the exact role', () => {
    expect(check(regional())).toEqual({
      ok: true,
      call: {
        accountId: '110000000006',
        region: 'eu-west-1',
        path: 'regional',
        eventTime: '2026-12-04T08:50:00Z',
        eventId: '2b3c4d5e-6f70-4819-9a2b-000000000101',
      },
    });
    expect(check(global())).toMatchObject({ ok: true, call: { region: 'us-east-1', path: 'global' } });
  });

  it.each([
    [
      'a role of the same name on an IAM path',
      (e: any) => (issuer(e).arn = 'arn:aws:iam::110000000006:role/ops/vigil-heartbeat'),
    ],
    [
      'the heartbeat role of another account',
      (e: any) => {
        issuer(e).arn = 'arn:aws:iam::110000000007:role/vigil-heartbeat';
        issuer(e).accountId = '110000000007';
      },
    ],
    ['an issuer account that is not the ARN’s', (e: any) => (issuer(e).accountId = '110000000007')],
    [
      'an IAM user',
      (e: any) => (e.detail.userIdentity = { type: 'IAMUser', arn: 'arn:aws:iam::110000000006:user/vigil-heartbeat' }),
    ],
    ['another recipient account', (e: any) => (e.detail.recipientAccountId = '110000000007')],
    ['another parameter', (e: any) => (e.detail.requestParameters.name = '/vigil/heartbeat2')],
    ['another call', (e: any) => (e.detail.eventName = 'DeleteParameter')],
    ['no eventTime', (e: any) => delete e.detail.eventTime],
  ])('refuses %s', (_case, edit) => {
    const e = regional();
    edit(e);
    expect(check(e)).toMatchObject({ ok: false, why: expect.any(String) });
  });

  it('refuses TagRole of another role, and derives names from the inventory prefix', () => {
    const other = global();
    other.detail.requestParameters.roleName = 'app-role';
    expect(check(other).ok).toBe(false);
    expect(check(regional(), 'acme').ok).toBe(false);
  });

  it('measures latency from the CloudTrail eventTime, never negative', () => {
    expect(heartbeatLatencyMs({ eventTime: '2026-12-04T08:50:00Z' }, Date.parse('2026-12-04T08:50:42Z'))).toBe(42_000);
    expect(heartbeatLatencyMs({ eventTime: '2026-12-04T08:50:00Z' }, Date.parse('2026-12-04T08:49:59Z'))).toBe(0);
  });
});
