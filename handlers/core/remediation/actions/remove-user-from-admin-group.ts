/**
 * remove-user-from-admin-group: after AddUserToGroup put a user into an admin group (the catalog's
 * `iam-user-added-to-admin-group`: a group named like `*admin*`), removes exactly that membership with
 * RemoveUserFromGroup. The user, the group, its policies and its other members stay as they are.
 *
 * The group is re-read (GetGroup, every page of members): the group gone, or the user no longer in it,
 * is already compliant. A user whose ARN (with path, as GetGroup lists it) matches an approved admin
 * principal pattern (the context's `approvedAdminPrincipals`) is refused.
 *
 * Snapshot: the group and the user; undo adds the user back (approval-only undo role).
 */
import type { RemediationActionDef } from '../types';
import { defaultApprovedAdminPrincipals } from './detach-admin-policy';
import {
  act,
  arnMatches,
  asArray,
  call,
  compliant,
  detail,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  str,
  targetOf,
} from './support';

/** The group now. */
export interface GroupMembersState {
  /** False when GetGroup answers NoSuchEntity. */
  readonly groupExists: boolean;
  /** Members (every page of GetGroup), with their ARNs. */
  readonly members: readonly { readonly UserName: string; readonly Arn?: string }[];
}

const ACTION = 'remove-user-from-admin-group';

export const removeUserFromAdminGroup: RemediationActionDef<GroupMembersState> = {
  id: ACTION,
  title: 'Remove a user from the admin group it was added to',
  iamActions: ['iam:RemoveUserFromGroup'],
  readIamActions: ['iam:GetGroup'],
  undoIamActions: ['iam:AddUserToGroup'],

  target(event, ctx) {
    if (event.detail.eventName !== 'AddUserToGroup') return refuse(`${event.detail.eventName} adds no user to a group`);
    const request = requestOf(event);
    const groupName = str(request['groupName']);
    const userName = str(request['userName']);
    if (!groupName || !userName) return refuse('AddUserToGroup event names no group or user');
    if (!/admin/i.test(groupName)) return refuse(`${groupName} is not named like an admin group`);
    return targetOf(ACTION, event, regionOf(event), `group/${groupName}/${userName}`, {
      groupName,
      userName,
      approvedPrincipals: [...(ctx.approvedAdminPrincipals ?? defaultApprovedAdminPrincipals(ctx))],
    });
  },

  stateReads(target) {
    return [call('iam', 'GetGroup', { GroupName: detail(target, 'groupName') }, target.region)];
  },

  plan(target, state) {
    const groupName = detail(target, 'groupName');
    const userName = detail(target, 'userName');
    if (!state.groupExists) return compliant(target, `group ${groupName} no longer exists`);
    const member = state.members.find((m) => m.UserName === userName);
    if (!member) return compliant(target, `${userName} is no longer in ${groupName}`);
    const approved = asArray(target.details['approvedPrincipals']).filter((p): p is string => typeof p === 'string');
    const match = approved.find((pattern) => arnMatches(pattern, member.Arn ?? ''));
    if (match) return refusePlan(target, `${member.Arn} is an approved admin principal (${match})`);
    return act(
      target,
      `remove ${userName} from ${groupName}`,
      [call('iam', 'RemoveUserFromGroup', { GroupName: groupName, UserName: userName }, target.region)],
      { groupName, userName, region: target.region },
    );
  },

  verify(target, stateAfter) {
    const groupName = detail(target, 'groupName');
    const userName = detail(target, 'userName');
    return stateAfter.groupExists && stateAfter.members.some((m) => m.UserName === userName)
      ? { fixed: false, detail: `${userName} is still in ${groupName}` }
      : { fixed: true, detail: `${userName} is not in ${groupName}` };
  },

  undo(snapshot) {
    return [
      call(
        'iam',
        'AddUserToGroup',
        { GroupName: snapshot['groupName'], UserName: snapshot['userName'] },
        String(snapshot['region']),
      ),
    ];
  },
};
