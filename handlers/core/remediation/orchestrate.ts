/**
 * The remediation pipeline: from a detection on an event to a verified fix (or to the reason there
 * is none). The decisions are pure functions of data (guards, mode, exemptions, breaker, kill switch,
 * plan, verify); the pipeline calls adapters only through the ports below, takes the clock as a port,
 * and reads no environment. The same code serves three callers:
 *
 * - `remediateEvent`: a detection from the triage function,
 * - `executeApprovedRequest`: a request a human (or the timeout policy) approved,
 * - `undoAction`: `npm run undo` and the approval flow's Undo button.
 *
 * Order of `remediateEvent` (each step may end the pipeline with an outcome and a reason):
 *
 * ```text
 * detection known? → loop guard / inventory guard → event is a finding of it (pattern + predicate)
 *   → mode (rollout table; off / notify stop here) → target (pure)
 *   → exemptions (config, then resource tag; unreadable tags → at most approve)
 *   → kill switch (on or unreadable → notify)
 *   → read state → plan (already compliant | refuse | calls + snapshot)
 *   → dry-run? report the calls, make none
 *   → idempotency claim (a duplicate stops here: zero writes)
 *   → auto: circuit breaker (tripped → approve + page)
 *   → approve: audit "decision" record (with the event), open an approval request
 *   → auto: audit "snapshot" record BEFORE the change → execute → re-read → verify → audit "result"
 * ```
 *
 * The breaker is taken after the plan, not before the target as a first sketch had it: it counts
 * actions, and an event that turns out already compliant or refused is not one.
 */
import { approvalPolicyFor, type RemediationConfig } from '../../../config/remediation';
import { remediationRoleName } from '../../../config/naming';
import { compilePattern } from '../../../rules/event-pattern';
import { forwardingPatterns, withoutSuperseded } from '../../../rules/patterns';
import type { Predicate } from '../../../rules/predicates';
import type { Detection, RemediationId, RemediationMode } from '../../../rules/types';
import type { Alert } from '../alert';
import { isConfiguredApprover } from '../approval/decide';
import { type ApprovalRequest, TIMEOUT_POLICY } from '../approval/request';
import type { HandlerInventory } from '../inventory-view';
import { makePredicateContext } from '../own-calls';
import { type ExemptionDecision, type TagLookup, checkExemptions } from './exemptions';
import {
  type BreakerCounts,
  type KillSwitchReading,
  actionIdFor,
  breakerDecision,
  checkEventGuards,
  checkTargetAccount,
  eventIdOf,
  killSwitchDecision,
} from './guard';
import { canonicalJson } from './member-contract';
import { describeError as describe, type LogLevel } from '../lambda-io';
import { type ModeDecision, accountFacts, resolveMode, weakerMode } from './mode';
import type {
  PlannedCall,
  RemediationActionDef,
  RemediationContext,
  RemediationEvent,
  RemediationOutcome,
  RemediationPlan,
  RemediationTarget,
} from './types';

// ---------------------------------------------------------------------------------------------
// Inputs

/**
 * What the triage function sends (Lambda async invoke, `InvocationType: 'Event'`): the detection
 * that fired, the EventBridge event, and a reference to the alert it sent.
 */
export interface RemediationRequest {
  readonly detectionId: string;
  readonly event: RemediationEvent;
  /** @default - no alert to update (e.g. `npm run plan`, a replay) */
  readonly alertRef?: AlertRef;
}

/** The alert triage sent for this event, so the outcome can update it and MTTR can be measured. */
export interface AlertRef {
  /** When the alert was sent (ISO 8601): the start of TimeToRespondMs. @default - MTTR is not measured */
  readonly sentAt?: string;
  /** The alert as sent; the outcome is reported by re-sending it with a new remediation status. @default - none */
  readonly alert?: Alert;
  /**
   * The Slack message of the alert, when it was posted with a bot token (Web API): the outcome edits
   * it in place with `chat.update`. @default - the outcome is posted as a follow-up message
   */
  readonly slack?: { readonly channel: string; readonly ts: string };
}

/** The static facts the pipeline decides with: built once per container by {@link makeOrchestratorContext}. */
export interface OrchestratorContext {
  readonly config: RemediationConfig;
  readonly inventory: HandlerInventory;
  /** The catalog, by detection id. */
  readonly detections: ReadonlyMap<string, Detection>;
  /**
   * Whether an event really is a finding of a detection (its central pattern, then its predicate):
   * the request names the detection, and vigil acts only when the event agrees.
   */
  readonly confirms: (detection: Detection, event: RemediationEvent) => boolean;
  readonly actions: Readonly<Record<RemediationId, RemediationActionDef>>;
  /** Config facts the actions' `target()` needs (approved admin principals, central bus, …). */
  readonly remediationContext: RemediationContext;
}

/** Inputs of {@link makeOrchestratorContext}. */
export interface OrchestratorContextInput {
  readonly config: RemediationConfig;
  readonly inventory: HandlerInventory;
  readonly catalog: readonly Detection[];
  readonly predicates: Readonly<Record<string, Predicate>>;
  readonly actions: Readonly<Record<RemediationId, RemediationActionDef>>;
  /** Names the inventory view does not carry: the central bus ARN and the deploy role (config/naming.ts). */
  readonly naming: { readonly centralBusArn: string; readonly deployRoleName: string };
}

/** Compiles the catalog's patterns once and assembles the context. Throws on an invalid pattern or unknown predicate. */
export function makeOrchestratorContext(input: OrchestratorContextInput): OrchestratorContext {
  const matchers = new Map<string, (event: RemediationEvent) => boolean>();
  const predicateContext = makePredicateContext({
    ...input.inventory,
    accountIds: Object.keys(input.inventory.accounts),
  });
  for (const d of input.catalog) {
    const pattern = compilePattern(d.pattern);
    const predicate = d.predicate === undefined ? undefined : input.predicates[d.predicate];
    if (d.predicate !== undefined && !predicate) throw new Error(`detection ${d.id}: unknown predicate ${d.predicate}`);
    matchers.set(d.id, (event) => pattern(event) && (!predicate || predicate(event, predicateContext)));
  }
  return {
    config: input.config,
    inventory: input.inventory,
    detections: new Map(input.catalog.map((d) => [d.id, d])),
    confirms: (detection, event) => matchers.get(detection.id)?.(event) ?? false,
    actions: input.actions,
    remediationContext: {
      namePrefix: input.inventory.namePrefix,
      centralBusArn: input.naming.centralBusArn,
      deployRoleName: input.naming.deployRoleName,
      approvedAdminPrincipals: input.config.approvedAdminPrincipals,
      forwardingPatterns: forwardingPatterns(input.catalog),
    },
  };
}

