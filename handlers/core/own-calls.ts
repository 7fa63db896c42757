/**
 * The calls vigil's own member roles exist to make, derived from the remediation registry (the same
 * IAM actions the roles' policies are built from, through the generated remediation/role-actions.ts so triage
 * does not bundle the actions' planning code), and the predicate context that carries them. One
 * place: triage, remediation, `npm run plan` and `npm run replay` build their context here, so the loop
 * guard (rules/vigil-roles.ts) answers the same everywhere. Pure.
 */
import { centralBusName, functionNames, remediationRoleName, remediationUndoRoleName } from '../../config/naming';
import type { PredicateContext } from '../../rules/predicates';
import { callKey, type VigilRoles } from '../../rules/vigil-roles';
import { REMEDIATION_ROLE_ACTIONS, UNDO_ROLE_ACTIONS } from './remediation/role-actions';

/**
 * IAM actions that authorise part of another call and are never recorded as an API call of their own
 * (Service Authorization Reference: `iam:PassRole` is "permission only").
 */
const PERMISSION_ONLY = new Set(['iam:PassRole']);

/**
 * The CloudTrail calls (`eventSource:eventName`) that IAM actions allow. For every service remediation
 * uses (CloudTrail, Config, EC2, EventBridge, IAM, KMS, S3), CloudTrail records a call under
 * `<prefix>.amazonaws.com` with the IAM action's name, S3 Control's account-level calls included
 * (`s3:PutAccountPublicAccessBlock` is recorded as `s3.amazonaws.com` `PutAccountPublicAccessBlock`).
 */
export function cloudTrailCallsOf(iamActions: readonly string[]): ReadonlySet<string> {
  const calls = new Set<string>();
  for (const action of iamActions) {
    if (PERMISSION_ONLY.has(action)) continue;
    const [prefix, name] = action.split(':');
    if (!prefix || !name || name.includes('*')) {
      throw new Error(`remediation IAM action '${action}' is not '<service>:<Action>'; list each action by name`);
    }
    calls.add(callKey(`${prefix}.amazonaws.com`, name));
  }
  return calls;
}

/** vigil's member roles with the calls each is for, under the inventory's name prefix. */
export function vigilRoles(naming: { readonly namePrefix: string }): VigilRoles {
  return {
    remediation: {
      name: remediationRoleName(naming),
      purpose: 'remediation',
      calls: cloudTrailCallsOf(REMEDIATION_ROLE_ACTIONS),
    },
    undo: {
      name: remediationUndoRoleName(naming),
      purpose: 'undo',
      calls: cloudTrailCallsOf(UNDO_ROLE_ACTIONS),
    },
  };
}

/** What a predicate context is built from. */
export interface PredicateContextInput {
  readonly organizationId: string;
  readonly namePrefix: string;
  /** Every account id of the inventory. */
  readonly accountIds: Iterable<string>;
  /** The security account (vigil's central functions). */
  readonly securityAccountId: string;
}

/** The context every predicate and the loop guard read, from inventory facts. */
export function makePredicateContext(input: PredicateContextInput): PredicateContext {
  return {
    organizationAccountIds: new Set(input.accountIds),
    organizationId: input.organizationId,
    vigilRoles: vigilRoles(input),
    centralBusName: centralBusName(input),
    findingsExporter: { accountId: input.securityAccountId, roleName: functionNames(input).findings },
  };
}
