/**
 * The org inventory: the reviewed description of the AWS Organization that every stack and
 * handler is derived from. It lives in `config/org.json` (rewritten by `npm run org:sync`,
 * reviewed in a pull request) and is validated here as data: every problem is collected and
 * reported at once, so a config mistake never produces partial Terraform.
 */
import { GLOBAL_EVENTS_REGION, KNOWN_REGIONS } from './regions';

/** How strictly an account is treated (severity, remediation rollout). */
export type EnvironmentClass = 'prod' | 'non-prod' | 'sandbox';
export const ENVIRONMENT_CLASSES: readonly EnvironmentClass[] = ['prod', 'non-prod', 'sandbox'];

export interface OrganizationalUnit {
  /** OU id, e.g. `ou-ab12-cdef3456`. */
  readonly id: string;
  readonly name: string;
  /** Parent OU id or the organization root id (`r-ab12`). */
  readonly parentId: string;
  /**
   * Environment class of the accounts in this OU (hand-set; `org:sync` preserves it).
   * @default - inherited from the parent OU
   */
  readonly environment?: EnvironmentClass;
  /**
   * Team that owns resources in this OU when neither the resource nor the account has an owner tag.
   * @default - inherited from the parent OU, then `defaultOwner` of the inventory
   */
  readonly defaultOwner?: string;
}

export interface Account {
  /** 12-digit AWS account id. */
  readonly id: string;
  /** Account name as AWS Organizations knows it. */
  readonly name: string;
  /** Root email address (informational). @default - unknown */
  readonly email?: string;
  /** Id of the parent OU, or the root id for accounts directly under the root. */
  readonly ou: string;
  /** Account tags from AWS Organizations (e.g. `owner`, `environment`). */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Regions to forward from in this account (hand-set; must include us-east-1, where global
   * service events are recorded).
   * @default - the inventory's `regions`
   */
  readonly regions?: readonly string[];
  /** Hand-set override of the environment class. @default - the OU's class */
  readonly environment?: EnvironmentClass;
}

export type BackendConfig =
  | { readonly type: 'local' }
  | {
      readonly type: 's3';
      readonly bucket: string;
      readonly region: string;
      /** @default 'vigil' */
      readonly keyPrefix?: string;
      /** DynamoDB table for state locking. @default - S3 native locking (`use_lockfile`) */
      readonly dynamodbTable?: string;
      /** Role Terraform assumes to reach the state bucket. @default - the caller's credentials */
      readonly roleArn?: string;
    }
  | {
      readonly type: 'tfc';
      readonly organization: string;
      /** Workspace name pattern; `{stack}` is replaced by the stack id. One workspace per stack. */
      readonly workspacePattern: string;
      /** @default 'app.terraform.io' */
      readonly hostname?: string;
    };

/**
 * Who may deploy: the CI identity the deploy roles trust (through the CI role `<deployRoleName>-ci` in the
 * management account, config/naming.ts `ciRoleName`, which may do nothing but assume the deploy roles).
 * - `management-account`: the CI role trusts the management account, so any of its principals whose own IAM
 *   policy allows `sts:AssumeRole` on the CI role (e.g. an administrator's SSO session) can deploy from a
 *   workstation;
 * - `tfc`: Terraform Cloud dynamic credentials of the `backend`'s organization and workspaces (OIDC);
 * - `github`: GitHub Actions OIDC of one repository, restricted to one ref or one environment;
 * - `role`: no CI role: the deploy roles trust exactly this role (e.g. an existing CI runner's role).
 */
export type DeployTrust =
  | { readonly type: 'management-account' }
  | {
      readonly type: 'tfc';
      /** Terraform Cloud project of the workspaces. @default - any project (`*`) */
      readonly project?: string;
    }
  | {
      readonly type: 'github';
      /** `owner/repository`. */
      readonly repository: string;
      /** Git ref whose workflow runs may deploy. @default 'refs/heads/main' (ignored when `environment` is set) */
      readonly ref?: string;
      /** GitHub environment whose jobs may deploy (its protection rules then gate deploys). @default - none: `ref` */
      readonly environment?: string;
    }
  | {
      readonly type: 'role';
      /** Exact ARN of the role the deploy roles trust (no path wildcards, no session ARN). */
      readonly arn: string;
    };

