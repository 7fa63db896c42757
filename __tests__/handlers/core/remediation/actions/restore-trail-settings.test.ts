import {
  restoreTrailSettings as action,
  type TrailSettingsState,
} from '../../../../../handlers/core/remediation/actions/restore-trail-settings';
import type { HistoryEvent } from '../../../../../handlers/core/remediation/actions/support';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const TRAIL = `arn:aws:cloudtrail:eu-west-1:${MEMBER}:trail/vigil-org-trail`;
const KEY = `arn:aws:kms:eu-west-1:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const UPDATED_AT = '2025-07-05T08:20:03Z';
const target = () => targetOrFail(action.target(loadRemediationEvent('cloudtrail-update-trail'), CTX));

let n = 0;
const history = (eventName: string, eventTime: string, requestParameters: Record<string, unknown>): HistoryEvent => {
  n += 1;
  return {
    eventId: `ct-${n}`,
    eventName,
    eventTime,
    cloudTrailEvent: JSON.stringify({ eventName, eventTime, requestParameters }),
  };
};
/** Created multi-region and encrypted, later given log-file validation. */
const HISTORY = [
  history('UpdateTrail', '2025-06-01T00:00:00Z', { name: 'vigil-org-trail', enableLogFileValidation: true }),
  history('CreateTrail', '2025-05-01T00:00:00Z', {
    name: 'vigil-org-trail',
    s3BucketName: 'org-trail-logs',
    isMultiRegionTrail: true,
    kmsKeyId: KEY,
  }),
];
const trail = (settings: Record<string, unknown> = {}) => ({
  TrailARN: TRAIL,
  HomeRegion: 'eu-west-1',
  S3BucketName: 'org-trail-logs',
  IncludeGlobalServiceEvents: true,
  LogFileValidationEnabled: true,
  ...settings,
});
const weakened = trail({ IsMultiRegionTrail: false });
const state = (t: Record<string, unknown>, events = HISTORY, complete = true): TrailSettingsState => ({
  exists: true,
  trail: t,
  history: { events, complete },
});

describe('restore-trail-settings', () => {
  it('targets the trail and the settings the UpdateTrail weakened', () => {
    expect(target()).toMatchObject({
      resourceId: TRAIL,
      region: 'eu-west-1',
      details: { trail: TRAIL, changed: { kmsKeyId: '', isMultiRegionTrail: false }, eventTime: UPDATED_AT },
    });
  });

  it('refuses updates that weaken nothing it restores, and other events', () => {
    const stronger = loadRemediationEvent('cloudtrail-update-trail');
    stronger.detail.requestParameters = { name: 'vigil-org-trail', isMultiRegionTrail: true };
    const other = loadRemediationEvent('cloudtrail-update-trail');
    other.detail.eventName = 'StopLogging';
    expect(action.target(stronger, CTX)).toEqual({ refuse: expect.stringContaining('changed none') });
    expect(action.target(other, CTX)).toEqual({ refuse: expect.any(String) });
  });

  it('reads the trail and its bounded history', () => {
    expect(action.stateReads(target()).map((c) => c.operation)).toEqual(['GetTrail', 'LookupEvents']);
  });

  it('acts: restores the previous key and multi-region in one UpdateTrail in the home region', () => {
    const plan = actOrFail(action.plan(target(), state(weakened)));
    expect(plan.calls).toEqual([
      {
        service: 'cloudtrail',
        operation: 'UpdateTrail',
        input: { Name: TRAIL, IsMultiRegionTrail: true, KmsKeyId: KEY },
        region: 'eu-west-1',
      },
    ]);
    expect(plan.snapshot).toMatchObject({ before: { IsMultiRegionTrail: false, KmsKeyId: '' } });
  });

  it('already fixed: previous values (or stronger) in place', () => {
    expect(action.plan(target(), state(trail({ IsMultiRegionTrail: true, KmsKeyId: KEY }))).kind).toBe(
      'already-compliant',
    );
  });

  it('never weakens: a flag that was off before is not an error and is left alone', () => {
    const offBefore = [
      history('CreateTrail', '2025-05-01T00:00:00Z', { name: 'vigil-org-trail', s3BucketName: 'b', kmsKeyId: KEY }),
    ];
    expect(action.plan(target(), state(trail({ IsMultiRegionTrail: false, KmsKeyId: KEY }), offBefore)).kind).toBe(
      'already-compliant',
    );
  });

  it.each([
    ['history is incomplete', state(weakened, [], false), /unknown.*in part/],
    ['history is empty', state(weakened, []), /unknown.*90-day/],
    [
      'the key was named by alias',
      state(trail({ KmsKeyId: KEY.replace('1234abcd', '9999abcd') }), [
        history('CreateTrail', '2025-05-01T00:00:00Z', {
          name: 't',
          s3BucketName: 'b',
          isMultiRegionTrail: true,
          kmsKeyId: 'alias/trail',
        }),
      ]),
      /alias/,
    ],
    [
      'the key changed again since',
      state(trail({ IsMultiRegionTrail: true, KmsKeyId: 'arn:aws:kms:eu-west-1:999999999999:key/x' })),
      /changed since/,
    ],
    [
      "the trail is another account's",
      state({ ...weakened, TrailARN: TRAIL.replace(MEMBER, '111111111111') }),
      /another account/,
    ],
    ['the trail is gone', { exists: false, history: { events: [], complete: true } }, /no longer exists/],
  ])('ambiguous, refuses: %s', (_case, s, reason) => {
    expect(action.plan(target(), s as TrailSettingsState)).toMatchObject({
      kind: 'refuse',
      reason: expect.stringMatching(reason),
    });
  });

  it('verifies by planning again on the state after', () => {
    expect(action.verify(target(), state(trail({ IsMultiRegionTrail: true, KmsKeyId: KEY }))).fixed).toBe(true);
    expect(action.verify(target(), state(weakened)).fixed).toBe(false);
  });

  it('undo puts back the values the trail had before the action', () => {
    const plan = actOrFail(action.plan(target(), state(weakened)));
    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'cloudtrail',
        operation: 'UpdateTrail',
        input: { Name: TRAIL, IsMultiRegionTrail: false, KmsKeyId: '' },
        region: 'eu-west-1',
      },
    ]);
  });
});
