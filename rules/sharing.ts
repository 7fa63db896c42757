/**
 * Predicates for data and code shared out of the organization (issue #13): AMI launch permissions, EBS
 * snapshot volume permissions and RDS snapshot restore attributes granted to accounts outside the
 * inventory, resource policies (S3, ECR, SQS, SNS, KMS, Secrets Manager, OpenSearch, Lambda) that admit
 * everyone or a foreign account, S3 replication to a foreign account, and SSM commands sent to many
 * instances at once.
 *
 * "Inside" is the organization as the reviewed inventory knows it (`PredicateContext.organizationAccountIds`)
 * plus the event's own account. A `*` principal is inside only when a condition pins it to the organization
 * id, to inventory accounts, or to ARNs of inventory accounts (any service's ARN: `aws:SourceArn` of an SNS
 * topic or an S3 bucket in the account), or to a VPC / VPC endpoint (reachable only through the
 * organization's networks). Service principals (`{"Service": ...}`) are not accounts and never count.
 *
 * Pure; reads events defensively (one-element lists as objects, keys in any case, policies as JSON
 * strings, objects or URL-encoded text) and answers `false` when the event does not carry what it needs.
 */
import type { CloudTrailEventBridgeEvent, PredicateContext } from './predicates';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const asStrings = (v: unknown): string[] => asArray(v).filter((s): s is string => typeof s === 'string');

/** A member by name, ignoring case (`aWSAccountIds` / `AWSAccountIds`, `Destination` / `destination`). */
function field(obj: unknown, name: string): unknown {
  if (!isObject(obj)) return undefined;
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) return obj[key];
  return undefined;
}

const params = (event: CloudTrailEventBridgeEvent): Json =>
  isObject(event.detail.requestParameters) ? event.detail.requestParameters : {};

/** Whether an account id is inside the organization (the event's own account always is). */
const insideOf =
  (event: CloudTrailEventBridgeEvent, ctx: PredicateContext) =>
  (account: string): boolean =>
    account === (event.detail.recipientAccountId ?? event.account) || ctx.organizationAccountIds.has(account);

/** The entries of an EC2 list: `{ items: [...] }`, `{ items: {...} }`, or a bare array. */
const ec2Items = (v: unknown): Json[] => asArray(field(v, 'items') ?? v).filter(isObject);

// ---------------------------------------------------------------------------------------------
// Attribute grants (AMI, EBS snapshot, RDS snapshot)

/** The permissions a ModifyImageAttribute / ModifySnapshotAttribute request adds (`launchPermission.add.items`). */
function addedEc2Permissions(event: CloudTrailEventBridgeEvent): Json[] {
  const p = params(event);
  const attribute = event.detail.eventName === 'ModifyImageAttribute' ? 'launchPermission' : 'createVolumePermission';
  return ec2Items(field(field(p, attribute), 'add'));
}

/**
 * The accounts outside the organization that a sharing request grants: `userId`s of an AMI launch permission
 * or EBS create-volume permission (and AMI grants to another organization's ARN), account ids in `valuesToAdd`
 * of an RDS snapshot's `restore` attribute. `all` (public) is not listed here; the public detections match it
 * by pattern. Exported for the remediations that remove exactly these grants.
 */
export function foreignGrants(event: CloudTrailEventBridgeEvent, ctx: PredicateContext): string[] {
  const inside = insideOf(event, ctx);
  const name = event.detail.eventName;
  if (name === 'ModifyImageAttribute' || name === 'ModifySnapshotAttribute') {
    return addedEc2Permissions(event).flatMap((item) => {
      const user = field(item, 'userId');
      if (typeof user === 'string') return inside(user.trim()) ? [] : [user.trim()];
      const org = field(item, 'organizationArn');
      if (typeof org === 'string') return org.trim().endsWith(`/${ctx.organizationId}`) ? [] : [org.trim()];
      return [];
    });
  }
  const p = params(event);
  if (String(field(p, 'attributeName') ?? '').toLowerCase() !== 'restore') return [];
  return asStrings(field(p, 'valuesToAdd'))
    .map((v) => v.trim())
    .filter((v) => v.toLowerCase() !== 'all' && !inside(v));
}

/** An AMI, EBS snapshot or RDS (cluster) snapshot shared with an account or organization outside the inventory. */
export function sharedOutsideOrg(event: CloudTrailEventBridgeEvent, ctx: PredicateContext): boolean {
  return foreignGrants(event, ctx).length > 0;
}

// ---------------------------------------------------------------------------------------------
// Resource policies

interface Statement {
  readonly Effect?: unknown;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: unknown;
}

/** The statements of a policy given as an object, a JSON string or URL-encoded JSON; `undefined` if none parses. */
export function statementsOf(raw: unknown): Statement[] | undefined {
  let doc: unknown = raw;
  if (typeof raw === 'string') {
    const attempts = [raw.trim()];
    if (/%[0-9A-Fa-f]{2}/.test(raw)) {
      try {
        attempts.push(decodeURIComponent(raw.trim().replace(/\+/g, '%20')));
      } catch {
        // Not percent-encoding after all.
      }
    }
    doc = undefined;
    for (const text of attempts) {
      try {
        doc = JSON.parse(text);
        break;
      } catch {
        // Try the next encoding.
      }
    }
  }
  if (!isObject(doc)) return undefined;
  return asArray(doc['Statement']).filter(isObject) as Statement[];
}

