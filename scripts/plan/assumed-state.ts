/**
 * The state `npm run plan` assumes for a target: the resource exactly as the event left it, so the
 * plan shows the calls remediation would make if nothing changed since. Offline there is nothing else
 * to go on (no credentials, no reads). Where the event cannot tell (the previous default version of a
 * policy, a KMS key's state before its deletion was scheduled), the state says so with a placeholder or
 * an empty history, and the plan's summary shows it.
 */
import type { KeyDeletionState } from '../../handlers/core/remediation/actions/cancel-key-deletion';
import type { DisabledKeyState } from '../../handlers/core/remediation/actions/enable-disabled-key';
import type { SuspendedDetectorState } from '../../handlers/core/remediation/actions/enable-guardduty-detector';
import type { DeletedDetectorState } from '../../handlers/core/remediation/actions/recreate-guardduty-detector';
import type { EventSelectorsState, SelectorSet } from '../../handlers/core/remediation/actions/restore-event-selectors';
import type { TrailSettingsState } from '../../handlers/core/remediation/actions/restore-trail-settings';
import type { AttachedPoliciesState } from '../../handlers/core/remediation/actions/detach-admin-policy';
import type { RecorderState } from '../../handlers/core/remediation/actions/restart-config-recorder';
import {
  type ConfigDefinitionState,
  configServiceLinkedRole,
} from '../../handlers/core/remediation/actions/recreate-config-recorder-or-channel';
import type { TrailState } from '../../handlers/core/remediation/actions/restart-trail-logging';
import type { BucketPublicAccessBlockState } from '../../handlers/core/remediation/actions/restore-bucket-public-access-block';
import type { ForwardingRuleState, RuleTarget } from '../../handlers/core/remediation/actions/restore-forwarding-rule';
import type { PolicyVersionState } from '../../handlers/core/remediation/actions/revert-policy-version';
import type {
  IngressState,
  SecurityGroupRule,
} from '../../handlers/core/remediation/actions/revoke-world-open-ingress';
import type { PublicAccessBlockState } from '../../handlers/core/remediation/actions/support';
import type { AccessKeysState } from '../../handlers/core/remediation/actions/deactivate-access-key';
import type { GroupMembersState } from '../../handlers/core/remediation/actions/remove-user-from-admin-group';
import type { InlinePolicyState } from '../../handlers/core/remediation/actions/delete-admin-inline-policy';
import type { BucketAclState } from '../../handlers/core/remediation/actions/remove-public-bucket-acl-grants';
import type { BucketPolicyState } from '../../handlers/core/remediation/actions/remove-public-bucket-policy-statements';
import {
  entryOfRequest,
  type NetworkAclState,
} from '../../handlers/core/remediation/actions/delete-world-open-nacl-entry';
import type { RemediationEvent, RemediationTarget } from '../../handlers/core/remediation/types';

/** Stands in for the event of CloudTrail history that tells a setting's previous value. */
export const PREVIOUS_EVENT_PLACEHOLDER = '<the last event that set it, read from CloudTrail history at run time>';

/** Stands in for the previous default version of a policy, which only CloudTrail history can tell. */
export const PREVIOUS_DEFAULT_PLACEHOLDER = '<previous default version, read from CloudTrail history at run time>';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** CloudTrail's `{items: [...]}` wrapper, a bare list, or a single object (a one-element list). */
const items = (v: unknown): Json[] => {
  const list = isObject(v) && 'items' in v ? v['items'] : v;
  return (Array.isArray(list) ? list : list === undefined || list === null ? [] : [list]).filter(isObject);
};
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const request = (event: RemediationEvent): Json =>
  isObject(event.detail.requestParameters) ? event.detail.requestParameters : {};
const response = (event: RemediationEvent): Json =>
  isObject(event.detail.responseElements) ? event.detail.responseElements : {};

