/**
 * The remediation contract. Every action is split the same way so dry-run, `npm run plan`, undo and
 * the IAM policy of the member remediation role all come from one description:
 *
 *   target(event)            pure    what the event says is to be fixed (or why we refuse)
 *   readState(target)        adapter re-read the current state in the member account (read-only calls)
 *   plan(target, state)      pure    already compliant | refuse | the exact calls + a snapshot for undo
 *   execute(plan.calls)      adapter generic: one SDK command per PlannedCall
 *   verify(target, state')   pure    re-read after acting; fixed or not
 *   undo(snapshot)           pure    the calls that put back what the plan changed
 */
import type { RemediationId } from '../../../rules/types';

/** AWS services remediation may call. */
export type RemediationService =
  | 'cloudtrail'
  | 'config'
  | 'ec2'
  | 'events'
  | 'guardduty'
  | 'iam'
  | 'kms'
  | 'rds'
  | 's3'
  | 's3control';

/** One AWS API call exactly as it will be sent: SDK command name without the `Command` suffix. */
export interface PlannedCall {
  readonly service: RemediationService;
  /** e.g. `RevokeSecurityGroupIngress` (→ `RevokeSecurityGroupIngressCommand`). */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** Region the call goes to (global services: us-east-1). */
  readonly region: string;
}

/** What a remediation acts on. */
export interface RemediationTarget {
  readonly action: RemediationId;
  readonly accountId: string;
  readonly region: string;
  /** Human-readable id: security group id, bucket name, policy ARN, trail ARN, rule name, key id, … */
  readonly resourceId: string;
  /** Action-specific facts taken from the event (e.g. securityGroupRuleIds, the offending permission). */
  readonly details: Readonly<Record<string, unknown>>;
}

export type RemediationPlan =
  | {
      readonly kind: 'act';
      readonly target: RemediationTarget;
      /** One line for alerts and audit, e.g. "revoke sgr-0abc (tcp 22 from 0.0.0.0/0) on sg-0123". */
      readonly summary: string;
      /** The mutating calls, in order. */
      readonly calls: readonly PlannedCall[];
      /** Exactly what the calls change, as it was before (stored in the audit record; input to undo). */
      readonly snapshot: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'already-compliant'; readonly target: RemediationTarget; readonly reason: string }
  | { readonly kind: 'refuse'; readonly target?: RemediationTarget; readonly reason: string };

/** Outcome reported to alerts, metrics and the audit log. */
export type RemediationOutcome = 'fixed' | 'already-compliant' | 'refused' | 'failed' | 'dry-run' | 'pending-approval';

// ---------------------------------------------------------------------------------------------
// Action definitions (appended with the nine actions; the types above are unchanged)

/** The CloudTrail event as EventBridge delivers it (`AWS API Call via CloudTrail`). */
export type RemediationEvent = import('../../../rules/predicates').CloudTrailEventBridgeEvent;

/** One member forwarding rule as the member stack deploys it (from `forwardingPatterns(CATALOG)`). */
export interface ExpectedForwardingPattern {
  /** Pattern key: the rule is named `<namePrefix>-fwd-<key>`. */
  readonly key: string;
  /** `ENABLED` or `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`. */
  readonly state: string;
  readonly pattern: Readonly<Record<string, unknown>>;
}

/** The four S3 Block Public Access flags. */
export interface PublicAccessBlockFlags {
  readonly BlockPublicAcls: boolean;
  readonly IgnorePublicAcls: boolean;
  readonly BlockPublicPolicy: boolean;
  readonly RestrictPublicBuckets: boolean;
}

/**
 * Facts from the reviewed config that targets need. Plain data: the entrypoint builds it from the
 * inventory (config/naming.ts) and the catalog; actions never read the environment.
 */
