/**
 * The part of the org inventory the handlers need, in a compact form keyed for lookups: accounts by
 * id (name, OU, OU path, environment class, tags) and OUs by id (name, parent, default owner). The
 * security stack writes `toHandlerInventory(inventory)` as `inventory.json` next to the bundled
 * Lambda code, so handlers never read `config/org.json` (which carries backend and SCP settings
 * they have no business seeing) and never call AWS Organizations at run time. Pure.
 */
import { accountEnvironment, type EnvironmentClass, type OrgInventory } from '../../config/inventory';
import { ConfigurationError } from '../errors';
import { isRecord } from './lambda-io';

/** One account as the handlers see it. */
export interface HandlerAccount {
  readonly name: string;
  /** Parent OU id, or the root id for accounts directly under the root. */
  readonly ouId: string;
  /** OU names from the top down, e.g. `Workloads/Prod`; empty for accounts directly under the root. */
  readonly ouPath: string;
  readonly environment: EnvironmentClass;
  /** Account tags from AWS Organizations (`owner`, ...). */
  readonly tags: Readonly<Record<string, string>>;
}

/** One OU as the handlers see it. */
export interface HandlerOu {
  readonly name: string;
  /** Parent OU id or the root id. */
  readonly parentId: string;
  /** Owner of resources in this OU when neither resource nor account names one. @default - the parent's */
  readonly defaultOwner?: string;
}

/** The handlers' view of the inventory (the content of the bundled `inventory.json`). */
export interface HandlerInventory {
  /** Format version; bumped when a field changes meaning, so an old bundle fails loudly. */
  readonly version: typeof HANDLER_INVENTORY_VERSION;
  readonly organizationId: string;
  readonly rootId: string;
  /** Prefix of vigil's physical names (roles `<prefix>-remediation`, `<prefix>-readonly`). */
  readonly namePrefix: string;
  /** Owner of last resort. */
  readonly defaultOwner: string;
  /** The management account: SCPs do not apply there, so remediation runs there only on opt-in. */
  readonly managementAccountId: string;
  /** `remediateManagementAccount` of the inventory: false unless the org opted in. */
  readonly remediateManagementAccount: boolean;
  /** Accounts by 12-digit id. */
  readonly accounts: Readonly<Record<string, HandlerAccount>>;
  /** OUs by id. */
  readonly organizationalUnits: Readonly<Record<string, HandlerOu>>;
}

export const HANDLER_INVENTORY_VERSION = 1;

/**
 * Projects a validated inventory onto the handlers' view. Keys are inserted in sorted order, so the
 * JSON (and therefore the Lambda bundle hash) is stable across synths.
 */
export function toHandlerInventory(inv: OrgInventory): HandlerInventory {
  const ous = new Map(inv.organizationalUnits.map((o) => [o.id, o]));
  const pathOf = (ouId: string): string => {
    const names: string[] = [];
    // Bounded by the number of OUs: the inventory is validated acyclic, but a view must never hang.
    for (let cur = ous.get(ouId); cur && names.length <= ous.size; cur = ous.get(cur.parentId)) names.unshift(cur.name);
    return names.join('/');
  };

  const accounts: Record<string, HandlerAccount> = {};
  for (const a of [...inv.accounts].sort((x, y) => compare(x.id, y.id))) {
    accounts[a.id] = {
      name: a.name,
      ouId: a.ou,
      ouPath: pathOf(a.ou),
      environment: accountEnvironment(inv, a),
      tags: sortedRecord(a.tags),
    };
  }
  const organizationalUnits: Record<string, HandlerOu> = {};
  for (const o of [...inv.organizationalUnits].sort((x, y) => compare(x.id, y.id))) {
    organizationalUnits[o.id] = {
      name: o.name,
      parentId: o.parentId,
      ...(o.defaultOwner ? { defaultOwner: o.defaultOwner } : {}),
    };
  }
  return {
    version: HANDLER_INVENTORY_VERSION,
    organizationId: inv.organizationId,
    rootId: inv.rootId,
    namePrefix: inv.namePrefix,
    defaultOwner: inv.defaultOwner,
    managementAccountId: inv.managementAccountId,
    remediateManagementAccount: inv.remediateManagementAccount === true,
    accounts,
    organizationalUnits,
  };
}

