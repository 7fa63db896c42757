/**
 * Every remediation action vigil implements, by id, and the IAM actions they need. The member
 * remediation role's policy, the read-only role's policy, docs and tests derive from this table.
 * Pure data and functions: no SDK, no environment.
 */
import type { RemediationId } from '../../../rules/types';
import { cancelKeyDeletion, type KeyDeletionState } from './actions/cancel-key-deletion';
import { type DisabledKeyState, enableDisabledKey } from './actions/enable-disabled-key';
import { enableGuardDutyDetector, type SuspendedDetectorState } from './actions/enable-guardduty-detector';
import { type DeletedDetectorState, recreateGuardDutyDetector } from './actions/recreate-guardduty-detector';
import { type EventSelectorsState, restoreEventSelectors } from './actions/restore-event-selectors';
import { type AttachedPoliciesState, detachAdminPolicy } from './actions/detach-admin-policy';
import { restoreTrailSettings, type TrailSettingsState } from './actions/restore-trail-settings';
import { type RecorderState, restartConfigRecorder } from './actions/restart-config-recorder';
import {
  type ConfigDefinitionState,
  recreateConfigRecorderOrChannel,
} from './actions/recreate-config-recorder-or-channel';
import { restartTrailLogging, type TrailState } from './actions/restart-trail-logging';
import { restoreAccountPublicAccessBlock } from './actions/restore-account-public-access-block';
import {
  type BucketPublicAccessBlockState,
  restoreBucketPublicAccessBlock,
} from './actions/restore-bucket-public-access-block';
import { type ForwardingRuleState, restoreForwardingRule } from './actions/restore-forwarding-rule';
import { type PolicyVersionState, revertPolicyVersion } from './actions/revert-policy-version';
import { type IngressState, revokeWorldOpenIngress } from './actions/revoke-world-open-ingress';
import type { PublicAccessBlockState } from './actions/support';
import {
  type BucketPolicyState,
  removePublicBucketPolicyStatements,
} from './actions/remove-public-bucket-policy-statements';
import { type BucketAclState, removePublicBucketAclGrants } from './actions/remove-public-bucket-acl-grants';
import { type InlinePolicyState, deleteAdminInlinePolicy } from './actions/delete-admin-inline-policy';
import { type GroupMembersState, removeUserFromAdminGroup } from './actions/remove-user-from-admin-group';
import { type AccessKeysState, deactivateAccessKey } from './actions/deactivate-access-key';
import { type NetworkAclState, deleteWorldOpenNaclEntry } from './actions/delete-world-open-nacl-entry';
import { deleteLoginProfile, type LoginProfileState } from './actions/delete-login-profile';
import { type BusPolicyState, removeBusPolicyStatement } from './actions/remove-bus-policy-statement';
import {
  removeForeignDbSnapshotAccess,
  removeForeignLaunchPermissions,
  removeForeignSnapshotPermissions,
  type SharedAttributeState,
} from './actions/remove-foreign-shares';
import type { PlannedCall, RemediationActionDef, RemediationService } from './types';

/** The state type each action's reader returns and its `plan`/`verify` take. */
export interface RemediationStates {
  readonly 'revoke-world-open-ingress': IngressState;
  readonly 'restore-bucket-public-access-block': BucketPublicAccessBlockState;
  readonly 'restore-account-public-access-block': PublicAccessBlockState;
  readonly 'revert-policy-version': PolicyVersionState;
  readonly 'detach-admin-policy': AttachedPoliciesState;
  readonly 'restart-trail-logging': TrailState;
  readonly 'restore-forwarding-rule': ForwardingRuleState;
  readonly 'cancel-key-deletion': KeyDeletionState;
  readonly 'restart-config-recorder': RecorderState;
  readonly 'recreate-config-recorder-or-channel': ConfigDefinitionState;
  readonly 'remove-public-bucket-policy-statements': BucketPolicyState;
  readonly 'remove-public-bucket-acl-grants': BucketAclState;
  readonly 'delete-admin-inline-policy': InlinePolicyState;
  readonly 'remove-user-from-admin-group': GroupMembersState;
  readonly 'deactivate-access-key': AccessKeysState;
  readonly 'enable-disabled-key': DisabledKeyState;
  readonly 'enable-guardduty-detector': SuspendedDetectorState;
  readonly 'recreate-guardduty-detector': DeletedDetectorState;
  readonly 'restore-event-selectors': EventSelectorsState;
  readonly 'restore-trail-settings': TrailSettingsState;
  readonly 'delete-world-open-nacl-entry': NetworkAclState;
  readonly 'delete-login-profile': LoginProfileState;
  readonly 'remove-bus-policy-statement': BusPolicyState;
  readonly 'remove-foreign-launch-permissions': SharedAttributeState;
  readonly 'remove-foreign-snapshot-permissions': SharedAttributeState;
  readonly 'remove-foreign-db-snapshot-access': SharedAttributeState;
}

