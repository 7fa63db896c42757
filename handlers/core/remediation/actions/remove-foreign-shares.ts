/**
 * The sharing remediations of issue #13: after an AMI, an EBS snapshot or an RDS (cluster) snapshot was made
 * public or shared with an account outside the organization, remove exactly those grants and nothing else:
 *
 *   remove-foreign-launch-permissions     ModifyImageAttribute launchPermission: group `all`, user ids and
 *                                         organization ARNs outside the inventory
 *   remove-foreign-snapshot-permissions   ModifySnapshotAttribute createVolumePermission: group `all`, user ids
 *   remove-foreign-db-snapshot-access     Modify{DB,DBCluster}SnapshotAttribute `restore`: `all`, account ids
 *
 * What counts as foreign is the detection's own test (rules/sharing.ts `foreignGrants`, with the same
 * organization facts); `all` (public) is added to it. Grants to accounts of the organization stay, and so do
 * grants the event did not add (someone else's decision, with its own event).
 *
 * Each re-reads the attribute (Describe{Image,Snapshot}Attribute, Describe{DB,DBCluster}SnapshotAttributes):
 * grants already gone are compliant; a resource that is gone is compliant. The snapshot lists the removed
 * grants; undo (approval-gated) adds them back with the same call.
 */
import { foreignGrants } from '../../../../rules/sharing';
import type { PlannedCall, RemediationActionDef, RemediationTarget } from '../types';
import {
  act,
  asArray,
  call,
  compliant,
  detail,
  isObject,
  items,
  type Json,
  refuse,
  regionOf,
  requestOf,
  str,
  targetOf,
} from './support';

/** The grants of an attribute now: `all` for public, account ids (and organization ARNs for AMIs). */
export interface SharedAttributeState {
  /** False when the image or snapshot no longer exists. */
  readonly exists: boolean;
  readonly grants: readonly string[];
}

const PUBLIC = 'all';

const removedOf = (target: RemediationTarget): string[] =>
  asArray(target.details['grants']).filter((v): v is string => typeof v === 'string');

/** Shared target(): the event's public and foreign grants on one resource. */
function shareTarget(
  action: RemediationTarget['action'],
  event: Parameters<RemediationActionDef['target']>[0],
  ctx: Parameters<RemediationActionDef['target']>[1],
  eventNames: readonly string[],
  resource: (request: Json) => { id?: string | undefined; kind: string } | undefined,
  publicGranted: (request: Json) => boolean,
) {
  const name = event.detail.eventName;
  if (!eventNames.includes(name)) return refuse(`${name} does not share what ${action} unshares`);
  if (!ctx.organization) return refuse("the organization's accounts are not known here; cannot tell who is foreign");
  const request = requestOf(event);
  const res = resource(request);
  if (!res?.id) return refuse(`${name} event names no ${res?.kind ?? 'resource'}, or shares another attribute`);
  const foreign = foreignGrants(event as never, { ...ctx.organization } as never);
  const grants = [...(publicGranted(request) ? [PUBLIC] : []), ...foreign];
  if (grants.length === 0) return refuse(`${res.id} was not made public or shared outside the organization`);
  return targetOf(action, event, regionOf(event), res.id, { kind: res.kind, resourceId: res.id, grants });
}

/** Shared plan/verify/undo around one "remove these grants" call. */
function sharePlan(
  target: RemediationTarget,
  state: SharedAttributeState,
  removeCall: (grants: readonly string[], op: 'remove' | 'add') => PlannedCall,
) {
  const what = `${detail(target, 'kind')} ${target.resourceId}`;
  if (!state.exists) return compliant(target, `${what} no longer exists`);
  const remove = removedOf(target).filter((g) => state.grants.includes(g));
  if (remove.length === 0) return compliant(target, `${what} is no longer shared with ${removedOf(target).join(', ')}`);
  const label = remove.map((g) => (g === PUBLIC ? 'everyone (public)' : g)).join(', ');
  return act(target, `stop sharing ${what} with ${label}`, [removeCall(remove, 'remove')], {
    kind: detail(target, 'kind'),
    resourceId: target.resourceId,
    region: target.region,
    removed: remove,
  });
}