export interface RemediationContext {
  /** The inventory's `namePrefix`: rules `<prefix>-fwd-*`, roles `<prefix>-forwarder`, `<prefix>-remediation`. */
  readonly namePrefix: string;
  /** ARN of the central bus (`centralBusArn(inventory)`), the one target of every forwarding rule. */
  readonly centralBusArn: string;
  /** The inventory's `deployRoleName`; that role may hold administrator policies. */
  readonly deployRoleName: string;
  /**
   * ARN patterns (`*` matches any characters, `/` included) of principals allowed to hold admin or
   * full-access managed policies. Matched against the principal's ARN with its IAM path, as
   * `Get{User,Role,Group}` returns it.
   * @default - the deploy role, IAM Identity Center roles (`aws-reserved/sso.amazonaws.com/.../AWSReservedSSO_*`)
   *   and `OrganizationAccountAccessRole`
   */
  readonly approvedAdminPrincipals?: readonly string[];
  /**
   * The member forwarding patterns, so a rule whose pattern or state was changed (PutRule) can be put
   * back exactly as deployed.
   * @default - changes by PutRule are refused (the pattern cannot be checked); disabled rules are re-enabled
   */
  readonly forwardingPatterns?: readonly ExpectedForwardingPattern[];
  /**
   * Flags that must be on. A flag that is `false` here is "not required", never "turn off": remediation
   * only ever switches flags on.
   * @default - all four true
   */
  readonly publicAccessBlockBaseline?: PublicAccessBlockFlags;
  /**
   * The organization as the reviewed inventory knows it: what the detections' predicates call inside
   * (rules/predicates.ts `PredicateContext`), so an action removes exactly the grants the detection found.
   * @default - actions that must tell foreign accounts from the organization's own refuse
   */
  readonly organization?: {
    readonly organizationId: string;
    readonly organizationAccountIds: ReadonlySet<string>;
  };
}

/** What `target()` returns: the thing to fix, or why vigil will not act on this event. */
export type TargetResult = RemediationTarget | { readonly refuse: string };

/** The verdict of `verify()` on the state re-read after acting. */
export interface Verification {
  readonly fixed: boolean;
  /** One line for the alert and the audit record. */
  readonly detail: string;
  /**
   * What undo needs that is known only after the change (e.g. the id of a resource the action created): stored
   * with the audit result record and merged into the snapshot `undo()` receives. @default - none
   */
  readonly undoFacts?: Readonly<Record<string, unknown>>;
}

/**
 * One remediation action: pure functions over data plus the IAM actions its calls need. The adapter
 * `handlers/adapters/remediation/read-state.ts` makes the reads of `stateReads()` and returns the
 * action's state type `S`; `handlers/adapters/remediation/execute.ts` sends `plan().calls` and `undo()`.
 * `plan` and `verify` are declared as methods so that a definition for a specific state type is still
 * a `RemediationActionDef` (the registry is used generically by the orchestrator).
 */
export interface RemediationActionDef<S = unknown> {
  readonly id: RemediationId;
  /** One line for docs and alerts. */
  readonly title: string;
  /** Mutating actions the member remediation role needs for `plan().calls`, e.g. `ec2:RevokeSecurityGroupIngress`. */
  readonly iamActions: readonly string[];
  /** Read actions `stateReads()` / the state reader needs (read-only role). */
  readonly readIamActions: readonly string[];
  /**
   * Actions `undo()` calls. Kept apart from `iamActions`: undo re-opens what was fixed (e.g. attaches an
   * admin policy back), so it belongs to an approval-gated role, not to the automatic remediation role.
   */
  readonly undoIamActions: readonly string[];
  /**
   * Why this action never runs unattended: a mode of `auto` from the config is lowered to `approve` (a human
   * confirms each run). For steps that cannot be undone. @default - the configured mode applies
   */
  readonly approvalOnly?: string;
  /**
   * Why `undo()` cannot put back what the action changed (it returns no call, and `undoIamActions` is empty):
   * `npm run undo` and the Undo button refuse with this reason. @default - the action can be undone
   */
  readonly undoNotPossible?: string;
  /** What the event says is to be fixed, or a refusal (wrong event, protected resource, not enough facts). */
  target(event: RemediationEvent, ctx: RemediationContext): TargetResult;
  /** The read-only calls the state reader makes for this target (first page of each), for dry-run and plan output. */
  stateReads(target: RemediationTarget): readonly PlannedCall[];
  /** Already compliant, refuse, or the exact calls plus a snapshot for undo. */
  plan(target: RemediationTarget, state: S): RemediationPlan;
  /** Whether the state re-read after acting is fixed. */
  verify(target: RemediationTarget, stateAfter: S): Verification;
  /** The calls that put back what `plan` changed, from the plan's snapshot alone. */
  undo(snapshot: Readonly<Record<string, unknown>>): readonly PlannedCall[];
}