/** The detections an event is a finding of (catalog order), for `npm run plan`. */
export function detectionsFor(event: RemediationEvent, ctx: OrchestratorContext): Detection[] {
  const matched = [...ctx.detections.values()].filter((d) => ctx.confirms(d, event));
  return withoutSuperseded(matched);
}

// ---------------------------------------------------------------------------------------------
// Ports (implemented in handlers/adapters/remediation/*, faked in tests)

/** Result of an idempotency claim. */
export type ClaimResult =
  | { readonly claimed: true }
  | {
      readonly claimed: false;
      /** `in-progress` (another invocation is on it) or `completed`. */
      readonly status: string;
      /** The earlier outcome, when completed. @default - unknown */
      readonly outcome?: string;
    };

export interface IdempotencyPort {
  /** Claims `key`; only one caller ever gets `claimed: true` (until the claim expires unfinished). */
  claim(key: string, now: Date): Promise<ClaimResult>;
  /** Marks the claim completed with its outcome; later claims of `key` are duplicates. */
  complete(key: string, outcome: string, now: Date): Promise<void>;
  /** Drops an unfinished claim so a retry may run (only when nothing was changed yet). */
  release(key: string): Promise<void>;
}

/** Phases of an action's audit trail, in the order they happen. */
export type AuditPhase = 'decision' | 'snapshot' | 'result' | 'undo-snapshot' | 'undo-result';

/** One append-only audit record. Several records share an `actionId`; none is ever changed. */
export interface AuditRecord {
  /** `<CloudTrail eventID>:<action>`, see `actionIdFor`. */
  readonly actionId: string;
  readonly phase: AuditPhase;
  /** ISO 8601. */
  readonly at: string;
  /** `vigil` for automatic decisions, the approver (`slack:U…`, `email:…`, `timeout-policy`), or the operator. */
  readonly actor: string;
  readonly eventId: string;
  readonly detectionId: string;
  readonly action: RemediationId;
  readonly accountId: string;
  readonly region?: string;
  readonly mode: RemediationMode;
  readonly outcome: DecisionOutcome | 'in-progress';
  readonly reason: string;
  readonly target?: RemediationTarget;
  readonly summary?: string;
  /** The mutating calls (made, about to be made, or that would be made). */
  readonly calls?: readonly PlannedCall[];
  /** What the calls change, as it was before (`snapshot` phase; the input of undo). */
  readonly snapshot?: Readonly<Record<string, unknown>>;
  /** The event (decision records of approve mode, so an approved request can be re-planned). */
  readonly event?: RemediationEvent;
  /** The alert to update once the approved request ran (decision records of approve mode). */
  readonly alertRef?: AlertRef;
  readonly approvalRequestId?: string;
  /** The action id an undo record reverts. */
  readonly undoes?: string;
}

export interface AuditPort {
  /** Appends a record; throws if it cannot (callers decide whether to go on). */
  append(record: AuditRecord): Promise<void>;
  /** Every record of an action, oldest first. */
  read(actionId: string): Promise<AuditRecord[]>;
}

/** What an approval request is opened with. */
export interface ApprovalOpening {
  readonly actionId: string;
  readonly detection: Pick<Detection, 'id' | 'title'>;
  readonly eventId: string;
  readonly plan: Extract<RemediationPlan, { kind: 'act' }>;
  readonly timeout: ReturnType<typeof approvalPolicyFor>;
  /** Why it waits for a human (mode reason, breaker, tag lookup failure). */
  readonly reason: string;
  readonly now: Date;
}

export interface ApprovalPort {
  /** Creates, stores and announces a request; returns its id. */
  open(opening: ApprovalOpening): Promise<{ readonly requestId: string }>;
  get(requestId: string): Promise<ApprovalRequest | undefined>;
  /** approved → executed, with a one-line outcome. */
  markExecuted(requestId: string, write: { readonly outcome: string; readonly now: Date }): Promise<unknown>;
}

/** A page to the security on-call: something a human must look at now. */
export interface Escalation {
  readonly kind: 'circuit-breaker' | 'failure' | 'kill-switch-unreadable';
  readonly actionId: string;
  readonly detectionId: string;
  readonly accountId: string;
  readonly summary: string;
  readonly reason: string;
  /** Which counter tripped (circuit-breaker pages only). @default - not a breaker page */
  readonly breakerScope?: 'account' | 'organization';
}

export type { LogLevel };

export interface OrchestratorPorts {
  readonly now: () => Date;
  readonly readKillSwitch: () => Promise<KillSwitchReading>;
  /** Tags of resources in the member account; never throws (`failed` is an answer). */
  readonly readTags: (lookup: { accountId: string; region: string; arns: readonly string[] }) => Promise<TagLookup>;
  /** Re-reads the target's state in the member account (read-only). Throws when it cannot. */
  readonly readState: (target: RemediationTarget) => Promise<unknown>;
  /**
   * Sends the calls, in order, in the target's account. Throws on the first that fails. `ref.actionId`
   * names the action the calls were planned for (remediate signs it into the member request).
   */
  readonly execute: (
    target: RemediationTarget,
    calls: readonly PlannedCall[],
    ref: { readonly actionId: string },
  ) => Promise<unknown>;
  readonly idempotency: IdempotencyPort;
  /** Counts one more action for the account and the organization in the current window; returns the new counts. */
  readonly takeBreakerSlot: (accountId: string, now: Date) => Promise<BreakerCounts>;
  readonly audit: AuditPort;
  readonly approvals: ApprovalPort;
  readonly escalate: (escalation: Escalation) => Promise<void>;
  readonly log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
}

// ---------------------------------------------------------------------------------------------
// Output

