/**
 * Named predicates for what an EventBridge pattern cannot express: fields that must be correlated
 * inside one array item (a CIDR and a port range of the same permission), policy documents that
 * CloudTrail records as JSON strings, and comparisons with the organization's account list.
 *
 * A detection names its predicate (`Detection.predicate`); the central rule's pattern runs first,
 * the predicate second (in the triage handler). Predicates are pure: no SDK, no environment, no
 * clock. They read the event defensively, because CloudTrail shapes vary between API versions,
 * and answer `false` when the event does not carry what they need.
 */

import {
  coversAddressSpace,
  modifiedRulePermissions,
  networkAclEntryPermissions,
  normaliseProtocol,
  opensAdminPortsToWorld,
  portRangeOf,
  reachesAdminPort,
  securityGroupPermissions,
} from './exposure';
import { SHARING_PREDICATES } from './sharing';
import { namedLikeVigilRole, type VigilRoles, vigilRoleCall } from './vigil-roles';
import {
  configSettingsWeaken,
  eventSelectorsDropManagementEvents,
  guardDutyDetectorWeakened,
  guardDutyFilterArchives,
  passwordPolicyWeakened,
  trailUpdateWeakens,
} from './weakening';

/** The parts of a CloudTrail `userIdentity` the predicates read. */
export interface CloudTrailUserIdentity {
  readonly type?: string;
  readonly arn?: string;
  readonly accountId?: string;
  readonly userName?: string;
  readonly invokedBy?: string;
  readonly sessionContext?: {
    readonly sessionIssuer?: {
      readonly type?: string;
      readonly arn?: string;
      readonly accountId?: string;
      readonly userName?: string;
    };
  };
  readonly [key: string]: unknown;
}

/** A CloudTrail record, as carried in `detail` of an `AWS API Call via CloudTrail` event. */
export interface CloudTrailRecord {
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion?: string;
  readonly eventType?: string;
  readonly userIdentity?: CloudTrailUserIdentity;
  readonly requestParameters?: Record<string, unknown> | null;
  readonly responseElements?: Record<string, unknown> | null;
  readonly errorCode?: string;
  readonly recipientAccountId?: string;
  readonly [key: string]: unknown;
}

/** An EventBridge envelope around a CloudTrail record. */
export interface CloudTrailEventBridgeEvent {
  readonly version?: string;
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources?: readonly string[];
  readonly detail: CloudTrailRecord;
}

/** What predicates may know besides the event: facts from the reviewed org inventory. */
export interface PredicateContext {
  /** Every account id of the organization (from `config/org.json`). */
  readonly organizationAccountIds: ReadonlySet<string>;
  /** The organization id (`o-...`), to recognise `aws:PrincipalOrgID` conditions. */
  readonly organizationId: string;
  /**
   * vigil's member roles and the calls each is for (built by `makePredicateContext` in
   * handlers/core/own-calls.ts): the loop guard and {@link vigilRoleMisused} read them.
   */
  readonly vigilRoles: VigilRoles;
  /** Name of vigil's central bus (config/naming.ts `centralBusName`): any change to its policy is a finding. */
  readonly centralBusName: string;
  /**
   * vigil's findings function (issue #15): its role, in the security account, moves the workflow of vigil's
   * own findings in Security Hub (SUPPRESSED on a responder's verdict), which {@link findingsSuppressedByHand}
   * does not report.
   */
  readonly findingsExporter: { readonly accountId: string; readonly roleName: string };
}

/** A pure decision over one event. */
export type Predicate = (event: CloudTrailEventBridgeEvent, ctx: PredicateContext) => boolean;

// ---------------------------------------------------------------------------------------------
// Small readers

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** CloudTrail renders a one-element list as an object and a longer one as an array; accept both. */
const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

const asStrings = (v: unknown): string[] => asArray(v).filter((s): s is string => typeof s === 'string');

const params = (event: CloudTrailEventBridgeEvent): Json =>
  isObject(event.detail.requestParameters) ? event.detail.requestParameters : {};

// ---------------------------------------------------------------------------------------------
// Policy documents

/** The parts of an IAM policy document the predicates read. */
export interface PolicyStatement {
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly Condition?: unknown;
}

/**
 * Parses a policy document as CloudTrail records it. IAM request parameters carry the document as
 * a JSON string (`requestParameters.policyDocument`, `assumeRolePolicyDocument`, often with
 * newlines), IAM response elements carry it URL-encoded (`%7B%22Version%22...`), and S3 records
 * `bucketPolicy` as an object. Returns the statements, or `undefined` when nothing parses.
 */
