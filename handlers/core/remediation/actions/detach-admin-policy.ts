/**
 * detach-admin-policy: detaches an administrator or full-access managed policy (AdministratorAccess,
 * `*FullAccess`, the catalog's `iam-admin-policy-attached` pattern) that Attach{User,Role,Group}Policy
 * attached to a principal outside the approved ones, with Detach{User,Role,Group}Policy.
 *
 * Approved principals are ARN patterns matched against the principal's ARN *with its IAM path*, which
 * only Get{User,Role,Group} returns (the event has the name alone). Matching the path matters: IAM
 * Identity Center roles live under `/aws-reserved/sso.amazonaws.com/`, a path nobody else can create,
 * whereas anyone with iam:CreateRole can name a role `AWSReservedSSO_x`. Service-linked roles
 * (`/aws-service-role/`) are refused: IAM rejects changes to them (UnmodifiableEntity).
 *
 * State: the principal's ARN and ListAttached{User,Role,Group}Policies. Undo attaches the policy back.
 */
import type { RemediationActionDef, RemediationContext } from '../types';
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

/** The principal kinds IAM attaches managed policies to. */
export type PrincipalType = 'User' | 'Role' | 'Group';

/** The principal now. */
export interface AttachedPoliciesState {
  /** False when Get{User,Role,Group} answers NoSuchEntity. */
  readonly principalExists: boolean;
  /** ARN with path, from Get{User,Role,Group}. */
  readonly principalArn?: string;
  /** Every page of ListAttached{User,Role,Group}Policies. */
  readonly attachedPolicyArns: readonly string[];
}

const ACTION = 'detach-admin-policy';

/** The catalog's pattern: `policyArn` suffix `/AdministratorAccess` or wildcard `*FullAccess`. */
export const isAdminPolicyArn = (arn: string): boolean => /\/AdministratorAccess$/.test(arn) || /FullAccess$/.test(arn);

/** Approved principals when the context names none. */
export function defaultApprovedAdminPrincipals(ctx: Pick<RemediationContext, 'deployRoleName'>): string[] {
  return [
    `arn:aws:iam::*:role/${ctx.deployRoleName}`,
    'arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_*',
    'arn:aws:iam::*:role/OrganizationAccountAccessRole',
  ];
}

const EVENT_TYPES: Readonly<Record<string, PrincipalType>> = {
  AttachUserPolicy: 'User',
  AttachRolePolicy: 'Role',
  AttachGroupPolicy: 'Group',
};

/** `userName`, `roleName` or `groupName`: the request parameter and the SDK input field. */
const nameKey = (type: PrincipalType): { readonly event: string; readonly sdk: string } => ({
  event: `${type.toLowerCase()}Name`,
  sdk: `${type}Name`,
});

const typeOf = (raw: unknown): PrincipalType => (raw === 'User' || raw === 'Group' ? raw : 'Role');

export const detachAdminPolicy: RemediationActionDef<AttachedPoliciesState> = {
  id: ACTION,
  title: 'Detach an administrator or full-access managed policy from an unapproved principal',
  iamActions: ['iam:DetachUserPolicy', 'iam:DetachRolePolicy', 'iam:DetachGroupPolicy'],
  readIamActions: [
    'iam:GetUser',
    'iam:GetRole',
    'iam:GetGroup',
    'iam:ListAttachedUserPolicies',
    'iam:ListAttachedRolePolicies',
    'iam:ListAttachedGroupPolicies',
  ],
  undoIamActions: ['iam:AttachUserPolicy', 'iam:AttachRolePolicy', 'iam:AttachGroupPolicy'],

  target(event, ctx) {
    const type = EVENT_TYPES[event.detail.eventName];
    if (!type) return refuse(`${event.detail.eventName} does not attach a managed policy`);
    const request = requestOf(event);
    const principalName = str(request[nameKey(type).event]);
    const policyArn = str(request['policyArn']);
    if (!principalName || !policyArn) return refuse(`${event.detail.eventName} event names no principal or policy`);
    if (!isAdminPolicyArn(policyArn)) return refuse(`${policyArn} is not an administrator or full-access policy`);
    return targetOf(ACTION, event, regionOf(event), `${type.toLowerCase()}/${principalName}`, {
      principalType: type,
      principalName,
      policyArn,
      approvedPrincipals: [...(ctx.approvedAdminPrincipals ?? defaultApprovedAdminPrincipals(ctx))],
    });
  },

  stateReads(target) {
    const type = typeOf(target.details['principalType']);
    const name = { [nameKey(type).sdk]: detail(target, 'principalName') };
    return [
      // GetGroup also lists the members; one is enough to learn the ARN.
      call('iam', `Get${type}`, type === 'Group' ? { ...name, MaxItems: 1 } : name, target.region),
      call('iam', `ListAttached${type}Policies`, name, target.region),
    ];
  },

  plan(target, state) {
    const type = typeOf(target.details['principalType']);
    const principal = `${type.toLowerCase()} ${detail(target, 'principalName')}`;
    const policyArn = detail(target, 'policyArn');
    if (!state.principalExists) return compliant(target, `${principal} no longer exists`);
    const arn = state.principalArn ?? '';
    const approved = asArray(target.details['approvedPrincipals']).filter((p): p is string => typeof p === 'string');
    const match = approved.find((pattern) => arnMatches(pattern, arn));
    if (match) return refusePlan(target, `${arn} is an approved admin principal (${match})`);
    if (/:role\/aws-service-role\//.test(arn)) {
      return refusePlan(target, `${arn} is a service-linked role; IAM does not allow changing its policies`);
    }
    if (!state.attachedPolicyArns.includes(policyArn)) return compliant(target, `${policyArn} is no longer attached`);
    return act(
      target,
      `detach ${policyArn} from ${principal}`,
      [
        call(
          'iam',
          `Detach${type}Policy`,
          { [nameKey(type).sdk]: detail(target, 'principalName'), PolicyArn: policyArn },
          target.region,
        ),
      ],
      {
        principalType: type,
        principalName: detail(target, 'principalName'),
        principalArn: arn,
        policyArn,
        region: target.region,
      },
    );
  },

  verify(target, stateAfter) {
    const policyArn = detail(target, 'policyArn');
    return stateAfter.principalExists && stateAfter.attachedPolicyArns.includes(policyArn)
      ? { fixed: false, detail: `${policyArn} is still attached to ${detail(target, 'principalName')}` }
      : { fixed: true, detail: `${policyArn} is not attached to ${detail(target, 'principalName')}` };
  },

  undo(snapshot) {
    const type = typeOf(snapshot['principalType']);
    return [
      call(
        'iam',
        `Attach${type}Policy`,
        { [nameKey(type).sdk]: snapshot['principalName'], PolicyArn: snapshot['policyArn'] },
        String(snapshot['region']),
      ),
    ];
  },
};
