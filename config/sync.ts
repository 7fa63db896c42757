/**
 * Pure logic behind `npm run org:sync`: merge what AWS Organizations reports into the reviewed
 * inventory (`config/org.json`) without touching the hand-set fields, describe the difference for the
 * reviewer, and print the file deterministically. No SDK, no I/O, no clock: the AWS adapter lives in
 * `scripts/org-sync/` and the CLI in `scripts/org-sync.ts`.
 *
 * Ownership of fields:
 * - from AWS: `organizationId`, `rootId`, `managementAccountId`; OU `id`/`name`/`parentId`;
 *   account `id`/`name`/`email`/`ou`/`tags`.
 * - hand-set (copied through as found): every other field, at the top level, on OUs (e.g.
 *   `environment`, `defaultOwner`) and on accounts (e.g. `regions`, `environment`). An OU or account
 *   that disappears from AWS takes its hand-set fields with it.
 */
import type { OrgInventory } from './inventory';

/** An OU as AWS Organizations reports it. */
export interface SnapshotOrganizationalUnit {
  /** OU id, e.g. `ou-ab12-cdef3456`. */
  readonly id: string;
  readonly name: string;
  /** Parent OU id or the root id. */
  readonly parentId: string;
}

/** An active account as AWS Organizations reports it. */
export interface SnapshotAccount {
  /** 12-digit account id. */
  readonly id: string;
  readonly name: string;
  /** Root email address. @default - not reported */
  readonly email?: string;
  /** Id of the parent OU, or the root id. */
  readonly ou: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** The AWS-owned part of the inventory, read from AWS Organizations (suspended and closed accounts excluded). */
export interface OrgSnapshot {
  readonly organizationId: string;
  readonly rootId: string;
  /** `MasterAccountId` of DescribeOrganization. */
  readonly managementAccountId: string;
  readonly organizationalUnits: readonly SnapshotOrganizationalUnit[];
  readonly accounts: readonly SnapshotAccount[];
}

/**
 * A parsed inventory file. Typed loosely on purpose: the file is edited by hand, and a sync must still
 * work (and leave the problems to `inventoryProblems`) when a hand-set field is missing or malformed.
 */
export type InventoryDocument = Readonly<Record<string, unknown>> | OrgInventory;

/** An OU or the root, as shown in the diff. */
export interface UnitRef {
  readonly id: string;
  /** `Root` for the organization root. @default - the id is shown alone (the OU is not in that inventory) */
  readonly name?: string;
}

/** An account, as shown in the diff. */
export interface AccountRef {
  readonly id: string;
  readonly name: string;
}

/** One reviewable change between two inventories. */
export type DiffLine =
  | { readonly kind: 'organization-changed'; readonly from: string; readonly to: string }
  | { readonly kind: 'root-changed'; readonly from: string; readonly to: string }
  | { readonly kind: 'management-account-changed'; readonly from: string; readonly to: string }
  | { readonly kind: 'ou-added'; readonly ou: UnitRef; readonly parent: UnitRef }
  | { readonly kind: 'ou-removed'; readonly ou: UnitRef; readonly parent: UnitRef }
  | { readonly kind: 'ou-renamed'; readonly id: string; readonly from: string; readonly to: string }
  | { readonly kind: 'ou-moved'; readonly ou: UnitRef; readonly from: UnitRef; readonly to: UnitRef }
  | { readonly kind: 'account-joined'; readonly account: AccountRef; readonly ou: UnitRef }
  | { readonly kind: 'account-left'; readonly account: AccountRef; readonly ou: UnitRef }
  | { readonly kind: 'account-renamed'; readonly id: string; readonly from: string; readonly to: string }
  | {
      readonly kind: 'account-moved';
      readonly account: AccountRef;
      readonly from: UnitRef;
      readonly to: UnitRef;
      /** Effective environment class before and after, when the move changes it. @default - unchanged */
      readonly environment?: { readonly from?: string; readonly to?: string };
    }
  | {
      readonly kind: 'account-email-changed';
      readonly account: AccountRef;
      readonly from?: string;
      readonly to?: string;
    }
  | { readonly kind: 'account-tag-added'; readonly account: AccountRef; readonly key: string; readonly value: string }
  | { readonly kind: 'account-tag-removed'; readonly account: AccountRef; readonly key: string; readonly value: string }
  | {
      readonly kind: 'account-tag-changed';
      readonly account: AccountRef;
      readonly key: string;
      readonly from: string;
      readonly to: string;
    };

/** Top-level keys in the order the file is written; hand-set keys unknown to this list follow them. */
const TOP_LEVEL_ORDER = [
  'organizationId',
  'rootId',
  'managementAccountId',
  'logArchiveAccountId',
  'securityAccountId',
  'homeRegion',
  'regions',
  'deployRoleName',
  'namePrefix',
  'defaultOwner',
  'backend',
  'scpTargets',
  'trail',
  'archiveRetentionDays',
] as const;
const LISTS = ['organizationalUnits', 'accounts'] as const;
const OU_AWS_KEYS = ['id', 'name', 'parentId'];
const OU_HAND_SET_ORDER = ['environment', 'defaultOwner'];
const ACCOUNT_AWS_KEYS = ['id', 'name', 'email', 'ou', 'tags'];
const ACCOUNT_HAND_SET_ORDER = ['regions', 'environment'];

/** Line width of the repository's formatter (biome.json); `formatInventoryJson` keeps within it. */
const LINE_WIDTH = 120;

/**
 * The inventory after a sync: AWS-owned fields from `snapshot`, hand-set fields from `current`
 * (copied as found, so run `inventoryProblems` on the result). OUs and accounts are sorted by id, tags
 * by key, and keys follow a fixed order, so the same inputs always give the same file.
 */
export function mergeInventory(currentDoc: InventoryDocument, snapshot: OrgSnapshot): OrgInventory {
  const current = fields(currentDoc);
  const currentOus = byId(current['organizationalUnits']);
  const currentAccounts = byId(current['accounts']);

  const organizationalUnits = [...snapshot.organizationalUnits].sort(compareIds).map((ou) => ({
    id: ou.id,
    name: ou.name,
    parentId: ou.parentId,
    ...handSet(currentOus.get(ou.id), OU_AWS_KEYS, OU_HAND_SET_ORDER),
  }));
  const accounts = [...snapshot.accounts].sort(compareIds).map((a) => ({
    id: a.id,
    name: a.name,
    ...(a.email === undefined ? {} : { email: a.email }),
    ou: a.ou,
    ...handSet(currentAccounts.get(a.id), ACCOUNT_AWS_KEYS, ACCOUNT_HAND_SET_ORDER),
    tags: sortedRecord(a.tags),
  }));

  const fromAws: Record<string, unknown> = {
    organizationId: snapshot.organizationId,
    rootId: snapshot.rootId,
    managementAccountId: snapshot.managementAccountId,
  };
  const merged: Record<string, unknown> = {};
  for (const key of TOP_LEVEL_ORDER) {
    const value = key in fromAws ? fromAws[key] : current[key];
    if (value !== undefined) merged[key] = value;
  }
  for (const [key, value] of Object.entries(current)) {
    if (!(key in merged) && !(LISTS as readonly string[]).includes(key) && value !== undefined) merged[key] = value;
  }
  merged['organizationalUnits'] = organizationalUnits;
  merged['accounts'] = accounts;
  // Hand-set fields are copied unvalidated; the caller runs inventoryProblems() on the result.
  return merged as unknown as OrgInventory;
}

/**
 * Reviewable changes from `before` to `after`, in a stable order: organization, then OUs by id, then
 * accounts by id. Only AWS-owned fields are compared; hand-set fields never change in a sync.
 */
export function diffInventory(beforeDoc: InventoryDocument, afterDoc: InventoryDocument): DiffLine[] {
  const before = fields(beforeDoc);
  const after = fields(afterDoc);
  const lines: DiffLine[] = [];
  for (const [key, kind] of [
    ['organizationId', 'organization-changed'],
    ['rootId', 'root-changed'],
    ['managementAccountId', 'management-account-changed'],
  ] as const) {
    const from = text(before[key]) ?? '';
    const to = text(after[key]) ?? '';
    if (from !== to) lines.push({ kind, from, to });
  }

  const oldOus = byId(before['organizationalUnits']);
  const newOus = byId(after['organizationalUnits']);
  const oldUnit = unitNamer(before);
  const newUnit = unitNamer(after);
  for (const id of unionOfIds(oldOus, newOus)) {
    const was = oldOus.get(id);
    const now = newOus.get(id);
    if (!was && now) lines.push({ kind: 'ou-added', ou: newUnit(id), parent: newUnit(text(now['parentId']) ?? '') });
    else if (was && !now)
      lines.push({ kind: 'ou-removed', ou: oldUnit(id), parent: oldUnit(text(was['parentId']) ?? '') });
    else if (was && now) {
      const [fromName, toName] = [text(was['name']) ?? '', text(now['name']) ?? ''];
      if (fromName !== toName) lines.push({ kind: 'ou-renamed', id, from: fromName, to: toName });
      const [fromParent, toParent] = [text(was['parentId']) ?? '', text(now['parentId']) ?? ''];
      if (fromParent !== toParent) {
        lines.push({ kind: 'ou-moved', ou: newUnit(id), from: oldUnit(fromParent), to: newUnit(toParent) });
      }
    }
  }

  const oldAccounts = byId(before['accounts']);
  const newAccounts = byId(after['accounts']);
  for (const id of unionOfIds(oldAccounts, newAccounts)) {
    const was = oldAccounts.get(id);
    const now = newAccounts.get(id);
    if (!was && now) {
      lines.push({ kind: 'account-joined', account: accountRef(now), ou: newUnit(text(now['ou']) ?? '') });
      continue;
    }
    if (was && !now) {
      lines.push({ kind: 'account-left', account: accountRef(was), ou: oldUnit(text(was['ou']) ?? '') });
      continue;
    }
    if (!was || !now) continue;
    const account = accountRef(now);
    const [fromName, toName] = [text(was['name']) ?? '', text(now['name']) ?? ''];
    if (fromName !== toName) lines.push({ kind: 'account-renamed', id, from: fromName, to: toName });
    const [fromOu, toOu] = [text(was['ou']) ?? '', text(now['ou']) ?? ''];
    if (fromOu !== toOu) {
      const envFrom = effectiveEnvironment(before, was);
      const envTo = effectiveEnvironment(after, now);
      lines.push({
        kind: 'account-moved',
        account,
        from: oldUnit(fromOu),
        to: newUnit(toOu),
        ...(envFrom === envTo ? {} : { environment: { from: envFrom, to: envTo } }),
      });
    }
    const [fromEmail, toEmail] = [text(was['email']), text(now['email'])];
    if (fromEmail !== toEmail) lines.push({ kind: 'account-email-changed', account, from: fromEmail, to: toEmail });
    lines.push(...tagChanges(account, stringRecord(was['tags']), stringRecord(now['tags'])));
  }
  return lines;
}

/** The diff as text for a terminal or CI log: one change per line, `+` added, `-` removed, `~` changed. */
export function formatDiff(lines: readonly DiffLine[]): string[] {
  return lines.map(formatLine);
}

function formatLine(line: DiffLine): string {
  switch (line.kind) {
    case 'organization-changed':
      return `~ organization id: ${line.from || '(none)'} → ${line.to}`;
    case 'root-changed':
      return `~ root id: ${line.from || '(none)'} → ${line.to}`;
    case 'management-account-changed':
      return `~ management account: ${line.from || '(none)'} → ${line.to}`;
    case 'ou-added':
      return `+ OU ${showUnit(line.ou)} added under ${showUnit(line.parent)}`;
    case 'ou-removed':
      return `- OU ${showUnit(line.ou)} removed (was under ${showUnit(line.parent)})`;
    case 'ou-renamed':
      return `~ OU ${line.id} renamed: ${line.from} → ${line.to}`;
    case 'ou-moved':
      return `~ OU ${showUnit(line.ou)} moved: ${showUnit(line.from)} → ${showUnit(line.to)}`;
    case 'account-joined':
      return `+ account ${showAccount(line.account)} joined ${showUnit(line.ou)}`;
    case 'account-left':
      return `- account ${showAccount(line.account)} left (was in ${showUnit(line.ou)})`;
    case 'account-renamed':
      return `~ account ${line.id} renamed: ${line.from} → ${line.to}`;
    case 'account-moved': {
      const env = line.environment
        ? ` (environment ${line.environment.from ?? 'none'} → ${line.environment.to ?? 'none'})`
        : '';
      return `~ account ${showAccount(line.account)} moved: ${showUnit(line.from)} → ${showUnit(line.to)}${env}`;
    }
    case 'account-email-changed':
      return `~ account ${showAccount(line.account)} email: ${line.from ?? '(none)'} → ${line.to ?? '(none)'}`;
    case 'account-tag-added':
      return `+ account ${showAccount(line.account)} tag ${line.key}=${JSON.stringify(line.value)}`;
    case 'account-tag-removed':
      return `- account ${showAccount(line.account)} tag ${line.key} (was ${JSON.stringify(line.value)})`;
    case 'account-tag-changed':
      return `~ account ${showAccount(line.account)} tag ${line.key}: ${JSON.stringify(line.from)} → ${JSON.stringify(line.to)}`;
  }
}

/**
 * Whether two inventories say the same thing, ignoring key order, OU/account order and formatting.
 * `org:sync --check` uses it, so a file that is only formatted differently is not "stale".
 */
export function sameInventory(a: InventoryDocument, b: InventoryDocument): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/**
 * The inventory as file text: 2-space JSON with a trailing newline, objects expanded, arrays of
 * scalars on one line when they fit in 120 columns. That is the layout the repository's formatter
 * (biome) leaves alone, so `npm run lint` and `npm run format` agree with `org:sync`.
 */
export function formatInventoryJson(value: unknown): string {
  return `${render(value, '', 0, 0)}\n`;
}

function render(value: unknown, indent: string, lead: number, trailing: number): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = `${indent}  `;
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const inline = `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
      if (lead + inline.length + trailing <= LINE_WIDTH) return inline;
    }
    const items = value.map((v, i) => `${inner}${render(v, inner, inner.length, i < value.length - 1 ? 1 : 0)}`);
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    const items = entries.map(([k, v], i) => {
      const key = `${JSON.stringify(k)}: `;
      return `${inner}${key}${render(v, inner, inner.length + key.length, i < entries.length - 1 ? 1 : 0)}`;
    });
    return `{\n${items.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function canonical(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v));
    // OUs and accounts are sets keyed by id; every other list (regions, scpTargets) keeps its order.
    if (key && (LISTS as readonly string[]).includes(key)) {
      const idOf = (v: unknown) => ({ id: (isRecord(v) ? text(v['id']) : undefined) ?? '' });
      return items.sort((x, y) => compareIds(idOf(x), idOf(y)));
    }
    return items;
  }
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .filter((k) => value[k] !== undefined)
        .sort()
        .map((k) => [k, canonical(value[k], k)]),
    );
  }
  return value;
}

