/**
 * Re-reads the current state of a remediation target in the member account, with read-only calls only,
 * and returns it as the action's state type (handlers/core/remediation/registry.ts RemediationStates).
 * Each reader makes the calls the action's `stateReads(target)` lists (same inputs), follows their pages,
 * and turns the "does not exist" answers into state (e.g. NoSuchPublicAccessBlockConfiguration → none)
 * rather than errors. No decisions: the pure `plan()` and `verify()` decide.
 *
 * Credentials: AssumeRole into `<prefix>-readonly` (config/naming.ts readOnlyRoleName), session
 * `vigil-remediate-read`; its policy is the union of the actions' `readIamActions`. Any other failure is
 * a `RemediationStateError` (nothing was changed; retrying later may help when it is not permanent).
 */
import { remediationFor } from '../../core/remediation/registry';
import type { PlannedCall, RemediationTarget } from '../../core/remediation/types';
import type { RemediationStates } from '../../core/remediation/registry';
import type { RemediationId } from '../../../rules/types';
import type { HistoryPage } from '../../core/remediation/actions/support';
import { classifySdkError } from '../../core/retry';
import { RemediationStateError } from '../../errors';
import { readHistory } from './history';
import { mergeHistory } from '../../core/remediation/previous-value';
import { selectorSetOf } from '../../core/remediation/actions/restore-event-selectors';
import { mergeHistories } from '../../core/remediation/actions/recreate-config-recorder-or-channel';
import { type DetectorFeature, getDetector } from '../../core/remediation/actions/recreate-guardduty-detector';
import { type ClientPool, type ClientPoolOptions, makeClientPool, sendCall } from './execute';

/** Options of {@link makeStateReader}. */
export interface StateReaderOptions extends Partial<Omit<ClientPoolOptions, 'sessionName'>> {
  /** The inventory's `namePrefix`. */
  readonly namePrefix: string;
  /**
   * Pages read per LookupEvents query (50 events each). CloudTrail allows two lookups per second per
   * account and region; the SDK's adaptive retry absorbs the throttling. @default 10
   */
  readonly maxHistoryPages?: number;
}

/** Reads the state of a target. */
export interface StateReader {
  read<K extends RemediationId>(target: RemediationTarget & { readonly action: K }): Promise<RemediationStates[K]>;
}

type Output = Record<string, unknown>;
type Send = (c: PlannedCall) => Promise<Output>;
type Reader<K extends RemediationId> = (
  target: RemediationTarget,
  send: Send,
  history: (c: PlannedCall) => Promise<HistoryPage>,
) => Promise<RemediationStates[K]>;

const list = (v: unknown): Output[] => (Array.isArray(v) ? (v as Output[]) : []);
const isRecord = (v: unknown): v is Output => typeof v === 'object' && v !== null && !Array.isArray(v);
const iso = (v: unknown): string | undefined =>
  v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : undefined;
const codeOf = (err: unknown): string =>
  typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string'
    ? (err as { name: string }).name
    : 'Error';

/** Grants of an EC2 permission list: `all` for `{Group: 'all'}`, the account id or organization ARN otherwise. */
const ec2Grants = (v: unknown): string[] =>
  list(v).map((p) => String(p['Group'] ?? p['UserId'] ?? p['OrganizationArn'] ?? p['OrganizationalUnitArn'] ?? ''));

/** IAM's wire code is `NoSuchEntity`; the SDK names the modeled error `NoSuchEntityException`. */
const NO_SUCH_ENTITY = ['NoSuchEntity', 'NoSuchEntityException'];

/** Thrown by `send` for a "does not exist" answer, which a reader may turn into state; `message` is the code. */
class Missing extends Error {
  constructor(
    code: string,
    readonly call: PlannedCall,
    readonly original: unknown,
  ) {
    super(code);
  }
}

