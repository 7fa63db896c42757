/**
 * Remediation settings: in which mode each detection's remediation runs where (phased rollout),
 * who is exempt and until when, the safety rails (dry-run, kill switch, circuit breaker) and who
 * approves. The data lives in `config/remediation.json`, is reviewed in pull requests like the
 * inventory, and is validated here as data (LZA style): every problem is collected and reported
 * at once, each with the path of the offending field.
 *
 * The remediate function bundles the file (as `remediation.json` next to `index.js`); the approve
 * function reads `approvers` and `approval` from the same file.
 */
import { readFileSync } from 'node:fs';
import { CATALOG } from '../rules/catalog';
import type { Detection, RemediationMode } from '../rules/types';
import { ENVIRONMENT_CLASSES, type EnvironmentClass, type InventoryProblem, type OrgInventory } from './inventory';

/** Every mode, weakest first: `off` never acts, `auto` acts at once. */
export const REMEDIATION_MODES: readonly RemediationMode[] = ['off', 'notify', 'approve', 'auto'];

/**
 * One line of the rollout table. At most one of `account`, `ou`, `environment` is set; none of them
 * makes an organization-wide entry. Precedence (most specific wins) is documented on `resolveMode`
 * in handlers/core/remediation/mode.ts: account > OU (nearest first) > environment > organization >
 * the catalog's `defaultMode`; at each level an entry naming the detection beats one that does not.
 */
export interface ModeRule {
  /** 12-digit account id from the inventory. @default - not account-scoped */
  readonly account?: string;
  /** OU id from the inventory; applies to accounts in it and in its child OUs. @default - not OU-scoped */
  readonly ou?: string;
  /** Environment class of the account (from the inventory). @default - not environment-scoped */
  readonly environment?: EnvironmentClass;
  /** Detection ids this entry is about. @default - every detection */
  readonly detections?: readonly string[];
  readonly mode: RemediationMode;
  /** Why this entry exists; shown in the mode reason. @default - none */
  readonly note?: string;
}

/**
 * A reviewed exception: the detection still alerts, but its remediation does not run. At least one
 * of `detection`, `account`, `resource` must be set (an exemption of everything is a kill switch,
 * and there is one of those already).
 */
export interface Exemption {
  /** Detection id. @default - every detection */
  readonly detection?: string;
  /** 12-digit account id. @default - every account */
  readonly account?: string;
  /**
   * Glob over the remediation target's resource id or ARN (`*` any run of characters, `?` one character),
   * e.g. `sg-0abc*` or `arn:aws:s3:::public-website-*`. @default - every resource
   */
  readonly resource?: string;
  /** Team or person accountable for the exception. */
  readonly owner: string;
  readonly reason: string;
  /** Last day (UTC, `YYYY-MM-DD`) the exemption applies; from the next day it is ignored. */
  readonly expires: string;
  /** Ticket or review link. @default - none */
  readonly ticket?: string;
}

/** Resource-tag exemptions: owners can mark a resource as exempt for a bounded time. */
export interface ExemptionTagSettings {
  /** Tag key; its value is `<reason>; expires=YYYY-MM-DD`. */
  readonly key: string;
  /**
   * A tag whose expiry lies further ahead than this many days is ignored (a tag is not reviewed
   * the way this file is, so it must not exempt a resource for ever). @default 90
   */
  readonly maxDays?: number;
}

/** At most `perAccount` actions per account and `orgWide` in total within `windowMinutes`. */
export interface CircuitBreakerSettings {
  readonly perAccount: number;
  readonly orgWide: number;
  readonly windowMinutes: number;
}

/** Who may approve a remediation that waits for a human. */
export interface Approvers {
  /** Slack member ids (`U…`/`W…`) allowed to press Approve. */
  readonly slackUserIds: readonly string[];
  /** Addresses that receive signed approval links. */
  readonly emails: readonly string[];
}

/** What happens when nobody decides in time: page a human (`escalate`) or go ahead (`act`). */
export type ApprovalTimeoutAction = 'escalate' | 'act';

export interface ApprovalTimeout {
  readonly timeoutMinutes: number;
  readonly onTimeout: ApprovalTimeoutAction;
}

