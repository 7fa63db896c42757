/**
 * The contract between remediate (the orchestrator) and remediate-member (the only function that may
 * assume the member accounts' roles). remediate invokes remediate-member synchronously with one small
 * request per member-account read or change, and gets one JSON response back. Pure: the request parser,
 * the response parser and the error (de)serialization are shared by both sides, so they cannot drift.
 *
 * Typed errors cross the hop as data (`{ ok: false, error }`), never as an unhandled Lambda error, so
 * the orchestrator sees the same `RemediationCallError` / `RemediationStateError` (permanent or not,
 * with the calls already completed) as when the adapters ran in its own process.
 */
import { createHash } from 'node:crypto';
import type { RemediationId } from '../../../rules/types';
import { MemberInvokeError, MemberRequestError } from '../../errors';
import type { ResourceTagsOutcome } from '../owner';
import { iamActionFor, REMEDIATIONS } from './registry';
import type { PlannedCall, RemediationService, RemediationTarget } from './types';

/** Which member role an `execute` request runs with: `<prefix>-remediation` or `<prefix>-remediation-undo`. */
export type MemberRole = 'remediation' | 'undo';

/** Resources whose tags are read (handlers/core/triage.ts TagLookup, restated to keep this module small). */
export interface MemberTagLookup {
  readonly accountId: string;
  readonly region: string;
  readonly arns: readonly string[];
}

/** What remediate asks remediate-member to do. */
export type MemberRequest =
  | { readonly op: 'read-state'; readonly target: RemediationTarget }
  | SignedExecuteRequest
  | { readonly op: 'read-tags'; readonly lookup: MemberTagLookup };

/**
 * What remediate asks to execute, before it is signed: the calls the planner produced (or undo derived
 * from the audit snapshot) for one action, and which member role runs them.
 */
export interface MemberExecuteInput {
  readonly accountId: string;
  /** The remediation the calls belong to: each call must be one its registry entry declares for `role`. */
  readonly action: RemediationId;
  readonly calls: readonly PlannedCall[];
  readonly role: MemberRole;
  readonly dryRun?: boolean;
  /** The audit action id (`<eventId>:<action>`) the calls were planned for: in the MAC and the logs. */
  readonly requestId: string;
}

/** An execute request as it crosses the hop: bound to a short lifetime and signed by remediate. */
export interface UnsignedExecuteRequest extends MemberExecuteInput {
  readonly op: 'execute';
  /** ISO 8601. remediate-member refuses the request at or after this instant. */
  readonly expiresAt: string;
}

/** {@link UnsignedExecuteRequest} with its MAC. */
export interface SignedExecuteRequest extends UnsignedExecuteRequest {
  /** Base64 HMAC-SHA-256 (the KMS request key) of {@link memberRequestMessage}. */
  readonly mac: string;
}

/** What an `execute` request returns (handlers/adapters/remediation/execute.ts ExecutionResult, as JSON). */
export interface MemberExecution {
  readonly dryRun: boolean;
  readonly calls: ReadonlyArray<{
    readonly call: PlannedCall;
    readonly outcome: 'done' | 'already-done' | 'would-call';
    readonly code?: string;
  }>;
}

/** What remediate-member returns. `result` is the adapter's result as JSON. */
export type MemberResponse =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: SerializedMemberError };

/**
 * The member I/O remediate needs: implemented in process by handlers/adapters/remediation/member-io.ts
 * (remediate-member, tests) and over Lambda by handlers/adapters/remediation/member-client.ts (remediate).
 */
export interface MemberIo {
  /** The target's current state (the action's state type). Throws `RemediationStateError`. */
  readState(target: RemediationTarget): Promise<unknown>;
  /** Sends the calls in order with the role. Throws `RemediationCallError` at the first failure. */
  execute(request: MemberExecuteInput): Promise<MemberExecution>;
  /** Tags of the resources; never throws (`unavailable` is an answer). */
  readTags(lookup: MemberTagLookup): Promise<ResourceTagsOutcome>;
}

// ---------------------------------------------------------------------------------------------
// Requests