/**
 * Outcome of one pass: the contract's outcomes, plus `notify-only` (mode off or notify, or the kill
 * switch) and `duplicate` (this event and action were handled already: nothing was done again).
 */
export type DecisionOutcome = RemediationOutcome | 'notify-only' | 'duplicate';

export interface Decision {
  readonly detectionId: string;
  readonly eventId: string;
  readonly accountId: string;
  /** @default - no action (unknown detection, none in the catalog) */
  readonly actionId?: string;
  /** The mode the pass ran in, after every safety rail. */
  readonly mode: RemediationMode;
  readonly outcome: DecisionOutcome;
  /** One sentence: why this outcome. */
  readonly reason: string;
  /** How the mode came about: the rollout entry, then every rail that lowered it. */
  readonly modeReasons: readonly string[];
  readonly target?: RemediationTarget;
  readonly plan?: RemediationPlan;
  /** The read-only calls made (or, in dry-run, made to plan) before acting. */
  readonly reads: readonly PlannedCall[];
  /** The mutating calls: made (`fixed`, `failed`), or that would be made (`dry-run`, `pending-approval`). */
  readonly calls: readonly PlannedCall[];
  /** Who acted: `vigil` or the approver. */
  readonly actor: string;
  /** Fixed without a human: counts towards the share of alerts closed by automation. */
  readonly automated: boolean;
  /** When the fix was verified (ISO 8601). @default - not fixed */
  readonly verifiedAt?: string;
  /** @default - no approval request */
  readonly approvalRequestId?: string;
  /** A page went out. */
  readonly escalated: boolean;
  /** The alert to update with the outcome. @default - none */
  readonly alertRef?: AlertRef;
}

/** Actor of automatic decisions in audit records. */
export const VIGIL_ACTOR = 'vigil';

// ---------------------------------------------------------------------------------------------
// Pure pre-flight: everything decided before the first call to AWS

/** What is known once the pure checks passed. */
export interface Preflight {
  readonly detection: Detection;
  readonly def: RemediationActionDef;
  readonly actionId: string;
  readonly eventId: string;
  readonly accountId: string;
  readonly mode: ModeDecision;
  readonly target: RemediationTarget;
}

/** Either an early decision or the facts to go on with. */
export type PreflightResult = { readonly done: Decision } | { readonly go: Preflight };

/**
 * The pure part of the pipeline: detection, loop and inventory guards, mode, target. Shared by
 * `remediateEvent` and `npm run plan`, so the CLI shows exactly what the function would decide.
 */
export function preflight(request: RemediationRequest, ctx: OrchestratorContext): PreflightResult {
  const { event } = request;
  const eventId = eventIdOf(event);
  const accountId = event.detail?.recipientAccountId ?? event.account;
  const base = { detectionId: request.detectionId, eventId, accountId };
  const detection = ctx.detections.get(request.detectionId);
  if (!detection) {
    return {
      done: decision(base, { mode: 'off', outcome: 'refused', reason: `unknown detection ${request.detectionId}` }),
    };
  }
  const guards = {
    accountIds: new Set(Object.keys(ctx.inventory.accounts)),
    remediationRoleName: remediationRoleName(ctx.inventory),
  };
  const guard = checkEventGuards(event, guards);
  if (!guard.ok) return { done: decision(base, { mode: 'off', outcome: 'refused', reason: guard.reason }) };
  const recipient = event.detail?.recipientAccountId;
  if (recipient !== undefined && recipient !== event.account) {
    // Remediation acts in recipientAccountId; an envelope naming another account is forged or broken,
    // and either way vigil cannot tell which account the change belongs to. Alert only.
    return {
      done: decision(base, {
        mode: 'notify',
        outcome: 'refused',
        reason:
          `the event's account ${event.account} and detail.recipientAccountId ${recipient} disagree; ` +
          'vigil acts only when both name the same account (alert only)',
      }),
    };
  }
  if (!ctx.confirms(detection, event)) {
    return {
      done: decision(base, {
        mode: 'off',
        outcome: 'refused',
        reason: `the event is not a finding of ${detection.id} (its pattern or predicate does not match)`,
      }),
    };
  }
  if (!detection.remediation) {
    return {
      done: decision(base, {
        mode: 'notify',
        outcome: 'notify-only',
        reason: `detection ${detection.id} has no remediation action`,
      }),
    };
  }
  const facts = accountFacts(ctx.inventory, accountId)!; // the guard checked membership
  const mode = resolveMode(detection, facts, ctx.config);
  const action = detection.remediation.action;
  const def = ctx.actions[action];
  const actionId = actionIdFor(eventId, action);
  const withAction = { ...base, actionId, modeReasons: [mode.reason] };
  if (mode.mode === 'off') {
    return {
      done: decision(withAction, { mode: 'off', outcome: 'notify-only', reason: `remediation is off: ${mode.reason}` }),
    };
  }
  const target = def.target(event, ctx.remediationContext);
  if ('refuse' in target) {
    return { done: decision(withAction, { mode: mode.mode, outcome: 'refused', reason: target.refuse }) };
  }
  const account = checkTargetAccount(accountId, target.accountId, guards);
  if (!account.ok) {
    return {
      done: decision({ ...withAction, target }, { mode: mode.mode, outcome: 'refused', reason: account.reason }),
    };
  }
  return { go: { detection, def, actionId, eventId, accountId, mode, target } };
}

/**
 * ARNs a resource-tag exemption is read from. Only workload resources their owners may need an
 * exception for (security groups, buckets) honour tags: for vigil's own pipeline (trail, forwarding
 * rules, Config recorder), KMS keys, IAM and account-wide settings, anyone allowed to tag could
 * otherwise switch the guardrail off; those take exemptions from the reviewed config only.
 */
export function exemptionTagArns(target: RemediationTarget): readonly string[] {
  switch (target.action) {
    case 'revoke-world-open-ingress':
      return [`arn:aws:ec2:${target.region}:${target.accountId}:security-group/${target.resourceId}`];
    case 'restore-bucket-public-access-block':
      return [`arn:aws:s3:::${target.resourceId}`];
    default:
      return [];
  }
}

/** The ids an exemption's `resource` glob is matched against: the resource id and the ARNs. */
export function exemptionResources(target: RemediationTarget): readonly string[] {
  return [target.resourceId, ...exemptionTagArns(target)];
}