const isAllow = (s: Statement): boolean => String(s.Effect ?? '').toLowerCase() === 'allow';

/** `*` for everyone, the account of an account id / IAM or STS ARN, `undefined` for anything else. */
function principalAccount(value: string): string | undefined {
  const v = value.trim();
  if (v === '*') return '*';
  if (/^\d{12}$/.test(v)) return v;
  return /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(v)?.[1];
}

/** The AWS principals of a statement (`*`, account ids, ARNs); service and federated principals excluded. */
function awsPrincipals(principal: unknown): string[] {
  if (principal === '*') return ['*'];
  return asStrings(field(principal, 'AWS'));
}

/** The account of any ARN (`arn:aws:sns:eu-west-1:111111111111:topic`), `undefined` when it names none. */
const arnAccount = (v: string): string | undefined => /^arn:aws[a-z-]*:[^:]*:[^:]*:(\d{12})(?::|$)/.exec(v.trim())?.[1];

/** Pinning operators (not the negated or `...IfExists` forms). */
const isPinningOperator = (op: string): boolean => !/^(?:for(?:any|all)value:)?(?:string|arn)?not|ifexists$/i.test(op);

/**
 * Whether a condition confines a `*` grant to the organization: the org id, inventory accounts, ARNs of
 * inventory accounts, or a VPC / VPC endpoint; wildcards in a pinned value do not confine.
 */
function confinedToOrganization(condition: unknown, inside: (a: string) => boolean, ctx: PredicateContext): boolean {
  if (!isObject(condition)) return false;
  for (const [op, block] of Object.entries(condition)) {
    if (!isPinningOperator(op) || !isObject(block)) continue;
    for (const [rawKey, rawValue] of Object.entries(block)) {
      const key = rawKey.toLowerCase();
      const values = asStrings(rawValue);
      if (values.length === 0 || values.some((v) => v.includes('*') || v.includes('?'))) continue;
      if (['aws:principalorgid', 'aws:sourceorgid', 'aws:resourceorgid'].includes(key)) {
        if (values.every((v) => v === ctx.organizationId)) return true;
      } else if (['aws:principalaccount', 'aws:sourceaccount', 'aws:sourceowner', 'kms:calleraccount'].includes(key)) {
        if (values.every((v) => inside(v))) return true;
      } else if (['aws:principalarn', 'aws:sourcearn'].includes(key)) {
        if (values.every((v) => ((a) => a !== undefined && inside(a))(arnAccount(v)))) return true;
      } else if (['aws:sourcevpc', 'aws:sourcevpce'].includes(key)) {
        return true;
      }
    }
  }
  return false;
}

/**
 * Whether some Allow statement admits everyone (`*`, `{"AWS": "*"}`, or `NotPrincipal`) without confining it
 * to the organization, or names an AWS account outside it. `skipEveryone` leaves `*` grants to another
 * detection (the S3 public-policy one) and looks at named accounts only.
 */
export function admitsOutsideOrg(
  statements: readonly Statement[],
  inside: (account: string) => boolean,
  ctx: PredicateContext,
  skipEveryone = false,
): boolean {
  return statements.some((s) => {
    if (!isAllow(s)) return false;
    if (s.NotPrincipal !== undefined) return !skipEveryone;
    return awsPrincipals(s.Principal).some((value) => {
      const account = principalAccount(value);
      if (account === '*') return !skipEveryone && !confinedToOrganization(s.Condition, inside, ctx);
      return account !== undefined && !inside(account);
    });
  });
}

/**
 * Where each call carries its resource policy (request parameters, CloudTrail's lowerCamel names). SNS
 * `SetTopicAttributes` carries it only when `attributeName` is `Policy`; SQS `SetQueueAttributes` and
 * `CreateQueue`/`CreateTopic` under `attributes.Policy`.
 */
function resourcePolicyOf(event: CloudTrailEventBridgeEvent): unknown {
  const p = params(event);
  switch (event.detail.eventName) {
    case 'PutBucketPolicy':
      return field(p, 'bucketPolicy');
    case 'SetRepositoryPolicy':
      return field(p, 'policyText');
    case 'SetQueueAttributes':
    case 'CreateQueue':
    case 'CreateTopic':
      return field(field(p, 'attributes'), 'Policy');
    case 'SetTopicAttributes':
      return String(field(p, 'attributeName') ?? '').toLowerCase() === 'policy'
        ? field(p, 'attributeValue')
        : undefined;
    case 'PutKeyPolicy':
    case 'CreateKey':
      return field(p, 'policy');
    case 'PutResourcePolicy':
      return field(p, 'resourcePolicy');
    default:
      // OpenSearch / Elasticsearch CreateDomain, UpdateDomainConfig and their legacy names.
      return field(p, 'accessPolicies');
  }
}