export const DEPLOY_TRUST_TYPES = ['management-account', 'tfc', 'github', 'role'] as const;

export interface TrailSettings {
  /** Objects move to S3 Glacier Flexible Retrieval after this many days. @default 90 */
  readonly transitionToGlacierDays?: number;
  /** Log objects are deleted after this many days (CIS asks for at least 365). @default 2557 (7 years) */
  readonly expireAfterDays?: number;
  /** Non-current object versions are deleted after this many days. @default 90 */
  readonly noncurrentExpireAfterDays?: number;
}

export interface OrgInventory {
  /** Organization id, e.g. `o-a1b2c3d4e5`. */
  readonly organizationId: string;
  /** Organization root id, e.g. `r-ab12`. */
  readonly rootId: string;
  readonly managementAccountId: string;
  /** Hosts the trail bucket and its KMS key. */
  readonly logArchiveAccountId: string;
  /** Hosts the central bus, queues and handlers. */
  readonly securityAccountId: string;
  /** Region of the central bus, the trail bucket and the org trail's home. */
  readonly homeRegion: string;
  /** Enabled regions: every member forwards from each of them (must include us-east-1). */
  readonly regions: readonly string[];
  /** Name of the role Terraform assumes in every account (same name everywhere). */
  readonly deployRoleName: string;
  /**
   * Exact ARNs of the principals (besides the deploy role itself) that may change the deploy role: its
   * trust, policies, boundary, tags or deletion, e.g. the CI identity that manages it. The guardrail SCP
   * denies that to everyone else. Principals in the management account need no entry (SCPs do not apply there).
   * @default - only the deploy role may change itself
   */
  readonly deployAdminPrincipalArns?: readonly string[];
  /**
   * The CI identity the deploy roles trust (the bootstrap stack creates the trust).
   * @default { "type": "management-account" } - deploy from a workstation with management-account credentials
   */
  readonly deployTrust?: DeployTrust;
  /**
   * Root or OU ids the bootstrap StackSet deploys the deploy role to; accounts that join them later get it
   * automatically. Every account of `accounts` but the management account (which StackSets never reach; the
   * bootstrap stack creates its role directly) must be under one of them.
   * @default - [rootId]: every account of the organization
   */
  readonly deployRoleTargets?: readonly string[];
  /** Prefix of every physical name vigil creates; lowercase, ≤ 12 characters. */
  readonly namePrefix: string;
  /** Owner of last resort for alerts. */
  readonly defaultOwner: string;
  readonly backend: BackendConfig;
  /** Targets (root or OU ids) the governance SCP is attached to. */
  readonly scpTargets: readonly string[];
  /** @default - see TrailSettings */
  readonly trail?: TrailSettings;
  /** Days the central bus archive keeps events for replay (0 = forever). @default 365 */
  readonly archiveRetentionDays?: number;
  /**
   * Deploy the remediation and undo roles in the management account and let remediation act there.
   * SCPs do not apply to the management account, so nothing but the roles' own policies and their
   * permissions boundary would stop a misused role: opt in deliberately.
   * @default false - the management account gets the forwarder and read-only roles only, and every
   *   remediation planned there is downgraded to notify
   */
  readonly remediateManagementAccount?: boolean;
  /**
   * Minutes between two heartbeats of one account × region (issue #11): each member stack's schedules
   * call a harmless write this often, and the coverage function expects one per interval. Whole minutes,
   * 1 to 60 (EventBridge Scheduler's `rate()` granularity is a minute).
   * @default 5 - see DEFAULT_HEARTBEAT_INTERVAL_MINUTES and docs/heartbeat.md for the cost
   */
  readonly heartbeatIntervalMinutes?: number;
  /**
   * Let the coverage function read every account's enabled opt-in regions (AWS Account Management
   * `ListRegions`) and report a region that is enabled but not covered (issue #11). The bootstrap stack then
   * registers the security account as Account Management's delegated administrator, and the organization
   * needs trusted access for `account.amazonaws.com` (`npm run doctor -- --aws` checks it).
   * @default true
   */
  readonly optInRegionCheck?: boolean;
  readonly organizationalUnits: readonly OrganizationalUnit[];
  readonly accounts: readonly Account[];
}

