/**
 * Reads the organization from AWS Organizations into an OrgSnapshot: the organization, its root, the
 * OU tree (walked from the root), the accounts under each parent, and each active account's tags.
 * Read-only and safe to repeat. Every call is paged to the end (NextToken) and retried on throttling.
 * No decisions about the inventory are made here; that is config/sync.ts.
 */
import {
  type Account as AwsAccount,
  DescribeOrganizationCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import type { OrgSnapshot, SnapshotAccount, SnapshotOrganizationalUnit } from '../../config/sync';
import { MissingCredentialsError, OrganizationAccessError, UnexpectedResponseError } from './errors';
import { type RetryOptions, withRetry } from './retry';

/** An account left out of the snapshot because it is suspended or being closed. */
export interface SkippedAccount {
  readonly id: string;
  readonly name: string;
  /** Id of the parent OU or root. */
  readonly ou: string;
  /** Why, e.g. `State SUSPENDED` or `Status PENDING_CLOSURE`. */
  readonly reason: string;
}

/** What was read: the snapshot to merge, and the accounts deliberately left out of it. */
export interface OrganizationRead {
  readonly snapshot: OrgSnapshot;
  /** Sorted by account id. */
  readonly skipped: readonly SkippedAccount[];
}

/** Options for readOrganization. */
export interface ReadOrganizationOptions {
  /** Backoff for throttled calls. @default - see RetryOptions */
  readonly retry?: RetryOptions;
}

// `State` is the newer field and `Status` is being retired (Organizations API reference, Account);
// either one saying the account is going away is enough to leave it out.
const INACTIVE_STATES = new Set(['SUSPENDED', 'CLOSED', 'PENDING_CLOSURE']);
const INACTIVE_STATUSES = new Set(['SUSPENDED', 'PENDING_CLOSURE']);
const CREDENTIAL_ERROR_NAMES = new Set(['CredentialsProviderError', 'TokenProviderError']);
const REJECTED_CREDENTIAL_NAMES = new Set([
  'ExpiredTokenException',
  'ExpiredToken',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
]);

/**
 * Reads the whole organization with the client's credentials, which must belong to the management
 * account or a delegated administrator for AWS Organizations. Throws MissingCredentialsError,
 * OrganizationAccessError or RetriesExhaustedError for the failures a user can fix.
 */
export async function readOrganization(
  client: OrganizationsClient,
  options: ReadOrganizationOptions = {},
): Promise<OrganizationRead> {
  let managementAccountId: string | undefined;
  // One SDK call per step, each retried on throttling and translated into a nameable error.
  const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await withRetry(operation, send, options.retry);
    } catch (error) {
      throw translate(error, operation, managementAccountId);
    }
  };

  const described = await call('DescribeOrganization', () => client.send(new DescribeOrganizationCommand({})));
  const organizationId = required(described.Organization?.Id, 'DescribeOrganization', 'no organization id');
  managementAccountId = required(described.Organization?.MasterAccountId, 'DescribeOrganization', 'no MasterAccountId');

  const roots = await pages(
    'ListRoots',
    (NextToken) => call('ListRoots', () => client.send(new ListRootsCommand({ NextToken }))),
    (p) => p.Roots,
  );
  if (roots.length !== 1) throw new UnexpectedResponseError('ListRoots', `${roots.length} roots; expected exactly one`);
  const rootId = required(roots[0]?.Id, 'ListRoots', 'a root without an id');

  const organizationalUnits: SnapshotOrganizationalUnit[] = [];
  const accounts: Omit<SnapshotAccount, 'tags'>[] = [];
  const skipped: SkippedAccount[] = [];
  // Walk the tree breadth-first from the root; the parent of every OU and account comes from the walk,
  // which saves a ListParents call per account.
  const queue = [rootId];
  const visited = new Set<string>();
  for (let parentId = queue.shift(); parentId !== undefined; parentId = queue.shift()) {
    if (visited.has(parentId)) continue;
    visited.add(parentId);
    const ParentId = parentId;

    const ous = await pages(
      'ListOrganizationalUnitsForParent',
      (NextToken) =>
        call('ListOrganizationalUnitsForParent', () =>
          client.send(new ListOrganizationalUnitsForParentCommand({ ParentId, NextToken })),
        ),
      (p) => p.OrganizationalUnits,
    );
    for (const ou of ous) {
      const id = required(ou.Id, 'ListOrganizationalUnitsForParent', `an OU without an id under ${ParentId}`);
      organizationalUnits.push({ id, name: ou.Name ?? '', parentId: ParentId });
      queue.push(id);
    }

    const children = await pages(
      'ListAccountsForParent',
      (NextToken) =>
        call('ListAccountsForParent', () => client.send(new ListAccountsForParentCommand({ ParentId, NextToken }))),
      (p) => p.Accounts,
    );
    for (const a of children) {
      const id = required(a.Id, 'ListAccountsForParent', `an account without an id under ${ParentId}`);
      const name = a.Name ?? '';
      const reason = inactiveReason(a);
      if (reason) skipped.push({ id, name, ou: ParentId, reason });
      else accounts.push({ id, name, ou: ParentId, ...(a.Email === undefined ? {} : { email: a.Email }) });
    }
  }

  // Tags one account at a time: Organizations' request quota is shared by the whole organization,
  // and a few hundred sequential calls take seconds.
  const tagged: SnapshotAccount[] = [];
  for (const account of accounts) {
    const ResourceId = account.id;
    const tags = await pages(
      'ListTagsForResource',
      (NextToken) =>
        call('ListTagsForResource', () => client.send(new ListTagsForResourceCommand({ ResourceId, NextToken }))),
      (p) => p.Tags,
    );
    const record: Record<string, string> = {};
    for (const tag of tags) if (tag.Key !== undefined) record[tag.Key] = tag.Value ?? '';
    tagged.push({ ...account, tags: record });
  }

  return {
    snapshot: { organizationId, rootId, managementAccountId, organizationalUnits, accounts: tagged },
    skipped: skipped.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
}