/** Calls `send`, turning the listed error codes into `undefined`. */
async function unless(send: Send, c: PlannedCall, codes: readonly string[]): Promise<Output | undefined> {
  try {
    return await send(c);
  } catch (err) {
    if (err instanceof Missing && codes.includes(err.message)) return undefined;
    throw err;
  }
}

/** Follows `NextToken` / `Marker` pages. */
async function allPages(
  send: Send,
  first: PlannedCall,
  field: string,
  token: 'NextToken' | 'Marker',
): Promise<Output[]> {
  const out: Output[] = [];
  let next: unknown;
  do {
    const page = await send(next === undefined ? first : { ...first, input: { ...first.input, [token]: next } });
    out.push(...list(page[field]));
    next = page['IsTruncated'] === false ? undefined : page[token];
  } while (typeof next === 'string' && next !== '');
  return out;
}

/** The history lookup planned by an action, asked by resource ARN (CloudTrail history names resources by ARN). */
const lookupByArn = (lookup: PlannedCall, arn: string): PlannedCall => ({
  ...lookup,
  input: { ...lookup.input, LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }] },
});

/**
 * A KMS key and its event history (cancel-key-deletion, enable-disabled-key): DescribeKey, then the history by key
 * ARN (the event may have given the bare key id).
 */
async function keyWithHistory(
  target: RemediationTarget,
  send: Send,
  history: (c: PlannedCall) => Promise<HistoryPage>,
): Promise<RemediationStates['cancel-key-deletion'] & RemediationStates['enable-disabled-key']> {
  const [describe, lookup] = remediationFor(target.action).stateReads(target);
  const out = await unless(send, describe!, ['NotFoundException']);
  const metadata = (out?.['KeyMetadata'] ?? undefined) as Output | undefined;
  if (!metadata) return { exists: false, history: { events: [], complete: true } };
  const keyArn = String(metadata['Arn']);
  return {
    exists: true,
    keyArn,
    keyState: String(metadata['KeyState']),
    keyManager: String(metadata['KeyManager'] ?? 'CUSTOMER'),
    history: await history(lookupByArn(lookup!, keyArn)),
  };
}