/** Whether the coverage function checks the accounts' opt-in regions (`optInRegionCheck`, default on). */
export const optInRegionCheck = (inv: Pick<OrgInventory, 'optInRegionCheck'>): boolean => inv.optInRegionCheck ?? true;

/** Minutes between two heartbeats when the inventory sets no `heartbeatIntervalMinutes`. */
export const DEFAULT_HEARTBEAT_INTERVAL_MINUTES = 5;

/** The heartbeat interval of the inventory, in minutes. */
export const heartbeatIntervalMinutes = (inv: Pick<OrgInventory, 'heartbeatIntervalMinutes'>): number =>
  inv.heartbeatIntervalMinutes ?? DEFAULT_HEARTBEAT_INTERVAL_MINUTES;

/** One thing wrong with the inventory: where, what was found, what is expected. */
export interface InventoryProblem {
  readonly path: string;
  readonly message: string;
}

const ACCOUNT_ID = /^\d{12}$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const ROOT_ID = /^r-[0-9a-z]{4,32}$/;
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const PREFIX = /^[a-z][a-z0-9-]{0,11}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const TAG_VALUE_MAX = 256;

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Collects every problem in a parsed `config/org.json`. Accepts `unknown` because the file is
 * JSON edited by hand and by `org:sync`: shape errors are reported like any other problem.
 */
