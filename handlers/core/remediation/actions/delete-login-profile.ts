/**
 * delete-login-profile: after CreateLoginProfile / UpdateLoginProfile set the console password of another
 * IAM user (the detection's `targetsAnotherUser`), deletes that user's login profile with DeleteLoginProfile:
 * whoever set the password loses the console access it handed them. Access keys, MFA devices, policies and
 * group memberships of the user stay.
 *
 * Approval only (`approvalOnly`): the step cannot be undone. IAM never returns a password, so the deleted
 * profile cannot be put back; the user (or an administrator) sets a new password afterwards. It also takes
 * the console away from the user themselves, which may be a legitimate administrator's reset. So the
 * catalog's default stays `notify`, and a config that asks for `auto` gets `approve`: a human confirms each
 * deletion. Undo is not possible (`undoNotPossible`): `npm run undo` and the Undo button refuse with that
 * reason.
 *
 * Re-read with GetLoginProfile: no profile (or no user) is already compliant. For CreateLoginProfile, a
 * profile created well after the event is a newer one someone made since (that raised its own event): refused.
 */
import { targetsAnotherUser } from '../../../../rules/predicates';
import type { RemediationActionDef } from '../types';
import {
  act,
  call,
  compliant,
  detail,
  eventTimeOf,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  str,
  targetOf,
  timeOf,
} from './support';

/** The user's login profile now (GetLoginProfile). */
export interface LoginProfileState {
  /** False when GetLoginProfile answers NoSuchEntity (no profile, or no user). */
  readonly exists: boolean;
  /** ISO 8601. */
  readonly createDate?: string;
  readonly passwordResetRequired?: boolean;
}

const ACTION = 'delete-login-profile';

/** How much later than the event a profile's CreateDate may be and still be the event's (clock skew, delivery). */
const SAME_PROFILE_SLACK_MS = 5 * 60_000;

export const deleteLoginProfile: RemediationActionDef<LoginProfileState> = {
  id: ACTION,
  title: "Delete the console password (login profile) set for another IAM user (approval only; can't be undone)",
  iamActions: ['iam:DeleteLoginProfile'],
  readIamActions: ['iam:GetLoginProfile'],
  undoIamActions: [],
  approvalOnly:
    'deleting a login profile cannot be undone (IAM never returns a password) and also takes the console away ' +
    'from the user; a human confirms each deletion',
  undoNotPossible:
    'a deleted login profile cannot be restored: IAM never returns a password. Set a new password for the user ' +
    '(CreateLoginProfile with PasswordResetRequired) if the deletion was wrong',

  target(event) {
    const name = event.detail.eventName;
    if (name !== 'CreateLoginProfile' && name !== 'UpdateLoginProfile') {
      return refuse(`${name} does not set a console password`);
    }
    const userName = str(requestOf(event)['userName']);
    if (!userName) return refuse(`${name} event names no user (the caller changed its own password)`);
    if (!targetsAnotherUser(event)) return refuse(`the caller set its own console password (${userName})`);
    return targetOf(ACTION, event, regionOf(event), `user/${userName}`, {
      userName,
      eventName: name,
      eventTime: eventTimeOf(event),
    });
  },

  stateReads(target) {
    return [call('iam', 'GetLoginProfile', { UserName: detail(target, 'userName') }, target.region)];
  },

  plan(target, state) {
    const user = detail(target, 'userName');
    if (!state.exists) return compliant(target, `user ${user} has no console password (or no longer exists)`);
    const created = timeOf(state.createDate ?? '');
    const eventTime = timeOf(detail(target, 'eventTime'));
    if (detail(target, 'eventName') === 'CreateLoginProfile' && created - eventTime > SAME_PROFILE_SLACK_MS) {
      return refusePlan(
        target,
        `the login profile of ${user} was created at ${state.createDate}, after the event: a newer one, not the event's`,
      );
    }
    return act(
      target,
      `delete the console password (login profile) of user ${user}; it cannot be restored`,
      [call('iam', 'DeleteLoginProfile', { UserName: user }, target.region)],
      {
        userName: user,
        region: target.region,
        ...(state.createDate ? { createDate: state.createDate } : {}),
        passwordResetRequired: state.passwordResetRequired === true,
      },
    );
  },

  verify(target, stateAfter) {
    const user = detail(target, 'userName');
    return stateAfter.exists
      ? { fixed: false, detail: `user ${user} still has a console password` }
      : { fixed: true, detail: `user ${user} has no console password` };
  },

  undo() {
    return [];
  },
};