// ---------------------------------------------------------------------------------------------
// remediateEvent

/**
 * Runs the pipeline for one detection; never throws for a decision, only for a broken port. Every
 * decision about an action is in the audit log: acting and approval decisions write their records as
 * they go; the others (notify-only, refused, already compliant, dry-run, unreadable state) get one
 * `decision` record here. Duplicates write nothing.
 */
export async function remediateEvent(
  request: RemediationRequest,
  ctx: OrchestratorContext,
  ports: OrchestratorPorts,
): Promise<Decision> {
  const result = await pipeline(request, ctx, ports);
  const { decision: d } = result;
  if (!result.audited && d.actionId && d.outcome !== 'duplicate') {
    const action = ctx.detections.get(d.detectionId)?.remediation?.action;
    try {
      if (action) {
        await ports.audit.append({
          actionId: d.actionId,
          phase: 'decision',
          at: ports.now().toISOString(),
          actor: d.actor,
          eventId: d.eventId,
          detectionId: d.detectionId,
          action,
          accountId: d.accountId,
          ...(d.target ? { region: d.target.region, target: d.target } : {}),
          mode: d.mode,
          outcome: d.outcome,
          reason: [d.reason, ...d.modeReasons].join('; '),
          ...(d.plan?.kind === 'act' ? { summary: d.plan.summary } : {}),
          ...(d.calls.length > 0 ? { calls: d.calls } : {}),
        });
      }
    } catch (err) {
      // Nothing was changed on this path; the log line keeps the decision.
      ports.log('error', 'audit decision record not written', { actionId: d.actionId, error: describeError(err) });
    }
  }
  return d;
}

async function pipeline(
  request: RemediationRequest,
  ctx: OrchestratorContext,
  ports: OrchestratorPorts,
): Promise<{ decision: Decision; audited: boolean }> {
  const done = (d: Decision) => ({ decision: d, audited: false });
  const audited = (d: Decision) => ({ decision: d, audited: true });
  const checked = preflight(request, ctx);
  if ('done' in checked) return done(checked.done);
  const pre = checked.go;
  const { detection, def, actionId, eventId, accountId, target } = pre;
  const now = ports.now();
  const modeReasons = [pre.mode.reason];
  let mode = pre.mode.mode;
  const base = {
    detectionId: detection.id,
    eventId,
    accountId,
    actionId,
    target,
    modeReasons,
    ...(request.alertRef ? { alertRef: request.alertRef } : {}),
  };

  if (mode === 'notify') {
    return done(decision(base, { mode, outcome: 'notify-only', reason: `notify only: ${pre.mode.reason}` }));
  }

  // Exemptions: the reviewed config first; a resource tag only for taggable workload resources.
  const arns = exemptionTagArns(target);
  const tags: TagLookup =
    arns.length === 0
      ? { kind: 'not-taggable' }
      : await ports.readTags({ accountId: target.accountId, region: target.region, arns });
  const exemption: ExemptionDecision = checkExemptions(
    { detectionId: detection.id, accountId, resources: exemptionResources(target) },
    ctx.config,
    tags,
    now.toISOString().slice(0, 10),
  );
  for (const ignored of exemption.ignored) ports.log('info', 'exemption ignored', { actionId, ignored });
  if (exemption.kind === 'exempt') {
    return done(decision(base, { mode, outcome: 'refused', reason: exemption.reason }));
  }
  if (exemption.kind === 'unknown' && mode === 'auto') {
    mode = 'approve';
    modeReasons.push(`approve instead of auto: ${exemption.reason}`);
  }

  // Kill switch: on (or unreadable) → nothing runs and nobody is asked to approve what cannot run.
  const reading = await ports.readKillSwitch();
  const killSwitch = killSwitchDecision(ctx.config.killSwitchParameter, reading);
  if (killSwitch.engaged) {
    modeReasons.push(killSwitch.reason);
    // Switched on by a human is deliberate; missing or unreadable is an outage someone must hear about.
    const escalated =
      reading.kind !== 'value' &&
      (await escalateQuietly(ports, {
        kind: 'kill-switch-unreadable',
        actionId,
        detectionId: detection.id,
        accountId,
        summary: `${def.id} on ${target.resourceId} was not run`,
        reason: killSwitch.reason,
      }));
    return done(
      decision(base, {
        mode: weakerMode(mode, 'notify'),
        outcome: 'notify-only',
        reason: killSwitch.reason,
        escalated,
      }),
    );
  }

  // Fresh state, then the plan.
  const reads = def.stateReads(target);
  let state: unknown;
  try {
    state = await ports.readState(target);
  } catch (err) {
    const reason = `could not read the current state: ${describeError(err)}`;
    const escalated = await escalateQuietly(ports, {
      kind: 'failure',
      actionId,
      detectionId: detection.id,
      accountId,
      summary: `${def.id} on ${target.resourceId}`,
      reason,
    });
    return done(decision({ ...base, reads }, { mode, outcome: 'failed', reason, escalated }));
  }
  const plan = def.plan(target, state);
  const planned = { ...base, reads, plan };
  if (plan.kind === 'already-compliant')
    return done(decision(planned, { mode, outcome: 'already-compliant', reason: plan.reason }));
  if (plan.kind === 'refuse') return done(decision(planned, { mode, outcome: 'refused', reason: plan.reason }));
  const withCalls = { ...planned, calls: plan.calls };

  if (ctx.config.dryRun) {
    return done(
      decision(withCalls, {
        mode,
        outcome: 'dry-run',
        reason: `dry run (config/remediation.json dryRun): would ${plan.summary}; no call was made`,
      }),
    );
  }

  // From here on, state in AWS and in the approval store may change: claim the event first.
  const claim = await ports.idempotency.claim(actionId, now);
  if (!claim.claimed) {
    return done(
      decision(withCalls, {
        mode,
        outcome: 'duplicate',
        reason: `already handled (${claim.status}${claim.outcome ? `: ${claim.outcome}` : ''}); nothing done again`,
      }),
    );
  }
  try {
    let escalated = false;
    let approvalReason = `approval required: ${modeReasons.join('; ')}`;
    if (mode === 'auto') {
      const counts = await ports.takeBreakerSlot(accountId, now);
      const breaker = breakerDecision(accountId, counts, ctx.config.circuitBreaker);
      if (breaker.tripped) {
        mode = 'approve';
        modeReasons.push(breaker.reason);
        approvalReason = breaker.reason;
        escalated = await escalateQuietly(ports, {
          kind: 'circuit-breaker',
          actionId,
          detectionId: detection.id,
          accountId,
          summary: plan.summary,
          reason: breaker.reason,
          breakerScope: breaker.scope,
        });
      }
    }
    if (mode === 'approve') {
      const result = await openApproval(
        ctx,
        ports,
        { detection, actionId, eventId, plan, reason: approvalReason, now },
        request,
        modeReasons,
      );
      await completeQuietly(ports, actionId, 'pending-approval');
      // openApproval wrote the decision record (with the event) before the request existed.
      return audited(
        decision(withCalls, {
          mode,
          outcome: 'pending-approval',
          reason: approvalReason,
          escalated,
          approvalRequestId: result.requestId,
        }),
      );
    }
    const result = await act(ports, {
      detection,
      def,
      actionId,
      eventId,
      accountId,
      plan,
      mode,
      actor: VIGIL_ACTOR,
    });
    await completeQuietly(ports, actionId, result.outcome);
    return audited(decision(withCalls, { mode, ...result, automated: result.outcome === 'fixed' }));
  } catch (err) {
    // Only reached before any mutating call (act() reports its own failures): let a retry run again.
    await releaseQuietly(ports, actionId);
    throw err;
  }
}