export function inventoryProblems(raw: unknown): InventoryProblem[] {
  const problems: InventoryProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (!isRecord(raw)) {
    return [{ path: '(root)', message: `expected a JSON object, got ${show(raw)}` }];
  }
  const str = (obj: Record<string, unknown>, key: string, path: string, re?: RegExp, expected?: string) => {
    const v = obj[key];
    if (typeof v !== 'string' || v === '') {
      add(`${path}${key}`, `expected ${expected ?? 'a non-empty string'}, got ${show(v)}`);
      return undefined;
    }
    if (re && !re.test(v)) add(`${path}${key}`, `expected ${expected}, got ${show(v)}`);
    return v;
  };

  str(raw, 'organizationId', '', ORG_ID, "an organization id like 'o-a1b2c3d4e5'");
  const rootId = str(raw, 'rootId', '', ROOT_ID, "a root id like 'r-ab12'");
  const mgmt = str(raw, 'managementAccountId', '', ACCOUNT_ID, 'a 12-digit account id');
  const logs = str(raw, 'logArchiveAccountId', '', ACCOUNT_ID, 'a 12-digit account id');
  const sec = str(raw, 'securityAccountId', '', ACCOUNT_ID, 'a 12-digit account id');
  const home = str(raw, 'homeRegion', '', undefined, 'a region name');
  str(raw, 'deployRoleName', '', ROLE_NAME, 'an IAM role name (1-64 of letters, digits and +=,.@_-)');
  deployAdminProblems(raw['deployAdminPrincipalArns'], add);
  str(raw, 'namePrefix', '', PREFIX, 'a lowercase prefix of 1-12 letters, digits or dashes, starting with a letter');
  str(raw, 'defaultOwner', '', undefined, 'a team name, e.g. "security-team"');

  const regions = regionList(raw['regions'], 'regions', add);
  if (regions) {
    if (regions.length === 0) add('regions', 'expected at least one region, got []');
    if (!regions.includes(GLOBAL_EVENTS_REGION)) {
      add(
        'regions',
        `must include ${GLOBAL_EVENTS_REGION}: IAM, Organizations and global STS events are recorded only there`,
      );
    }
    if (home && !regions.includes(home)) {
      add(
        'homeRegion',
        `'${home}' is not an enabled region; add it to regions [${regions.join(', ')}] or pick one of them`,
      );
    }
  }
  if (home && !KNOWN_REGIONS.includes(home)) add('homeRegion', `unknown region ${show(home)}`);

  backendProblems(raw['backend'], add);
  deployTrustProblems(raw['deployTrust'], raw['backend'], raw['deployRoleName'], add);
  trailProblems(raw['trail'], add);
  if (raw['archiveRetentionDays'] !== undefined && !isNonNegativeInt(raw['archiveRetentionDays'])) {
    add(
      'archiveRetentionDays',
      `expected a whole number of days ≥ 0 (0 keeps events forever), got ${show(raw['archiveRetentionDays'])}`,
    );
  }

  if (raw['remediateManagementAccount'] !== undefined && typeof raw['remediateManagementAccount'] !== 'boolean') {
    add(
      'remediateManagementAccount',
      `expected true or false (true deploys remediation roles in the management account, where SCPs do not apply), got ${show(raw['remediateManagementAccount'])}`,
    );
  }

  const interval = raw['heartbeatIntervalMinutes'];
  if (
    interval !== undefined &&
    !(typeof interval === 'number' && Number.isInteger(interval) && interval >= 1 && interval <= 60)
  ) {
    add(
      'heartbeatIntervalMinutes',
      `expected a whole number of minutes from 1 to 60 (the heartbeat schedules' rate), got ${show(interval)}`,
    );
  }

  if (raw['optInRegionCheck'] !== undefined && typeof raw['optInRegionCheck'] !== 'boolean') {
    add(
      'optInRegionCheck',
      `expected true or false (true lets the coverage function report opt-in regions enabled but not covered), got ${show(raw['optInRegionCheck'])}`,
    );
  }

  // OUs: ids unique, parents known, no cycles, environment valid.
  const ous = new Map<string, Record<string, unknown>>();
  const rawOus = raw['organizationalUnits'];
  if (!Array.isArray(rawOus)) {
    add('organizationalUnits', `expected an array of OUs, got ${show(rawOus)}`);
  } else {
    rawOus.forEach((ou, i) => {
      const p = `organizationalUnits[${i}].`;
      if (!isRecord(ou)) {
        add(`organizationalUnits[${i}]`, `expected an object, got ${show(ou)}`);
        return;
      }
      const id = str(ou, 'id', p, OU_ID, "an OU id like 'ou-ab12-cdef3456'");
      str(ou, 'name', p);
      str(ou, 'parentId', p, undefined, 'the parent OU id or the root id');
      if (ou['environment'] !== undefined && !ENVIRONMENT_CLASSES.includes(ou['environment'] as EnvironmentClass)) {
        add(`${p}environment`, `expected one of ${ENVIRONMENT_CLASSES.join(' | ')}, got ${show(ou['environment'])}`);
      }
      if (ou['defaultOwner'] !== undefined && (typeof ou['defaultOwner'] !== 'string' || ou['defaultOwner'] === '')) {
        add(`${p}defaultOwner`, `expected a team name, got ${show(ou['defaultOwner'])}`);
      }
      if (id) {
        if (ous.has(id)) add(`${p}id`, `OU id ${id} appears more than once`);
        ous.set(id, ou);
      }
    });
    for (const [id, ou] of ous) {
      const parent = ou['parentId'];
      if (typeof parent === 'string' && parent !== rootId && !ous.has(parent)) {
        add(`organizationalUnits[${id}].parentId`, `'${parent}' is neither the root id nor a listed OU`);
      }
      const seen = new Set<string>([id]);
      let cur = typeof parent === 'string' ? parent : undefined;
      while (cur && ous.has(cur)) {
        if (seen.has(cur)) {
          add(`organizationalUnits[${id}].parentId`, `OU parents form a cycle through ${cur}`);
          break;
        }
        seen.add(cur);
        cur = ous.get(cur)?.['parentId'] as string | undefined;
      }
    }
  }

  // Accounts: ids unique and 12 digits, OU known, regions known, environment resolvable.
  const accountIds = new Map<string, number>();
  const rawAccounts = raw['accounts'];
  if (!Array.isArray(rawAccounts)) {
    add('accounts', `expected an array of accounts, got ${show(rawAccounts)}`);
  } else {
    rawAccounts.forEach((acct, i) => {
      const p = `accounts[${i}].`;
      if (!isRecord(acct)) {
        add(`accounts[${i}]`, `expected an object, got ${show(acct)}`);
        return;
      }
      const id = str(acct, 'id', p, ACCOUNT_ID, 'a 12-digit account id');
      str(acct, 'name', p);
      const ou = str(acct, 'ou', p, undefined, 'the id of the account’s OU (or the root id)');
      if (ou && ou !== rootId && !ous.has(ou)) add(`${p}ou`, `'${ou}' is neither the root id nor a listed OU`);
      const tags = acct['tags'];
      if (!isRecord(tags)) add(`${p}tags`, `expected an object of tag key → value, got ${show(tags)}`);
      else {
        for (const [k, v] of Object.entries(tags)) {
          if (typeof v !== 'string' || v.length > TAG_VALUE_MAX)
            add(`${p}tags.${k}`, `expected a string of ≤ 256 characters, got ${show(v)}`);
        }
      }
      if (acct['regions'] !== undefined) {
        const own = regionList(acct['regions'], `${p}regions`, add);
        if (own && !own.includes(GLOBAL_EVENTS_REGION)) {
          add(
            `${p}regions`,
            `must include ${GLOBAL_EVENTS_REGION}, where this account's IAM and Organizations events are recorded`,
          );
        }
      }
      if (acct['environment'] !== undefined && !ENVIRONMENT_CLASSES.includes(acct['environment'] as EnvironmentClass)) {
        add(`${p}environment`, `expected one of ${ENVIRONMENT_CLASSES.join(' | ')}, got ${show(acct['environment'])}`);
      } else if (acct['environment'] === undefined && ou && ous.has(ou) && !ouEnvironment(ous, ou)) {
        add(
          `${p}environment`,
          `no environment class: set "environment" on OU ${ou} (or a parent OU) or on the account`,
        );
      } else if (acct['environment'] === undefined && ou && ou === rootId) {
        add(
          `${p}environment`,
          'account sits directly under the root, so it inherits no environment class; set "environment" on it',
        );
      }
      if (id) {
        const first = accountIds.get(id);
        if (first !== undefined) add(`${p}id`, `account id ${id} is already used by accounts[${first}]`);
        else accountIds.set(id, i);
      }
    });
  }

  for (const [key, id] of [
    ['managementAccountId', mgmt],
    ['logArchiveAccountId', logs],
    ['securityAccountId', sec],
  ] as const) {
    if (id && Array.isArray(rawAccounts) && !accountIds.has(id)) {
      add(key, `account ${id} is not listed in accounts; add it (run npm run org:sync) or fix the id`);
    }
  }
  if (sec && (sec === mgmt || sec === logs)) {
    add('securityAccountId', 'must be a dedicated account, not the management or log-archive account');
  }

  const targets = raw['scpTargets'];
  if (!Array.isArray(targets)) add('scpTargets', `expected an array of root/OU ids, got ${show(targets)}`);
  else {
    targets.forEach((t, i) => {
      if (typeof t !== 'string' || (t !== rootId && !ous.has(t))) {
        add(`scpTargets[${i}]`, `${show(t)} is neither the root id nor a listed OU`);
      }
    });
  }
  deployRoleTargetProblems(raw['deployRoleTargets'], rootId, mgmt, ous, rawAccounts, add);
  return problems;
}

