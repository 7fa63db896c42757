/**
 * The part of the org inventory the handlers need, in a compact form keyed for lookups: accounts by
 * id (name, OU, OU path, environment class, tags) and OUs by id (name, parent, default owner). The
 * security stack writes `toHandlerInventory(inventory)` into the inventory table (encoded by
 * `encodeInventoryView`), which triage, remediate and remediate-member read at run time
 * (handlers/adapters/inventory-source.ts): onboarding an account changes table items, never function
 * code. Handlers never read `config/org.json` (which carries backend and SCP settings they have no
 * business seeing) and never call AWS Organizations at run time. Pure.
 */
import { createHash } from 'node:crypto';
import { accountEnvironment, accountRegions, type EnvironmentClass, type OrgInventory } from '../../config/inventory';
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
  /** Regions vigil forwards from in this account (its override, else the organization's), sorted. */
  readonly regions: readonly string[];
}

/** One OU as the handlers see it. */
export interface HandlerOu {
  readonly name: string;
  /** Parent OU id or the root id. */
  readonly parentId: string;
  /** Owner of resources in this OU when neither resource nor account names one. @default - the parent's */
  readonly defaultOwner?: string;
}

/** The handlers' view of the inventory (what the inventory table holds). */
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
  /** The security account, home of vigil's central functions (their roles are recognised by exact ARN there). */
  readonly securityAccountId: string;
  /** `remediateManagementAccount` of the inventory: false unless the org opted in. */
  readonly remediateManagementAccount: boolean;
  /** The organization's enabled regions (the inventory's `regions`), sorted. */
  readonly regions: readonly string[];
  /** Accounts by 12-digit id. */
  readonly accounts: Readonly<Record<string, HandlerAccount>>;
  /** OUs by id. */
  readonly organizationalUnits: Readonly<Record<string, HandlerOu>>;
}

export const HANDLER_INVENTORY_VERSION = 3;

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
      regions: accountRegions(inv, a),
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
    securityAccountId: inv.securityAccountId,
    remediateManagementAccount: inv.remediateManagementAccount === true,
    regions: [...inv.regions].sort(),
    accounts,
    organizationalUnits,
  };
}

const ENVIRONMENTS: readonly string[] = ['prod', 'non-prod', 'sandbox'];

/**
 * Checks the shape of a parsed view and returns it typed.
 * @throws ConfigurationError listing every problem, e.g. a view written by an older version
 */
export function parseHandlerInventory(raw: unknown, source = 'the inventory view'): HandlerInventory {
  const problems: string[] = [];
  if (!isRecord(raw)) throw new ConfigurationError(`${source}: expected a JSON object`);
  if (raw['version'] !== HANDLER_INVENTORY_VERSION) {
    problems.push(`version: expected ${HANDLER_INVENTORY_VERSION}, got ${JSON.stringify(raw['version'])}`);
  }
  for (const key of ['organizationId', 'rootId', 'namePrefix', 'defaultOwner']) {
    if (typeof raw[key] !== 'string' || raw[key] === '') problems.push(`${key}: expected a non-empty string`);
  }
  for (const key of ['managementAccountId', 'securityAccountId']) {
    if (typeof raw[key] !== 'string' || !/^\d{12}$/.test(raw[key]))
      problems.push(`${key}: expected a 12-digit account id`);
  }
  if (typeof raw['remediateManagementAccount'] !== 'boolean') {
    problems.push('remediateManagementAccount: expected true or false');
  }
  if (!isRegionList(raw['regions'])) problems.push('regions: expected a non-empty list of region names');
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
      if (!isRegionList(a['regions'])) problems.push(`${where}.regions: expected a non-empty list of region names`);
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

/** Partition key of the inventory table's head item, which names the current version and its chunk count. */
export const INVENTORY_HEAD_KEY = 'view';

/** Partition key of chunk `index` of the version `sha256`. */
export const inventoryChunkKey = (sha256: string, index: number): string => `view#${sha256}#${index}`;

/** How long a container trusts its view before it checks the head item again (handlers/adapters/inventory-source.ts). */
export const INVENTORY_TTL_SECONDS = 60;

/**
 * Largest chunk of the view's JSON, in UTF-8 bytes, stored in one DynamoDB item: the item limit is
 * 400 KB including attribute names and the key, so 350,000 leaves room for both.
 */
export const INVENTORY_CHUNK_BYTES = 350_000;

/** The view as the security stack stores it: its JSON in chunks, and the SHA-256 of the whole. */
export interface EncodedInventoryView {
  /** Hex SHA-256 of the JSON (the chunks joined); names the chunks, so two versions never mix. */
  readonly sha256: string;
  /** The JSON, split on character boundaries into pieces of at most `INVENTORY_CHUNK_BYTES` bytes. */
  readonly chunks: readonly string[];
}

/**
 * Encodes a view for the inventory table (one head item naming `sha256` and the chunk count, one item
 * per chunk). Deterministic: the same view always gives the same chunks.
 */
export function encodeInventoryView(view: HandlerInventory, chunkBytes = INVENTORY_CHUNK_BYTES): EncodedInventoryView {
  const json = JSON.stringify(view);
  const bytes = Buffer.from(json, 'utf8');
  const chunks: string[] = [];
  for (let start = 0; start < bytes.length; ) {
    let end = Math.min(start + chunkBytes, bytes.length);
    // Never cut a multi-byte character: step back over continuation bytes (10xxxxxx).
    while (end < bytes.length && end > start + 1 && (bytes[end]! & 0xc0) === 0x80) end--;
    chunks.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
  }
  return { sha256: sha256Hex(json), chunks };
}

/**
 * Joins and checks the chunks read back from the inventory table.
 * @param source names the table in messages
 * @throws ConfigurationError when the chunks do not hash to `sha256` (a torn or tampered read) or the
 *   JSON is not a valid view
 */
export function decodeInventoryView(encoded: EncodedInventoryView, source: string): HandlerInventory {
  const json = encoded.chunks.join('');
  const actual = sha256Hex(json);
  if (actual !== encoded.sha256) {
    throw new ConfigurationError(
      `${source}: the inventory chunks hash to ${actual}, not ${encoded.sha256} as the head item says ` +
        '(read during a deploy, or edited by hand); it is read again on the next attempt, and `npm run deploy` rewrites it',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ConfigurationError(`${source}: the inventory view is not JSON: ${(err as Error).message}`);
  }
  return parseHandlerInventory(raw, source);
}

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const isRegionList = (v: unknown): boolean =>
  Array.isArray(v) && v.length > 0 && v.every((r) => typeof r === 'string' && /^[a-z]{2}(-[a-z]+)+-\d$/.test(r));

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