/** Writes the decision record (with the event, so the approved request can be re-planned) and opens the request. */
async function openApproval(
  ctx: OrchestratorContext,
  ports: OrchestratorPorts,
  input: {
    detection: Detection;
    actionId: string;
    eventId: string;
    plan: Extract<RemediationPlan, { kind: 'act' }>;
    reason: string;
    now: Date;
  },
  request: RemediationRequest,
  modeReasons: readonly string[],
): Promise<{ requestId: string }> {
  const { detection, actionId, eventId, plan, now } = input;
  const record: AuditRecord = {
    actionId,
    phase: 'decision',
    at: now.toISOString(),
    actor: VIGIL_ACTOR,
    eventId,
    detectionId: detection.id,
    action: plan.target.action,
    accountId: plan.target.accountId,
    region: plan.target.region,
    mode: 'approve',
    outcome: 'pending-approval',
    reason: [input.reason, ...modeReasons.filter((r) => r !== input.reason)].join('; '),
    target: plan.target,
    summary: plan.summary,
    calls: plan.calls,
    event: request.event,
    ...(request.alertRef ? { alertRef: request.alertRef } : {}),
  };
  // Audit first: a request whose decision record is missing could not be executed later.
  await ports.audit.append(record);
  const opened = await ports.approvals.open({
    actionId,
    detection,
    eventId,
    plan,
    timeout: approvalPolicyFor(ctx.config, detection.id),
    reason: input.reason,
    now,
  });
  ports.log('info', 'approval requested', { actionId, requestId: opened.requestId });
  return opened;
}

/** The outcome of acting, without the fields the caller adds. */
interface ActResult {
  readonly outcome: 'fixed' | 'failed';
  readonly reason: string;
  readonly escalated: boolean;
  readonly verifiedAt?: string;
}

/**
 * Snapshot into the audit log, execute, re-read, verify, audit the result. A snapshot that cannot be
 * written stops everything before the change (an unrecorded change could not be undone). Failures are
 * outcomes, not exceptions: they are paged and reported, never retried blindly.
 */