function shareVerify(target: RemediationTarget, stateAfter: SharedAttributeState) {
  const left = stateAfter.exists ? removedOf(target).filter((g) => stateAfter.grants.includes(g)) : [];
  return left.length === 0
    ? { fixed: true, detail: `${target.resourceId} is shared with none of ${removedOf(target).join(', ')}` }
    : { fixed: false, detail: `${target.resourceId} is still shared with ${left.join(', ')}` };
}

const snapshotGrants = (snapshot: Readonly<Record<string, unknown>>): string[] =>
  asArray(snapshot['removed']).filter((v): v is string => typeof v === 'string');

/** EC2 permission entries (`{Group: 'all'}`, `{UserId}`, `{OrganizationArn}`) for grants. */
const ec2Permissions = (grants: readonly string[]): Json[] =>
  grants.map((g) => (g === PUBLIC ? { Group: 'all' } : g.startsWith('arn:') ? { OrganizationArn: g } : { UserId: g }));

/** Whether an EC2 attribute request adds group `all`. */
const ec2AddsPublic = (attribute: string) => (request: Json) => {
  const add = isObject(request[attribute]) ? request[attribute]['add'] : undefined;
  return items(add).some((i) => i['group'] === PUBLIC);
};

export const removeForeignLaunchPermissions: RemediationActionDef<SharedAttributeState> = {
  id: 'remove-foreign-launch-permissions',
  title: 'Remove the public and outside-the-organization launch permissions an AMI was given',
  iamActions: ['ec2:ModifyImageAttribute'],
  readIamActions: ['ec2:DescribeImageAttribute'],
  undoIamActions: ['ec2:ModifyImageAttribute'],
  target: (event, ctx) =>
    shareTarget(
      'remove-foreign-launch-permissions',
      event,
      ctx,
      ['ModifyImageAttribute'],
      (r) => ({ id: str(r['imageId']), kind: 'AMI' }),
      ec2AddsPublic('launchPermission'),
    ),
  stateReads: (target) => [
    call('ec2', 'DescribeImageAttribute', { ImageId: target.resourceId, Attribute: 'launchPermission' }, target.region),
  ],
  plan: (target, state) =>
    sharePlan(target, state, (grants, op) =>
      call(
        'ec2',
        'ModifyImageAttribute',
        {
          ImageId: target.resourceId,
          LaunchPermission: { [op === 'remove' ? 'Remove' : 'Add']: ec2Permissions(grants) },
        },
        target.region,
      ),
    ),
  verify: shareVerify,
  undo: (snapshot) => [
    call(
      'ec2',
      'ModifyImageAttribute',
      { ImageId: snapshot['resourceId'], LaunchPermission: { Add: ec2Permissions(snapshotGrants(snapshot)) } },
      String(snapshot['region']),
    ),
  ],
};

export const removeForeignSnapshotPermissions: RemediationActionDef<SharedAttributeState> = {
  id: 'remove-foreign-snapshot-permissions',
  title: 'Remove the public and outside-the-organization volume permissions an EBS snapshot was given',
  iamActions: ['ec2:ModifySnapshotAttribute'],
  readIamActions: ['ec2:DescribeSnapshotAttribute'],
  undoIamActions: ['ec2:ModifySnapshotAttribute'],
  target: (event, ctx) =>
    shareTarget(
      'remove-foreign-snapshot-permissions',
      event,
      ctx,
      ['ModifySnapshotAttribute'],
      (r) => ({
        id: isObject(r['createVolumePermission']) ? str(r['snapshotId']) : undefined,
        kind: 'EBS snapshot',
      }),
      ec2AddsPublic('createVolumePermission'),
    ),
  stateReads: (target) => [
    call(
      'ec2',
      'DescribeSnapshotAttribute',
      { SnapshotId: target.resourceId, Attribute: 'createVolumePermission' },
      target.region,
    ),
  ],
  plan: (target, state) =>
    sharePlan(target, state, (grants, op) =>
      call(
        'ec2',
        'ModifySnapshotAttribute',
        {
          SnapshotId: target.resourceId,
          CreateVolumePermission: { [op === 'remove' ? 'Remove' : 'Add']: ec2Permissions(grants) },
        },
        target.region,
      ),
    ),
  verify: shareVerify,
  undo: (snapshot) => [
    call(
      'ec2',
      'ModifySnapshotAttribute',
      { SnapshotId: snapshot['resourceId'], CreateVolumePermission: { Add: ec2Permissions(snapshotGrants(snapshot)) } },
      String(snapshot['region']),
    ),
  ],
};

