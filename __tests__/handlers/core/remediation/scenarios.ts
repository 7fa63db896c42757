/**
 * One or more "needs fixing" scenarios per action, as pure data: the fixture event, the context and the
 * state before. Together they exercise every branch that produces calls (each detach kind, every
 * forwarding-rule repair, the key enabled again), so the registry tests can check every operation any plan,
 * undo or state read may send.
 */
import type { RemediationStates } from '../../../../handlers/core/remediation/registry';
import type { RemediationContext } from '../../../../handlers/core/remediation/types';
import type { RemediationId } from '../../../../rules/types';
import { CTX, MEMBER } from '../../../fixtures/remediation/load';

export interface Scenario<K extends RemediationId = RemediationId> {
  readonly name: string;
  readonly action: K;
  readonly fixture: string;
  readonly ctx: RemediationContext;
  readonly before: RemediationStates[K];
  /** What verify learns after the change that undo needs (Verification.undoFacts). @default - none */
  readonly undoFacts?: Readonly<Record<string, unknown>>;
}

const PATTERN = { source: ['aws.ec2'], detail: { eventSource: ['ec2.amazonaws.com'] } };
const ALL_OFF = {
  BlockPublicAcls: false,
  IgnorePublicAcls: false,
  BlockPublicPolicy: false,
  RestrictPublicBuckets: false,
};
const decrypt = {
  eventId: 'kms-used',
  eventName: 'Decrypt',
  eventTime: '2025-06-11T13:40:00Z',
  cloudTrailEvent: JSON.stringify({ eventName: 'Decrypt', eventSource: 'kms.amazonaws.com' }),
};

const s = <K extends RemediationId>(scenario: Scenario<K>): Scenario => scenario as unknown as Scenario;

