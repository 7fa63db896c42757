/**
 * Who owns the resource an alert is about. The most specific answer wins:
 *   1. the resource's own `owner` tag (read in the member account by the resource-tags adapter),
 *   2. the account's `owner` tag (from AWS Organizations, in the inventory),
 *   3. the `defaultOwner` of the account's OU, then of each parent OU up to the root,
 *   4. the inventory's `defaultOwner`.
 * Every answer says where it came from, and when resource tags could not be read the alert says so:
 * a responder must know that the owner is a fallback and may be wrong. Pure.
 */
import { type HandlerAccount, type HandlerInventory, ouChain } from './inventory-view';

/** Tag key that names a resource's or an account's owner. */
export const OWNER_TAG = 'owner';

/** Tag values are at most 256 characters (AWS tagging limit); longer input is not a tag value. */
const MAX_OWNER_LENGTH = 256;

/** What the resource-tags adapter found for the resources of one event. */
export type ResourceTagsOutcome =
  | {
      readonly status: 'found';
      /** Tags by resource ARN; resources without tags may be missing. */
      readonly tags: Readonly<Record<string, Readonly<Record<string, string>>>>;
      /** ARNs in priority order (the primary resource first). */
      readonly arns: readonly string[];
    }
  /** Nothing to look up (no taggable resource in the event), so nothing was missed either. */
  | { readonly status: 'not-applicable' }
  /** The lookup failed (role missing, access denied, timeout...): the owner is a fallback. */
  | { readonly status: 'unavailable'; readonly reason: string };

export type OwnerSource = 'resource-tag' | 'account-tag' | 'ou-default' | 'org-default';

export interface OwnerResolution {
  /** The owning team. */
  readonly owner: string;
  readonly source: OwnerSource;
  /** Where exactly, for logs and the alert: `tag owner of arn:...`, `OU Workloads (ou-...)`. */
  readonly detail: string;
  /**
   * Set when the resource's own tags could not be read, e.g. `resource tags unavailable (AccessDenied ...);
   * owner from the account tag`. @default - the owner is as specific as it can be
   */
  readonly caveat?: string;
}

/** The owner tag of a tag set: `owner` exactly, else any case of it (`Owner`, `OWNER`). */
export function ownerTag(tags: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!tags) return undefined;
  const exact = usable(tags[OWNER_TAG]);
  if (exact) return exact;
  const key = Object.keys(tags)
    .sort()
    .find((k) => k.toLowerCase() === OWNER_TAG);
  return key === undefined ? undefined : usable(tags[key]);
}

/** Resolves the owner of an event's resources in `account` (see the file header for the order). */
export function resolveOwner(
  inventory: HandlerInventory,
  account: HandlerAccount,
  resourceTags: ResourceTagsOutcome,
): OwnerResolution {
  if (resourceTags.status === 'found') {
    for (const arn of resourceTags.arns) {
      const owner = ownerTag(resourceTags.tags[arn]);
      if (owner) return { owner, source: 'resource-tag', detail: `tag ${OWNER_TAG} of ${arn}` };
    }
  }
  const fallback = accountOwner(inventory, account);
  if (resourceTags.status !== 'unavailable') return fallback;
  return {
    ...fallback,
    caveat: `resource tags unavailable (${resourceTags.reason}); owner from the ${SOURCE_LABEL[fallback.source]}`,
  };
}

const SOURCE_LABEL: Readonly<Record<OwnerSource, string>> = {
  'resource-tag': 'resource tag',
  'account-tag': 'account tag',
  'ou-default': 'OU default',
  'org-default': 'organization default',
};

/** The owner when the resource names none: account tag, OU defaults up the tree, organization default. */
export function accountOwner(inventory: HandlerInventory, account: HandlerAccount): OwnerResolution {
  const tagged = ownerTag(account.tags);
  if (tagged) return { owner: tagged, source: 'account-tag', detail: `tag ${OWNER_TAG} of account ${account.name}` };
  for (const ou of ouChain(inventory, account.ouId)) {
    const owner = usable(ou.defaultOwner);
    if (owner) return { owner, source: 'ou-default', detail: `defaultOwner of OU ${ou.name} (${ou.id})` };
  }
  return { owner: inventory.defaultOwner, source: 'org-default', detail: 'defaultOwner of the inventory' };
}

/** A trimmed, non-empty value of tag length, or undefined. */
function usable(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v && v.length <= MAX_OWNER_LENGTH ? v : undefined;
}