/** The RDS identifiers of each kind of snapshot. */
const RDS = {
  'DB snapshot': { id: 'DBSnapshotIdentifier', modify: 'ModifyDBSnapshotAttribute' },
  'DB cluster snapshot': { id: 'DBClusterSnapshotIdentifier', modify: 'ModifyDBClusterSnapshotAttribute' },
} as const;
type RdsKind = keyof typeof RDS;
const rdsKind = (target: RemediationTarget | Readonly<Record<string, unknown>>): RdsKind =>
  ('details' in target ? (target as RemediationTarget).details['kind'] : target['kind']) === 'DB cluster snapshot'
    ? 'DB cluster snapshot'
    : 'DB snapshot';

const rdsCall = (kind: RdsKind, id: unknown, grants: readonly string[], op: 'remove' | 'add', region: string) =>
  call(
    'rds',
    RDS[kind].modify,
    {
      [RDS[kind].id]: id,
      AttributeName: 'restore',
      [op === 'remove' ? 'ValuesToRemove' : 'ValuesToAdd']: [...grants],
    },
    region,
  );

export const removeForeignDbSnapshotAccess: RemediationActionDef<SharedAttributeState> = {
  id: 'remove-foreign-db-snapshot-access',
  title: 'Remove public and outside-the-organization restore access from an RDS or Aurora snapshot',
  iamActions: ['rds:ModifyDBSnapshotAttribute', 'rds:ModifyDBClusterSnapshotAttribute'],
  readIamActions: ['rds:DescribeDBSnapshotAttributes', 'rds:DescribeDBClusterSnapshotAttributes'],
  undoIamActions: ['rds:ModifyDBSnapshotAttribute', 'rds:ModifyDBClusterSnapshotAttribute'],
  target: (event, ctx) =>
    shareTarget(
      'remove-foreign-db-snapshot-access',
      event,
      ctx,
      ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'],
      (r) => {
        const restore = String(r['attributeName'] ?? '').toLowerCase() === 'restore';
        const cluster = event.detail.eventName === 'ModifyDBClusterSnapshotAttribute';
        const id = str(r[cluster ? 'dBClusterSnapshotIdentifier' : 'dBSnapshotIdentifier']);
        return { id: restore ? id : undefined, kind: cluster ? 'DB cluster snapshot' : 'DB snapshot' };
      },
      (r) => asArray(r['valuesToAdd']).some((v) => typeof v === 'string' && v.trim().toLowerCase() === PUBLIC),
    ),
  stateReads: (target) => {
    const kind = rdsKind(target);
    const operation = kind === 'DB snapshot' ? 'DescribeDBSnapshotAttributes' : 'DescribeDBClusterSnapshotAttributes';
    return [call('rds', operation, { [RDS[kind].id]: target.resourceId }, target.region)];
  },
  plan: (target, state) =>
    sharePlan(target, state, (grants, op) => rdsCall(rdsKind(target), target.resourceId, grants, op, target.region)),
  verify: shareVerify,
  undo: (snapshot) => [
    rdsCall(rdsKind(snapshot), snapshot['resourceId'], snapshotGrants(snapshot), 'add', String(snapshot['region'])),
  ],
};