export interface ApprovalSettings extends ApprovalTimeout {
  /** Overrides by detection id. @default - none */
  readonly perDetection?: Readonly<Record<string, ApprovalTimeout>>;
}

/** The whole `config/remediation.json`. */
export interface RemediationConfig {
  /** When true, every remediation reports the calls it would make and makes none. */
  readonly dryRun: boolean;
  /** SSM parameter (security account) whose value `on` or `true` stops every remediation. */
  readonly killSwitchParameter: string;
  readonly circuitBreaker: CircuitBreakerSettings;
  readonly modes: readonly ModeRule[];
  readonly exemptions: readonly Exemption[];
  readonly exemptionTag: ExemptionTagSettings;
  readonly approvers: Approvers;
  readonly approval: ApprovalSettings;
  /**
   * Principals (ARN globs) that may legitimately hold administrator policies, e.g. break-glass roles:
   * `detach-admin-policy` refuses to act on them.
   */
  readonly approvedAdminPrincipals: readonly string[];
}

/**
 * The inventory ids the config is checked against: the full inventory at synth time, or just the ids
 * (the remediate function has the handlers' inventory view, not `config/org.json`).
 */
export type KnownInventory =
  | Pick<OrgInventory, 'accounts' | 'organizationalUnits'>
  | { readonly accountIds: Iterable<string>; readonly ouIds: Iterable<string> };

/** One thing wrong with the file (same shape as inventory problems). */
export type RemediationConfigProblem = InventoryProblem;

/** Default `exemptionTag.maxDays`. */
export const DEFAULT_EXEMPTION_TAG_MAX_DAYS = 90;

/** Longest allowed approval timeout: 7 days (signed links must not stay valid longer). */
export const MAX_APPROVAL_TIMEOUT_MINUTES = 7 * 24 * 60;

const ACCOUNT_ID = /^\d{12}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const SSM_NAME = /^(\/[\w.-]+)+$/;
const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ARN_GLOB = /^arn:(aws[\w-]*|\*):iam::(\d{12}|\*):/;
const TOP_LEVEL = new Set([
  'dryRun',
  'killSwitchParameter',
  'circuitBreaker',
  'modes',
  'exemptions',
  'exemptionTag',
  'approvers',
  'approval',
  'approvedAdminPrincipals',
  '$schema',
  'description',
]);

/**
 * Every problem in a parsed `config/remediation.json`, checked against the inventory (accounts,
 * OUs) and the catalog (detection ids, which detections have a remediation). Accepts `unknown`:
 * shape errors are problems like any other.
 */