/** The state the event left the target in, typed for the target's action. */
export function assumedState(target: RemediationTarget, event: RemediationEvent): unknown {
  switch (target.action) {
    case 'revoke-world-open-ingress':
      return ingressState(target, event);
    case 'restore-bucket-public-access-block':
    case 'restore-account-public-access-block':
      return publicAccessBlockState(event);
    case 'revert-policy-version': {
      const versionId = String(target.details['versionId']);
      const state: PolicyVersionState = {
        policyExists: true,
        versions: [
          { VersionId: versionId, IsDefaultVersion: true },
          { VersionId: PREVIOUS_DEFAULT_PLACEHOLDER, IsDefaultVersion: false },
        ],
        defaultChanges: { events: [], complete: true },
        deletionsSince: { events: [], complete: true },
      };
      return state;
    }
    case 'detach-admin-policy': {
      const type = String(target.details['principalType']).toLowerCase();
      const state: AttachedPoliciesState = {
        principalExists: true,
        // The event names the principal without its IAM path: approved-principal patterns with a path
        // (IAM Identity Center roles) are only matched at run time, after Get{User,Role,Group}.
        principalArn: `arn:aws:iam::${target.accountId}:${type}/${String(target.details['principalName'])}`,
        attachedPolicyArns: [String(target.details['policyArn'])],
      };
      return state;
    }
    case 'restart-trail-logging': {
      const trail = String(target.details['trail']);
      const state: TrailState = {
        exists: true,
        trailArn: trail.startsWith('arn:')
          ? trail
          : `arn:aws:cloudtrail:${target.region}:${target.accountId}:trail/${trail}`,
        homeRegion: target.region,
        isLogging: false,
      };
      return state;
    }
    case 'restore-forwarding-rule':
      return forwardingRuleState(target, event);
    case 'cancel-key-deletion': {
      const keyId = String(target.details['keyId']);
      const state: KeyDeletionState = {
        exists: true,
        keyArn: keyId.startsWith('arn:') ? keyId : `arn:aws:kms:${target.region}:${target.accountId}:key/${keyId}`,
        keyState: 'PendingDeletion',
        keyManager: 'CUSTOMER',
        // Whether the key was enabled before is read from CloudTrail history at run time.
        history: { events: [], complete: true },
      };
      return state;
    }
    case 'restart-config-recorder': {
      const state: RecorderState = { exists: true, recording: false };
      return state;
    }
    case 'recreate-config-recorder-or-channel': {
      // Gone, as the event left it; the previous definition (and whether the recorder was recording) is read from
      // CloudTrail history at run time: assume a Put (with the service-linked role) and a Start a little earlier.
      const name = String(target.details['name']);
      const at = (Date.parse(String(target.details['eventTime'])) || 2000) - 2000;
      const record = (eventName: string, offset: number, requestParameters: Json) => ({
        eventId: `${PREVIOUS_EVENT_PLACEHOLDER} (${eventName})`,
        eventName,
        eventTime: new Date(at + offset).toISOString(),
        cloudTrailEvent: JSON.stringify({ eventName, requestParameters }),
      });
      const events =
        target.details['kind'] === 'channel'
          ? [record('PutDeliveryChannel', 0, { deliveryChannel: { name, s3BucketName: PREVIOUS_EVENT_PLACEHOLDER } })]
          : [
              record('PutConfigurationRecorder', 0, {
                configurationRecorder: {
                  name,
                  roleARN: configServiceLinkedRole(target.accountId),
                  recordingGroup: PREVIOUS_EVENT_PLACEHOLDER,
                },
              }),
              record('StartConfigurationRecorder', 1000, { configurationRecorderName: name }),
            ];
      const state: ConfigDefinitionState = { counterpartExists: true, history: { complete: true, events } };
      return state;
    }
    case 'remove-public-bucket-policy-statements': {
      const doc = request(event)['bucketPolicy'];
      const state: BucketPolicyState = { policy: typeof doc === 'string' ? doc : JSON.stringify(doc ?? {}) };
      return state;
    }
    case 'remove-public-bucket-acl-grants':
      return bucketAclState(event);
    case 'deactivate-access-key': {
      const state: AccessKeysState = {
        userExists: true,
        keys: [{ AccessKeyId: String(target.details['accessKeyId']), Status: 'Active' }],
      };
      return state;
    }
    case 'remove-user-from-admin-group': {
      const user = String(target.details['userName']);
      const state: GroupMembersState = {
        groupExists: true,
        members: [{ UserName: user, Arn: `arn:aws:iam::${target.accountId}:user/${user}` }],
      };
      return state;
    }
    case 'delete-admin-inline-policy': {
      const type = String(target.details['principalType']).toLowerCase();
      const state: InlinePolicyState = {
        principalExists: true,
        principalArn: `arn:aws:iam::${target.accountId}:${type}/${String(target.details['principalName'])}`,
        document: String(request(event)['policyDocument']),
      };
      return state;
    }
    case 'restore-trail-settings': {
      const changed = isObject(target.details['changed']) ? target.details['changed'] : {};
      const names: Json = {
        isMultiRegionTrail: 'IsMultiRegionTrail',
        includeGlobalServiceEvents: 'IncludeGlobalServiceEvents',
        enableLogFileValidation: 'LogFileValidationEnabled',
        kmsKeyId: 'KmsKeyId',
        s3BucketName: 'S3BucketName',
      };
      const trail: Json = { TrailARN: target.resourceId, HomeRegion: target.region };
      const previous: Json = {};
      for (const [field, value] of Object.entries(changed)) {
        trail[String(names[field])] = value;
        previous[field] =
          typeof value === 'boolean' ? true : `<previous ${field}, read from CloudTrail history at run time>`;
      }
      // The previous values are read from CloudTrail history at run time; assume they were the strong ones.
      const state: TrailSettingsState = {
        exists: true,
        trail,
        history: {
          complete: true,
          events: [
            {
              eventId: PREVIOUS_EVENT_PLACEHOLDER,
              eventName: 'UpdateTrail',
              eventTime: new Date((Date.parse(String(target.details['eventTime'])) || 1000) - 1000).toISOString(),
              cloudTrailEvent: JSON.stringify({ eventName: 'UpdateTrail', requestParameters: previous }),
            },
          ],
        },
      };
      return state;
    }
    case 'remove-bus-policy-statement': {
      // The bus policy as the call left it: vigil's statement and the added ones.
      const raw = target.details['statementIds'];
      const sids = (Array.isArray(raw) ? raw : []).map(String);
      const policy = JSON.stringify({ Version: '2012-10-17', Statement: sids.map((Sid) => ({ Sid })) });
      return { exists: true, policy };
    }
    case 'remove-foreign-launch-permissions':
    case 'remove-foreign-snapshot-permissions':
    case 'remove-foreign-db-snapshot-access': {
      // The grants as the event left them: the ones it added are there.
      const raw = target.details['grants'];
      return { exists: true, grants: (Array.isArray(raw) ? raw : []).map(String) };
    }
    case 'delete-login-profile':
      return { exists: true, createDate: String(target.details['eventTime']) };
    case 'delete-world-open-nacl-entry': {
      // The replaced entry (ReplaceNetworkAclEntry) is read from CloudTrail history at run time; offline
      // there is none, so the plan shows the delete that is made when history does not tell.
      const state: NetworkAclState = {
        exists: true,
        entries: [entryOfRequest(request(event))],
        history: { events: [], complete: true },
      };
      return state;
    }
    case 'enable-disabled-key': {
      const keyId = String(target.details['keyId']);
      const state: DisabledKeyState = {
        exists: true,
        keyArn: keyId.startsWith('arn:') ? keyId : `arn:aws:kms:${target.region}:${target.accountId}:key/${keyId}`,
        keyState: 'Disabled',
        keyManager: 'CUSTOMER',
        // Whether the key was enabled before is read from CloudTrail history at run time; assume it was.
        history: {
          complete: true,
          events: [
            {
              eventId: PREVIOUS_EVENT_PLACEHOLDER,
              eventName: 'EnableKey',
              eventTime: new Date((Date.parse(String(target.details['eventTime'])) || 1000) - 1000).toISOString(),
              cloudTrailEvent: '{"eventName":"EnableKey"}',
            },
          ],
        },
      };
      return state;
    }
    case 'restore-event-selectors': {
      // The selectors the event set are the trail's now; the previous ones are read from CloudTrail history at
      // run time: offline, the plan assumes the trail was created with CloudTrail's default selectors.
      const state: EventSelectorsState = {
        exists: true,
        selectors: target.details['set'] as unknown as SelectorSet,
        history: {
          complete: true,
          events: [
            {
              eventId: PREVIOUS_EVENT_PLACEHOLDER,
              eventName: 'CreateTrail',
              eventTime: new Date((Date.parse(String(target.details['eventTime'])) || 1000) - 1000).toISOString(),
              cloudTrailEvent: JSON.stringify({
                eventName: 'CreateTrail',
                requestParameters: { name: target.resourceId },
              }),
            },
          ],
        },
      };
      return state;
    }
    case 'recreate-guardduty-detector': {
      // Gone, as the event left it (no detector in the region); its settings are read from CloudTrail history at
      // run time: assume the CreateDetector that made it, enabled, a little earlier.
      const detectorId = String(target.details['detectorId']);
      const state: DeletedDetectorState = {
        history: {
          complete: true,
          events: [
            {
              eventId: `${PREVIOUS_EVENT_PLACEHOLDER} (CreateDetector)`,
              eventName: 'CreateDetector',
              eventTime: new Date((Date.parse(String(target.details['eventTime'])) || 1000) - 1000).toISOString(),
              cloudTrailEvent: JSON.stringify({
                eventName: 'CreateDetector',
                requestParameters: { enable: true, findingPublishingFrequency: PREVIOUS_EVENT_PLACEHOLDER },
                responseElements: { detectorId },
              }),
            },
          ],
        },
      };
      return state;
    }
    case 'enable-guardduty-detector': {
      const detectorId = String(target.details['detectorId']);
      const state: SuspendedDetectorState = {
        exists: true,
        status: 'DISABLED',
        // Whether the detector was enabled before is read from CloudTrail history at run time; assume it was.
        history: {
          complete: true,
          events: [
            {
              eventId: PREVIOUS_EVENT_PLACEHOLDER,
              eventName: 'UpdateDetector',
              eventTime: new Date((Date.parse(String(target.details['eventTime'])) || 1000) - 1000).toISOString(),
              cloudTrailEvent: JSON.stringify({
                eventName: 'UpdateDetector',
                requestParameters: { detectorId, enable: true },
              }),
            },
          ],
        },
      };
      return state;
    }
  }
}