export function policyStatements(raw: unknown): PolicyStatement[] | undefined {
  const doc = parsePolicyDocument(raw);
  if (!doc) return undefined;
  return asArray(doc['Statement']).filter(isObject) as PolicyStatement[];
}

/** The document as an object (see `policyStatements` for the encodings it accepts). */
export function parsePolicyDocument(raw: unknown): Json | undefined {
  if (isObject(raw)) return raw;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  const attempts = [text];
  if (/%[0-9A-Fa-f]{2}/.test(text)) {
    try {
      attempts.push(decodeURIComponent(text.replace(/\+/g, '%20')));
    } catch {
      // Not valid percent-encoding: the plain attempt is all there is.
    }
  }
  for (const attempt of attempts) {
    try {
      const parsed: unknown = JSON.parse(attempt);
      if (isObject(parsed)) return parsed;
    } catch {
      // Try the next encoding.
    }
  }
  return undefined;
}

const isAllow = (s: PolicyStatement): boolean => String(s.Effect ?? '').toLowerCase() === 'allow';

const ADMIN_ACTIONS = new Set(['*', '*:*', 'iam:*']);

/** An Allow statement granting `*`, `iam:*`, or everything but a few actions on every resource. */
function grantsAdmin(s: PolicyStatement): boolean {
  if (!isAllow(s)) return false;
  if (asStrings(s.Action).some((a) => ADMIN_ACTIONS.has(a.trim().toLowerCase()))) return true;
  // Allow + NotAction on "*" grants every action except the listed ones: admin in all but name.
  return s.NotAction !== undefined && asStrings(s.Resource).includes('*');
}

/** Principal values of a statement, e.g. `*`, account ids, ARNs (service principals excluded). */
function awsPrincipals(principal: unknown): string[] {
  if (principal === '*') return ['*'];
  if (!isObject(principal)) return [];
  return asStrings(principal['AWS']);
}

const ACCOUNT_IN_ARN = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/;

/** The account id a principal value names, `*` for everyone, `undefined` when it cannot tell. */
function principalAccount(value: string): string | undefined {
  const v = value.trim();
  if (v === '*') return '*';
  if (/^\d{12}$/.test(v)) return v;
  return ACCOUNT_IN_ARN.exec(v)?.[1];
}

/** Condition keys that pin a grant to known principals or sources (lower case). */
const ACCOUNT_KEYS = new Set(['aws:principalaccount', 'aws:sourceaccount', 'aws:resourceaccount']);
const ORG_KEYS = new Set(['aws:principalorgid', 'aws:sourceorgid', 'aws:resourceorgid']);
const ARN_KEYS = new Set(['aws:principalarn', 'aws:sourcearn']);
const NETWORK_KEYS = new Set(['aws:sourcevpc', 'aws:sourcevpce', 'aws:sourceip', 'aws:vpcsourceip']);
const OTHER_PINNING_KEYS = new Set([
  'aws:principalorgpaths',
  'aws:sourceorgpaths',
  'aws:userid',
  'aws:sourceowner',
  's3:dataaccesspointaccount',
  's3:dataaccesspointarn',
]);

/** Condition operators that pin a value (the negated and `...IfExists` forms do not). */
const isPinningOperator = (op: string): boolean => !/^(?:for(?:any|all)value:)?(?:string|arn)?not|ifexists$/i.test(op);

interface ConditionPin {
  readonly key: string;
  readonly values: string[];
}

function conditionPins(condition: unknown): ConditionPin[] {
  if (!isObject(condition)) return [];
  const pins: ConditionPin[] = [];
  for (const [op, block] of Object.entries(condition)) {
    if (!isPinningOperator(op) || !isObject(block)) continue;
    for (const [key, value] of Object.entries(block)) pins.push({ key: key.toLowerCase(), values: asStrings(value) });
  }
  return pins;
}

/** Network conditions that together admit the whole internet (one `/0`, or a union such as two `/1`s). */
const admitsWorld = (values: readonly string[]): boolean =>
  values.some((v) => /\/0$/.test(v.trim())) || coversAddressSpace(values, 'v4') || coversAddressSpace(values, 'v6');

/**
 * Whether a condition confines a `*` grant to the organization (trust policies): a pin to the org
 * id, or to accounts / principal ARNs that are all in the organization.
 */