export function remediationConfigProblems(
  raw: unknown,
  inventory: KnownInventory,
  catalog: readonly Pick<Detection, 'id' | 'remediation'>[] = CATALOG,
): RemediationConfigProblem[] {
  const problems: RemediationConfigProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (!isRecord(raw)) return [{ path: '(root)', message: `expected a JSON object, got ${show(raw)}` }];

  const detections = new Map(catalog.map((d) => [d.id, d]));
  const accounts = new Set('accountIds' in inventory ? inventory.accountIds : inventory.accounts.map((a) => a.id));
  const ous = new Set('ouIds' in inventory ? inventory.ouIds : inventory.organizationalUnits.map((o) => o.id));

  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL.has(key)) add(key, `unknown setting; expected one of ${[...TOP_LEVEL].slice(0, 9).join(', ')}`);
  }
  if (typeof raw['dryRun'] !== 'boolean') add('dryRun', `expected true or false, got ${show(raw['dryRun'])}`);
  const ks = raw['killSwitchParameter'];
  if (typeof ks !== 'string' || !SSM_NAME.test(ks) || ks.length > 2048) {
    add('killSwitchParameter', `expected an SSM parameter name like "/vigil/remediation/kill-switch", got ${show(ks)}`);
  }

  breakerProblems(raw['circuitBreaker'], add);

  const knownDetection = (path: string, id: unknown): Pick<Detection, 'id' | 'remediation'> | undefined => {
    if (typeof id !== 'string' || !detections.has(id)) {
      add(path, `unknown detection id ${show(id)}; see rules/catalog/*.ts for the ids`);
      return undefined;
    }
    return detections.get(id);
  };
  const knownAccount = (path: string, id: unknown) => {
    if (typeof id !== 'string' || !ACCOUNT_ID.test(id)) add(path, `expected a 12-digit account id, got ${show(id)}`);
    else if (!accounts.has(id)) add(path, `account ${id} is not in the inventory (config/org.json)`);
  };

  // Modes: one scope each, known ids, valid mode, no two entries fighting over the same place.
  const rawModes = raw['modes'];
  if (!Array.isArray(rawModes)) add('modes', `expected an array of mode entries, got ${show(rawModes)}`);
  else {
    const claimed = new Map<string, number>();
    rawModes.forEach((m, i) => {
      const p = `modes[${i}]`;
      if (!isRecord(m)) {
        add(p, `expected an object, got ${show(m)}`);
        return;
      }
      unknownKeys(m, ['account', 'ou', 'environment', 'detections', 'mode', 'note'], p, add);
      const scopes = (['account', 'ou', 'environment'] as const).filter((k) => m[k] !== undefined);
      if (scopes.length > 1) add(p, `set at most one of account, ou, environment; got ${scopes.join(' and ')}`);
      if (m['account'] !== undefined) knownAccount(`${p}.account`, m['account']);
      if (m['ou'] !== undefined && (typeof m['ou'] !== 'string' || !ous.has(m['ou']))) {
        add(`${p}.ou`, `${show(m['ou'])} is not an OU in the inventory (config/org.json)`);
      }
      if (m['environment'] !== undefined && !ENVIRONMENT_CLASSES.includes(m['environment'] as EnvironmentClass)) {
        add(`${p}.environment`, `expected one of ${ENVIRONMENT_CLASSES.join(' | ')}, got ${show(m['environment'])}`);
      }
      const mode = m['mode'];
      const validMode = REMEDIATION_MODES.includes(mode as RemediationMode);
      if (!validMode) add(`${p}.mode`, `expected one of ${REMEDIATION_MODES.join(' | ')}, got ${show(mode)}`);
      if (m['note'] !== undefined && typeof m['note'] !== 'string') {
        add(`${p}.note`, `expected a string, got ${show(m['note'])}`);
      }
      const scope = scopes.length === 1 ? `${scopes[0]}=${String(m[scopes[0]!])}` : 'organization';
      let ids: string[] = ['*'];
      if (m['detections'] !== undefined) {
        if (!Array.isArray(m['detections']) || m['detections'].length === 0) {
          add(`${p}.detections`, `expected a non-empty array of detection ids (omit it for every detection)`);
          ids = [];
        } else {
          ids = [];
          m['detections'].forEach((id, j) => {
            const d = knownDetection(`${p}.detections[${j}]`, id);
            if (!d) return;
            ids.push(d.id);
            if (!d.remediation && (mode === 'approve' || mode === 'auto')) {
              add(
                `${p}.detections[${j}]`,
                `detection '${d.id}' has no remediation action, so mode '${mode}' cannot apply; use notify or off`,
              );
            }
          });
        }
      }
      for (const id of ids) {
        const key = `${scope} ${id}`;
        const first = claimed.get(key);
        if (first !== undefined) {
          add(
            p,
            `conflicts with modes[${first}]: both set the mode of ${id === '*' ? 'every detection' : `'${id}'`} ` +
              `for ${scope}; merge them`,
          );
        } else claimed.set(key, i);
      }
    });
  }

  // Exemptions: accountable owner, reason, real date; never "everything".
  const rawExemptions = raw['exemptions'];
  if (!Array.isArray(rawExemptions)) add('exemptions', `expected an array (may be empty), got ${show(rawExemptions)}`);
  else {
    rawExemptions.forEach((e, i) => {
      const p = `exemptions[${i}]`;
      if (!isRecord(e)) {
        add(p, `expected an object, got ${show(e)}`);
        return;
      }
      unknownKeys(e, ['detection', 'account', 'resource', 'owner', 'reason', 'expires', 'ticket'], p, add);
      if (e['detection'] === undefined && e['account'] === undefined && e['resource'] === undefined) {
        add(p, 'set at least one of detection, account, resource; an exemption of everything is a kill switch');
      }
      if (e['detection'] !== undefined) knownDetection(`${p}.detection`, e['detection']);
      if (e['account'] !== undefined) knownAccount(`${p}.account`, e['account']);
      if (e['resource'] !== undefined && (typeof e['resource'] !== 'string' || e['resource'].trim() === '')) {
        add(`${p}.resource`, `expected a resource id or ARN glob, got ${show(e['resource'])}`);
      } else if (e['resource'] === '*') {
        add(`${p}.resource`, `'*' matches every resource; name the resources or drop the field`);
      }
      for (const key of ['owner', 'reason'] as const) {
        if (typeof e[key] !== 'string' || e[key].trim() === '') {
          add(`${p}.${key}`, `every exemption needs a non-empty ${key}, got ${show(e[key])}`);
        }
      }
      if (!isCalendarDate(e['expires'])) {
        add(`${p}.expires`, `expected a date as YYYY-MM-DD (last day it applies), got ${show(e['expires'])}`);
      }
      if (e['ticket'] !== undefined && typeof e['ticket'] !== 'string') {
        add(`${p}.ticket`, `expected a string, got ${show(e['ticket'])}`);
      }
    });
  }

  const tag = raw['exemptionTag'];
  if (!isRecord(tag)) add('exemptionTag', `expected {"key": "vigil:exempt", "maxDays": 90}, got ${show(tag)}`);
  else {
    unknownKeys(tag, ['key', 'maxDays'], 'exemptionTag', add);
    if (typeof tag['key'] !== 'string' || tag['key'] === '' || tag['key'].length > 128 || /^aws:/i.test(tag['key'])) {
      add(
        'exemptionTag.key',
        `expected a tag key of 1-128 characters not starting with 'aws:', got ${show(tag['key'])}`,
      );
    }
    if (tag['maxDays'] !== undefined && !isPositiveInt(tag['maxDays'])) {
      add('exemptionTag.maxDays', `expected a whole number of days ≥ 1, got ${show(tag['maxDays'])}`);
    }
  }

  approverProblems(raw['approvers'], add);

  const approval = raw['approval'];
  if (!isRecord(approval))
    add('approval', `expected {"timeoutMinutes": 60, "onTimeout": "escalate"}, got ${show(approval)}`);
  else {
    unknownKeys(approval, ['timeoutMinutes', 'onTimeout', 'perDetection'], 'approval', add);
    timeoutProblems(approval, 'approval', add);
    const per = approval['perDetection'];
    if (per !== undefined) {
      if (!isRecord(per)) add('approval.perDetection', `expected an object keyed by detection id, got ${show(per)}`);
      else {
        for (const [id, t] of Object.entries(per)) {
          const p = `approval.perDetection.${id}`;
          const d = knownDetection(p, id);
          if (d && !d.remediation) add(p, `detection '${id}' has no remediation action, so nothing waits for approval`);
          if (!isRecord(t)) add(p, `expected {"timeoutMinutes": n, "onTimeout": "escalate" | "act"}, got ${show(t)}`);
          else {
            unknownKeys(t, ['timeoutMinutes', 'onTimeout'], p, add);
            timeoutProblems(t, p, add);
          }
        }
      }
    }
  }

  const admins = raw['approvedAdminPrincipals'];
  if (!Array.isArray(admins)) add('approvedAdminPrincipals', `expected an array of IAM ARN globs, got ${show(admins)}`);
  else {
    admins.forEach((a, i) => {
      if (typeof a !== 'string' || !ARN_GLOB.test(a)) {
        add(
          `approvedAdminPrincipals[${i}]`,
          `expected an IAM ARN glob like "arn:aws:iam::*:role/break-glass", got ${show(a)}`,
        );
      }
    });
  }
  return problems;
}