/** The ACL the event put (explicit grants, or a canned ACL spelled out as S3 documents it). */
function bucketAclState(event: RemediationEvent): BucketAclState {
  const policy = request(event)['AccessControlPolicy'];
  const owner =
    isObject(policy) && isObject(policy['Owner']) ? { ID: String(policy['Owner']['ID']) } : { ID: '<owner>' };
  const explicit =
    isObject(policy) && isObject(policy['AccessControlList']) ? items(policy['AccessControlList']['Grant']) : [];
  const grants = explicit.map((g) => {
    const grantee = isObject(g['Grantee']) ? g['Grantee'] : {};
    return {
      Grantee: {
        Type: String(grantee['xsi:type'] ?? ''),
        ...(str(grantee['URI']) ? { URI: str(grantee['URI']) } : {}),
        ...(str(grantee['ID']) ? { ID: str(grantee['ID']) } : {}),
      },
      Permission: String(g['Permission'] ?? ''),
    };
  });
  if (grants.length > 0) return { exists: true, owner, grants };
  const canned = JSON.stringify(request(event)['x-amz-acl'] ?? '');
  const group = canned.includes('authenticated-read') ? 'AuthenticatedUsers' : 'AllUsers';
  const everyone = (Permission: string) => ({
    Grantee: { Type: 'Group', URI: `http://acs.amazonaws.com/groups/global/${group}` },
    Permission,
  });
  return {
    exists: true,
    owner,
    grants: [
      { Grantee: { Type: 'CanonicalUser', ID: owner.ID }, Permission: 'FULL_CONTROL' },
      everyone('READ'),
      ...(canned.includes('public-read-write') ? [everyone('WRITE')] : []),
    ],
  };
}