/** At most this many ARNs per tag lookup (handlers/core/triage.ts MAX_TAG_LOOKUP_ARNS; a test ties them). */
export const MAX_MEMBER_TAG_ARNS = 20;
/** At most this many calls per `execute` (plans and undos make a handful). */
export const MAX_MEMBER_CALLS = 50;

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const SERVICES: ReadonlySet<string> = new Set<RemediationService>([
  'cloudtrail',
  'config',
  'ec2',
  'events',
  'iam',
  'kms',
  's3',
  's3control',
]);

export type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Refuses keys other than `allowed`: an unexpected field means the two sides disagree on the contract. */
function onlyKeys(o: Obj, allowed: readonly string[], where: string): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new MemberRequestError(`${where}: unexpected field(s) ${extra.join(', ')}`);
}

function accountId(v: unknown, where: string): string {
  if (typeof v !== 'string' || !ACCOUNT_ID.test(v)) throw new MemberRequestError(`${where}: expected 12 digits`);
  return v;
}

function region(v: unknown, where: string): string {
  if (typeof v !== 'string' || !REGION.test(v)) throw new MemberRequestError(`${where}: expected an AWS region`);
  return v;
}

function target(v: unknown): RemediationTarget {
  if (!isObject(v)) throw new MemberRequestError('target: expected an object');
  onlyKeys(v, ['action', 'accountId', 'region', 'resourceId', 'details'], 'target');
  if (typeof v['action'] !== 'string' || !Object.hasOwn(REMEDIATIONS, v['action'])) {
    throw new MemberRequestError(`target.action: expected a known remediation, got '${String(v['action'])}'`);
  }
  if (typeof v['resourceId'] !== 'string' || v['resourceId'] === '') {
    throw new MemberRequestError('target.resourceId: expected a non-empty string');
  }
  if (!isObject(v['details'])) throw new MemberRequestError('target.details: expected an object');
  return {
    action: v['action'] as RemediationId,
    accountId: accountId(v['accountId'], 'target.accountId'),
    region: region(v['region'], 'target.region'),
    resourceId: v['resourceId'],
    details: v['details'],
  };
}

function calls(v: unknown, isSupported: (c: Pick<PlannedCall, 'service' | 'operation'>) => boolean): PlannedCall[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_MEMBER_CALLS) {
    throw new MemberRequestError(`calls: expected 1 to ${MAX_MEMBER_CALLS} calls`);
  }
  return v.map((c, i): PlannedCall => {
    const where = `calls[${i}]`;
    if (!isObject(c)) throw new MemberRequestError(`${where}: expected an object`);
    onlyKeys(c, ['service', 'operation', 'input', 'region'], where);
    if (typeof c['service'] !== 'string' || !SERVICES.has(c['service']) || typeof c['operation'] !== 'string') {
      throw new MemberRequestError(`${where}: expected a remediation service and an operation`);
    }
    const call = { service: c['service'] as RemediationService, operation: c['operation'] };
    // Checked before anything is sent: a request the executor cannot finish must not start.
    if (!isSupported(call)) {
      throw new MemberRequestError(`${where}: ${call.service}:${call.operation} is not in the executor's table`);
    }
    if (!isObject(c['input'])) throw new MemberRequestError(`${where}.input: expected an object`);
    return { ...call, input: c['input'], region: region(c['region'], `${where}.region`) };
  });
}

function lookup(v: unknown): MemberTagLookup {
  if (!isObject(v)) throw new MemberRequestError('lookup: expected an object');
  onlyKeys(v, ['accountId', 'region', 'arns'], 'lookup');
  const arns = v['arns'];
  if (
    !Array.isArray(arns) ||
    arns.length > MAX_MEMBER_TAG_ARNS ||
    !arns.every((a) => typeof a === 'string' && a.startsWith('arn:'))
  ) {
    throw new MemberRequestError(`lookup.arns: expected at most ${MAX_MEMBER_TAG_ARNS} ARNs`);
  }
  return {
    accountId: accountId(v['accountId'], 'lookup.accountId'),
    region: region(v['region'], 'lookup.region'),
    arns: arns as string[],
  };
}

/**
 * Checks a request strictly: a known `op`, exactly its fields, 12-digit account ids, a known action,
 * and only calls `isSupported` accepts (the executor's table, passed in so this module stays pure).
 * @throws MemberRequestError naming the first problem
 */