async function act(
  ports: OrchestratorPorts,
  input: {
    detection: Detection;
    def: RemediationActionDef;
    actionId: string;
    eventId: string;
    accountId: string;
    plan: Extract<RemediationPlan, { kind: 'act' }>;
    mode: RemediationMode;
    actor: string;
    approvalRequestId?: string;
  },
): Promise<ActResult> {
  const { detection, def, actionId, plan } = input;
  const target = plan.target;
  const common = {
    actionId,
    actor: input.actor,
    eventId: input.eventId,
    detectionId: detection.id,
    action: def.id,
    accountId: target.accountId,
    region: target.region,
    mode: input.mode,
    target,
    summary: plan.summary,
    calls: plan.calls,
    ...(input.approvalRequestId ? { approvalRequestId: input.approvalRequestId } : {}),
  };
  const fail = async (reason: string, wrote: boolean): Promise<ActResult> => {
    const escalated = await escalateQuietly(ports, {
      kind: 'failure',
      actionId,
      detectionId: detection.id,
      accountId: input.accountId,
      summary: plan.summary,
      reason: wrote ? `${reason}; undo with: npm run undo -- ${actionId}` : reason,
    });
    return { outcome: 'failed', reason, escalated };
  };

  try {
    await ports.audit.append({
      ...common,
      phase: 'snapshot',
      at: ports.now().toISOString(),
      outcome: 'in-progress',
      reason: `about to ${plan.summary}`,
      snapshot: plan.snapshot,
    });
  } catch (err) {
    return fail(`could not write the audit snapshot, so nothing was changed: ${describeError(err)}`, false);
  }

  let result: ActResult;
  try {
    await ports.execute(target, plan.calls, { actionId });
    const after = await ports.readState(target);
    const verdict = def.verify(target, after);
    result = verdict.fixed
      ? {
          outcome: 'fixed',
          reason: `${plan.summary}: ${verdict.detail}`,
          escalated: false,
          verifiedAt: ports.now().toISOString(),
        }
      : await fail(`acted but verification failed: ${verdict.detail}`, true);
  } catch (err) {
    result = await fail(`${plan.summary} failed: ${describeError(err)}`, true);
  }

  try {
    await ports.audit.append({
      ...common,
      phase: 'result',
      at: ports.now().toISOString(),
      outcome: result.outcome,
      reason: result.reason,
    });
  } catch (err) {
    // The change is made and the snapshot is recorded; only the closing record is missing. Say so loudly.
    ports.log('error', 'audit result record not written', {
      actionId,
      outcome: result.outcome,
      error: describeError(err),
    });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// executeApprovedRequest

/** An approved request handed over by the approval flow (`ApprovedWork` of kind `execute`). */
export interface ApprovedExecution {
  readonly requestId: string;
  /** `slack:<id>`, `email:<address>` or `timeout-policy`. */
  readonly approver: string;
}

/**
 * Executes an approved request. The request grants nothing by itself: its status is re-read, the
 * state is re-read and re-planned, and the calls run only if they are still exactly the calls the
 * approver saw. The kill switch applies; the circuit breaker does not (a human decided).
 */
export async function executeApprovedRequest(
  work: ApprovedExecution,
  ctx: OrchestratorContext,
  ports: OrchestratorPorts,
): Promise<Decision> {
  const request = await ports.approvals.get(work.requestId);
  if (!request) {
    return decision(
      { detectionId: 'unknown', eventId: 'unknown', accountId: 'unknown', actor: work.approver },
      {
        mode: 'approve',
        outcome: 'refused',
        reason: `approval request ${work.requestId} does not exist (expired and deleted?)`,
      },
    );
  }
  const actionId = actionIdFor(request.eventId, request.plan.action);
  const base = {
    detectionId: request.detectionId,
    eventId: request.eventId,
    accountId: request.accountId,
    actionId,
    actor: work.approver,
    approvalRequestId: request.id,
  };
  if (request.status === 'executed' || request.status === 'undone') {
    // A second delivery of the same hand-over: the first one ran it.
    return decision(base, {
      mode: 'approve',
      outcome: 'duplicate',
      reason: `approval request ${request.id} was ${request.status} already`,
    });
  }
  if (request.status !== 'approved') {
    return decision(base, {
      mode: 'approve',
      outcome: 'refused',
      reason: `approval request ${request.id} is ${request.status}, not approved`,
    });
  }
  if (request.decidedBy !== work.approver) {
    // The hand-over crossed a queue: the store says who approved, and a message that disagrees is not
    // the store's hand-over. The request is left as it is for its real one.
    return decision(base, {
      mode: 'approve',
      outcome: 'refused',
      reason:
        `the hand-over names ${work.approver} but approval request ${request.id} was approved by ` +
        `${request.decidedBy ?? 'nobody'}; only the approval store's decision is executed`,
    });
  }

  // From here the request is approved: every outcome but a duplicate closes it (approved → executed),
  // so the approval message shows what became of it and nobody waits for a run that will not come.
  const close = async (d: Decision): Promise<Decision> => {
    if (d.outcome === 'duplicate') return d;
    try {
      await ports.approvals.markExecuted(request.id, { outcome: `${d.outcome}: ${d.reason}`, now: ports.now() });
    } catch (err) {
      ports.log('error', 'approval request not marked executed', { requestId: request.id, error: describeError(err) });
    }
    return d;
  };
  const decider = approvalDecider(request, ctx.config.approvers);
  if (!decider.ok) return close(decision(base, { mode: 'approve', outcome: 'refused', reason: decider.reason }));

  const records = await ports.audit.read(actionId);
  const opened = [...records].reverse().find((r) => r.phase === 'decision' && r.event !== undefined);
  if (!opened?.event) {
    return close(
      decision(base, {
        mode: 'approve',
        outcome: 'refused',
        reason: `no decision record with the event for ${actionId} in the audit log`,
      }),
    );
  }
  const alert = opened.alertRef ? { alertRef: opened.alertRef } : {};
  const checked = preflight({ detectionId: request.detectionId, event: opened.event }, ctx);
  if ('done' in checked) {
    return close({ ...checked.done, ...alert, actor: work.approver, approvalRequestId: request.id });
  }
  const pre = checked.go;
  const { detection, def, target, accountId } = pre;
  const modeReasons = [pre.mode.reason, `approved by ${work.approver}`];
  const withTarget = { ...base, ...alert, target, modeReasons };
  if (pre.mode.mode !== 'approve' && pre.mode.mode !== 'auto') {
    return close(
      decision(withTarget, {
        mode: pre.mode.mode,
        outcome: 'refused',
        reason: `the mode is ${pre.mode.mode} now (${pre.mode.reason}); the approval no longer applies`,
      }),
    );
  }
  const killSwitch = killSwitchDecision(ctx.config.killSwitchParameter, await ports.readKillSwitch());
  if (killSwitch.engaged) {
    return close(
      decision(withTarget, { mode: 'notify', outcome: 'notify-only', reason: `approved, but ${killSwitch.reason}` }),
    );
  }

  const reads = def.stateReads(target);
  let state: unknown;
  try {
    state = await ports.readState(target);
  } catch (err) {
    return close(
      decision(
        { ...withTarget, reads },
        { mode: 'approve', outcome: 'failed', reason: `could not read the current state: ${describeError(err)}` },
      ),
    );
  }
  const plan = def.plan(target, state);
  const planned = { ...withTarget, reads, plan };
  if (plan.kind === 'already-compliant') {
    return close(decision(planned, { mode: 'approve', outcome: 'already-compliant', reason: plan.reason }));
  }
  if (plan.kind === 'refuse')
    return close(decision(planned, { mode: 'approve', outcome: 'refused', reason: plan.reason }));
  const withCalls = { ...planned, calls: plan.calls };
  if (!sameCalls(plan.calls, request.plan.calls)) {
    // Never run calls nobody saw: ask again with the calls needed now.
    const reason = `the state changed since request ${request.id} was approved and the calls needed now differ`;
    const again = await ports.approvals.open({
      actionId,
      detection,
      eventId: request.eventId,
      plan,
      timeout: approvalPolicyFor(ctx.config, detection.id),
      reason,
      now: ports.now(),
    });
    return close(
      decision(withCalls, {
        mode: 'approve',
        outcome: 'pending-approval',
        reason: `${reason}; new request ${again.requestId} asks again`,
        approvalRequestId: again.requestId,
      }),
    );
  }
  if (ctx.config.dryRun) {
    return close(
      decision(withCalls, {
        mode: 'approve',
        outcome: 'dry-run',
        reason: `dry run (config/remediation.json dryRun): approved, would ${plan.summary}; no call was made`,
      }),
    );
  }
  const key = `approved:${request.id}`;
  const claim = await ports.idempotency.claim(key, ports.now());
  if (!claim.claimed) {
    return decision(withCalls, {
      mode: 'approve',
      outcome: 'duplicate',
      reason: `approved request ${request.id} already handled (${claim.status}${claim.outcome ? `: ${claim.outcome}` : ''})`,
    });
  }
  let result: ActResult;
  try {
    result = await act(ports, {
      detection,
      def,
      actionId,
      eventId: request.eventId,
      accountId,
      plan,
      mode: 'approve',
      actor: work.approver,
      approvalRequestId: request.id,
    });
  } catch (err) {
    await releaseQuietly(ports, key);
    throw err;
  }
  await completeQuietly(ports, key, result.outcome);
  return close(decision(withCalls, { mode: 'approve', ...result }));
}

// ---------------------------------------------------------------------------------------------
// undoAction

/** What undo would do, from the audit trail of an action. */
export type UndoPlan =
  | {
      readonly kind: 'undo';
      readonly actionId: string;
      readonly snapshotRecord: AuditRecord;
      readonly target: RemediationTarget;
      readonly calls: readonly PlannedCall[];
    }
  | { readonly kind: 'refuse'; readonly reason: string };

/**
 * The undo calls of an action, from its latest snapshot record (pure). Refused when there is no
 * snapshot (nothing was changed), when the change was undone already, or when the action is unknown.
 */
export function planUndo(
  actionId: string,
  records: readonly AuditRecord[],
  actions: Readonly<Record<RemediationId, RemediationActionDef>>,
): UndoPlan {
  if (records.length === 0) return { kind: 'refuse', reason: `no audit records for ${actionId}` };
  const lastSnapshot = records
    .map((r, i) => [r, i] as const)
    .filter(([r]) => r.phase === 'snapshot')
    .pop();
  if (!lastSnapshot) {
    return {
      kind: 'refuse',
      reason: `${actionId} never changed anything (no snapshot record); there is nothing to undo`,
    };
  }
  const [snapshotRecord, at] = lastSnapshot;
  const undone = records.slice(at + 1).find((r) => r.phase === 'undo-result' && r.outcome === 'fixed');
  if (undone) return { kind: 'refuse', reason: `${actionId} was already undone by ${undone.actor} at ${undone.at}` };
  const def = actions[snapshotRecord.action];
  if (!def) return { kind: 'refuse', reason: `unknown action ${snapshotRecord.action} in the audit record` };
  if (!snapshotRecord.snapshot || !snapshotRecord.target) {
    return { kind: 'refuse', reason: `the snapshot record of ${actionId} holds no snapshot or target` };
  }
  const calls = def.undo(snapshotRecord.snapshot);
  if (calls.length === 0) return { kind: 'refuse', reason: `${def.id} has nothing to undo for this snapshot` };
  return { kind: 'undo', actionId, snapshotRecord, target: snapshotRecord.target, calls };
}

/** Ports undo needs: the audit log, the executor and the clock. */
export type UndoPorts = Pick<OrchestratorPorts, 'audit' | 'execute' | 'now' | 'log'>;

/** Ports an approved undo needs: those of undo, and the approval store to re-read the request. */
export type ApprovedUndoPorts = UndoPorts & { readonly approvals: Pick<ApprovalPort, 'get'> };

/** What an undo did. */
export interface UndoResult {
  readonly outcome: 'fixed' | 'failed' | 'refused' | 'dry-run';
  readonly reason: string;
  readonly calls: readonly PlannedCall[];
}

/**
 * Reverts an action from its audit snapshot: records the undo (before), runs the calls, records the
 * result. Not stopped by the kill switch: undoing vigil's own change is what one does when vigil
 * misbehaved. `dryRun` prints the calls and writes nothing.
 */
export async function undoAction(
  actionId: string,
  actor: string,
  ports: UndoPorts,
  actions: Readonly<Record<RemediationId, RemediationActionDef>>,
  options: { readonly dryRun?: boolean } = {},
): Promise<UndoResult> {
  const plan = planUndo(actionId, await ports.audit.read(actionId), actions);
  if (plan.kind === 'refuse') return { outcome: 'refused', reason: plan.reason, calls: [] };
  if (options.dryRun) return { outcome: 'dry-run', reason: 'dry run: no call was made', calls: plan.calls };
  return runUndo(plan, actor, ports);
}

/**
 * Undoes the remediation of an approval request (the approval flow's Undo button). The hand-over grants
 * nothing: the request is re-read and must be `undone` (an approver pressed Undo on an executed request)
 * by a configured approver, the same one the hand-over names; and the change to revert must be the one
 * this request executed (its audit snapshot carries the request id).
 */
export async function undoApprovedRequest(
  work: ApprovedExecution,
  approvers: RemediationConfig['approvers'],
  ports: ApprovedUndoPorts,
  actions: Readonly<Record<RemediationId, RemediationActionDef>>,
): Promise<UndoResult & { readonly actionId?: string }> {
  const refuse = (reason: string, actionId?: string) => ({
    outcome: 'refused' as const,
    reason,
    calls: [],
    ...(actionId ? { actionId } : {}),
  });
  const request = await ports.approvals.get(work.requestId);
  if (!request) return refuse(`approval request ${work.requestId} does not exist`);
  const actionId = actionIdFor(request.eventId, request.plan.action);
  if (request.status !== 'undone') {
    return refuse(
      `approval request ${request.id} is ${request.status}: an undo runs only once an approver pressed Undo ` +
        'on an executed request (status undone)',
      actionId,
    );
  }
  if (!request.executedAt) return refuse(`approval request ${request.id} was never executed`, actionId);
  if (request.undoneBy !== work.approver) {
    return refuse(
      `the hand-over names ${work.approver} but approval request ${request.id} was undone by ` +
        `${request.undoneBy ?? 'nobody'}; only the approval store's decision is executed`,
      actionId,
    );
  }
  if (!isConfiguredApprover(request.undoneBy, approvers)) {
    return refuse(
      `${request.undoneBy} is not a configured approver (config/remediation.json approvers); the undo of ` +
        `approval request ${request.id} is refused`,
      actionId,
    );
  }
  const plan = planUndo(actionId, await ports.audit.read(actionId), actions);
  if (plan.kind === 'refuse') return refuse(plan.reason, actionId);
  if (plan.snapshotRecord.approvalRequestId !== request.id) {
    return refuse(
      `the last change of ${actionId} was not made by approval request ${request.id} ` +
        `(its snapshot names ${plan.snapshotRecord.approvalRequestId ?? 'no request'}); there is nothing of it to undo`,
      actionId,
    );
  }
  return { ...(await runUndo(plan, request.undoneBy, ports)), actionId };
}

/**
 * Whether the approval store's decider of an approved request may have decided it: a configured
 * approver, or the timeout policy when the request's timeout behaviour is `act`.
 */
function approvalDecider(
  request: ApprovalRequest,
  approvers: RemediationConfig['approvers'],
): { readonly ok: true } | { readonly ok: false; readonly reason: string } {
  const by = request.decidedBy;
  if (by === TIMEOUT_POLICY) {
    return request.timeout.onTimeout === 'act'
      ? { ok: true }
      : {
          ok: false,
          reason: `approval request ${request.id} was approved by the timeout policy, but its timeout behaviour is ${request.timeout.onTimeout}`,
        };
  }
  return by !== undefined && isConfiguredApprover(by, approvers)
    ? { ok: true }
    : {
        ok: false,
        reason: `${by ?? 'nobody'} is not a configured approver (config/remediation.json approvers); approval request ${request.id} is not executed`,
      };
}

/** Records the undo (before), runs its calls, records the result. */
async function runUndo(
  plan: Extract<UndoPlan, { kind: 'undo' }>,
  actor: string,
  ports: UndoPorts,
): Promise<UndoResult> {
  const { actionId } = plan;
  const s = plan.snapshotRecord;
  const common = {
    actionId,
    actor,
    eventId: s.eventId,
    detectionId: s.detectionId,
    action: s.action,
    accountId: s.accountId,
    region: s.region,
    mode: s.mode,
    target: plan.target,
    calls: plan.calls,
    undoes: actionId,
    summary: `undo: ${s.summary ?? s.action}`,
  };
  // Recorded before the change, like the snapshot of the original action.
  await ports.audit.append({
    ...common,
    phase: 'undo-snapshot',
    at: ports.now().toISOString(),
    outcome: 'in-progress',
    reason: `undo requested by ${actor}`,
  });
  let result: UndoResult;
  try {
    await ports.execute(plan.target, plan.calls, { actionId });
    result = {
      outcome: 'fixed',
      reason: `undone by ${actor}: ${plan.calls.length} call(s) succeeded`,
      calls: plan.calls,
    };
  } catch (err) {
    result = { outcome: 'failed', reason: `undo failed: ${describeError(err)}`, calls: plan.calls };
  }
  await ports.audit.append({
    ...common,
    phase: 'undo-result',
    at: ports.now().toISOString(),
    outcome: result.outcome,
    reason: result.reason,
  });
  return result;
}

// ---------------------------------------------------------------------------------------------
// helpers

interface DecisionBase {
  readonly detectionId: string;
  readonly eventId: string;
  readonly accountId: string;
  readonly actionId?: string;
  readonly target?: RemediationTarget;
  readonly plan?: RemediationPlan;
  readonly reads?: readonly PlannedCall[];
  readonly calls?: readonly PlannedCall[];
  readonly modeReasons?: readonly string[];
  readonly actor?: string;
  readonly approvalRequestId?: string;
  readonly alertRef?: AlertRef;
}

interface DecisionEnd {
  readonly mode: RemediationMode;
  readonly outcome: DecisionOutcome;
  readonly reason: string;
  readonly escalated?: boolean;
  readonly automated?: boolean;
  readonly verifiedAt?: string;
  readonly approvalRequestId?: string;
}

function decision(base: DecisionBase, end: DecisionEnd): Decision {
  const approvalRequestId = end.approvalRequestId ?? base.approvalRequestId;
  return {
    detectionId: base.detectionId,
    eventId: base.eventId,
    accountId: base.accountId,
    ...(base.actionId ? { actionId: base.actionId } : {}),
    mode: end.mode,
    outcome: end.outcome,
    reason: end.reason,
    modeReasons: base.modeReasons ?? [],
    ...(base.target ? { target: base.target } : {}),
    ...(base.plan ? { plan: base.plan } : {}),
    reads: base.reads ?? [],
    calls: base.calls ?? [],
    actor: base.actor ?? VIGIL_ACTOR,
    automated: end.automated ?? false,
    ...(end.verifiedAt ? { verifiedAt: end.verifiedAt } : {}),
    ...(approvalRequestId ? { approvalRequestId } : {}),
    escalated: end.escalated ?? false,
    ...(base.alertRef ? { alertRef: base.alertRef } : {}),
  };
}

/** Deep equality of two call lists as JSON with sorted keys (the approver saw exactly these). */
export function sameCalls(a: readonly PlannedCall[], b: readonly PlannedCall[]): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

async function escalateQuietly(ports: OrchestratorPorts, escalation: Escalation): Promise<boolean> {
  try {
    await ports.escalate(escalation);
    return true;
  } catch (err) {
    // The decision stands; the log line (and its alarm) is the page of last resort.
    ports.log('error', 'escalation failed', { ...escalation, error: describeError(err) });
    return false;
  }
}

/**
 * Completes a claim. A failure is logged, not thrown: throwing would make the caller release the claim
 * (or Lambda retry) after the change was made; an unfinished claim merely holds off duplicates until
 * its lock expires, and a later run re-reads the state anyway.
 */
async function completeQuietly(ports: OrchestratorPorts, key: string, outcome: string): Promise<void> {
  try {
    await ports.idempotency.complete(key, outcome, ports.now());
  } catch (err) {
    ports.log('error', 'idempotency claim not completed', { key, outcome, error: describeError(err) });
  }
}

async function releaseQuietly(ports: OrchestratorPorts, key: string): Promise<void> {
  try {
    await ports.idempotency.release(key);
  } catch (err) {
    ports.log('error', 'idempotency claim not released; a retry will wait for it to expire', {
      key,
      error: describeError(err),
    });
  }
}

/** `Name: message`, bounded to 500 characters, for reasons and logs. */
export const describeError = (err: unknown): string => describe(err, 500);