/** The registry's type: each id maps to the definition over its own state (assignable to `Record<RemediationId, RemediationActionDef>`). */
export type RemediationRegistry = { readonly [K in RemediationId]: RemediationActionDef<RemediationStates[K]> };

/** Every remediation action, by id. */
export const REMEDIATIONS: RemediationRegistry = {
  'revoke-world-open-ingress': revokeWorldOpenIngress,
  'restore-bucket-public-access-block': restoreBucketPublicAccessBlock,
  'restore-account-public-access-block': restoreAccountPublicAccessBlock,
  'revert-policy-version': revertPolicyVersion,
  'detach-admin-policy': detachAdminPolicy,
  'restart-trail-logging': restartTrailLogging,
  'restore-forwarding-rule': restoreForwardingRule,
  'cancel-key-deletion': cancelKeyDeletion,
  'restart-config-recorder': restartConfigRecorder,
  'recreate-config-recorder-or-channel': recreateConfigRecorderOrChannel,
  'remove-public-bucket-policy-statements': removePublicBucketPolicyStatements,
  'remove-public-bucket-acl-grants': removePublicBucketAclGrants,
  'delete-admin-inline-policy': deleteAdminInlinePolicy,
  'remove-user-from-admin-group': removeUserFromAdminGroup,
  'deactivate-access-key': deactivateAccessKey,
  'enable-disabled-key': enableDisabledKey,
  'enable-guardduty-detector': enableGuardDutyDetector,
  'recreate-guardduty-detector': recreateGuardDutyDetector,
  'restore-event-selectors': restoreEventSelectors,
  'restore-trail-settings': restoreTrailSettings,
  'delete-world-open-nacl-entry': deleteWorldOpenNaclEntry,
  'delete-login-profile': deleteLoginProfile,
  'remove-bus-policy-statement': removeBusPolicyStatement,
  'remove-foreign-launch-permissions': removeForeignLaunchPermissions,
  'remove-foreign-snapshot-permissions': removeForeignSnapshotPermissions,
  'remove-foreign-db-snapshot-access': removeForeignDbSnapshotAccess,
};

/** The definition of an action, typed loosely for generic callers (the orchestrator). */
export const remediationFor = (id: RemediationId): RemediationActionDef => REMEDIATIONS[id] as RemediationActionDef;

/** IAM service prefix of each remediation service (`s3control` operations are `s3:` actions). */
const IAM_PREFIX: Readonly<Record<RemediationService, string>> = {
  cloudtrail: 'cloudtrail',
  config: 'config',
  ec2: 'ec2',
  events: 'events',
  guardduty: 'guardduty',
  iam: 'iam',
  kms: 'kms',
  rds: 'rds',
  s3: 's3',
  s3control: 's3',
};

/**
 * Operations whose IAM action is not `<prefix>:<Operation>` (S3 API reference, "Permissions" of each
 * operation; Service Authorization Reference for Amazon S3). Deriving `s3:PutPublicAccessBlock` would
 * name an action that does not exist, and the call would be denied.
 */
const IAM_ACTION_OVERRIDES: Readonly<Record<string, string>> = {
  's3:GetPublicAccessBlock': 's3:GetBucketPublicAccessBlock',
  's3:PutPublicAccessBlock': 's3:PutBucketPublicAccessBlock',
  's3:DeletePublicAccessBlock': 's3:PutBucketPublicAccessBlock',
  's3control:GetPublicAccessBlock': 's3:GetAccountPublicAccessBlock',
  's3control:PutPublicAccessBlock': 's3:PutAccountPublicAccessBlock',
  's3control:DeletePublicAccessBlock': 's3:PutAccountPublicAccessBlock',
};

/** The IAM action a planned call needs, e.g. `ec2:RevokeSecurityGroupIngress`. */
export function iamActionFor(c: Pick<PlannedCall, 'service' | 'operation'>): string {
  return IAM_ACTION_OVERRIDES[`${c.service}:${c.operation}`] ?? `${IAM_PREFIX[c.service]}:${c.operation}`;
}

const union = (pick: (d: RemediationActionDef) => readonly string[]): string[] =>
  [...new Set(Object.values(REMEDIATIONS).flatMap((d) => pick(d as RemediationActionDef)))].sort();

/** Every mutating action of every remediation: the member remediation role's policy. */
export const remediationIamActions = (): string[] => union((d) => d.iamActions);

/** Every read action the state readers need: the member read-only role's policy. */
export const remediationReadIamActions = (): string[] => union((d) => d.readIamActions);

/** Every action undo needs (for an approval-gated role). */
export const remediationUndoIamActions = (): string[] => union((d) => d.undoIamActions);