export function parseMemberRequest(
  input: unknown,
  isSupported: (c: Pick<PlannedCall, 'service' | 'operation'>) => boolean,
): MemberRequest {
  if (!isObject(input)) throw new MemberRequestError('expected a JSON object');
  switch (input['op']) {
    case 'read-state':
      onlyKeys(input, ['op', 'target'], 'read-state');
      return { op: 'read-state', target: target(input['target']) };
    case 'execute': {
      onlyKeys(
        input,
        ['op', 'accountId', 'action', 'calls', 'role', 'dryRun', 'requestId', 'expiresAt', 'mac'],
        'execute',
      );
      const text = (key: string, pattern: RegExp, what: string): string => {
        const v = input[key];
        if (typeof v !== 'string' || !pattern.test(v)) throw new MemberRequestError(`execute.${key}: expected ${what}`);
        return v;
      };
      // First: an unsigned request was not built by remediate, whatever else it holds.
      const mac = text(
        'mac',
        /^[A-Za-z0-9+/]{40,100}={0,2}$/,
        "remediate's base64 MAC of the request (execute requests are signed with the member request key)",
      );
      const role = input['role'];
      if (role !== 'remediation' && role !== 'undo') {
        throw new MemberRequestError("execute.role: expected 'remediation' or 'undo'");
      }
      const dryRun = input['dryRun'];
      if (dryRun !== undefined && typeof dryRun !== 'boolean') {
        throw new MemberRequestError('execute.dryRun: expected a boolean');
      }
      const action = input['action'];
      if (typeof action !== 'string' || !Object.hasOwn(REMEDIATIONS, action)) {
        throw new MemberRequestError(
          `execute.action: expected a known remediation, got '${String(action).slice(0, 60)}'`,
        );
      }
      return {
        op: 'execute',
        accountId: accountId(input['accountId'], 'execute.accountId'),
        action: action as RemediationId,
        calls: calls(input['calls'], isSupported),
        role,
        ...(dryRun === undefined ? {} : { dryRun }),
        requestId: text('requestId', /^[\x21-\x7e]{1,300}$/, 'the action id the calls were planned for'),
        expiresAt: text('expiresAt', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'an ISO 8601 UTC instant'),
        mac,
      };
    }
    case 'read-tags':
      onlyKeys(input, ['op', 'lookup'], 'read-tags');
      return { op: 'read-tags', lookup: lookup(input['lookup']) };
    default:
      throw new MemberRequestError(
        `op: expected 'read-state', 'execute' or 'read-tags', got '${String(input['op']).slice(0, 40)}'`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// Authorization: what remediate-member checks before it acts

/**
 * Lifetime of a signed execute request. remediate signs just before the invoke; the SDK's retries of a
 * throttled invoke (MEMBER_CLIENT_CONFIG) and one member timeout fit well inside it, and a captured
 * request is useless soon after.
 */
export const MEMBER_REQUEST_TTL_MS = 5 * 60_000;

/** Allowed difference between the two functions' clocks when checking an expiry. */
const CLOCK_SKEW_MS = 60_000;

/**
 * JSON with object keys sorted at every level: the same value always gives the same text, whatever
 * order its keys were built in (MAC input; the approver saw exactly these calls).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
        )
      : v,
  );
}

/**
 * The message remediate signs and remediate-member verifies for an execute request: a versioned SHA-256
 * of every field that says what runs where (account, action, role, calls, dry-run, request id, expiry).
 * A digest because KMS MAC messages are limited to 4,096 bytes (GenerateMac API reference) and fifty
 * calls with their inputs can exceed that.
 */
export function memberRequestMessage(request: UnsignedExecuteRequest): string {
  const fields = {
    accountId: request.accountId,
    action: request.action,
    calls: request.calls,
    dryRun: request.dryRun ?? false,
    expiresAt: request.expiresAt,
    op: 'execute',
    requestId: request.requestId,
    role: request.role,
  };
  return `vigil-remediate-member-request:v1:${createHash('sha256').update(canonicalJson(fields)).digest('hex')}`;
}

/** The IAM actions a member role may use for an action: the registry's `iamActions` or `undoIamActions`. */
export function allowedMemberActions(action: RemediationId, role: MemberRole): readonly string[] {
  const def = REMEDIATIONS[action];
  return role === 'remediation' ? def.iamActions : def.undoIamActions;
}

/** What remediate-member decides a request with. */
export interface MemberRequestAuthority {
  /** Every account id of the inventory (the account view of the inventory table). */
  readonly accountIds: ReadonlySet<string>;
  /**
   * Accounts where vigil reads but never changes: the management account unless the inventory sets
   * `remediateManagementAccount` (no SCP protects it; remediation there is `notify`).
   */
  readonly readOnlyAccountIds: ReadonlySet<string>;
  readonly now: Date;
  /** Whether `mac` is the request key's MAC of `message` (KMS VerifyMac). Throws only when it cannot tell. */
  readonly verifyMac: (message: string, mac: string) => Promise<boolean>;
}

/**
 * Refuses a request remediate-member must not act on. Every op: the account is in the inventory (the
 * member roles exist in other accounts too, e.g. a former member's). Execute also: the account is not
 * read-only (the management account without the opt-in), every call is one the
 * registry declares for the action and role (a fix never re-opens, an undo never does more than undo),
 * the request has not expired, and its MAC is valid: only the remediate function's role may generate
 * MACs with the request key, so a request built by anyone else, or changed on the way, is refused.
 * @throws MemberRequestError naming the first problem; nothing has been sent then
 */
export async function authorizeMemberRequest(request: MemberRequest, authority: MemberRequestAuthority): Promise<void> {
  const account =
    request.op === 'read-state'
      ? request.target.accountId
      : request.op === 'read-tags'
        ? request.lookup.accountId
        : request.accountId;
  if (!authority.accountIds.has(account)) {
    throw new MemberRequestError(
      `${request.op}: account ${account} is not in the inventory (the account view of the inventory table); ` +
        'onboard it with `npm run onboard -- <account-id>` (config/org.json, then a deploy of the security stack)',
    );
  }
  if (request.op !== 'execute') return;
  if (authority.readOnlyAccountIds.has(account)) {
    throw new MemberRequestError(
      `execute: account ${account} is the management account, where vigil only reads and notifies; set ` +
        '"remediateManagementAccount": true in the inventory and redeploy to let it change anything there',
    );
  }
  const allowed = allowedMemberActions(request.action, request.role);
  request.calls.forEach((c, i) => {
    const needs = iamActionFor(c);
    if (!allowed.includes(needs)) {
      throw new MemberRequestError(
        `calls[${i}]: ${c.service}:${c.operation} (${needs}) is not a ${request.role === 'undo' ? 'undo' : 'remediation'} ` +
          `call of ${request.action} (rules/ registry allows ${allowed.join(', ') || 'none'})`,
      );
    }
  });
  const expires = Date.parse(request.expiresAt);
  const now = authority.now.getTime();
  if (!(expires > now)) {
    throw new MemberRequestError(`execute: request ${request.requestId} expired at ${request.expiresAt}`);
  }
  if (expires > now + MEMBER_REQUEST_TTL_MS + CLOCK_SKEW_MS) {
    throw new MemberRequestError(
      `execute: request ${request.requestId} expires at ${request.expiresAt}, beyond the ${MEMBER_REQUEST_TTL_MS / 60_000}-minute lifetime`,
    );
  }
  const { mac, ...unsigned } = request;
  if (!(await authority.verifyMac(memberRequestMessage(unsigned), mac))) {
    throw new MemberRequestError(
      `execute: the MAC of request ${request.requestId} is not valid: only the remediate function may sign ` +
        'execute requests (kms:GenerateMac on the member request key)',
    );
  }
}

import { isSerializedError, type SerializedMemberError } from './member-errors';

export {
  deserializeMemberError,
  type SerializedCause,
  type SerializedMemberError,
  serializeMemberError,
} from './member-errors';

/**
 * Reads remediate-member's answer.
 * @throws MemberInvokeError (permanent) when the text is not the contract: the two sides disagree
 */
export function parseMemberResponse(text: string, op: string): MemberResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MemberInvokeError(`remediate-member answered ${op} with something that is not JSON`, {
      op,
      permanent: true,
    });
  }
  if (isObject(parsed) && parsed['ok'] === true && 'result' in parsed) return { ok: true, result: parsed['result'] };
  if (isObject(parsed) && parsed['ok'] === false && isSerializedError(parsed['error'])) {
    return { ok: false, error: parsed['error'] };
  }
  throw new MemberInvokeError(`remediate-member answered ${op} outside the contract: ${text.slice(0, 200)}`, {
    op,
    permanent: true,
  });
}