const READERS: { readonly [K in RemediationId]: Reader<K> } = {
  'revoke-world-open-ingress': async (target, send) => {
    const [describe] = remediationFor(target.action).stateReads(target);
    const rules = await allPages(send, describe!, 'SecurityGroupRules', 'NextToken');
    return { rules };
  },

  'restore-bucket-public-access-block': async (target, send) => {
    const [get] = remediationFor(target.action).stateReads(target);
    try {
      const out = await send(get!);
      return { configuration: (out['PublicAccessBlockConfiguration'] ?? {}) as Output };
    } catch (err) {
      if (err instanceof Missing && err.message === 'NoSuchPublicAccessBlockConfiguration') {
        return { configuration: 'none' };
      }
      if (err instanceof Missing && err.message === 'NoSuchBucket') return { configuration: 'no-such-bucket' };
      throw err;
    }
  },

  'restore-account-public-access-block': async (target, send) => {
    const [get] = remediationFor(target.action).stateReads(target);
    const out = await unless(send, get!, ['NoSuchPublicAccessBlockConfiguration']);
    return out ? { configuration: (out['PublicAccessBlockConfiguration'] ?? {}) as Output } : { configuration: 'none' };
  },

  'revert-policy-version': async (target, send, history) => {
    const [listVersions, ...lookups] = remediationFor(target.action).stateReads(target);
    const empty: HistoryPage = { events: [], complete: true };
    let versions: Output[];
    try {
      versions = await allPages(send, listVersions!, 'Versions', 'Marker');
    } catch (err) {
      if (err instanceof Missing && NO_SUCH_ENTITY.includes(err.message)) {
        return { policyExists: false, versions: [], defaultChanges: empty, deletionsSince: empty };
      }
      throw err;
    }
    const pages: HistoryPage[] = [];
    for (const lookup of lookups) pages.push(await history(lookup));
    const deletionsSince = pages.pop() ?? empty;
    return {
      policyExists: true,
      versions: versions.map((v) => ({
        VersionId: String(v['VersionId']),
        IsDefaultVersion: v['IsDefaultVersion'] === true,
        ...(iso(v['CreateDate']) ? { CreateDate: iso(v['CreateDate']) } : {}),
      })),
      defaultChanges: { events: pages.flatMap((p) => p.events), complete: pages.every((p) => p.complete) },
      deletionsSince,
    };
  },

  'detach-admin-policy': async (target, send) => {
    const [get, listAttached] = remediationFor(target.action).stateReads(target);
    const principal = await unless(send, get!, NO_SUCH_ENTITY);
    if (!principal) return { principalExists: false, attachedPolicyArns: [] };
    const entity = (principal['User'] ?? principal['Role'] ?? principal['Group'] ?? {}) as Output;
    const attached = await allPages(send, listAttached!, 'AttachedPolicies', 'Marker');
    return {
      principalExists: true,
      principalArn: String(entity['Arn'] ?? ''),
      attachedPolicyArns: attached.map((p) => String(p['PolicyArn'])),
    };
  },

  'restart-trail-logging': async (target, send) => {
    const [getTrail, getStatus] = remediationFor(target.action).stateReads(target);
    const out = await unless(send, getTrail!, ['TrailNotFoundException']);
    const trail = (out?.['Trail'] ?? undefined) as Output | undefined;
    if (!trail) return { exists: false };
    const trailArn = String(trail['TrailARN']);
    const homeRegion = String(trail['HomeRegion'] ?? target.region);
    // GetTrailStatus in the home region, by ARN: shadow and organization trails are found only by ARN.
    const status = await send({ ...getStatus!, input: { Name: trailArn }, region: homeRegion });
    return { exists: true, trailArn, homeRegion, isLogging: status['IsLogging'] === true };
  },

  'restore-forwarding-rule': async (target, send) => {
    const [describe, listTargets] = remediationFor(target.action).stateReads(target);
    const rule = await unless(send, describe!, ['ResourceNotFoundException']);
    if (!rule) return { exists: false, targets: [] };
    const targets = await allPages(send, listTargets!, 'Targets', 'NextToken');
    return {
      exists: true,
      ...(typeof rule['State'] === 'string' ? { state: rule['State'] } : {}),
      ...(typeof rule['EventPattern'] === 'string' ? { eventPattern: rule['EventPattern'] } : {}),
      ...(typeof rule['Description'] === 'string' ? { description: rule['Description'] } : {}),
      targets: targets.map((t) => ({ ...t, Id: String(t['Id']), Arn: String(t['Arn']) })),
    };
  },

  'cancel-key-deletion': (target, send, history) => keyWithHistory(target, send, history),

  'restore-trail-settings': async (target, send, history) => {
    const [getTrail, lookup] = remediationFor(target.action).stateReads(target);
    const out = await unless(send, getTrail!, ['TrailNotFoundException']);
    const trail = (out?.['Trail'] ?? undefined) as Output | undefined;
    if (!trail) return { exists: false, history: { events: [], complete: true } };
    // Event history names trails by ARN; the event may have given the bare name.
    return { exists: true, trail, history: await history(lookupByArn(lookup!, String(trail['TrailARN']))) };
  },

  'enable-disabled-key': (target, send, history) => keyWithHistory(target, send, history),

  'restore-event-selectors': async (target, send, history) => {
    const [get, lookup] = remediationFor(target.action).stateReads(target);
    const out = await unless(send, get!, ['TrailNotFoundException']);
    if (!out) return { exists: false, history: { events: [], complete: true } };
    const trailArn = typeof out['TrailARN'] === 'string' ? out['TrailARN'] : undefined;
    const selectors = selectorSetOf(out);
    return {
      exists: true,
      ...(trailArn ? { trailArn } : {}),
      // A trail with no selector at all (none of either kind) records nothing: an empty basic set says so.
      selectors: selectors ?? { EventSelectors: [] },
      // Event history names trails by ARN; the event may have given the bare name.
      history: await history(trailArn ? lookupByArn(lookup!, trailArn) : lookup!),
    };
  },

  'enable-guardduty-detector': async (target, send, history) => {
    const [get, updates, creates] = remediationFor(target.action).stateReads(target);
    // GuardDuty answers BadRequestException for a detector id that does not exist.
    const out = await unless(send, get!, ['BadRequestException']);
    if (!out) return { exists: false, history: { events: [], complete: true } };
    return {
      exists: true,
      status: String(out['Status']),
      history: mergeHistory(await history(updates!), await history(creates!)),
    };
  },

  'recreate-guardduty-detector': async (target, send, history) => {
    const [listing, ...lookups] = remediationFor(target.action).stateReads(target);
    const pages: HistoryPage[] = [];
    for (const lookup of lookups) pages.push(await history(lookup));
    const merged = mergeHistories(pages);
    // A region holds at most one detector: the first listed is the one.
    const listed = await send(listing!);
    const ids = Array.isArray(listed['DetectorIds']) ? listed['DetectorIds'].map(String) : [];
    const detectorId = ids[0];
    if (!detectorId) return { history: merged };
    // GuardDuty answers BadRequestException for a detector deleted between the two calls.
    const out = await unless(send, getDetector(detectorId, target.region), ['BadRequestException']);
    if (!out) return { history: merged };
    const features = (v: unknown): DetectorFeature[] =>
      list(v).map((f) => ({
        name: String(f['Name']),
        ...(typeof f['Status'] === 'string' ? { status: f['Status'] } : {}),
        ...(Array.isArray(f['AdditionalConfiguration'])
          ? {
              additionalConfiguration: list(f['AdditionalConfiguration']).map((a) => ({
                name: String(a['Name']),
                ...(typeof a['Status'] === 'string' ? { status: a['Status'] } : {}),
              })),
            }
          : {}),
      }));
    return {
      current: {
        detectorId,
        ...(typeof out['Status'] === 'string' ? { status: out['Status'] } : {}),
        ...(typeof out['FindingPublishingFrequency'] === 'string'
          ? { findingPublishingFrequency: out['FindingPublishingFrequency'] }
          : {}),
        features: features(out['Features']),
      },
      history: merged,
    };
  },

  'restart-config-recorder': async (target, send) => {
    const [describe] = remediationFor(target.action).stateReads(target);
    const out = await unless(send, describe!, ['NoSuchConfigurationRecorderException']);
    const status = list(out?.['ConfigurationRecordersStatus'])[0];
    return status ? { exists: true, recording: status['recording'] === true } : { exists: false };
  },

  'recreate-config-recorder-or-channel': async (target, send, history) => {
    const reads = remediationFor(target.action).stateReads(target);
    const pages: HistoryPage[] = [];
    for (const lookup of reads.filter((c) => c.operation === 'LookupEvents')) pages.push(await history(lookup));
    const merged = mergeHistories(pages);
    if (target.details['kind'] === 'channel') {
      const [channels, recorders] = reads;
      const out = await unless(send, channels!, ['NoSuchDeliveryChannelException']);
      const current = list(out?.['DeliveryChannels'])[0];
      const others = await send(recorders!);
      return {
        ...(current ? { current } : {}),
        counterpartExists: list(others['ConfigurationRecorders']).length > 0,
        history: merged,
      };
    }
    const [recorders, status, channels] = reads;
    const out = await unless(send, recorders!, ['NoSuchConfigurationRecorderException']);
    const current = list(out?.['ConfigurationRecorders'])[0];
    const recording = current
      ? list(
          (await unless(send, status!, ['NoSuchConfigurationRecorderException']))?.['ConfigurationRecordersStatus'],
        )[0]
      : undefined;
    const others = await send(channels!);
    return {
      ...(current ? { current, recording: recording?.['recording'] === true } : {}),
      counterpartExists: list(others['DeliveryChannels']).length > 0,
      history: merged,
    };
  },

  'remove-public-bucket-policy-statements': async (target, send) => {
    const [get] = remediationFor(target.action).stateReads(target);
    try {
      const out = await send(get!);
      return { policy: String(out['Policy'] ?? '') };
    } catch (err) {
      if (err instanceof Missing && err.message === 'NoSuchBucketPolicy') return { policy: 'none' };
      if (err instanceof Missing && err.message === 'NoSuchBucket') return { policy: 'no-such-bucket' };
      throw err;
    }
  },

  'remove-public-bucket-acl-grants': async (target, send) => {
    const [get] = remediationFor(target.action).stateReads(target);
    const out = await unless(send, get!, ['NoSuchBucket']);
    if (!out) return { exists: false };
    return {
      exists: true,
      ...(isRecord(out['Owner']) ? { owner: out['Owner'] } : {}),
      grants: list(out['Grants']),
    };
  },

  'delete-admin-inline-policy': async (target, send) => {
    const [get, getPolicy] = remediationFor(target.action).stateReads(target);
    const principal = await unless(send, get!, NO_SUCH_ENTITY);
    if (!principal) return { principalExists: false };
    const entity = (principal['User'] ?? principal['Role'] ?? principal['Group'] ?? {}) as Output;
    const policy = await unless(send, getPolicy!, NO_SUCH_ENTITY);
    const raw = policy?.['PolicyDocument'];
    return {
      principalExists: true,
      principalArn: String(entity['Arn'] ?? ''),
      // IAM returns the document URL-encoded (RFC 3986), as the API reference says.
      ...(typeof raw === 'string' ? { document: decodeURIComponent(raw) } : {}),
    };
  },

  'remove-user-from-admin-group': async (target, send) => {
    const [get] = remediationFor(target.action).stateReads(target);
    try {
      const users = await allPages(send, get!, 'Users', 'Marker');
      return {
        groupExists: true,
        members: users.map((u) => ({
          UserName: String(u['UserName']),
          ...(u['Arn'] ? { Arn: String(u['Arn']) } : {}),
        })),
      };
    } catch (err) {
      if (err instanceof Missing && NO_SUCH_ENTITY.includes(err.message)) return { groupExists: false, members: [] };
      throw err;
    }
  },

  'deactivate-access-key': async (target, send) => {
    const [listKeys] = remediationFor(target.action).stateReads(target);
    try {
      const keys = await allPages(send, listKeys!, 'AccessKeyMetadata', 'Marker');
      return {
        userExists: true,
        keys: keys.map((k) => ({ AccessKeyId: String(k['AccessKeyId']), Status: String(k['Status']) })),
      };
    } catch (err) {
      if (err instanceof Missing && NO_SUCH_ENTITY.includes(err.message)) return { userExists: false, keys: [] };
      throw err;
    }
  },

  'remove-foreign-launch-permissions': async (target, send) => {
    const [describe] = remediationFor(target.action).stateReads(target);
    const out = await unless(send, describe!, ['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable']);
    if (!out) return { exists: false, grants: [] };
    return { exists: true, grants: ec2Grants(out['LaunchPermissions']) };
  },

  'remove-foreign-snapshot-permissions': async (target, send) => {
    const [describe] = remediationFor(target.action).stateReads(target);
    const out = await unless(send, describe!, ['InvalidSnapshot.NotFound']);
    if (!out) return { exists: false, grants: [] };
    return { exists: true, grants: ec2Grants(out['CreateVolumePermissions']) };
  },

  'remove-foreign-db-snapshot-access': async (target, send) => {
    const [describe] = remediationFor(target.action).stateReads(target);
    const out = await unless(send, describe!, [
      'DBSnapshotNotFound',
      'DBSnapshotNotFoundFault',
      'DBClusterSnapshotNotFoundFault',
    ]);
    if (!out) return { exists: false, grants: [] };
    const result = (out['DBSnapshotAttributesResult'] ?? out['DBClusterSnapshotAttributesResult'] ?? {}) as Output;
    const attributes = list(result['DBSnapshotAttributes'] ?? result['DBClusterSnapshotAttributes']);
    const restore = attributes.find((a) => a['AttributeName'] === 'restore');
    return { exists: true, grants: list(restore?.['AttributeValues']).map(String) };
  },

  'remove-bus-policy-statement': async (target, send) => {
    const [describe] = remediationFor(target.action).stateReads(target);
    const out = await unless(send, describe!, ['ResourceNotFoundException']);
    if (!out) return { exists: false };
    return { exists: true, ...(typeof out['Policy'] === 'string' ? { policy: out['Policy'] } : {}) };
  },

  'delete-login-profile': async (target, send) => {
    const [get] = remediationFor(target.action).stateReads(target);
    const out = await unless(send, get!, NO_SUCH_ENTITY);
    const profile = (out?.['LoginProfile'] ?? undefined) as Output | undefined;
    if (!profile) return { exists: false };
    return {
      exists: true,
      ...(iso(profile['CreateDate']) ? { createDate: iso(profile['CreateDate']) } : {}),
      passwordResetRequired: profile['PasswordResetRequired'] === true,
    };
  },

  'delete-world-open-nacl-entry': async (target, send, history) => {
    const [describe, lookup] = remediationFor(target.action).stateReads(target);
    const none: HistoryPage = { events: [], complete: true };
    const out = await unless(send, describe!, ['InvalidNetworkAclID.NotFound']);
    const acl = list(out?.['NetworkAcls'])[0];
    if (!acl) return { exists: false, entries: [], history: none };
    return {
      exists: true,
      entries: list(acl['Entries']),
      history: lookup ? await history(lookup) : none,
    };
  },
};

