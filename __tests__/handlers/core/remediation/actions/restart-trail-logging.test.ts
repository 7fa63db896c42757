import { restartTrailLogging as action } from '../../../../../handlers/core/remediation/actions/restart-trail-logging';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const TRAIL = `arn:aws:cloudtrail:eu-west-1:${MEMBER}:trail/payments-audit`;
const byArn = () => targetOrFail(action.target(loadRemediationEvent('cloudtrail-stop-logging'), CTX));

describe('restart-trail-logging', () => {
  it('targets the trail named in StopLogging, in the region of its ARN', () => {
    const event = loadRemediationEvent('cloudtrail-stop-logging');
    event.detail.awsRegion = 'us-east-1'; // the ARN decides, not where the event says it came from

    expect(targetOrFail(action.target(event, CTX))).toMatchObject({ region: 'eu-west-1', resourceId: TRAIL });
  });

  it('targets a trail named without ARN in the region of the call', () => {
    expect(targetOrFail(action.target(loadRemediationEvent('cloudtrail-stop-logging-by-name'), CTX))).toMatchObject({
      region: 'eu-west-1',
      details: { trail: 'payments-audit' },
    });
  });

  it.each([
    [
      'a trail of another account',
      (e: any) => (e.detail.requestParameters.name = TRAIL.replace(MEMBER, '111111111111')),
    ],
    ['an event without a trail name', (e: any) => (e.detail.requestParameters = {})],
    ['another event', (e: any) => (e.detail.eventName = 'StartLogging')],
  ])('refuses %s', (_case, mutate) => {
    const event = loadRemediationEvent('cloudtrail-stop-logging');
    mutate(event);

    expect(action.target(event, CTX)).toEqual({ refuse: expect.any(String) });
  });

  it('reads the trail and its status', () => {
    expect(action.stateReads(byArn())).toEqual([
      { service: 'cloudtrail', operation: 'GetTrail', input: { Name: TRAIL }, region: 'eu-west-1' },
      { service: 'cloudtrail', operation: 'GetTrailStatus', input: { Name: TRAIL }, region: 'eu-west-1' },
    ]);
  });

  it('starts logging by ARN in the home region the trail reports', () => {
    // A multi-region trail created in us-east-2, stopped from its eu-west-1 shadow by name.
    const home = TRAIL.replace('eu-west-1', 'us-east-2');
    const target = targetOrFail(action.target(loadRemediationEvent('cloudtrail-stop-logging-by-name'), CTX));

    const plan = actOrFail(
      action.plan(target, { exists: true, trailArn: home, homeRegion: 'us-east-2', isLogging: false }),
    );

    expect(plan.calls).toEqual([
      { service: 'cloudtrail', operation: 'StartLogging', input: { Name: home }, region: 'us-east-2' },
    ]);
    expect(plan.snapshot).toEqual({ trailArn: home, homeRegion: 'us-east-2' });
  });

  it('is already compliant when the trail logs (a second run writes nothing)', () => {
    expect(
      action.plan(byArn(), { exists: true, trailArn: TRAIL, homeRegion: 'eu-west-1', isLogging: true }),
    ).toMatchObject({
      kind: 'already-compliant',
    });
  });

  it('refuses when the trail is gone', () => {
    expect(action.plan(byArn(), { exists: false })).toMatchObject({ kind: 'refuse', reason: /no longer exists/ });
  });

  it('verifies logging and undoes with StopLogging in the home region', () => {
    const plan = actOrFail(
      action.plan(byArn(), { exists: true, trailArn: TRAIL, homeRegion: 'eu-west-1', isLogging: false }),
    );

    expect(action.verify(byArn(), { exists: true, trailArn: TRAIL, isLogging: true }).fixed).toBe(true);
    expect(action.verify(byArn(), { exists: true, trailArn: TRAIL, isLogging: false }).fixed).toBe(false);
    expect(action.undo(stored(plan.snapshot))).toEqual([
      { service: 'cloudtrail', operation: 'StopLogging', input: { Name: TRAIL }, region: 'eu-west-1' },
    ]);
  });
});