function ingressState(target: RemediationTarget, event: RemediationEvent): IngressState {
  const groupId = String(target.details['groupId']);
  const modify = request(event)['ModifySecurityGroupRulesRequest'];
  if (isObject(modify)) {
    const rules = items(modify['SecurityGroupRule']).map((entry): SecurityGroupRule => {
      const rule = isObject(entry['SecurityGroupRule']) ? entry['SecurityGroupRule'] : {};
      return {
        SecurityGroupRuleId: str(entry['SecurityGroupRuleId']),
        GroupId: groupId,
        IsEgress: false,
        IpProtocol: str(rule['IpProtocol']),
        FromPort: num(rule['FromPort']),
        ToPort: num(rule['ToPort']),
        CidrIpv4: str(rule['CidrIpv4']),
        CidrIpv6: str(rule['CidrIpv6']),
      };
    });
    return { rules };
  }
  const added = items(response(event)['securityGroupRuleSet']);
  if (added.length > 0) {
    return {
      rules: added.map((r) => ({
        SecurityGroupRuleId: str(r['securityGroupRuleId']),
        GroupId: groupId,
        IsEgress: r['isEgress'] === true,
        IpProtocol: str(r['ipProtocol']),
        FromPort: num(r['fromPort']),
        ToPort: num(r['toPort']),
        CidrIpv4: str(r['cidrIpv4']),
        CidrIpv6: str(r['cidrIpv6']),
      })),
    };
  }
  // A legacy event names permissions only; the rule ids exist only in AWS.
  const permissions = Array.isArray(target.details['permissions']) ? (target.details['permissions'] as Json[]) : [];
  return {
    rules: permissions.map((p, i) => {
      const cidr = String(p['cidr']);
      return {
        SecurityGroupRuleId: `<rule ${i + 1}: id read at run time>`,
        GroupId: groupId,
        IsEgress: false,
        IpProtocol: String(p['protocol']),
        FromPort: num(p['fromPort']),
        ToPort: num(p['toPort']),
        ...(cidr.includes(':') ? { CidrIpv6: cidr } : { CidrIpv4: cidr }),
      };
    }),
  };
}

