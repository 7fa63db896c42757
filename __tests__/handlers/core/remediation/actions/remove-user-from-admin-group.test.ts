import {
  type GroupMembersState,
  removeUserFromAdminGroup as action,
} from '../../../../../handlers/core/remediation/actions/remove-user-from-admin-group';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const member = (name: string) => ({ UserName: name, Arn: `arn:aws:iam::${MEMBER}:user/${name}` });
const group = (...names: string[]): GroupMembersState => ({ groupExists: true, members: names.map(member) });
const target = () => targetOrFail(action.target(loadRemediationEvent('iam-add-user-to-admin-group'), CTX));

describe('remove-user-from-admin-group', () => {
  it('targets the membership the event added', () => {
    expect(target()).toMatchObject({
      resourceId: 'group/platform-admins/svc-reporting',
      region: 'us-east-1',
      details: { groupName: 'platform-admins', userName: 'svc-reporting' },
    });
    expect(action.stateReads(target())).toEqual([
      { service: 'iam', operation: 'GetGroup', input: { GroupName: 'platform-admins' }, region: 'us-east-1' },
    ]);
  });

  it.each([
    ['another event', (e: any) => (e.detail.eventName = 'RemoveUserFromGroup'), /adds no user/],
    ['no user', (e: any) => delete e.detail.requestParameters.userName, /names no group or user/],
    ['a group not named admin', (e: any) => (e.detail.requestParameters.groupName = 'developers'), /not named like/],
  ])('refuses an event with %s', (_case, change, reason) => {
    const event = loadRemediationEvent('iam-add-user-to-admin-group');
    change(event);

    expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
  });

  it('removes exactly that membership', () => {
    const plan = actOrFail(action.plan(target(), group('alice', 'svc-reporting')));

    expect(plan.calls).toEqual([
      {
        service: 'iam',
        operation: 'RemoveUserFromGroup',
        input: { GroupName: 'platform-admins', UserName: 'svc-reporting' },
        region: 'us-east-1',
      },
    ]);
    expect(plan.snapshot).toEqual({ groupName: 'platform-admins', userName: 'svc-reporting', region: 'us-east-1' });
  });

  it('is already compliant when the user left the group or the group is gone (a second run writes nothing)', () => {
    expect(action.plan(target(), group('alice'))).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(target(), { groupExists: false, members: [] })).toMatchObject({ kind: 'already-compliant' });
  });

  it('refuses a user the context approves as an admin principal', () => {
    const t = targetOrFail(
      action.target(loadRemediationEvent('iam-add-user-to-admin-group'), {
        ...CTX,
        approvedAdminPrincipals: ['arn:aws:iam::*:user/svc-*'],
      }),
    );

    expect(action.plan(t, group('svc-reporting'))).toMatchObject({ kind: 'refuse', reason: /approved/ });
  });

  it('verifies and undoes', () => {
    const plan = actOrFail(action.plan(target(), group('svc-reporting')));

    expect(action.verify(target(), group('alice'))).toMatchObject({ fixed: true });
    expect(action.verify(target(), group('svc-reporting'))).toMatchObject({ fixed: false });
    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'iam',
        operation: 'AddUserToGroup',
        input: { GroupName: 'platform-admins', UserName: 'svc-reporting' },
        region: 'us-east-1',
      },
    ]);
  });
});