/** Raised when `config/remediation.json` is invalid; the message lists every problem. */
export class RemediationConfigError extends Error {
  override readonly name = 'RemediationConfigError';

  constructor(
    readonly source: string,
    readonly problems: readonly RemediationConfigProblem[],
  ) {
    super(
      `${source} has ${problems.length} problem(s); fix them and run again:\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n'),
    );
  }
}

/** Validates and returns the config, or throws a RemediationConfigError listing every problem. */
export function assertValidRemediationConfig(
  raw: unknown,
  inventory: KnownInventory,
  source = 'config/remediation.json',
  catalog: readonly Pick<Detection, 'id' | 'remediation'>[] = CATALOG,
): RemediationConfig {
  const problems = remediationConfigProblems(raw, inventory, catalog);
  if (problems.length > 0) throw new RemediationConfigError(source, problems);
  return raw as RemediationConfig;
}

/** Reads and validates a remediation config file; unreadable files and bad JSON are problems too. */
export function loadRemediationConfig(file: string, inventory: KnownInventory): RemediationConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RemediationConfigError(file, [{ path: '(file)', message: `cannot read it: ${(err as Error).message}` }]);
  }
  return assertValidRemediationConfig(raw, inventory, file);
}

/** Approval timeout and timeout action for one detection (its override, else the default). */
export function approvalPolicyFor(config: Pick<RemediationConfig, 'approval'>, detectionId: string): ApprovalTimeout {
  const own = config.approval.perDetection?.[detectionId];
  return own ?? { timeoutMinutes: config.approval.timeoutMinutes, onTimeout: config.approval.onTimeout };
}

/** True for a real calendar date written `YYYY-MM-DD` (rejects 2025-02-30). */
export function isCalendarDate(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = DATE.exec(v);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === v;
}

function breakerProblems(b: unknown, add: (path: string, message: string) => void): void {
  if (!isRecord(b)) {
    add('circuitBreaker', `expected {"perAccount": n, "orgWide": m, "windowMinutes": w}, got ${show(b)}`);
    return;
  }
  unknownKeys(b, ['perAccount', 'orgWide', 'windowMinutes'], 'circuitBreaker', add);
  for (const key of ['perAccount', 'orgWide', 'windowMinutes'] as const) {
    if (!isPositiveInt(b[key])) add(`circuitBreaker.${key}`, `expected a whole number ≥ 1, got ${show(b[key])}`);
  }
  if (isPositiveInt(b['perAccount']) && isPositiveInt(b['orgWide']) && b['orgWide'] < b['perAccount']) {
    add('circuitBreaker.orgWide', `must be at least perAccount (${b['perAccount']}), got ${b['orgWide']}`);
  }
  if (isPositiveInt(b['windowMinutes']) && b['windowMinutes'] > 24 * 60) {
    add('circuitBreaker.windowMinutes', `expected at most 1440 (one day), got ${b['windowMinutes']}`);
  }
}

function approverProblems(a: unknown, add: (path: string, message: string) => void): void {
  if (!isRecord(a)) {
    add('approvers', `expected {"slackUserIds": [...], "emails": [...]}, got ${show(a)}`);
    return;
  }
  unknownKeys(a, ['slackUserIds', 'emails'], 'approvers', add);
  const lists: [string, RegExp, string][] = [
    ['slackUserIds', SLACK_USER, 'a Slack member id like "U012ABCDEF"'],
    ['emails', EMAIL, 'an email address'],
  ];
  let count = 0;
  for (const [key, re, expected] of lists) {
    const list = a[key];
    if (!Array.isArray(list)) {
      add(`approvers.${key}`, `expected an array (may be empty), got ${show(list)}`);
      continue;
    }
    list.forEach((v, i) => {
      if (typeof v !== 'string' || !re.test(v)) add(`approvers.${key}[${i}]`, `expected ${expected}, got ${show(v)}`);
      else count++;
    });
  }
  // Catalog defaults include `approve`: without approvers those requests could only time out.
  if (count === 0) add('approvers', 'name at least one approver (Slack member id or email)');
}

function timeoutProblems(t: Record<string, unknown>, p: string, add: (path: string, message: string) => void): void {
  const minutes = t['timeoutMinutes'];
  if (!isPositiveInt(minutes) || minutes > MAX_APPROVAL_TIMEOUT_MINUTES) {
    add(
      `${p}.timeoutMinutes`,
      `expected whole minutes from 1 to ${MAX_APPROVAL_TIMEOUT_MINUTES}, got ${show(minutes)}`,
    );
  }
  if (t['onTimeout'] !== 'escalate' && t['onTimeout'] !== 'act') {
    add(`${p}.onTimeout`, `expected "escalate" or "act", got ${show(t['onTimeout'])}`);
  }
}

function unknownKeys(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  add: (path: string, message: string) => void,
): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) add(`${path}.${key}`, `unknown field; expected one of ${allowed.join(', ')}`);
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}
