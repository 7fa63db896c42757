/**
 * Whether a call was made by one of vigil's own member roles, and whether it is a call that role
 * exists to make. The one implementation of vigil's loop guard: triage, remediation (and through it
 * `npm run plan`), `npm run replay` and the `vigil-remediation-role-misused` predicate all ask here.
 *
 * Identity is exact: the session issuer's ARN must equal `arn:aws:iam::<account>:role/<name>` (no IAM
 * path), the issuer's account must be the event's account and be in the inventory. A session name, an
 * IAM path, an SSO session or a role of the same name elsewhere that only looks like vigil is not
 * vigil: those calls are reported like anyone else's. Pure: no SDK, no environment, no clock.
 */
import { roleArn } from '../config/naming';
import { isRecord } from '../rules/json';

/** One of vigil's member roles and the calls it is for. */
export interface VigilRole {
  /** Role name, e.g. `<prefix>-remediation` (config/naming.ts). */
  readonly name: string;
  /** What the role is for, in alerts: `remediation`, `undo`. */
  readonly purpose: string;
  /**
   * `eventSource:eventName` of every call the role is meant to make, e.g.
   * `ec2.amazonaws.com:RevokeSecurityGroupIngress` (derived from the remediation registry, see
   * handlers/core/own-calls.ts).
   */
  readonly calls: ReadonlySet<string>;
}

/** vigil's member roles whose calls the loop guard and the misuse detection look at. */
export interface VigilRoles {
  /** The automatic remediation role: its corrective calls are never alerted (loop guard). */
  readonly remediation: VigilRole;
  /** The approval-gated undo role: its undo calls alert as usual, other calls are misuse. */
  readonly undo: VigilRole;
}

/** The parts of an EventBridge CloudTrail event read here (read defensively: any field may be missing). */
export interface CallerEvent {
  readonly account: string;
  readonly detail?: {
    readonly eventSource?: unknown;
    readonly eventName?: unknown;
    readonly recipientAccountId?: unknown;
    readonly userIdentity?: unknown;
  };
}

/** A call by one of vigil's roles, recognised by exact ARN. */
export interface VigilRoleCall {
  readonly role: VigilRole;
  /** The issuer ARN the call was recognised by. */
  readonly arn: string;
  /** Whether the call is one the role exists to make (`eventSource:eventName` in `role.calls`). */
  readonly expected: boolean;
}

/** The key of a call in {@link VigilRole.calls}. */
export const callKey = (eventSource: string, eventName: string): string => `${eventSource}:${eventName}`;

/**
 * The vigil role that made this call, by exact ARN, or undefined. The issuer must be a role (`type:
 * Role`) of the event's own account, that account must be in `accountIds`, and the issuer ARN must be
 * exactly `arn:aws:iam::<account>:role/<role name>`.
 */
export function vigilRoleCall(
  event: CallerEvent,
  accountIds: ReadonlySet<string>,
  roles: readonly VigilRole[],
): VigilRoleCall | undefined {
  const detail = event.detail;
  if (!isRecord(detail)) return undefined;
  const who = detail.userIdentity;
  if (!isRecord(who) || who['type'] !== 'AssumedRole') return undefined;
  const context = who['sessionContext'];
  const issuer = isRecord(context) ? context['sessionIssuer'] : undefined;
  if (!isRecord(issuer) || issuer['type'] !== 'Role') return undefined;
  const account = issuer['accountId'];
  const arn = issuer['arn'];
  if (typeof account !== 'string' || typeof arn !== 'string') return undefined;
  // vigil assumes its role in the account it acts in: a vigil-named role of another account is not vigil's.
  if (account !== event.account || !accountIds.has(account)) return undefined;
  if (detail.recipientAccountId !== undefined && detail.recipientAccountId !== event.account) return undefined;
  const role = roles.find((r) => arn === roleArn(account, r.name));
  if (!role) return undefined;
  const { eventSource, eventName } = detail;
  const expected =
    typeof eventSource === 'string' && typeof eventName === 'string' && role.calls.has(callKey(eventSource, eventName));
  return { role, arn, expected };
}

/**
 * The loop guard: whether this is a corrective call made by vigil's own remediation role. Such calls
 * are the fix; alerting or acting on them would answer a fix with a fix. Every other call of that
 * role is reported (see the `vigilRoleMisused` predicate).
 */
export function isOwnCorrectiveCall(
  event: CallerEvent,
  accountIds: ReadonlySet<string>,
  remediation: VigilRole,
): boolean {
  return vigilRoleCall(event, accountIds, [remediation])?.expected === true;
}

/**
 * Whether the caller's session issuer is named like one of the roles (its `userName`, or the last
 * part of its ARN): true for vigil's roles and for look-alikes (an IAM path, another account).
 */
export function namedLikeVigilRole(event: CallerEvent, roles: readonly VigilRole[]): boolean {
  const who = event.detail?.userIdentity;
  const context = isRecord(who) ? who['sessionContext'] : undefined;
  const issuer = isRecord(context) ? context['sessionIssuer'] : undefined;
  if (!isRecord(issuer)) return false;
  const names = [issuer['userName'], typeof issuer['arn'] === 'string' ? issuer['arn'].split('/').pop() : undefined];
  return roles.some((r) => names.includes(r.name));
}