export const SCENARIOS: readonly Scenario[] = [
  s({
    name: 'world-open SSH and RDP',
    action: 'revoke-world-open-ingress',
    fixture: 'ec2-authorize-ingress',
    ctx: CTX,
    before: {
      rules: [
        {
          SecurityGroupRuleId: 'sgr-0a11111111111111a',
          IsEgress: false,
          IpProtocol: 'tcp',
          FromPort: 22,
          ToPort: 22,
          CidrIpv4: '0.0.0.0/0',
        },
        {
          SecurityGroupRuleId: 'sgr-0c33333333333333c',
          IsEgress: false,
          IpProtocol: 'tcp',
          FromPort: 3389,
          ToPort: 3389,
          CidrIpv6: '::/0',
        },
      ],
    },
  }),
  s({
    name: 'bucket block weakened',
    action: 'restore-bucket-public-access-block',
    fixture: 's3-put-bucket-pab',
    ctx: CTX,
    before: { configuration: { ...ALL_OFF, IgnorePublicAcls: true } },
  }),
  s({
    name: 'bucket block deleted',
    action: 'restore-bucket-public-access-block',
    fixture: 's3-delete-bucket-pab',
    ctx: CTX,
    before: { configuration: 'none' },
  }),
  s({
    name: 'account block weakened',
    action: 'restore-account-public-access-block',
    fixture: 's3-put-account-pab',
    ctx: CTX,
    before: { configuration: { ...ALL_OFF, BlockPublicAcls: true } },
  }),
  s({
    name: 'account block deleted',
    action: 'restore-account-public-access-block',
    fixture: 's3-delete-account-pab',
    ctx: CTX,
    before: { configuration: 'none' },
  }),
  s({
    name: 'admin version set as default',
    action: 'revert-policy-version',
    fixture: 'iam-create-policy-version',
    ctx: CTX,
    before: {
      policyExists: true,
      versions: [
        { VersionId: 'v2', IsDefaultVersion: false },
        { VersionId: 'v3', IsDefaultVersion: true },
      ],
      defaultChanges: { events: [], complete: true },
      deletionsSince: { events: [], complete: true },
    },
  }),
  ...(['role', 'user', 'group'] as const).map((kind) =>
    s({
      name: `admin policy attached to a ${kind}`,
      action: 'detach-admin-policy',
      fixture: `iam-attach-${kind}-policy`,
      ctx: CTX,
      before: {
        principalExists: true,
        principalArn: `arn:aws:iam::${MEMBER}:${kind}/someone`,
        attachedPolicyArns: [
          'arn:aws:iam::aws:policy/AdministratorAccess',
          'arn:aws:iam::aws:policy/AmazonS3FullAccess',
        ],
      },
    }),
  ),
  s({
    name: 'trail stopped',
    action: 'restart-trail-logging',
    fixture: 'cloudtrail-stop-logging',
    ctx: CTX,
    before: {
      exists: true,
      trailArn: `arn:aws:cloudtrail:eu-west-1:${MEMBER}:trail/payments-audit`,
      homeRegion: 'eu-west-1',
      isLogging: false,
    },
  }),
  s({
    name: 'forwarding rule disabled and retargeted',
    action: 'restore-forwarding-rule',
    fixture: 'events-put-targets',
    ctx: CTX,
    before: {
      exists: true,
      state: 'DISABLED',
      eventPattern: JSON.stringify(PATTERN),
      targets: [
        { Id: 'central-bus', Arn: 'arn:aws:events:eu-west-1:999988887777:event-bus/default' },
        { Id: 'copy', Arn: 'arn:aws:events:eu-west-1:999988887777:event-bus/default' },
      ],
    },
  }),
  s({
    name: 'forwarding rule pattern narrowed',
    action: 'restore-forwarding-rule',
    fixture: 'events-put-rule',
    ctx: { ...CTX, forwardingPatterns: [{ key: 'regional-1', state: 'ENABLED', pattern: PATTERN }] },
    before: {
      exists: true,
      state: 'ENABLED',
      eventPattern: '{"source":["aws.ec2"]}',
      targets: [{ Id: 'central-bus', Arn: CTX.centralBusArn, RoleArn: `arn:aws:iam::${MEMBER}:role/vigil-forwarder` }],
    },
  }),
  s({
    name: 'key scheduled for deletion while in use',
    action: 'cancel-key-deletion',
    fixture: 'kms-schedule-key-deletion',
    ctx: CTX,
    before: {
      exists: true,
      keyArn: `arn:aws:kms:eu-west-1:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      keyState: 'PendingDeletion',
      keyManager: 'CUSTOMER',
      history: { events: [decrypt], complete: true },
    },
  }),
  s({
    name: 'recorder stopped',
    action: 'restart-config-recorder',
    fixture: 'config-stop-recorder',
    ctx: CTX,
    before: { exists: true, recording: false },
  }),
  s({
    name: 'bucket policy made public',
    action: 'remove-public-bucket-policy-statements',
    fixture: 's3-put-bucket-policy-public',
    ctx: CTX,
    before: {
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Sid: 'Everyone', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }],
      }),
    },
  }),
  s({
    name: 'bucket policy made public, other statements kept',
    action: 'remove-public-bucket-policy-statements',
    fixture: 's3-put-bucket-policy-public',
    ctx: CTX,
    before: {
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'Everyone', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' },
          { Sid: 'Deny', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' },
        ],
      }),
    },
  }),
  s({
    name: 'bucket ACL made public',
    action: 'remove-public-bucket-acl-grants',
    fixture: 's3-put-bucket-acl-public',
    ctx: CTX,
    before: {
      exists: true,
      owner: { ID: 'owner-id' },
      grants: [
        { Grantee: { Type: 'CanonicalUser', ID: 'owner-id' }, Permission: 'FULL_CONTROL' },
        { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' },
      ],
    },
  }),
  ...(['role', 'user', 'group'] as const).map((kind) =>
    s({
      name: `admin inline policy put on a ${kind}`,
      action: 'delete-admin-inline-policy',
      fixture: `iam-put-${kind}-policy-admin`,
      ctx: CTX,
      before: {
        principalExists: true,
        principalArn: `arn:aws:iam::${MEMBER}:${kind}/someone`,
        document: '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
      },
    }),
  ),
  s({
    name: 'user added to an admin group',
    action: 'remove-user-from-admin-group',
    fixture: 'iam-add-user-to-admin-group',
    ctx: CTX,
    before: {
      groupExists: true,
      members: [
        { UserName: 'alice', Arn: `arn:aws:iam::${MEMBER}:user/alice` },
        { UserName: 'svc-reporting', Arn: `arn:aws:iam::${MEMBER}:user/svc-reporting` },
      ],
    },
  }),
  s({
    name: 'access key created for another user',
    action: 'deactivate-access-key',
    fixture: 'iam-create-access-key-other-user',
    ctx: CTX,
    before: {
      userExists: true,
      keys: [
        { AccessKeyId: 'AKIAOLDKEYOLDKEY0001', Status: 'Active' },
        { AccessKeyId: 'AKIAQRSTUVWXYZQRSTXY', Status: 'Active' },
      ],
    },
  }),
  s({
    name: 'key in use disabled',
    action: 'enable-disabled-key',
    fixture: 'kms-disable-key',
    ctx: CTX,
    before: {
      exists: true,
      keyArn: `arn:aws:kms:eu-west-1:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      keyState: 'Disabled',
      keyManager: 'CUSTOMER',
      history: { events: [decrypt], complete: true },
    },
  }),
  s({
    name: 'trail selectors narrowed to write-only',
    action: 'restore-event-selectors',
    fixture: 'cloudtrail-put-event-selectors',
    ctx: CTX,
    before: {
      exists: true,
      trailArn: `arn:aws:cloudtrail:eu-west-1:${MEMBER}:trail/payments-audit`,
      selectors: {
        EventSelectors: [
          {
            ReadWriteType: 'WriteOnly',
            IncludeManagementEvents: true,
            DataResources: [],
            ExcludeManagementEventSources: [],
          },
        ],
      },
      history: {
        complete: true,
        events: [
          {
            eventId: 'selectors-all',
            eventName: 'PutEventSelectors',
            eventTime: '2025-06-01T00:00:00Z',
            cloudTrailEvent: JSON.stringify({
              requestParameters: {
                trailName: 'payments-audit',
                eventSelectors: [{ readWriteType: 'All', includeManagementEvents: true }],
              },
            }),
          },
        ],
      },
    },
  }),
  s({
    name: 'Config recorder deleted while recording',
    action: 'recreate-config-recorder-or-channel',
    fixture: 'config-delete-recorder',
    ctx: CTX,
    before: {
      counterpartExists: true,
      history: {
        complete: true,
        events: [
          {
            eventId: 'recorder-put',
            eventName: 'PutConfigurationRecorder',
            eventTime: '2025-06-01T09:00:00Z',
            cloudTrailEvent: JSON.stringify({
              requestParameters: {
                configurationRecorder: {
                  name: 'default',
                  roleARN: `arn:aws:iam::${MEMBER}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`,
                  recordingGroup: { allSupported: true, includeGlobalResourceTypes: false },
                },
              },
            }),
          },
          {
            eventId: 'recorder-start',
            eventName: 'StartConfigurationRecorder',
            eventTime: '2025-06-01T09:00:05Z',
            cloudTrailEvent: JSON.stringify({ requestParameters: { configurationRecorderName: 'default' } }),
          },
        ],
      },
    },
  }),
  s({
    name: 'Config delivery channel deleted',
    action: 'recreate-config-recorder-or-channel',
    fixture: 'config-delete-delivery-channel',
    ctx: CTX,
    before: {
      counterpartExists: true,
      history: {
        complete: true,
        events: [
          {
            eventId: 'channel-put',
            eventName: 'PutDeliveryChannel',
            eventTime: '2025-06-01T09:00:03Z',
            cloudTrailEvent: JSON.stringify({
              requestParameters: {
                deliveryChannel: { name: 'default', s3BucketName: `config-bucket-${MEMBER}` },
              },
            }),
          },
        ],
      },
    },
  }),
  s({
    name: 'GuardDuty detector suspended',
    action: 'enable-guardduty-detector',
    fixture: 'guardduty-update-detector',
    ctx: CTX,
    before: {
      exists: true,
      status: 'DISABLED',
      history: {
        complete: true,
        events: [
          {
            eventId: 'detector-enabled',
            eventName: 'UpdateDetector',
            eventTime: '2025-06-30T08:00:00Z',
            cloudTrailEvent: JSON.stringify({
              requestParameters: { detectorId: '82c919daa523bc69d203c24868c06849', enable: true },
            }),
          },
        ],
      },
    },
  }),
  s({
    name: 'GuardDuty detector deleted',
    action: 'recreate-guardduty-detector',
    fixture: 'guardduty-delete-detector',
    ctx: CTX,
    before: {
      history: {
        complete: true,
        events: [
          {
            eventId: 'detector-created',
            eventName: 'CreateDetector',
            eventTime: '2025-06-01T09:00:00Z',
            cloudTrailEvent: JSON.stringify({
              requestParameters: {
                enable: true,
                findingPublishingFrequency: 'FIFTEEN_MINUTES',
                features: [{ name: 'S3_DATA_EVENTS', status: 'ENABLED' }],
              },
              responseElements: { detectorId: '82c919daa523bc69d203c24868c06849' },
            }),
          },
        ],
      },
    },
    // The id of the detector CreateDetector made, which verify hands to undo.
    undoFacts: { createdDetectorId: 'c0ffee00c0ffee00c0ffee00c0ffee00' },
  }),
  s({
    name: 'trail made single-region and unencrypted',
    action: 'restore-trail-settings',
    fixture: 'cloudtrail-update-trail',
    ctx: CTX,
    before: {
      exists: true,
      trail: {
        TrailARN: `arn:aws:cloudtrail:eu-west-1:${MEMBER}:trail/vigil-org-trail`,
        HomeRegion: 'eu-west-1',
        IsMultiRegionTrail: false,
      },
      history: {
        complete: true,
        events: [
          {
            eventId: 'trail-created',
            eventName: 'CreateTrail',
            eventTime: '2025-05-01T00:00:00Z',
            cloudTrailEvent: JSON.stringify({
              requestParameters: {
                name: 'vigil-org-trail',
                s3BucketName: 'b',
                isMultiRegionTrail: true,
                kmsKeyId: 'k',
              },
            }),
          },
        ],
      },
    },
  }),
  s({
    name: 'NACL entry opening RDP to the world created',
    action: 'delete-world-open-nacl-entry',
    fixture: 'ec2-create-nacl-entry',
    ctx: CTX,
    before: {
      exists: true,
      entries: [
        {
          RuleNumber: 90,
          Egress: false,
          Protocol: '6',
          RuleAction: 'allow',
          Ipv6CidrBlock: '::/0',
          PortRange: { From: 3389, To: 3389 },
        },
      ],
      history: { events: [], complete: true },
    },
  }),
  s({
    name: 'NACL entry replaced by SSH from the world, the replaced one known',
    action: 'delete-world-open-nacl-entry',
    fixture: 'ec2-replace-nacl-entry',
    ctx: CTX,
    before: {
      exists: true,
      entries: [
        {
          RuleNumber: 100,
          Egress: false,
          Protocol: '6',
          RuleAction: 'allow',
          CidrBlock: '0.0.0.0/0',
          PortRange: { From: 22, To: 22 },
        },
      ],
      history: {
        complete: true,
        events: [
          {
            eventId: 'entry-created',
            eventName: 'CreateNetworkAclEntry',
            eventTime: '2025-05-01T00:00:00Z',
            cloudTrailEvent: JSON.stringify({
              requestParameters: {
                networkAclId: 'acl-0e1f2a3b4c5d6e7f8',
                ruleNumber: 100,
                egress: false,
                ruleAction: 'allow',
                aclProtocol: '6',
                portRange: { from: 22, to: 22 },
                cidrBlock: '10.0.0.0/8',
              },
            }),
          },
        ],
      },
    },
  }),
  s({
    name: 'console password set for another user',
    action: 'delete-login-profile',
    fixture: 'iam-create-login-profile-other-user',
    ctx: CTX,
    before: { exists: true, createDate: '2025-05-12T11:05:33Z', passwordResetRequired: false },
  }),
  s({
    name: 'central bus opened to an outside account',
    action: 'remove-bus-policy-statement',
    fixture: 'events-put-permission-central-bus',
    ctx: CTX,
    before: {
      exists: true,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'OrgForwarderRolesPutEventsOnly', Effect: 'Allow', Principal: '*', Action: 'events:PutEvents' },
          { Sid: 'partner', Effect: 'Allow', Principal: { AWS: '999988887777' }, Action: 'events:PutEvents' },
        ],
      }),
    },
  }),
  s({
    name: 'AMI made public and shared outside the organization',
    action: 'remove-foreign-launch-permissions',
    fixture: 'ec2-modify-image-attribute',
    ctx: CTX,
    before: { exists: true, grants: ['all', '999988887777', '333333333333'] },
  }),
  s({
    name: 'EBS snapshot shared outside the organization',
    action: 'remove-foreign-snapshot-permissions',
    fixture: 'ec2-modify-snapshot-attribute',
    ctx: CTX,
    before: { exists: true, grants: ['444444444444', '999988887777'] },
  }),
  s({
    name: 'RDS snapshot made public',
    action: 'remove-foreign-db-snapshot-access',
    fixture: 'rds-modify-db-snapshot-attribute',
    ctx: CTX,
    before: { exists: true, grants: ['all', '999988887777'] },
  }),
  s({
    name: 'Aurora cluster snapshot shared outside the organization',
    action: 'remove-foreign-db-snapshot-access',
    fixture: 'rds-modify-cluster-snapshot-attribute',
    ctx: CTX,
    before: { exists: true, grants: ['333333333333', '999988887777'] },
  }),
];
