/**
 * delete-admin-inline-policy: after Put{User,Role,Group}Policy put an inline policy that grants admin
 * (`*`, `*:*`, `iam:*`, or Allow+NotAction on `*`: the catalog's `inlinePolicyGrantsAdmin`), deletes that
 * one inline policy with Delete{User,Role,Group}Policy, after snapshotting its document.
 *
 * - The principal is re-read (Get{User,Role,Group}) for its ARN with path, so approved admin principals
 *   (the same patterns as detach-admin-policy: the deploy role, IAM Identity Center roles,
 *   OrganizationAccountAccessRole, or the context's list) are refused, as are service-linked roles.
 * - The policy is re-read (Get{User,Role,Group}Policy): gone, or no longer granting admin (someone
 *   changed it since; that raised its own event), is already compliant. Nothing else of the principal
 *   is touched: other inline policies, managed policies, group memberships stay.
 *
 * Snapshot: the policy's current document, exactly as IAM returned it (URL-decoded); undo puts it back
 * under the same name with Put{User,Role,Group}Policy (an approval-gated undo role; the management
 * account's permissions boundary denies it there).
 */
import { policyGrantsAdmin } from '../../../../rules/predicates';
import type { RemediationActionDef } from '../types';
import { defaultApprovedAdminPrincipals, type PrincipalType } from './detach-admin-policy';
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

/** The principal and its inline policy now. */
export interface InlinePolicyState {
  /** False when Get{User,Role,Group} answers NoSuchEntity. */
  readonly principalExists: boolean;
  /** ARN with path, from Get{User,Role,Group}. */
  readonly principalArn?: string;
  /** The policy document (URL-decoded JSON); absent when the inline policy no longer exists. */
  readonly document?: string;
}

const ACTION = 'delete-admin-inline-policy';

const EVENT_TYPES: Readonly<Record<string, PrincipalType>> = {
  PutUserPolicy: 'User',
  PutRolePolicy: 'Role',
  PutGroupPolicy: 'Group',
};

const typeOf = (raw: unknown): PrincipalType => (raw === 'User' || raw === 'Group' ? raw : 'Role');
const nameField = (type: PrincipalType): string => `${type}Name`;

export const deleteAdminInlinePolicy: RemediationActionDef<InlinePolicyState> = {
  id: ACTION,
  title: 'Delete an inline policy that grants administrator access, after snapshotting it',
  iamActions: ['iam:DeleteUserPolicy', 'iam:DeleteRolePolicy', 'iam:DeleteGroupPolicy'],
  readIamActions: [
    'iam:GetUser',
    'iam:GetRole',
    'iam:GetGroup',
    'iam:GetUserPolicy',
    'iam:GetRolePolicy',
    'iam:GetGroupPolicy',
  ],
  undoIamActions: ['iam:PutUserPolicy', 'iam:PutRolePolicy', 'iam:PutGroupPolicy'],

  target(event, ctx) {
    const type = EVENT_TYPES[event.detail.eventName];
    if (!type) return refuse(`${event.detail.eventName} does not put an inline policy`);
    const request = requestOf(event);
    const principalName = str(request[`${type.toLowerCase()}Name`]);
    const policyName = str(request['policyName']);
    if (!principalName || !policyName) return refuse(`${event.detail.eventName} event names no principal or policy`);
    if (!policyGrantsAdmin(request['policyDocument'])) {
      return refuse(`the inline policy ${policyName} the event put does not grant admin`);
    }
    return targetOf(ACTION, event, regionOf(event), `${type.toLowerCase()}/${principalName}/${policyName}`, {
      principalType: type,
      principalName,
      policyName,
      approvedPrincipals: [...(ctx.approvedAdminPrincipals ?? defaultApprovedAdminPrincipals(ctx))],
    });
  },

  stateReads(target) {
    const type = typeOf(target.details['principalType']);
    const name = { [nameField(type)]: detail(target, 'principalName') };
    return [
      call('iam', `Get${type}`, type === 'Group' ? { ...name, MaxItems: 1 } : name, target.region),
      call('iam', `Get${type}Policy`, { ...name, PolicyName: detail(target, 'policyName') }, target.region),
    ];
  },

  plan(target, state) {
    const type = typeOf(target.details['principalType']);
    const principal = `${type.toLowerCase()} ${detail(target, 'principalName')}`;
    const policyName = detail(target, 'policyName');
    if (!state.principalExists) return compliant(target, `${principal} no longer exists`);
    if (state.document === undefined)
      return compliant(target, `${principal} no longer has the inline policy ${policyName}`);
    const arn = state.principalArn ?? '';
    const approved = asArray(target.details['approvedPrincipals']).filter((p): p is string => typeof p === 'string');
    const match = approved.find((pattern) => arnMatches(pattern, arn));
    if (match) return refusePlan(target, `${arn} is an approved admin principal (${match})`);
    if (/:role\/aws-service-role\//.test(arn)) {
      return refusePlan(target, `${arn} is a service-linked role; IAM does not allow changing its policies`);
    }
    if (!policyGrantsAdmin(state.document)) {
      return compliant(target, `the inline policy ${policyName} of ${principal} no longer grants admin`);
    }
    const name = { [nameField(type)]: detail(target, 'principalName') };
    return act(
      target,
      `delete the inline policy ${policyName} (grants admin) of ${principal}`,
      [call('iam', `Delete${type}Policy`, { ...name, PolicyName: policyName }, target.region)],
      {
        principalType: type,
        principalName: detail(target, 'principalName'),
        principalArn: arn,
        policyName,
        document: state.document,
        region: target.region,
      },
    );
  },

  verify(target, stateAfter) {
    const what = `${detail(target, 'policyName')} of ${detail(target, 'principalName')}`;
    return stateAfter.principalExists && stateAfter.document !== undefined && policyGrantsAdmin(stateAfter.document)
      ? { fixed: false, detail: `the inline policy ${what} still grants admin` }
      : { fixed: true, detail: `no inline policy ${what} granting admin` };
  },

  undo(snapshot) {
    const type = typeOf(snapshot['principalType']);
    return [
      call(
        'iam',
        `Put${type}Policy`,
        {
          [nameField(type)]: snapshot['principalName'],
          PolicyName: snapshot['policyName'],
          PolicyDocument: snapshot['document'],
        },
        String(snapshot['region']),
      ),
    ];
  },
};