/** Builds a {@link StateReader}. */
export function makeStateReader(options: StateReaderOptions): StateReader {
  const pool: ClientPool = makeClientPool({
    ...options,
    roleName: options.roleName ?? `${options.namePrefix}-readonly`,
    sessionName: 'vigil-remediate-read',
  });
  const maxPages = options.maxHistoryPages ?? 10;

  return {
    async read(target) {
      const send: Send = async (c) => {
        try {
          return await sendCall(pool, target.accountId, c);
        } catch (err) {
          const code = codeOf(err);
          // GuardDuty answers a detector id that is not (or no longer) the account's with BadRequestException.
          if (/NotFound|NoSuch/.test(code) || (c.service === 'guardduty' && code === 'BadRequestException')) {
            throw new Missing(code, c, err);
          }
          throw new RemediationStateError(
            `reading ${c.service}:${c.operation} in ${target.accountId}/${c.region} failed: ${code}`,
            {
              accountId: target.accountId,
              region: c.region,
              service: c.service,
              operation: c.operation,
              code,
              permanent: classifySdkError(err as object) === 'permanent',
            },
            { cause: err },
          );
        }
      };
      const history = (c: PlannedCall): Promise<HistoryPage> => readHistory(send, c, maxPages);
      try {
        const reader = READERS[target.action] as Reader<typeof target.action>;
        return await reader(target, send, history);
      } catch (err) {
        if (err instanceof Missing) {
          // A "not found" the reader did not expect (e.g. the security group itself) is a read failure.
          throw new RemediationStateError(
            `reading ${err.call.service}:${err.call.operation} for ${target.resourceId} failed: ${err.message}`,
            {
              accountId: target.accountId,
              region: err.call.region,
              service: err.call.service,
              operation: err.call.operation,
              code: err.message,
              permanent: true,
            },
            { cause: err.original },
          );
        }
        throw err;
      }
    },
  };
}