function handSet(
  current: Readonly<Record<string, unknown>> | undefined,
  awsKeys: readonly string[],
  order: readonly string[],
): Record<string, unknown> {
  if (!current) return {};
  const out: Record<string, unknown> = {};
  for (const key of order) if (current[key] !== undefined) out[key] = current[key];
  for (const [key, value] of Object.entries(current)) {
    if (!awsKeys.includes(key) && !(key in out) && value !== undefined) out[key] = value;
  }
  return out;
}

function tagChanges(
  account: AccountRef,
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): DiffLine[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const lines: DiffLine[] = [];
  for (const key of keys) {
    const from = before[key];
    const to = after[key];
    if (from === undefined && to !== undefined) lines.push({ kind: 'account-tag-added', account, key, value: to });
    else if (from !== undefined && to === undefined)
      lines.push({ kind: 'account-tag-removed', account, key, value: from });
    else if (from !== undefined && to !== undefined && from !== to) {
      lines.push({ kind: 'account-tag-changed', account, key, from, to });
    }
  }
  return lines;
}

/** Environment class an account ends up with: its own override, else the nearest OU's (mirrors inventory.ts). */
function effectiveEnvironment(doc: InventoryDocument, account: Readonly<Record<string, unknown>>): string | undefined {
  const own = text(account['environment']);
  if (own) return own;
  const ous = byId(doc['organizationalUnits']);
  let cur = text(account['ou']);
  for (let depth = 0; cur && depth <= ous.size; depth++) {
    const ou = ous.get(cur);
    if (!ou) return undefined;
    const env = text(ou['environment']);
    if (env) return env;
    cur = text(ou['parentId']);
  }
  return undefined;
}