function confinedToOrganization(
  condition: unknown,
  ctx: Pick<PredicateContext, 'organizationAccountIds' | 'organizationId'>,
): boolean {
  return conditionPins(condition).some(({ key, values }) => {
    if (values.length === 0) return false;
    if (ORG_KEYS.has(key)) return values.every((v) => v === ctx.organizationId);
    if (ACCOUNT_KEYS.has(key)) return values.every((v) => ctx.organizationAccountIds.has(v));
    if (ARN_KEYS.has(key)) {
      return values.every((v) => {
        const account = principalAccount(v);
        return account !== undefined && ctx.organizationAccountIds.has(account);
      });
    }
    return false;
  });
}

/**
 * Whether a condition confines a grant to known principals, accounts, networks or sources, which
 * S3 does not consider public (the S3 "public" definition: fixed values of these keys).
 */
function confinedForS3(condition: unknown): boolean {
  return conditionPins(condition).some(({ key, values }) => {
    if (values.length === 0 || values.some((v) => v.includes('*'))) return false;
    if (NETWORK_KEYS.has(key)) return !admitsWorld(values);
    return ORG_KEYS.has(key) || ACCOUNT_KEYS.has(key) || ARN_KEYS.has(key) || OTHER_PINNING_KEYS.has(key);
  });
}

// ---------------------------------------------------------------------------------------------
// Predicates

/** `Put{User,Role,Group}Policy` whose inline document allows `*`, `*:*` or `iam:*` (or Allow+NotAction on `*`). */
export function inlinePolicyGrantsAdmin(event: CloudTrailEventBridgeEvent): boolean {
  return policyGrantsAdmin(params(event)['policyDocument']);
}

/** Whether a policy document (any encoding `policyStatements` reads) grants admin, as {@link inlinePolicyGrantsAdmin} decides. */
export function policyGrantsAdmin(raw: unknown): boolean {
  return policyStatements(raw)?.some(grantsAdmin) ?? false;
}

/**
 * `UpdateAssumeRolePolicy` / `CreateRole` whose trust policy lets in everyone (`*`, `{"AWS": "*"}`,
 * or `NotPrincipal` with Allow) without confining it to the organization, or names an AWS account
 * outside the organization. The event's own account always counts as inside.
 */
export function trustPolicyAllowsOutsideOrg(event: CloudTrailEventBridgeEvent, ctx: PredicateContext): boolean {
  const p = params(event);
  const statements = policyStatements(p['policyDocument'] ?? p['assumeRolePolicyDocument']);
  if (!statements) return false;
  return admitsOutsideOrganization(statements, insideOf(event, ctx), ctx);
}

/** Whether an account id is inside the organization (the event's own account always is). */
export const insideOf =
  (event: CloudTrailEventBridgeEvent, ctx: Pick<PredicateContext, 'organizationAccountIds'>) =>
  (account: string): boolean =>
    account === (event.detail.recipientAccountId ?? event.account) || ctx.organizationAccountIds.has(account);

/**
 * What of one statement lets in someone outside the organization: `statement` for an Allow with
 * `NotPrincipal` (everyone but a few: no single principal to take out), else the AWS principal values
 * (`*` not confined to the organization by a condition, account ids and IAM/STS ARNs of accounts outside
 * it), empty when none. The test of {@link trustPolicyAllowsOutsideOrg} per statement, exported for the
 * remediation that removes exactly these principals.
 */
export function outsidePrincipals(
  s: PolicyStatement,
  inside: (account: string) => boolean,
  ctx: Pick<PredicateContext, 'organizationAccountIds' | 'organizationId'>,
): 'statement' | string[] {
  if (!isAllow(s)) return [];
  if (s.NotPrincipal !== undefined) return 'statement';
  return awsPrincipals(s.Principal).filter((value) => {
    const account = principalAccount(value);
    if (account === '*') return !confinedToOrganization(s.Condition, ctx);
    return account !== undefined && !inside(account);
  });
}

/**
 * Whether an Allow statement lets in everyone (`*`, or `NotPrincipal`) without confining it to the
 * organization, or names an AWS account outside it.
 */
function admitsOutsideOrganization(
  statements: readonly PolicyStatement[],
  inside: (account: string) => boolean,
  ctx: PredicateContext,
): boolean {
  return statements.some((s) => {
    const outside = outsidePrincipals(s, inside, ctx);
    return outside === 'statement' || outside.length > 0;
  });
}

