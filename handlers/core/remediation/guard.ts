/**
 * Safety rails that stand before any remediation: the loop guard (never act on what vigil itself
 * did, never act outside the organization), the circuit breaker, the kill switch, and the
 * idempotency key. Pure decisions over facts the adapters fetched; no SDK, no environment, no clock.
 */
import type { CircuitBreakerSettings } from '../../../config/remediation';
import type { CloudTrailUserIdentity } from '../../../rules/predicates';
import type { RemediationId } from '../../../rules/types';
import { isOwnCorrectiveCall, type VigilRole } from '../../../rules/vigil-roles';
import { cloudTrailCallsOf } from '../own-calls';
import { REMEDIATION_ROLE_ACTIONS } from './role-actions';

/** The parts of an EventBridge CloudTrail event the guards read. */
export interface GuardedEvent {
  readonly id: string;
  readonly account: string;
  readonly detail?: {
    readonly eventID?: string;
    readonly eventSource?: string;
    readonly eventName?: string;
    readonly recipientAccountId?: string;
    readonly userIdentity?: CloudTrailUserIdentity;
  };
}

export interface GuardContext {
  /** Every account id of the inventory. */
  readonly accountIds: ReadonlySet<string>;
  /** Name of vigil's remediation role in member accounts (`<namePrefix>-remediation`). */
  readonly remediationRoleName: string;
}

export type GuardResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** The corrective calls of the remediation role (the loop guard's, see rules/vigil-roles.ts). */
const CORRECTIVE_CALLS = cloudTrailCallsOf(REMEDIATION_ROLE_ACTIONS);

/**
 * Refuses events vigil must not act on: corrective calls of its own remediation role (acting on them
 * would answer a fix with a fix, for ever; recognised by exact ARN by the one loop guard, so a
 * look-alike or another call of that role is acted on) and events from accounts outside the inventory
 * (vigil holds no mandate there; the role would not exist or, worse, would belong to someone else).
 */
export function checkEventGuards(event: GuardedEvent, ctx: GuardContext): GuardResult {
  const role: VigilRole = { name: ctx.remediationRoleName, purpose: 'remediation', calls: CORRECTIVE_CALLS };
  if (isOwnCorrectiveCall(event, ctx.accountIds, role)) {
    return {
      ok: false,
      reason: `event was caused by vigil's own remediation role ${role.name} (${event.detail?.userIdentity?.sessionContext?.sessionIssuer?.arn}); never acting on it prevents loops`,
    };
  }
  for (const [field, id] of [
    ['account', event.account],
    ['detail.recipientAccountId', event.detail?.recipientAccountId],
  ] as const) {
    if (id !== undefined && !ctx.accountIds.has(id)) {
      return {
        ok: false,
        reason: `${field} ${id} is not in the inventory (config/org.json); vigil acts only on its own accounts`,
      };
    }
  }
  return { ok: true };
}

/** Refuses a target in another account than the event's, or outside the inventory. */
export function checkTargetAccount(eventAccount: string, targetAccount: string, ctx: GuardContext): GuardResult {
  if (!ctx.accountIds.has(targetAccount)) {
    return { ok: false, reason: `target account ${targetAccount} is not in the inventory (config/org.json)` };
  }
  if (targetAccount !== eventAccount) {
    return { ok: false, reason: `target account ${targetAccount} differs from the event's account ${eventAccount}` };
  }
  return { ok: true };
}

/** The CloudTrail event id (stable across forwarding hops), else the EventBridge envelope id. */
export function eventIdOf(event: GuardedEvent): string {
  return event.detail?.eventID ?? event.id;
}

/**
 * Id of one remediation of one event: the idempotency key, the audit record id and the argument of
 * `npm run undo`. Keyed on the CloudTrail event id, which stays the same however often EventBridge,
 * SQS or Lambda deliver the event.
 */
export function actionIdFor(eventId: string, action: RemediationId): string {
  return `${eventId}:${action}`;
}

/** Counters of executed remediations in the current window, including the one being decided. */
export interface BreakerCounts {
  readonly account: number;
  readonly org: number;
}

export type BreakerDecision =
  | { readonly tripped: false }
  | { readonly tripped: true; readonly scope: 'account' | 'organization'; readonly reason: string };

/**
 * The breaker trips when this action would be number perAccount + 1 in its account, or orgWide + 1
 * in the organization, within the window. A burst of fixes is either an attack being cleaned up,
 * which a human should watch, or vigil misbehaving, which a human should stop.
 */
export function breakerDecision(
  accountId: string,
  counts: BreakerCounts,
  limits: CircuitBreakerSettings,
): BreakerDecision {
  if (counts.account > limits.perAccount) {
    return {
      tripped: true,
      scope: 'account',
      reason:
        `circuit breaker: ${counts.account - 1} remediations already ran in account ${accountId} in the last ` +
        `${limits.windowMinutes} min (limit ${limits.perAccount}); waiting for approval instead`,
    };
  }
  if (counts.org > limits.orgWide) {
    return {
      tripped: true,
      scope: 'organization',
      reason:
        `circuit breaker: ${counts.org - 1} remediations already ran in the organization in the last ` +
        `${limits.windowMinutes} min (limit ${limits.orgWide}); waiting for approval instead`,
    };
  }
  return { tripped: false };
}

/**
 * The fixed window `nowMs` falls in: its start (ISO, part of the counter key) and when its counters
 * may be deleted (DynamoDB TTL, epoch seconds; one extra window of slack because TTL deletion is lazy
 * and the key already moves on). Fixed windows allow up to twice the limit across a boundary; that is
 * accepted for a rail whose job is to stop runaways, not to meter.
 */
export function breakerWindow(
  nowMs: number,
  windowMinutes: number,
): { readonly start: string; readonly expiresAt: number } {
  const size = windowMinutes * 60_000;
  const start = Math.floor(nowMs / size) * size;
  return { start: new Date(start).toISOString(), expiresAt: Math.ceil((start + 2 * size) / 1000) };
}

/** What the kill-switch adapter saw. */
export type KillSwitchReading =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly error: string };

export type KillSwitchDecision = { readonly engaged: false } | { readonly engaged: true; readonly reason: string };

/**
 * The kill switch is engaged when the parameter says `on` or `true` (any case), and also when it
 * cannot be read or does not exist: a rail that fails open is no rail. The security stack creates the
 * parameter with the value `off`.
 */
export function killSwitchDecision(parameter: string, reading: KillSwitchReading): KillSwitchDecision {
  switch (reading.kind) {
    case 'value': {
      const v = reading.value.trim().toLowerCase();
      return v === 'on' || v === 'true'
        ? { engaged: true, reason: `kill switch ${parameter} is '${reading.value}': nothing is executed` }
        : { engaged: false };
    }
    case 'missing':
      return { engaged: true, reason: `kill switch ${parameter} does not exist; failing safe (treated as on)` };
    case 'unreadable':
      return {
        engaged: true,
        reason: `kill switch ${parameter} could not be read (${reading.error}); failing safe (treated as on)`,
      };
  }
}