/** Raised when the inventory is invalid; the message lists every problem. */
export class InventoryError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly InventoryProblem[],
  ) {
    super(
      `${source} has ${problems.length} problem(s); fix them and run again:\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n'),
    );
    this.name = 'InventoryError';
  }
}

/** Validates and returns the inventory, or throws an InventoryError listing every problem. */
export function assertValidInventory(raw: unknown, source = 'config/org.json'): OrgInventory {
  const problems = inventoryProblems(raw);
  if (problems.length > 0) throw new InventoryError(source, problems);
  return raw as OrgInventory;
}

/** Regions an account forwards from, sorted for deterministic output. */
export function accountRegions(inv: OrgInventory, account: Account): string[] {
  return [...(account.regions ?? inv.regions)].sort();
}

/** Environment class of an account: its own override, else its OU's (inherited). */
export function accountEnvironment(inv: OrgInventory, account: Account): EnvironmentClass {
  if (account.environment) return account.environment;
  const env = ouEnvironment(
    new Map(inv.organizationalUnits.map((o) => [o.id, o as unknown as Record<string, unknown>])),
    account.ou,
  );
  if (!env) throw new Error(`account ${account.id} has no environment class; run inventory validation first`);
  return env;
}

/** The OU, its parent, … up to (not including) the root. */
export function ouChain(inv: OrgInventory, ouId: string): OrganizationalUnit[] {
  const byId = new Map(inv.organizationalUnits.map((o) => [o.id, o]));
  const chain: OrganizationalUnit[] = [];
  for (let cur = byId.get(ouId); cur && chain.length <= byId.size; cur = byId.get(cur.parentId)) chain.push(cur);
  return chain;
}

function ouEnvironment(ous: Map<string, Record<string, unknown>>, ouId: string): EnvironmentClass | undefined {
  let cur: string | undefined = ouId;
  for (let depth = 0; cur && depth <= ous.size; depth++) {
    const ou = ous.get(cur);
    if (!ou) return undefined;
    if (typeof ou['environment'] === 'string') return ou['environment'] as EnvironmentClass;
    cur = ou['parentId'] as string | undefined;
  }
  return undefined;
}

function regionList(value: unknown, path: string, add: (path: string, message: string) => void): string[] | undefined {
  if (!Array.isArray(value)) {
    add(path, `expected an array of region names, got ${show(value)}`);
    return undefined;
  }
  const out: string[] = [];
  value.forEach((r, i) => {
    if (typeof r !== 'string' || !KNOWN_REGIONS.includes(r)) {
      add(`${path}[${i}]`, `unknown region ${show(r)}; expected one of the AWS commercial regions, e.g. 'eu-west-1'`);
    } else if (out.includes(r)) add(`${path}[${i}]`, `region '${r}' is listed twice`);
    else out.push(r);
  });
  return out;
}

function backendProblems(b: unknown, add: (path: string, message: string) => void): void {
  if (!isRecord(b)) {
    add('backend', `expected {"type": "local" | "s3" | "tfc", ...}, got ${show(b)}`);
    return;
  }
  switch (b['type']) {
    case 'local':
      return;
    case 's3':
      if (typeof b['bucket'] !== 'string' || !BUCKET.test(b['bucket'])) {
        add('backend.bucket', `expected an S3 bucket name, got ${show(b['bucket'])}`);
      }
      if (typeof b['region'] !== 'string' || !KNOWN_REGIONS.includes(b['region'])) {
        add('backend.region', `expected the state bucket's region, got ${show(b['region'])}`);
      }
      if (b['keyPrefix'] !== undefined && (typeof b['keyPrefix'] !== 'string' || /^\/|\/$/.test(b['keyPrefix']))) {
        add('backend.keyPrefix', `expected a key prefix without leading or trailing '/', got ${show(b['keyPrefix'])}`);
      }
      if (
        b['roleArn'] !== undefined &&
        (typeof b['roleArn'] !== 'string' || !/^arn:aws[\w-]*:iam::\d{12}:role\//.test(b['roleArn']))
      ) {
        add('backend.roleArn', `expected an IAM role ARN, got ${show(b['roleArn'])}`);
      }
      return;
    case 'tfc':
      if (typeof b['organization'] !== 'string' || b['organization'] === '') {
        add('backend.organization', `expected the Terraform Cloud organization name, got ${show(b['organization'])}`);
      }
      if (typeof b['workspacePattern'] !== 'string' || !b['workspacePattern'].includes('{stack}')) {
        add(
          'backend.workspacePattern',
          `expected a pattern containing {stack}, e.g. "vigil-{stack}", got ${show(b['workspacePattern'])}`,
        );
      } else if (!/^[\w-]+$/.test(b['workspacePattern'].replace('{stack}', 'x'))) {
        add('backend.workspacePattern', 'workspace names may contain only letters, digits, - and _');
      }
      return;
    default:
      add('backend.type', `expected "local", "s3" or "tfc", got ${show(b['type'])}`);
  }
}