/** Why an account is left out, or undefined when it is active (or pending activation). */
export function inactiveReason(account: Pick<AwsAccount, 'State' | 'Status'>): string | undefined {
  if (account.State && INACTIVE_STATES.has(account.State)) return `State ${account.State}`;
  if (account.Status && INACTIVE_STATUSES.has(account.Status)) return `Status ${account.Status}`;
  return undefined;
}

/** Follows NextToken to the last page and concatenates the items. */
async function pages<P extends { NextToken?: string | undefined }, T>(
  operation: string,
  fetch: (nextToken: string | undefined) => Promise<P>,
  items: (page: P) => readonly T[] | undefined,
): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await fetch(token);
    out.push(...(items(page) ?? []));
    token = page.NextToken || undefined;
    // A token seen before would loop forever; AWS never does this, a broken proxy or mock might.
    if (token !== undefined && seen.has(token))
      throw new UnexpectedResponseError(operation, `NextToken ${token} twice`);
    if (token !== undefined) seen.add(token);
  } while (token !== undefined);
  return out;
}

function translate(error: unknown, operation: string, managementAccountId: string | undefined): unknown {
  // Duck-typed: SDK errors are plain objects with a name in some runtimes (and cross-realm in jest).
  const fields = typeof error === 'object' && error !== null ? (error as { name?: unknown; message?: unknown }) : {};
  const name = typeof fields.name === 'string' ? fields.name : undefined;
  const message = typeof fields.message === 'string' ? fields.message : '';
  if ((name && CREDENTIAL_ERROR_NAMES.has(name)) || /could not load credentials/i.test(message)) {
    return new MissingCredentialsError(operation, false, { cause: error });
  }
  if (name && REJECTED_CREDENTIAL_NAMES.has(name))
    return new MissingCredentialsError(operation, true, { cause: error });
  if (name === 'AWSOrganizationsNotInUseException') {
    return new OrganizationAccessError('not-in-organization', operation, managementAccountId, { cause: error });
  }
  if (name === 'AccessDeniedException') {
    return new OrganizationAccessError('access-denied', operation, managementAccountId, { cause: error });
  }
  return error;
}

function required<T>(value: T | undefined, operation: string, problem: string): T {
  if (value === undefined || value === null || value === '') throw new UnexpectedResponseError(operation, problem);
  return value;
}