function publicAccessBlockState(event: RemediationEvent): PublicAccessBlockState & BucketPublicAccessBlockState {
  const config = request(event)['PublicAccessBlockConfiguration'];
  if (!isObject(config)) return { configuration: 'none' };
  const flag = (k: string) => config[k] === true || config[k] === 'true';
  return {
    configuration: {
      BlockPublicAcls: flag('BlockPublicAcls'),
      IgnorePublicAcls: flag('IgnorePublicAcls'),
      BlockPublicPolicy: flag('BlockPublicPolicy'),
      RestrictPublicBuckets: flag('RestrictPublicBuckets'),
    },
  };
}

function forwardingRuleState(target: RemediationTarget, event: RemediationEvent): ForwardingRuleState {
  const expected = (target.details['expected'] ?? {}) as {
    target?: RuleTarget;
    rule?: { eventPattern: string; state: string };
  };
  const central = expected.target ? [{ ...expected.target }] : [];
  const deployed = { state: expected.rule?.state ?? 'ENABLED', eventPattern: expected.rule?.eventPattern };
  const req = request(event);
  switch (event.detail.eventName) {
    case 'DisableRule':
      return { exists: true, ...deployed, state: 'DISABLED', targets: central };
    case 'PutRule':
      return {
        exists: true,
        state: str(req['state']) ?? 'ENABLED',
        eventPattern: str(req['eventPattern']),
        targets: central,
      };
    case 'RemoveTargets': {
      const removed = new Set(Array.isArray(req['ids']) ? req['ids'].map(String) : []);
      return { exists: true, ...deployed, targets: central.filter((t) => !removed.has(t.Id)) };
    }
    case 'PutTargets': {
      const put = items(req['targets']).map(
        (t): RuleTarget => ({
          Id: String(t['id']),
          Arn: String(t['arn']),
          ...(str(t['roleArn']) ? { RoleArn: str(t['roleArn']) } : {}),
        }),
      );
      const kept = central.filter((t) => !put.some((p) => p.Id === t.Id));
      return { exists: true, ...deployed, targets: [...kept, ...put] };
    }
    default:
      return { exists: true, ...deployed, targets: central };
  }
}