/**
 * `PutPermission` / `RemovePermission` on an event bus that is a finding:
 * - any change to vigil's central bus (by anyone but the deploy role, which the pattern excludes): it can
 *   let outside accounts inject events or cut members off;
 * - on any other bus, a permission that admits everyone (`*`) without confining it to the organization,
 *   or names an account outside it, given as a policy document or as the legacy `principal` / `condition`
 *   parameters.
 * Removing a permission elsewhere narrows access and is not a finding. A request that cannot be read is
 * (fail open).
 */
export function busPermissionIsFinding(event: CloudTrailEventBridgeEvent, ctx: PredicateContext): boolean {
  if (!isObject(event.detail.requestParameters)) return true;
  const p = params(event);
  const bus = typeof p['eventBusName'] === 'string' ? p['eventBusName'] : 'default';
  if (bus === ctx.centralBusName || bus.endsWith(`:event-bus/${ctx.centralBusName}`)) return true;
  if (event.detail.eventName === 'RemovePermission') return false;
  const inside = insideOf(event, ctx);
  if (p['policy'] !== undefined) {
    const statements = policyStatements(p['policy']);
    return statements ? admitsOutsideOrganization(statements, inside, ctx) : true;
  }
  const principal = p['principal'];
  if (typeof principal !== 'string') return true;
  if (principal === '*') {
    const condition = isObject(p['condition']) ? p['condition'] : {};
    const key = typeof condition['key'] === 'string' ? condition['key'].toLowerCase() : '';
    return !(key === 'aws:principalorgid' && condition['value'] === ctx.organizationId);
  }
  return !inside(principal);
}

/**
 * `CreateAccessKey` / `CreateLoginProfile` / `UpdateLoginProfile` naming a user other than the
 * caller. Without `userName` the call acts on the caller itself. Callers that are not IAM users
 * (roles, federated sessions, root) have no user of their own, so any named user is another user.
 */
export function targetsAnotherUser(event: CloudTrailEventBridgeEvent): boolean {
  const target = params(event)['userName'];
  if (typeof target !== 'string' || target === '') return false;
  const who = event.detail.userIdentity;
  if (who?.type !== 'IAMUser') return true;
  const self = who.userName ?? who.arn?.split(':user/')[1]?.split('/').pop();
  return self !== target;
}

/**
 * Whether a permission covers SSH or RDP: protocol `-1` (all traffic, ports ignored) or a TCP/UDP
 * port range containing 22 or 3389. A missing or `-1` range means all ports. (The reader of
 * rules/exposure.ts, for callers that hold the three fields of one rule.)
 */
export function coversAdminPort(protocol: unknown, fromPort: unknown, toPort: unknown): boolean {
  const protocolName = normaliseProtocol(protocol);
  return reachesAdminPort({
    direction: 'ingress',
    protocol: protocolName,
    ...portRangeOf(protocolName, fromPort, toPort),
    cidrs: { v4: [], v6: [] },
    source: 'request',
  });
}

/**
 * `AuthorizeSecurityGroupIngress` adding rules that open SSH, RDP or all ports to the internet: the
 * CIDRs reaching one admin port (each with the ports of its own permission) cover the whole IPv4 or
 * IPv6 space, `0.0.0.0/0` alone or blocks adding up to it. Reads every shape rules/exposure.ts
 * normalises: `ipPermissions.items[]` (console, CLI, SDKs), the legacy flat request, one-element lists
 * as objects, ports as strings, and the response's rule set when the request was truncated.
 */
export function ingressOpensAdminPortsToWorld(event: CloudTrailEventBridgeEvent): boolean {
  return opensAdminPortsToWorld(securityGroupPermissions(event.detail, 'ingress'));
}

/**
 * `ModifySecurityGroupRules` changing rules so that they open SSH, RDP or all ports to the internet
 * (the union of the request's rules per admin port, as for {@link ingressOpensAdminPortsToWorld}).
 * CloudTrail records the request in PascalCase under `ModifySecurityGroupRulesRequest`, with one
 * `SecurityGroupRule` entry (object, or array when several) per modified rule.
 */
export function modifiedRuleOpensAdminPortsToWorld(event: CloudTrailEventBridgeEvent): boolean {
  return opensAdminPortsToWorld(modifiedRulePermissions(event.detail));
}