const ENVIRONMENTS: readonly string[] = ['prod', 'non-prod', 'sandbox'];

/**
 * Checks the shape of a parsed `inventory.json` (read at cold start) and returns it typed.
 * @throws ConfigurationError listing every problem, e.g. a bundle built by an older version
 */
export function parseHandlerInventory(raw: unknown, source = 'inventory.json'): HandlerInventory {
  const problems: string[] = [];
  if (!isRecord(raw)) throw new ConfigurationError(`${source}: expected a JSON object`);
  if (raw['version'] !== HANDLER_INVENTORY_VERSION) {
    problems.push(`version: expected ${HANDLER_INVENTORY_VERSION}, got ${JSON.stringify(raw['version'])}`);
  }
  for (const key of ['organizationId', 'rootId', 'namePrefix', 'defaultOwner']) {
    if (typeof raw[key] !== 'string' || raw[key] === '') problems.push(`${key}: expected a non-empty string`);
  }
  if (typeof raw['managementAccountId'] !== 'string' || !/^\d{12}$/.test(raw['managementAccountId'])) {
    problems.push('managementAccountId: expected a 12-digit account id');
  }
  if (typeof raw['remediateManagementAccount'] !== 'boolean') {
    problems.push('remediateManagementAccount: expected true or false');
  }
  const accounts = raw['accounts'];
  if (!isRecord(accounts)) problems.push('accounts: expected an object keyed by account id');
  else {
    for (const [id, a] of Object.entries(accounts)) {
      const where = `accounts.${id}`;
      if (!/^\d{12}$/.test(id)) problems.push(`${where}: the key must be a 12-digit account id`);
      if (!isRecord(a)) {
        problems.push(`${where}: expected an object`);
        continue;
      }
      for (const key of ['name', 'ouId']) {
        if (typeof a[key] !== 'string' || a[key] === '') problems.push(`${where}.${key}: expected a non-empty string`);
      }
      if (typeof a['ouPath'] !== 'string') problems.push(`${where}.ouPath: expected a string`);
      if (!ENVIRONMENTS.includes(a['environment'] as string)) {
        problems.push(`${where}.environment: expected one of ${ENVIRONMENTS.join(' | ')}`);
      }
      if (!isRecord(a['tags']) || !Object.values(a['tags']).every((v) => typeof v === 'string')) {
        problems.push(`${where}.tags: expected an object of string values`);
      }
    }
  }
  const ous = raw['organizationalUnits'];
  if (!isRecord(ous)) problems.push('organizationalUnits: expected an object keyed by OU id');
  else {
    for (const [id, o] of Object.entries(ous)) {
      const where = `organizationalUnits.${id}`;
      if (!isRecord(o) || typeof o['name'] !== 'string' || typeof o['parentId'] !== 'string') {
        problems.push(`${where}: expected { name, parentId, defaultOwner? }`);
      } else if (
        o['defaultOwner'] !== undefined &&
        (typeof o['defaultOwner'] !== 'string' || o['defaultOwner'] === '')
      ) {
        problems.push(`${where}.defaultOwner: expected a non-empty string`);
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigurationError(
      `${source} is not a valid handler inventory (regenerate it with toHandlerInventory):\n  - ${problems.join('\n  - ')}`,
    );
  }
  return raw as unknown as HandlerInventory;
}

/** The OU chain of an account from its own OU up to (not including) the root. */
export function ouChain(inventory: HandlerInventory, ouId: string): Array<HandlerOu & { readonly id: string }> {
  const chain: Array<HandlerOu & { readonly id: string }> = [];
  const ous = inventory.organizationalUnits;
  const limit = Object.keys(ous).length;
  for (let id = ouId; Object.hasOwn(ous, id) && chain.length < limit; id = ous[id]!.parentId) {
    chain.push({ id, ...ous[id]! });
  }
  return chain;
}

/** The account with this id, or undefined (also for ids such as `constructor` that are not own keys). */
export function findAccount(inventory: HandlerInventory, accountId: string): HandlerAccount | undefined {
  return Object.hasOwn(inventory.accounts, accountId) ? inventory.accounts[accountId] : undefined;
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort(compare)) out[key] = record[key]!;
  return out;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