/**
 * The accounts an `AddPermission` call grants: SQS (`aWSAccountIds`), SNS (`aWSAccountId`), Lambda
 * (`principal`, with `principalOrgID` / `sourceAccount` / `sourceArn` confining a `*`; also Lambda layers with
 * `organizationId`). Returns `*` for an unconfined grant to everyone.
 */
function permissionGrantees(event: CloudTrailEventBridgeEvent, ctx: PredicateContext): string[] {
  const p = params(event);
  const inside = insideOf(event, ctx);
  if (event.detail.eventSource === 'lambda.amazonaws.com') {
    const principal = field(p, 'principal');
    if (typeof principal !== 'string') return [];
    const account = principalAccount(principal);
    if (account === '*') {
      const orgId = field(p, 'principalOrgID') ?? field(p, 'organizationId');
      if (orgId === ctx.organizationId) return [];
      const sourceAccount = field(p, 'sourceAccount');
      if (typeof sourceAccount === 'string' && inside(sourceAccount)) return [];
      const sourceArn = field(p, 'sourceArn');
      const arnOwner = typeof sourceArn === 'string' ? arnAccount(sourceArn) : undefined;
      if (arnOwner !== undefined && inside(arnOwner) && !String(sourceArn).includes('*')) return [];
      return ['*'];
    }
    return account !== undefined && !inside(account) ? [account] : [];
  }
  const ids = [...asStrings(field(p, 'aWSAccountIds')), ...asStrings(field(p, 'aWSAccountId'))];
  return ids.map((v) => v.trim()).filter((v) => v === '*' || !inside(v));
}

/**
 * A resource policy set (or a permission added) that admits everyone without confining it to the
 * organization, or an account outside it. A policy that cannot be read is not a finding here (the
 * service's own change monitor, where there is one, still records it).
 */
export function resourcePolicyAdmitsOutsideOrg(event: CloudTrailEventBridgeEvent, ctx: PredicateContext): boolean {
  const name = event.detail.eventName;
  if (name.startsWith('AddPermission') || name.startsWith('AddLayerVersionPermission')) {
    return permissionGrantees(event, ctx).length > 0;
  }
  const statements = statementsOf(resourcePolicyOf(event));
  return statements !== undefined && admitsOutsideOrg(statements, insideOf(event, ctx), ctx);
}

/**
 * `PutBucketPolicy` naming an AWS account outside the organization (the `*` cases are
 * `s3-bucket-policy-public`'s).
 */
export function bucketPolicyGrantsOutsideOrg(event: CloudTrailEventBridgeEvent, ctx: PredicateContext): boolean {
  const statements = statementsOf(field(params(event), 'bucketPolicy'));
  return statements !== undefined && admitsOutsideOrg(statements, insideOf(event, ctx), ctx, true);
}

/**
 * `PutBucketReplication` with a rule whose destination names an account outside the organization
 * (`Destination.Account`, required when the replica owner is overridden, or the account of an access point
 * / bucket ARN that carries one). A destination bucket ARN without an account cannot be placed: not a
 * finding here (CIS 4.8's change monitor records it).
 */
export function replicationToOutsideOrg(event: CloudTrailEventBridgeEvent, ctx: PredicateContext): boolean {
  const inside = insideOf(event, ctx);
  const config = field(params(event), 'ReplicationConfiguration');
  return asArray(field(config, 'Rule')).some((rule) => {
    const destination = field(rule, 'Destination');
    const account = field(destination, 'Account');
    if (typeof account === 'string') return !inside(account.trim());
    const bucket = field(destination, 'Bucket');
    const owner = typeof bucket === 'string' ? arnAccount(bucket) : undefined;
    return owner !== undefined && !inside(owner);
  });
}

/** How many instances make an SSM command "many": a fleet-wide run, not an operator on one host. */
export const MANY_INSTANCES = 10;

/**
 * `SendCommand` that reaches many instances: {@link MANY_INSTANCES} or more instance ids, or targets chosen
 * by tag, resource group or `*` (every instance that matches, however many).
 */
export function commandToManyInstances(event: CloudTrailEventBridgeEvent): boolean {
  const p = params(event);
  if (asStrings(field(p, 'instanceIds')).length >= MANY_INSTANCES) return true;
  return asArray(field(p, 'targets')).some((t) => {
    const key = String(field(t, 'key') ?? field(t, 'Key') ?? '').toLowerCase();
    const values = asStrings(field(t, 'values') ?? field(t, 'Values'));
    if (key === 'instanceids') return values.includes('*') || values.length >= MANY_INSTANCES;
    return key !== '';
  });
}

/** The predicates of this file, by name (merged into `PREDICATES`). */
export const SHARING_PREDICATES = {
  bucketPolicyGrantsOutsideOrg,
  commandToManyInstances,
  replicationToOutsideOrg,
  resourcePolicyAdmitsOutsideOrg,
  sharedOutsideOrg,
} as const;