const IAM_PRINCIPAL_ARN = /^arn:aws[\w-]*:iam::\d{12}:(role|user)\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** The SCP exempts these by exact `aws:PrincipalArn`: a wildcard or a session ARN would exempt the wrong principals. */
function deployAdminProblems(v: unknown, add: (path: string, message: string) => void): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) {
    add('deployAdminPrincipalArns', `expected an array of IAM role or user ARNs, got ${show(v)}`);
    return;
  }
  v.forEach((arn, i) => {
    const path = `deployAdminPrincipalArns[${i}]`;
    if (typeof arn === 'string' && /^arn:aws[\w-]*:sts::/.test(arn)) {
      add(
        path,
        `${show(arn)} is a session ARN; the SCP matches aws:PrincipalArn, which is the role ARN: use arn:aws:iam::<account>:role/<name>`,
      );
    } else if (typeof arn !== 'string' || !IAM_PRINCIPAL_ARN.test(arn)) {
      add(
        path,
        `expected the exact ARN of an IAM role or user (arn:aws:iam::<12-digit account>:role/<name>, no wildcards), got ${show(arn)}`,
      );
    }
  });
}

const GITHUB_REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
/** Characters that would widen an OIDC `sub` match (StringLike wildcards) or break its `:`-separated fields. */
const SUB_UNSAFE = /[*?:\s]/;

