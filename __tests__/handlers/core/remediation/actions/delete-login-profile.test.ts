import { deleteLoginProfile as action } from '../../../../../handlers/core/remediation/actions/delete-login-profile';
import { CTX, loadRemediationEvent, type MutableEvent } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const FIXTURE = 'iam-create-login-profile-other-user';
const target = (event = loadRemediationEvent(FIXTURE)) => targetOrFail(action.target(event, CTX));
const profile = { exists: true, createDate: '2025-05-12T11:05:33Z', passwordResetRequired: false };

describe('delete-login-profile', () => {
  it('targets the user whose password the event set', () => {
    expect(target()).toMatchObject({ resourceId: 'user/alice', region: 'us-east-1', details: { userName: 'alice' } });
    expect(action.stateReads(target())).toEqual([
      { service: 'iam', operation: 'GetLoginProfile', input: { UserName: 'alice' }, region: 'us-east-1' },
    ]);
  });

  it('runs only with approval, and says why', () => {
    expect(action.approvalOnly).toMatch(/cannot be undone/);
    expect(action.undoIamActions).toEqual([]);
    expect(action.undoNotPossible).toMatch(/never returns a password/);
  });

  it.each([
    [
      'another event',
      (e: MutableEvent) => (e.detail.eventName = 'DeleteLoginProfile'),
      /does not set a console password/,
    ],
    ['no user', (e: MutableEvent) => delete (e.detail.requestParameters as any).userName, /names no user/],
    [
      'its own password',
      (e: MutableEvent) => ((e.detail.requestParameters as any).userName = 'svc-reporting'),
      /its own console password/,
    ],
  ])('refuses %s', (_case, change, reason) => {
    const event = loadRemediationEvent(FIXTURE);
    change(event);

    expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
  });

  it('deletes the login profile and nothing else of the user, for an update too', () => {
    const plan = actOrFail(action.plan(target(), profile));
    const update = loadRemediationEvent(FIXTURE);
    update.detail.eventName = 'UpdateLoginProfile';

    expect(plan.calls).toEqual([
      { service: 'iam', operation: 'DeleteLoginProfile', input: { UserName: 'alice' }, region: 'us-east-1' },
    ]);
    expect(plan.summary).toMatch(/cannot be restored/);
    expect(stored(plan.snapshot)).toEqual({
      userName: 'alice',
      region: 'us-east-1',
      createDate: '2025-05-12T11:05:33Z',
      passwordResetRequired: false,
    });
    // An older profile whose password the event reset is the one to delete.
    expect(
      actOrFail(action.plan(target(update), { exists: true, createDate: '2020-01-01T00:00:00Z' })).calls,
    ).toHaveLength(1);
  });

  it('refuses a profile created after the event (a newer one), and is compliant without one', () => {
    expect(action.plan(target(), { ...profile, createDate: '2025-05-12T12:00:00Z' })).toMatchObject({
      kind: 'refuse',
      reason: expect.stringMatching(/after the event/),
    });
    expect(action.plan(target(), { exists: false })).toMatchObject({ kind: 'already-compliant' });
  });

  it('verifies, and has no undo', () => {
    const plan = actOrFail(action.plan(target(), profile));

    expect(action.verify(target(), { exists: false })).toMatchObject({ fixed: true });
    expect(action.verify(target(), profile)).toMatchObject({ fixed: false });
    expect(action.undo(stored(plan.snapshot))).toEqual([]);
  });
});