/**
 * `CreateNetworkAclEntry` / `ReplaceNetworkAclEntry` adding an ingress `allow` entry from the internet
 * (`0.0.0.0/0`, `::/0`) to SSH, RDP or all ports (protocol `-1`). Deny and egress entries allow
 * nothing in.
 */
export function networkAclEntryOpensAdminPortsToWorld(event: CloudTrailEventBridgeEvent): boolean {
  return opensAdminPortsToWorld(networkAclEntryPermissions(event.detail));
}

/**
 * `PutBucketPolicy` with an Allow statement for everyone (`*` or `{"AWS": "*"}`) that no condition
 * confines to known principals, accounts, networks or sources.
 */
export function bucketPolicyIsPublic(event: CloudTrailEventBridgeEvent): boolean {
  const statements = policyStatements(params(event)['bucketPolicy']);
  return statements?.some(isPublicBucketPolicyStatement) ?? false;
}

/**
 * A bucket policy statement that makes the bucket public: Allow for everyone (`*` or `{"AWS": "*"}`) that
 * no condition confines to known principals, accounts, networks or sources (the test of
 * {@link bucketPolicyIsPublic}, per statement, for the remediation that removes exactly those).
 */
export const isPublicBucketPolicyStatement = (s: PolicyStatement): boolean =>
  isAllow(s) && awsPrincipals(s.Principal).includes('*') && !confinedForS3(s.Condition);

/**
 * A call by vigil's remediation or undo role that the role does not exist to make (anything but the
 * corrective calls of the remediation actions, resp. their undo calls), failed attempts included; or
 * a call by a session issuer only named like one of them (an IAM path, an account outside the
 * inventory or other than the event's). The genuine corrective calls never reach this predicate in
 * triage (the loop guard drops them first) and are not a finding here either.
 */
export function vigilRoleMisused(event: CloudTrailEventBridgeEvent, ctx: PredicateContext): boolean {
  const roles = [ctx.vigilRoles.remediation, ctx.vigilRoles.undo];
  const call = vigilRoleCall(event, ctx.organizationAccountIds, roles);
  if (call) return !call.expected;
  return namedLikeVigilRole(event, roles);
}

/**
 * Security Hub findings suppressed by anyone but vigil's findings function acting on vigil's own findings.
 * That function sets SUPPRESSED when a responder marks a vigil finding a false positive or an expected
 * change; reporting it would answer every verdict with an alert. Exact on both sides: the caller's session
 * issuer must be `arn:aws:iam::<security account>:role/<prefix>-findings` in the security account itself,
 * and every finding named must be vigil's (id `vigil-` + 32 hex digits, under the security account's
 * default product ARN in the event's region). One foreign finding in the call, or any other caller, and it
 * is reported.
 */
export function findingsSuppressedByHand(event: CloudTrailEventBridgeEvent, ctx: PredicateContext): boolean {
  const exporter = ctx.findingsExporter;
  if (event.account !== exporter.accountId) return true;
  const role = { name: exporter.roleName, purpose: 'findings export', calls: new Set<string>() };
  if (!vigilRoleCall(event, ctx.organizationAccountIds, [role])) return true;
  const product = `arn:aws:securityhub:${event.region}:${exporter.accountId}:product/${exporter.accountId}/default`;
  const findings = asArray(params(event)['FindingIdentifiers']);
  const ownFinding = (f: unknown) =>
    isObject(f) && f['ProductArn'] === product && typeof f['Id'] === 'string' && /^vigil-[0-9a-f]{32}$/.test(f['Id']);
  return findings.length === 0 || !findings.every(ownFinding);
}

/** Every predicate the catalog may name, by name. */
export const PREDICATES: Record<string, Predicate> = {
  findingsSuppressedByHand,
  bucketPolicyIsPublic,
  busPermissionIsFinding,
  // Weakening-only predicates (rules/weakening.ts): alert when a settings call turns something off.
  configSettingsWeaken,
  eventSelectorsDropManagementEvents,
  guardDutyDetectorWeakened,
  guardDutyFilterArchives,
  passwordPolicyWeakened,
  trailUpdateWeakens,
  ingressOpensAdminPortsToWorld,
  inlinePolicyGrantsAdmin,
  modifiedRuleOpensAdminPortsToWorld,
  networkAclEntryOpensAdminPortsToWorld,
  targetsAnotherUser,
  trustPolicyAllowsOutsideOrg,
  vigilRoleMisused,
  // Data shared out of the organization, SSM fleet commands (rules/sharing.ts, issue #13).
  ...SHARING_PREDICATES,
};