/** The deploy roles' trust: each type's fields, phrased with the fix. */
function deployTrustProblems(
  t: unknown,
  backend: unknown,
  deployRoleName: unknown,
  add: (path: string, message: string) => void,
): void {
  if (t === undefined) return;
  const types = DEPLOY_TRUST_TYPES.map((x) => `"${x}"`).join(', ');
  if (!isRecord(t)) {
    add('deployTrust', `expected {"type": ${types.replace(/, /g, ' | ')}, ...}, got ${show(t)}`);
    return;
  }
  switch (t['type']) {
    case 'management-account':
      return;
    case 'tfc':
      if (!isRecord(backend) || backend['type'] !== 'tfc') {
        add(
          'deployTrust.type',
          'trusting Terraform Cloud needs the Terraform Cloud backend: its organization and workspacePattern say which runs may deploy; set backend to {"type": "tfc", ...} or pick another deployTrust type',
        );
      }
      if (
        t['project'] !== undefined &&
        (typeof t['project'] !== 'string' || t['project'] === '' || SUB_UNSAFE.test(t['project']))
      ) {
        add(
          'deployTrust.project',
          `expected a Terraform Cloud project name without *, ? or :, got ${show(t['project'])}`,
        );
      }
      return;
    case 'github':
      if (typeof t['repository'] !== 'string' || !GITHUB_REPOSITORY.test(t['repository'])) {
        add('deployTrust.repository', `expected "owner/repository" (no wildcards), got ${show(t['repository'])}`);
      }
      if (
        t['ref'] !== undefined &&
        (typeof t['ref'] !== 'string' || !/^refs\/(heads|tags)\/[^*?:\s]+$/.test(t['ref']))
      ) {
        add('deployTrust.ref', `expected a full ref like "refs/heads/main" (no wildcards), got ${show(t['ref'])}`);
      }
      if (
        t['environment'] !== undefined &&
        (typeof t['environment'] !== 'string' || t['environment'] === '' || SUB_UNSAFE.test(t['environment']))
      ) {
        add(
          'deployTrust.environment',
          `expected a GitHub environment name without *, ? or :, got ${show(t['environment'])}`,
        );
      }
      if (t['ref'] !== undefined && t['environment'] !== undefined) {
        add(
          'deployTrust',
          'set ref or environment, not both: a job with an environment presents only the environment in its token',
        );
      }
      return;
    case 'role': {
      const arn = t['arn'];
      if (typeof arn !== 'string' || !/^arn:aws[\w-]*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/.test(arn)) {
        add(
          'deployTrust.arn',
          `expected the exact ARN of an IAM role (arn:aws:iam::<12-digit account>:role/<name>, no wildcards, not a session ARN), got ${show(arn)}`,
        );
      } else if (typeof deployRoleName === 'string' && arn.endsWith(`:role/${deployRoleName}`)) {
        add(
          'deployTrust.arn',
          `names the deploy role (${deployRoleName}) itself; name the CI identity that assumes it`,
        );
      }
      return;
    }
    default:
      add('deployTrust.type', `expected one of ${types}, got ${show(t['type'])}`);
  }
}

