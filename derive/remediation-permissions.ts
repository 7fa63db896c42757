import { REMEDIATIONS } from '../handlers/core/remediation/registry';
import type { Detection, RemediationId } from '../rules/types';

export interface RemediationPermissions {
  /** Mutating actions of the remediation role (iam:PassRole is granted separately, on one role). */
  readonly mutating: readonly string[];
  /** Read actions of the read-only role: state reads plus tag lookups for owner routing. */
  readonly read: readonly string[];
  /** Whether any remediation passes a role (restoring a forwarding rule's target). */
  readonly passesRole: boolean;
  /** Actions of the approval-only undo role (they re-open what a remediation fixed). */
  readonly undo: readonly string[];
  /**
   * `iam:PolicyARN` patterns (ArnLike) every attach/detach permission is conditioned on: the policies
   * detach-admin-policy acts on (and its undo re-attaches). Empty when no remediation attaches or detaches.
   */
  readonly attachablePolicyArns: readonly string[];
}

/**
 * The managed policies the `iam-admin-policy-attached` detection concerns (its pattern: policyArn suffix
 * `/AdministratorAccess` or wildcard `*FullAccess`; `isAdminPolicyArn` in detach-admin-policy.ts), as
 * ArnLike patterns. The account segment `*` covers both AWS managed (`aws`) and customer managed policies.
 */
export const ADMIN_POLICY_ARN_PATTERNS: readonly string[] = [
  'arn:aws:iam::*:policy/*/AdministratorAccess',
  'arn:aws:iam::*:policy/*FullAccess',
  'arn:aws:iam::*:policy/AdministratorAccess',
];

/**
 * Actions only the security account's member roles get: remove-bus-policy-statement acts on the central bus,
 * which lives there; elsewhere nothing may touch a bus policy (the undo role would otherwise be able to open
 * any account's default bus).
 */
export const CENTRAL_BUS_ONLY_ACTIONS: readonly string[] = [
  'events:DescribeEventBus',
  'events:PutPermission',
  'events:RemovePermission',
];

/** The permissions for one member account: the central-bus actions only in the security account. */
export function permissionsForAccount(
  permissions: RemediationPermissions,
  isSecurityAccount: boolean,
): RemediationPermissions {
  if (isSecurityAccount) return permissions;
  const keep = (actions: readonly string[]) => actions.filter((a) => !CENTRAL_BUS_ONLY_ACTIONS.includes(a));
  return {
    ...permissions,
    mutating: keep(permissions.mutating),
    read: keep(permissions.read),
    undo: keep(permissions.undo),
  };
}

/**
 * The member roles' permissions, derived from the remediations the catalog actually uses: adding a
 * remediation to a detection grants its actions, retiring the last user of one revokes them.
 */
export function remediationPermissions(catalog: readonly Detection[]): RemediationPermissions {
  const used = [
    ...new Set(catalog.flatMap((d) => (d.remediation ? [d.remediation.action] : []))),
  ].sort() as RemediationId[];
  const mutating = new Set<string>();
  const read = new Set<string>(['tag:GetResources']);
  const undo = new Set<string>();
  for (const id of used) {
    for (const a of REMEDIATIONS[id].iamActions) mutating.add(a);
    for (const a of REMEDIATIONS[id].readIamActions) read.add(a);
    for (const a of REMEDIATIONS[id].undoIamActions) undo.add(a);
  }
  const passesRole = mutating.delete('iam:PassRole');
  undo.delete('iam:PassRole');
  const attaches = [...mutating, ...undo].some((a) => /^iam:(Attach|Detach)(User|Role|Group)Policy$/.test(a));
  return {
    mutating: [...mutating].sort(),
    read: [...read].sort(),
    passesRole,
    undo: [...undo].sort(),
    attachablePolicyArns: attaches ? [...ADMIN_POLICY_ARN_PATTERNS] : [],
  };
}