function unitNamer(doc: InventoryDocument): (id: string) => UnitRef {
  const ous = byId(doc['organizationalUnits']);
  const rootId = text(doc['rootId']);
  return (id) => {
    if (id === rootId) return { id, name: 'Root' };
    const name = text(ous.get(id)?.['name']);
    return name === undefined ? { id } : { id, name };
  };
}

function accountRef(account: Readonly<Record<string, unknown>>): AccountRef {
  return { id: text(account['id']) ?? '', name: text(account['name']) ?? '' };
}

function showUnit(unit: UnitRef): string {
  return unit.name === undefined ? unit.id : `${unit.name} (${unit.id})`;
}

function showAccount(account: AccountRef): string {
  return `${account.id} (${account.name})`;
}

function byId(list: unknown): Map<string, Readonly<Record<string, unknown>>> {
  const out = new Map<string, Readonly<Record<string, unknown>>>();
  if (!Array.isArray(list)) return out;
  for (const item of list) {
    const id = isRecord(item) ? text(item['id']) : undefined;
    if (isRecord(item) && id !== undefined) out.set(id, item);
  }
  return out;
}

function unionOfIds(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].sort();
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function stringRecord(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function compareIds(a: { readonly id: string }, b: { readonly id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function fields(doc: InventoryDocument): Readonly<Record<string, unknown>> {
  return doc as Readonly<Record<string, unknown>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