/** The StackSet's targets must reach every account a member stack deploys to (but management). */
function deployRoleTargetProblems(
  targets: unknown,
  rootId: string | undefined,
  mgmt: string | undefined,
  ous: ReadonlyMap<string, Record<string, unknown>>,
  rawAccounts: unknown,
  add: (path: string, message: string) => void,
): void {
  if (targets === undefined) return;
  if (!Array.isArray(targets) || targets.length === 0) {
    add('deployRoleTargets', `expected a non-empty array of root/OU ids (default: [rootId]), got ${show(targets)}`);
    return;
  }
  const valid = new Set<string>();
  targets.forEach((t, i) => {
    if (typeof t !== 'string' || (t !== rootId && !ous.has(t))) {
      add(`deployRoleTargets[${i}]`, `${show(t)} is neither the root id nor a listed OU`);
    } else valid.add(t);
  });
  if (valid.size !== targets.length || !Array.isArray(rawAccounts)) return;
  const covered = (ou: unknown): boolean => {
    let cur = typeof ou === 'string' ? ou : undefined;
    for (let depth = 0; cur && depth <= ous.size + 1; depth++) {
      if (valid.has(cur)) return true;
      cur = ous.get(cur)?.['parentId'] as string | undefined;
    }
    return false;
  };
  rawAccounts.forEach((a, i) => {
    if (!isRecord(a) || a['id'] === mgmt || covered(a['ou'])) return;
    add(
      `deployRoleTargets`,
      `account ${show(a['name'])} (${show(a['id'])}, accounts[${i}]) is under none of them, so it gets no deploy role and its member stack cannot deploy; add its OU ${show(a['ou'])}, a parent OU or the root id`,
    );
  });
}

function trailProblems(t: unknown, add: (path: string, message: string) => void): void {
  if (t === undefined) return;
  if (!isRecord(t)) {
    add('trail', `expected an object, got ${show(t)}`);
    return;
  }
  for (const key of ['transitionToGlacierDays', 'expireAfterDays', 'noncurrentExpireAfterDays']) {
    if (t[key] !== undefined && (!isNonNegativeInt(t[key]) || (t[key] as number) < 1)) {
      add(`trail.${key}`, `expected a whole number of days ≥ 1, got ${show(t[key])}`);
    }
  }
  const glacier = t['transitionToGlacierDays'] ?? 90;
  const expire = t['expireAfterDays'] ?? 2557;
  if (typeof glacier === 'number' && typeof expire === 'number' && expire <= glacier) {
    add('trail.expireAfterDays', `must be greater than transitionToGlacierDays (${glacier}), got ${expire}`);
  }
  if (typeof expire === 'number' && expire < 365) {
    add('trail.expireAfterDays', `CIS and most audits require at least 365 days of trail logs, got ${expire}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNegativeInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
