/**
 * One end-to-end scenario per remediation action, at the SDK level: what the member account answers to
 * the state reads before and after the fix (response shapes as each API reference documents them), and
 * the exact mutating commands the fix and its undo must send. Used with aws-sdk-client-mock.
 */
import {
  CloudTrailClient,
  GetEventSelectorsCommand,
  GetTrailCommand,
  GetTrailStatusCommand,
  LookupEventsCommand,
  PutEventSelectorsCommand,
  StartLoggingCommand,
  StopLoggingCommand,
  UpdateTrailCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  ConfigServiceClient,
  type ConfigurationRecorderStatus,
  DeleteConfigurationRecorderCommand,
  DeleteDeliveryChannelCommand,
  DescribeConfigurationRecordersCommand,
  DescribeConfigurationRecorderStatusCommand,
  DescribeDeliveryChannelsCommand,
  NoSuchConfigurationRecorderException,
  NoSuchDeliveryChannelException,
  PutConfigurationRecorderCommand,
  PutDeliveryChannelCommand,
  StartConfigurationRecorderCommand,
  StopConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeImageAttributeCommand,
  DescribeNetworkAclsCommand,
  ModifyImageAttributeCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  type NetworkAclEntry,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EnableRuleCommand,
  PutPermissionCommand,
  RemovePermissionCommand,
  DisableRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutTargetsCommand,
  type RuleState,
} from '@aws-sdk/client-eventbridge';
import {
  CreateDetectorCommand,
  DeleteDetectorCommand,
  GetDetectorCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  UpdateDetectorCommand,
} from '@aws-sdk/client-guardduty';
import {
  AddUserToGroupCommand,
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  GetGroupCommand,
  ListAccessKeysCommand,
  RemoveUserFromGroupCommand,
  UpdateAccessKeyCommand,
  DeleteLoginProfileCommand,
  GetLoginProfileCommand,
  DetachRolePolicyCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException as IamNoSuchEntity,
  ListAttachedRolePoliciesCommand,
  ListPolicyVersionsCommand,
  SetDefaultPolicyVersionCommand,
} from '@aws-sdk/client-iam';
import {
  CancelKeyDeletionCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  type KeyMetadata,
  type KeyState,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import {
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand,
  PutPublicAccessBlockCommand as PutAccountPublicAccessBlockCommand,
  S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { DescribeDBSnapshotAttributesCommand, ModifyDBSnapshotAttributeCommand, RDSClient } from '@aws-sdk/client-rds';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import type { RemediationContext } from '../../../../handlers/core/remediation/types';
import type { RemediationId } from '../../../../rules/types';
import { CTX, MEMBER } from '../../../fixtures/remediation/load';

/** The mocked clients, one per service remediation calls. */
export interface Mocks {
  readonly ec2: AwsStub<any, any, any>;
  readonly s3: AwsStub<any, any, any>;
  readonly s3control: AwsStub<any, any, any>;
  readonly iam: AwsStub<any, any, any>;
  readonly cloudtrail: AwsStub<any, any, any>;
  readonly kms: AwsStub<any, any, any>;
  readonly guardduty: AwsStub<any, any, any>;
  readonly config: AwsStub<any, any, any>;
  readonly events: AwsStub<any, any, any>;
  readonly rds: AwsStub<any, any, any>;
}

/** Mocks every client class remediation uses (aws-sdk-client-mock stubs `send` of all their instances). */
export const mockAll = (): Mocks => ({
  ec2: mockClient(EC2Client),
  s3: mockClient(S3Client),
  s3control: mockClient(S3ControlClient),
  iam: mockClient(IAMClient),
  cloudtrail: mockClient(CloudTrailClient),
  kms: mockClient(KMSClient),
  guardduty: mockClient(GuardDutyClient),
  config: mockClient(ConfigServiceClient),
  events: mockClient(EventBridgeClient),
  rds: mockClient(RDSClient),
});

/** A command the scenario expects, by class and exact input. */
export interface ExpectedCommand {
  readonly client: keyof Mocks;
  readonly command: new (input: any) => any;
  readonly input: Record<string, unknown>;
}

export interface SdkScenario {
  readonly action: RemediationId;
  readonly fixture: string;
  readonly ctx: RemediationContext;
  /** Reads show the problem. */
  before(m: Mocks): void;
  /** Reads show the fixed state. */
  after(m: Mocks): void;
  /** The mutating commands of the fix, in order. */
  readonly fix: readonly ExpectedCommand[];
  /** The mutating commands of the undo, in order. */
  readonly undo: readonly ExpectedCommand[];
}

const SG = 'sg-0f63fecfa17ef4fee';
const BUCKET = `payments-settlement-${MEMBER}`;
const POLICY = `arn:aws:iam::${MEMBER}:policy/payments-deployer`;
const TRAIL = `arn:aws:cloudtrail:eu-west-1:${MEMBER}:trail/payments-audit`;
const KEY = `arn:aws:kms:eu-west-1:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const RULE = 'vigil-fwd-regional-1';
const ALL_ON = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
const FORWARDER = `arn:aws:iam::${MEMBER}:role/vigil-forwarder`;
const DENY_TLS = {
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
};
const EVERYONE = { ...DENY_TLS, Sid: 'Everyone', Effect: 'Allow', Principal: { AWS: '*' }, Condition: undefined };
const ACL_OWNER = { DisplayName: 'payments', ID: 'd25639fbe9c19cd30a4c0f43fbf00e2d3f96400a9aa8dabfbbebe1906Example' };
const OWNER_FULL = {
  Grantee: { Type: 'CanonicalUser' as const, ID: ACL_OWNER.ID },
  Permission: 'FULL_CONTROL' as const,
};
const ALL_USERS_READ = {
  Grantee: { Type: 'Group' as const, URI: 'http://acs.amazonaws.com/groups/global/AllUsers' },
  Permission: 'READ' as const,
};
const INLINE_ADMIN = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}';
const PAYMENTS_BATCH_ROLE = {
  Role: {
    Path: '/',
    RoleName: 'payments-batch',
    RoleId: 'AROAEXAMPLEID0000009',
    Arn: `arn:aws:iam::${MEMBER}:role/payments-batch`,
    CreateDate: new Date('2024-01-10T09:00:00Z'),
  },
};
const adminGroup = (users: string[]) => ({
  Group: {
    Path: '/',
    GroupName: 'platform-admins',
    GroupId: 'AGPAEXAMPLEID0000001',
    Arn: `arn:aws:iam::${MEMBER}:group/platform-admins`,
    CreateDate: new Date('2024-01-10T09:00:00Z'),
  },
  Users: users.map((u, i) => ({
    Path: '/',
    UserName: u,
    UserId: `AIDAEXAMPLEID000000${i}`,
    Arn: `arn:aws:iam::${MEMBER}:user/${u}`,
    CreateDate: new Date('2024-01-10T09:00:00Z'),
  })),
  IsTruncated: false,
});
const aliceKeys = (status: 'Active' | 'Inactive') => ({
  AccessKeyMetadata: [
    { UserName: 'alice', AccessKeyId: 'AKIAOLDKEYOLDKEY0001', Status: 'Active' as const },
    { UserName: 'alice', AccessKeyId: 'AKIAQRSTUVWXYZQRSTXY', Status: status },
  ],
  IsTruncated: false,
});
const PUBLIC_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [DENY_TLS, EVERYONE] });
const PRIVATE_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [DENY_TLS] });

const sgRule = (id: string, fields: Record<string, unknown>) => ({
  SecurityGroupRuleId: id,
  GroupId: SG,
  GroupOwnerId: MEMBER,
  IsEgress: false,
  Tags: [],
  SecurityGroupRuleArn: `arn:aws:ec2:eu-west-1:${MEMBER}:security-group-rule/${id}`,
  ...fields,
});
const SSH_WORLD = sgRule('sgr-0a11111111111111a', {
  IpProtocol: 'tcp',
  FromPort: 22,
  ToPort: 22,
  CidrIpv4: '0.0.0.0/0',
});
const HTTPS_WORLD = sgRule('sgr-0b22222222222222b', {
  IpProtocol: 'tcp',
  FromPort: 443,
  ToPort: 443,
  CidrIpv4: '0.0.0.0/0',
});
const RDP_WORLD = sgRule('sgr-0c33333333333333c', {
  IpProtocol: 'tcp',
  FromPort: 3389,
  ToPort: 3389,
  CidrIpv6: '::/0',
});
const EGRESS = sgRule('sgr-0f66666666666666f', {
  IsEgress: true,
  IpProtocol: '-1',
  FromPort: -1,
  ToPort: -1,
  CidrIpv4: '0.0.0.0/0',
});

const versions = (defaultId: string) => ({
  Versions: ['v3', 'v2'].map((id) => ({
    VersionId: id,
    IsDefaultVersion: id === defaultId,
    CreateDate: new Date(id === 'v3' ? '2025-06-11T09:29:48Z' : '2024-11-02T08:00:00Z'),
  })),
  IsTruncated: false,
});

const trail = {
  Trail: {
    Name: 'payments-audit',
    S3BucketName: `payments-audit-logs-${MEMBER}`,
    IncludeGlobalServiceEvents: true,
    IsMultiRegionTrail: true,
    HomeRegion: 'eu-west-1',
    TrailARN: TRAIL,
    LogFileValidationEnabled: true,
    HasCustomEventSelectors: false,
    HasInsightSelectors: false,
    IsOrganizationTrail: false,
  },
};
const trailStatus = (isLogging: boolean) => ({
  IsLogging: isLogging,
  LatestDeliveryTime: new Date('2025-06-11T10:55:00Z'),
  StartLoggingTime: new Date('2024-01-10T09:00:00Z'),
  StopLoggingTime: isLogging ? undefined : new Date('2025-06-11T11:00:03Z'),
  TimeLoggingStarted: '2024-01-10T09:00:00Z',
});

const rule = (state: RuleState) => ({
  Name: RULE,
  Arn: `arn:aws:events:eu-west-1:${MEMBER}:rule/${RULE}`,
  EventPattern: '{"source":["aws.ec2"],"detail-type":["AWS API Call via CloudTrail"]}',
  State: state,
  Description: `Forward security events to ${CTX.centralBusArn}`,
  EventBusName: 'default',
  CreatedBy: MEMBER,
});
const CENTRAL_TARGET = {
  Id: 'central-bus',
  Arn: CTX.centralBusArn,
  RoleArn: FORWARDER,
  RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
};
const OUTSIDE_TARGET = { ...CENTRAL_TARGET, Arn: 'arn:aws:events:eu-west-1:999988887777:event-bus/default' };

const keyMetadata = (state: KeyState): { KeyMetadata: KeyMetadata } => ({
  KeyMetadata: {
    AWSAccountId: MEMBER,
    KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
    Arn: KEY,
    CreationDate: new Date('2023-02-01T10:00:00Z'),
    Enabled: state === 'Enabled',
    Description: 'payments data key',
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: state,
    ...(state === 'PendingDeletion' ? { DeletionDate: new Date('2025-06-18T13:58:30Z') } : {}),
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    KeySpec: 'SYMMETRIC_DEFAULT',
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
  },
});
/** Event history of the key: it was decrypting data minutes before the deletion was scheduled. */
/** The trail of the event-selectors fixture, and its history: the PutEventSelectors that recorded everything. */
const AUDIT_TRAIL = `arn:aws:cloudtrail:eu-west-1:${MEMBER}:trail/payments-audit`;
const selectorsHistory = {
  Events: [
    {
      EventId: '6a2b3c4d-1e2f-4a5b-8c9d-0e1f2a3b4c5d',
      EventName: 'PutEventSelectors',
      ReadOnly: 'false',
      EventTime: new Date('2025-06-01T00:00:00Z'),
      EventSource: 'cloudtrail.amazonaws.com',
      Resources: [{ ResourceType: 'AWS::CloudTrail::Trail', ResourceName: AUDIT_TRAIL }],
      CloudTrailEvent: JSON.stringify({
        eventTime: '2025-06-01T00:00:00Z',
        eventSource: 'cloudtrail.amazonaws.com',
        eventName: 'PutEventSelectors',
        requestParameters: {
          trailName: 'payments-audit',
          eventSelectors: [{ readWriteType: 'All', includeManagementEvents: true, dataResources: [] }],
        },
        responseElements: { trailARN: AUDIT_TRAIL },
      }),
    },
  ],
};
const selectorsNow = (readWriteType: 'All' | 'WriteOnly') => ({
  TrailARN: AUDIT_TRAIL,
  EventSelectors: [
    {
      ReadWriteType: readWriteType,
      IncludeManagementEvents: true,
      DataResources: [],
      ExcludeManagementEventSources: [],
    },
  ],
});

/** The GuardDuty fixture's detector, and its history: UpdateDetector events of the region (LookupEvents by name). */
const DETECTOR = '82c919daa523bc69d203c24868c06849';
const detectorUpdates = {
  Events: [
    {
      EventId: '3f1d2c44-7a2b-4c1e-9d0f-5e6a7b8c9d01',
      EventName: 'UpdateDetector',
      ReadOnly: 'false',
      EventTime: new Date('2025-06-30T08:00:00Z'),
      EventSource: 'guardduty.amazonaws.com',
      Resources: [],
      CloudTrailEvent: JSON.stringify({
        eventTime: '2025-06-30T08:00:00Z',
        eventSource: 'guardduty.amazonaws.com',
        eventName: 'UpdateDetector',
        requestParameters: { detectorId: DETECTOR, enable: true, findingPublishingFrequency: 'FIFTEEN_MINUTES' },
        responseElements: null,
      }),
    },
  ],
};
const detector = (status: 'ENABLED' | 'DISABLED') => ({
  CreatedAt: '2024-01-10T10:00:00.000Z',
  FindingPublishingFrequency: 'FIFTEEN_MINUTES' as const,
  ServiceRole: `arn:aws:iam::${MEMBER}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty`,
  Status: status,
  UpdatedAt: '2025-07-14T13:42:02.000Z',
});
/** LookupEvents answers by the event name asked for: UpdateDetector history, no CreateDetector in 90 days. */
const detectorHistory = (m: Mocks) => {
  m.cloudtrail
    .on(LookupEventsCommand, { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'UpdateDetector' }] })
    .resolves(detectorUpdates);
  m.cloudtrail
    .on(LookupEventsCommand, { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateDetector' }] })
    .resolves({ Events: [] });
};

/** The deleted detector's CreateDetector (CloudTrail wire names), and the detector recreated from it. */
const RECREATED = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const detectorCreated = {
  Events: [
    {
      EventId: '6a2e9d10-1b3c-4d5e-8f90-a1b2c3d4e5f6',
      EventName: 'CreateDetector',
      ReadOnly: 'false',
      EventTime: new Date('2025-06-01T09:00:00Z'),
      EventSource: 'guardduty.amazonaws.com',
      Resources: [],
      CloudTrailEvent: JSON.stringify({
        eventTime: '2025-06-01T09:00:00Z',
        eventSource: 'guardduty.amazonaws.com',
        eventName: 'CreateDetector',
        requestParameters: {
          enable: true,
          findingPublishingFrequency: 'FIFTEEN_MINUTES',
          features: [
            { name: 'S3_DATA_EVENTS', status: 'ENABLED' },
            { name: 'EKS_AUDIT_LOGS', status: 'DISABLED' },
          ],
        },
        responseElements: { detectorId: DETECTOR },
      }),
    },
  ],
};
/** The region's detector history by event name (the deletion itself, and vigil's own CreateDetector, left out). */
const deletedDetectorHistory = (m: Mocks) => {
  for (const name of ['CreateDetector', 'UpdateDetector', 'DeleteDetector']) {
    m.cloudtrail
      .on(LookupEventsCommand, { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: name }] })
      .resolves(name === 'CreateDetector' ? detectorCreated : { Events: [] });
  }
};
/** GuardDuty's answers: no detector in the region, or the recreated one. */
const regionDetector = (m: Mocks, exists: boolean) => {
  m.guardduty.on(ListDetectorsCommand).resolves({ DetectorIds: exists ? [RECREATED] : [] });
  m.guardduty.on(GetDetectorCommand, { DetectorId: RECREATED }).resolves({
    ...detector('ENABLED'),
    Features: [
      { Name: 'CLOUD_TRAIL', Status: 'ENABLED' },
      { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
      { Name: 'EKS_AUDIT_LOGS', Status: 'DISABLED' },
    ],
  });
  m.guardduty.on(CreateDetectorCommand).resolves({ DetectorId: RECREATED });
  deletedDetectorHistory(m);
};

/** The Config fixtures' recorder and channel as Put created them, and the region's Config history by event name. */
const SERVICE_LINKED = `arn:aws:iam::${MEMBER}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`;
const RECORDER = {
  name: 'default',
  roleARN: SERVICE_LINKED,
  recordingGroup: { allSupported: true, includeGlobalResourceTypes: false },
};
const CHANNEL = { name: 'default', s3BucketName: `config-bucket-${MEMBER}` };
const configEvent = (eventName: string, eventTime: string, requestParameters: Record<string, unknown>) => ({
  EventId: `config-${eventName}`,
  EventName: eventName,
  ReadOnly: 'false',
  EventTime: new Date(eventTime),
  EventSource: 'config.amazonaws.com',
  Resources: [],
  CloudTrailEvent: JSON.stringify({ eventTime, eventSource: 'config.amazonaws.com', eventName, requestParameters }),
});
const CONFIG_HISTORY: Readonly<Record<string, ReturnType<typeof configEvent>[]>> = {
  PutConfigurationRecorder: [
    configEvent('PutConfigurationRecorder', '2025-06-01T09:00:00Z', { configurationRecorder: RECORDER }),
  ],
  StartConfigurationRecorder: [
    configEvent('StartConfigurationRecorder', '2025-06-01T09:00:05Z', { configurationRecorderName: 'default' }),
  ],
  PutDeliveryChannel: [configEvent('PutDeliveryChannel', '2025-06-01T09:00:03Z', { deliveryChannel: CHANNEL })],
};
/** LookupEvents answers by the event name asked for (none for the names not in CONFIG_HISTORY). */
const configHistory = (m: Mocks) => {
  for (const name of [
    'PutConfigurationRecorder',
    'DeleteConfigurationRecorder',
    'StartConfigurationRecorder',
    'StopConfigurationRecorder',
    'PutDeliveryChannel',
    'DeleteDeliveryChannel',
  ]) {
    m.cloudtrail
      .on(LookupEventsCommand, { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: name }] })
      .resolves({ Events: CONFIG_HISTORY[name] ?? [] });
  }
};
/** Config's answers: the recorder and channel as they are (undefined: gone). */
const configState = (m: Mocks, recorder: boolean, channel: boolean) => {
  const named = { ConfigurationRecorderNames: ['default'] };
  if (recorder) {
    const described = {
      ConfigurationRecorders: [
        {
          ...RECORDER,
          arn: `arn:aws:config:eu-west-1:${MEMBER}:configuration-recorder/default/abc`,
          recordingGroup: {
            ...RECORDER.recordingGroup,
            resourceTypes: [],
            exclusionByResourceTypes: { resourceTypes: [] },
            recordingStrategy: { useOnly: 'ALL_SUPPORTED_RESOURCE_TYPES' as const },
          },
          recordingMode: { recordingFrequency: 'CONTINUOUS' as const, recordingModeOverrides: [] },
        },
      ],
    };
    m.config.on(DescribeConfigurationRecordersCommand).resolves(described);
    m.config.on(DescribeConfigurationRecorderStatusCommand).resolves(recorderStatus(true));
  } else {
    m.config.on(DescribeConfigurationRecordersCommand).resolves({ ConfigurationRecorders: [] });
    m.config.on(DescribeConfigurationRecordersCommand, named).rejects(
      new NoSuchConfigurationRecorderException({
        message: 'Cannot find configuration recorder with the specified name',
        $metadata: {},
      }),
    );
  }
  if (channel) {
    m.config.on(DescribeDeliveryChannelsCommand).resolves({
      DeliveryChannels: [{ ...CHANNEL, configSnapshotDeliveryProperties: { deliveryFrequency: 'TwentyFour_Hours' } }],
    });
  } else {
    m.config.on(DescribeDeliveryChannelsCommand).resolves({ DeliveryChannels: [] });
    m.config.on(DescribeDeliveryChannelsCommand, { DeliveryChannelNames: ['default'] }).rejects(
      new NoSuchDeliveryChannelException({
        message: 'Cannot find delivery channel with specified name',
        $metadata: {},
      }),
    );
  }
  configHistory(m);
};

const keyHistory = {
  Events: [
    {
      EventId: '7c1e2a33-0c5e-4f0a-9a52-6f2f1d8f1e01',
      EventName: 'Decrypt',
      ReadOnly: 'true',
      EventTime: new Date('2025-06-11T13:41:07Z'),
      EventSource: 'kms.amazonaws.com',
      Username: 'payments-batch',
      Resources: [{ ResourceType: 'AWS::KMS::Key', ResourceName: KEY }],
      CloudTrailEvent: JSON.stringify({
        eventVersion: '1.10',
        eventTime: '2025-06-11T13:41:07Z',
        eventSource: 'kms.amazonaws.com',
        eventName: 'Decrypt',
        awsRegion: 'eu-west-1',
        requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
        responseElements: null,
        resources: [{ accountId: MEMBER, type: 'AWS::KMS::Key', ARN: KEY }],
        eventType: 'AwsApiCall',
      }),
    },
  ],
};
/** vigil's organization trail in the member fixture account, as GetTrail returns it. */
const ORG_TRAIL = {
  Name: 'vigil-org-trail',
  TrailARN: `arn:aws:cloudtrail:eu-west-1:${MEMBER}:trail/vigil-org-trail`,
  HomeRegion: 'eu-west-1',
  S3BucketName: 'aws-controltower-logs-555555555555-eu-west-1',
  IncludeGlobalServiceEvents: true,
  LogFileValidationEnabled: true,
  IsOrganizationTrail: true,
};
/** Its history: created multi-region and encrypted. */
const orgTrailHistory = {
  Events: [
    {
      EventId: '5d0c1f7e-2a44-4d0b-8f1e-000000000001',
      EventName: 'CreateTrail',
      EventTime: new Date('2025-05-01T00:00:00Z'),
      EventSource: 'cloudtrail.amazonaws.com',
      CloudTrailEvent: JSON.stringify({
        eventName: 'CreateTrail',
        eventTime: '2025-05-01T00:00:00Z',
        requestParameters: {
          name: 'vigil-org-trail',
          s3BucketName: 'aws-controltower-logs-555555555555-eu-west-1',
          isMultiRegionTrail: true,
          isOrganizationTrail: true,
          kmsKeyId: KEY,
        },
      }),
    },
  ],
};
const recorderStatus = (recording: boolean): { ConfigurationRecordersStatus: ConfigurationRecorderStatus[] } => ({
  ConfigurationRecordersStatus: [
    {
      name: 'default',
      lastStartTime: new Date('2024-01-10T09:00:00Z'),
      lastStopTime: recording ? undefined : new Date('2025-06-11T14:20:00Z'),
      recording,
      lastStatus: 'Success',
      lastStatusChangeTime: new Date('2025-06-11T14:19:00Z'),
    },
  ],
});

const ACL = 'acl-0e1f2a3b4c5d6e7f8';
const RDP_WORLD_ENTRY: NetworkAclEntry = {
  RuleNumber: 90,
  Egress: false,
  Protocol: '6',
  RuleAction: 'allow',
  Ipv6CidrBlock: '::/0',
  PortRange: { From: 3389, To: 3389 },
};
/** DescribeNetworkAcls of the ACL: HTTPS from anywhere, the final denies, and `extra`. */
const networkAcl = (extra: NetworkAclEntry[]) => ({
  NetworkAcls: [
    {
      NetworkAclId: ACL,
      VpcId: 'vpc-0a1b2c3d4e5f60718',
      IsDefault: false,
      OwnerId: MEMBER,
      Associations: [],
      Tags: [],
      Entries: [
        ...extra,
        {
          RuleNumber: 100,
          Egress: false,
          Protocol: '6',
          RuleAction: 'allow' as const,
          CidrBlock: '0.0.0.0/0',
          PortRange: { From: 443, To: 443 },
        },
        { RuleNumber: 32767, Egress: false, Protocol: '-1', RuleAction: 'deny' as const, CidrBlock: '0.0.0.0/0' },
        { RuleNumber: 32767, Egress: true, Protocol: '-1', RuleAction: 'deny' as const, CidrBlock: '0.0.0.0/0' },
      ],
    },
  ],
});

const BUS_VIGIL = {
  Sid: 'OrgForwarderRolesPutEventsOnly',
  Effect: 'Allow',
  Principal: '*',
  Action: 'events:PutEvents',
  Resource: CTX.centralBusArn,
  Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-test123456' } },
};
const BUS_PARTNER = {
  Sid: 'partner',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::999988887777:root' },
  Action: 'events:PutEvents',
  Resource: CTX.centralBusArn,
};
const busPolicy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const centralBus = (policy: string) => ({ Name: 'vigil-security', Arn: CTX.centralBusArn, Policy: policy });

export const SDK_SCENARIOS: readonly SdkScenario[] = [
  {
    action: 'revoke-world-open-ingress',
    fixture: 'ec2-authorize-ingress',
    ctx: CTX,
    before: (m) =>
      m.ec2
        .on(DescribeSecurityGroupRulesCommand)
        .resolves({ SecurityGroupRules: [SSH_WORLD, HTTPS_WORLD, RDP_WORLD, EGRESS] }),
    after: (m) => m.ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [HTTPS_WORLD, EGRESS] }),
    fix: [
      {
        client: 'ec2',
        command: RevokeSecurityGroupIngressCommand,
        input: { GroupId: SG, SecurityGroupRuleIds: ['sgr-0a11111111111111a'] },
      },
      {
        client: 'ec2',
        command: RevokeSecurityGroupIngressCommand,
        input: { GroupId: SG, SecurityGroupRuleIds: ['sgr-0c33333333333333c'] },
      },
    ],
    undo: [
      {
        client: 'ec2',
        command: AuthorizeSecurityGroupIngressCommand,
        input: {
          GroupId: SG,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        },
      },
      {
        client: 'ec2',
        command: AuthorizeSecurityGroupIngressCommand,
        input: {
          GroupId: SG,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
        },
      },
    ],
  },
  {
    action: 'restore-bucket-public-access-block',
    fixture: 's3-delete-bucket-pab',
    ctx: CTX,
    before: (m) =>
      m.s3.on(GetPublicAccessBlockCommand).rejects(
        Object.assign(new Error('The public access block configuration was not found'), {
          name: 'NoSuchPublicAccessBlockConfiguration',
          $fault: 'client',
          $metadata: { httpStatusCode: 404 },
        }),
      ),
    after: (m) => m.s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: ALL_ON }),
    fix: [
      {
        client: 's3',
        command: PutPublicAccessBlockCommand,
        input: { Bucket: BUCKET, ExpectedBucketOwner: MEMBER, PublicAccessBlockConfiguration: ALL_ON },
      },
    ],
    undo: [
      { client: 's3', command: DeletePublicAccessBlockCommand, input: { Bucket: BUCKET, ExpectedBucketOwner: MEMBER } },
    ],
  },
  {
    action: 'restore-account-public-access-block',
    fixture: 's3-put-account-pab',
    ctx: CTX,
    before: (m) =>
      m.s3control
        .on(GetAccountPublicAccessBlockCommand)
        .resolves({ PublicAccessBlockConfiguration: { ...ALL_ON, BlockPublicPolicy: false } }),
    after: (m) =>
      m.s3control.on(GetAccountPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: ALL_ON }),
    fix: [
      {
        client: 's3control',
        command: PutAccountPublicAccessBlockCommand,
        input: { AccountId: MEMBER, PublicAccessBlockConfiguration: ALL_ON },
      },
    ],
    undo: [
      {
        client: 's3control',
        command: PutAccountPublicAccessBlockCommand,
        input: { AccountId: MEMBER, PublicAccessBlockConfiguration: { ...ALL_ON, BlockPublicPolicy: false } },
      },
    ],
  },
  {
    action: 'revert-policy-version',
    fixture: 'iam-create-policy-version',
    ctx: CTX,
    before: (m) => {
      m.iam.on(ListPolicyVersionsCommand).resolves(versions('v3'));
      m.cloudtrail.on(LookupEventsCommand).resolves({ Events: [] });
    },
    after: (m) => {
      m.iam.on(ListPolicyVersionsCommand).resolves(versions('v2'));
      m.cloudtrail.on(LookupEventsCommand).resolves({ Events: [] });
    },
    fix: [{ client: 'iam', command: SetDefaultPolicyVersionCommand, input: { PolicyArn: POLICY, VersionId: 'v2' } }],
    undo: [{ client: 'iam', command: SetDefaultPolicyVersionCommand, input: { PolicyArn: POLICY, VersionId: 'v3' } }],
  },
  {
    action: 'detach-admin-policy',
    fixture: 'iam-attach-role-policy',
    ctx: CTX,
    before: (m) => {
      m.iam.on(GetRoleCommand).resolves({
        Role: {
          Path: '/',
          RoleName: 'payments-batch',
          RoleId: 'AROAEXAMPLEID0000002',
          Arn: `arn:aws:iam::${MEMBER}:role/payments-batch`,
          CreateDate: new Date('2024-03-01T00:00:00Z'),
          MaxSessionDuration: 3600,
        },
      });
      m.iam.on(ListAttachedRolePoliciesCommand).resolves({
        AttachedPolicies: [
          { PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
          { PolicyName: 'payments-batch', PolicyArn: `arn:aws:iam::${MEMBER}:policy/payments-batch` },
        ],
        IsTruncated: false,
      });
    },
    after: (m) => {
      m.iam.on(GetRoleCommand).resolves({
        Role: {
          Path: '/',
          RoleName: 'payments-batch',
          RoleId: 'AROAEXAMPLEID0000002',
          Arn: `arn:aws:iam::${MEMBER}:role/payments-batch`,
          CreateDate: new Date('2024-03-01T00:00:00Z'),
        },
      });
      m.iam.on(ListAttachedRolePoliciesCommand).resolves({
        AttachedPolicies: [{ PolicyName: 'payments-batch', PolicyArn: `arn:aws:iam::${MEMBER}:policy/payments-batch` }],
        IsTruncated: false,
      });
    },
    fix: [
      {
        client: 'iam',
        command: DetachRolePolicyCommand,
        input: { RoleName: 'payments-batch', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
      },
    ],
    undo: [
      {
        client: 'iam',
        command: AttachRolePolicyCommand,
        input: { RoleName: 'payments-batch', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
      },
    ],
  },
  {
    action: 'restart-trail-logging',
    fixture: 'cloudtrail-stop-logging',
    ctx: CTX,
    before: (m) => {
      m.cloudtrail.on(GetTrailCommand).resolves(trail);
      m.cloudtrail.on(GetTrailStatusCommand).resolves(trailStatus(false));
    },
    after: (m) => {
      m.cloudtrail.on(GetTrailCommand).resolves(trail);
      m.cloudtrail.on(GetTrailStatusCommand).resolves(trailStatus(true));
    },
    fix: [{ client: 'cloudtrail', command: StartLoggingCommand, input: { Name: TRAIL } }],
    undo: [{ client: 'cloudtrail', command: StopLoggingCommand, input: { Name: TRAIL } }],
  },
  {
    action: 'restore-forwarding-rule',
    fixture: 'events-put-targets',
    ctx: CTX,
    before: (m) => {
      m.events.on(DescribeRuleCommand).resolves(rule('DISABLED'));
      m.events.on(ListTargetsByRuleCommand).resolves({ Targets: [OUTSIDE_TARGET] });
    },
    after: (m) => {
      m.events.on(DescribeRuleCommand).resolves(rule('ENABLED'));
      m.events.on(ListTargetsByRuleCommand).resolves({ Targets: [CENTRAL_TARGET] });
    },
    fix: [
      { client: 'events', command: PutTargetsCommand, input: { Rule: RULE, Targets: [CENTRAL_TARGET] } },
      { client: 'events', command: EnableRuleCommand, input: { Name: RULE } },
    ],
    undo: [
      { client: 'events', command: DisableRuleCommand, input: { Name: RULE } },
      { client: 'events', command: PutTargetsCommand, input: { Rule: RULE, Targets: [OUTSIDE_TARGET] } },
    ],
  },
  {
    action: 'cancel-key-deletion',
    fixture: 'kms-schedule-key-deletion',
    ctx: CTX,
    before: (m) => {
      m.kms.on(DescribeKeyCommand).resolves(keyMetadata('PendingDeletion'));
      m.cloudtrail.on(LookupEventsCommand).resolves(keyHistory);
    },
    after: (m) => {
      m.kms.on(DescribeKeyCommand).resolves(keyMetadata('Enabled'));
      m.cloudtrail.on(LookupEventsCommand).resolves(keyHistory);
    },
    fix: [
      { client: 'kms', command: CancelKeyDeletionCommand, input: { KeyId: KEY } },
      { client: 'kms', command: EnableKeyCommand, input: { KeyId: KEY } },
    ],
    undo: [{ client: 'kms', command: ScheduleKeyDeletionCommand, input: { KeyId: KEY, PendingWindowInDays: 7 } }],
  },
  {
    action: 'restart-config-recorder',
    fixture: 'config-stop-recorder',
    ctx: CTX,
    before: (m) => m.config.on(DescribeConfigurationRecorderStatusCommand).resolves(recorderStatus(false)),
    after: (m) => m.config.on(DescribeConfigurationRecorderStatusCommand).resolves(recorderStatus(true)),
    fix: [
      { client: 'config', command: StartConfigurationRecorderCommand, input: { ConfigurationRecorderName: 'default' } },
    ],
    undo: [
      { client: 'config', command: StopConfigurationRecorderCommand, input: { ConfigurationRecorderName: 'default' } },
    ],
  },
  {
    action: 'recreate-config-recorder-or-channel',
    fixture: 'config-delete-recorder',
    ctx: CTX,
    before: (m) => configState(m, false, true),
    after: (m) => configState(m, true, true),
    fix: [
      { client: 'config', command: PutConfigurationRecorderCommand, input: { ConfigurationRecorder: RECORDER } },
      { client: 'config', command: StartConfigurationRecorderCommand, input: { ConfigurationRecorderName: 'default' } },
    ],
    undo: [
      { client: 'config', command: StopConfigurationRecorderCommand, input: { ConfigurationRecorderName: 'default' } },
      {
        client: 'config',
        command: DeleteConfigurationRecorderCommand,
        input: { ConfigurationRecorderName: 'default' },
      },
    ],
  },
  {
    action: 'recreate-config-recorder-or-channel',
    fixture: 'config-delete-delivery-channel',
    ctx: CTX,
    before: (m) => configState(m, true, false),
    after: (m) => configState(m, true, true),
    fix: [{ client: 'config', command: PutDeliveryChannelCommand, input: { DeliveryChannel: CHANNEL } }],
    undo: [{ client: 'config', command: DeleteDeliveryChannelCommand, input: { DeliveryChannelName: 'default' } }],
  },
  {
    action: 'remove-public-bucket-policy-statements',
    fixture: 's3-put-bucket-policy-public',
    ctx: CTX,
    before: (m) => m.s3.on(GetBucketPolicyCommand).resolves({ Policy: PUBLIC_POLICY }),
    after: (m) => m.s3.on(GetBucketPolicyCommand).resolves({ Policy: PRIVATE_POLICY }),
    fix: [
      {
        client: 's3',
        command: PutBucketPolicyCommand,
        input: { Bucket: BUCKET, ExpectedBucketOwner: MEMBER, Policy: PRIVATE_POLICY },
      },
    ],
    undo: [
      {
        client: 's3',
        command: PutBucketPolicyCommand,
        input: { Bucket: BUCKET, ExpectedBucketOwner: MEMBER, Policy: PUBLIC_POLICY },
      },
    ],
  },
  {
    action: 'remove-public-bucket-acl-grants',
    fixture: 's3-put-bucket-acl-public',
    ctx: CTX,
    before: (m) => m.s3.on(GetBucketAclCommand).resolves({ Owner: ACL_OWNER, Grants: [OWNER_FULL, ALL_USERS_READ] }),
    after: (m) => m.s3.on(GetBucketAclCommand).resolves({ Owner: ACL_OWNER, Grants: [OWNER_FULL] }),
    fix: [
      {
        client: 's3',
        command: PutBucketAclCommand,
        input: {
          Bucket: BUCKET,
          ExpectedBucketOwner: MEMBER,
          AccessControlPolicy: { Owner: ACL_OWNER, Grants: [OWNER_FULL] },
        },
      },
    ],
    undo: [
      {
        client: 's3',
        command: PutBucketAclCommand,
        input: {
          Bucket: BUCKET,
          ExpectedBucketOwner: MEMBER,
          AccessControlPolicy: { Owner: ACL_OWNER, Grants: [OWNER_FULL, ALL_USERS_READ] },
        },
      },
    ],
  },
  {
    action: 'delete-admin-inline-policy',
    fixture: 'iam-put-role-policy-admin',
    ctx: CTX,
    before: (m) => {
      m.iam.on(GetRoleCommand).resolves(PAYMENTS_BATCH_ROLE);
      m.iam.on(GetRolePolicyCommand).resolves({
        RoleName: 'payments-batch',
        PolicyName: 'iam-self-service',
        PolicyDocument: encodeURIComponent(INLINE_ADMIN),
      });
    },
    after: (m) => {
      m.iam.on(GetRoleCommand).resolves(PAYMENTS_BATCH_ROLE);
      m.iam
        .on(GetRolePolicyCommand)
        .rejects(new IamNoSuchEntity({ message: 'The role policy cannot be found', $metadata: {} }));
    },
    fix: [
      {
        client: 'iam',
        command: DeleteRolePolicyCommand,
        input: { RoleName: 'payments-batch', PolicyName: 'iam-self-service' },
      },
    ],
    undo: [
      {
        client: 'iam',
        command: PutRolePolicyCommand,
        input: { RoleName: 'payments-batch', PolicyName: 'iam-self-service', PolicyDocument: INLINE_ADMIN },
      },
    ],
  },
  {
    action: 'remove-user-from-admin-group',
    fixture: 'iam-add-user-to-admin-group',
    ctx: CTX,
    before: (m) => m.iam.on(GetGroupCommand).resolves(adminGroup(['alice', 'svc-reporting'])),
    after: (m) => m.iam.on(GetGroupCommand).resolves(adminGroup(['alice'])),
    fix: [
      {
        client: 'iam',
        command: RemoveUserFromGroupCommand,
        input: { GroupName: 'platform-admins', UserName: 'svc-reporting' },
      },
    ],
    undo: [
      {
        client: 'iam',
        command: AddUserToGroupCommand,
        input: { GroupName: 'platform-admins', UserName: 'svc-reporting' },
      },
    ],
  },
  {
    action: 'deactivate-access-key',
    fixture: 'iam-create-access-key-other-user',
    ctx: CTX,
    before: (m) => m.iam.on(ListAccessKeysCommand).resolves(aliceKeys('Active')),
    after: (m) => m.iam.on(ListAccessKeysCommand).resolves(aliceKeys('Inactive')),
    fix: [
      {
        client: 'iam',
        command: UpdateAccessKeyCommand,
        input: { UserName: 'alice', AccessKeyId: 'AKIAQRSTUVWXYZQRSTXY', Status: 'Inactive' },
      },
    ],
    undo: [
      {
        client: 'iam',
        command: UpdateAccessKeyCommand,
        input: { UserName: 'alice', AccessKeyId: 'AKIAQRSTUVWXYZQRSTXY', Status: 'Active' },
      },
    ],
  },
  {
    action: 'enable-disabled-key',
    fixture: 'kms-disable-key',
    ctx: CTX,
    before: (m) => {
      m.kms.on(DescribeKeyCommand).resolves(keyMetadata('Disabled'));
      m.cloudtrail.on(LookupEventsCommand).resolves(keyHistory);
    },
    after: (m) => {
      m.kms.on(DescribeKeyCommand).resolves(keyMetadata('Enabled'));
      m.cloudtrail.on(LookupEventsCommand).resolves(keyHistory);
    },
    fix: [{ client: 'kms', command: EnableKeyCommand, input: { KeyId: KEY } }],
    undo: [{ client: 'kms', command: DisableKeyCommand, input: { KeyId: KEY } }],
  },
  {
    action: 'restore-event-selectors',
    fixture: 'cloudtrail-put-event-selectors',
    ctx: CTX,
    before: (m) => {
      m.cloudtrail.on(GetEventSelectorsCommand).resolves(selectorsNow('WriteOnly'));
      m.cloudtrail.on(LookupEventsCommand).resolves(selectorsHistory);
    },
    after: (m) => {
      m.cloudtrail.on(GetEventSelectorsCommand).resolves(selectorsNow('All'));
      m.cloudtrail.on(LookupEventsCommand).resolves(selectorsHistory);
    },
    fix: [
      {
        client: 'cloudtrail',
        command: PutEventSelectorsCommand,
        input: {
          TrailName: AUDIT_TRAIL,
          EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [] }],
        },
      },
    ],
    undo: [
      {
        client: 'cloudtrail',
        command: PutEventSelectorsCommand,
        input: {
          TrailName: AUDIT_TRAIL,
          EventSelectors: [
            {
              ReadWriteType: 'WriteOnly',
              IncludeManagementEvents: true,
              DataResources: [],
              ExcludeManagementEventSources: [],
            },
          ],
        },
      },
    ],
  },
  {
    action: 'enable-guardduty-detector',
    fixture: 'guardduty-update-detector',
    ctx: CTX,
    before: (m) => {
      m.guardduty.on(GetDetectorCommand).resolves(detector('DISABLED'));
      detectorHistory(m);
    },
    after: (m) => {
      m.guardduty.on(GetDetectorCommand).resolves(detector('ENABLED'));
      detectorHistory(m);
    },
    fix: [{ client: 'guardduty', command: UpdateDetectorCommand, input: { DetectorId: DETECTOR, Enable: true } }],
    undo: [{ client: 'guardduty', command: UpdateDetectorCommand, input: { DetectorId: DETECTOR, Enable: false } }],
  },
  {
    action: 'recreate-guardduty-detector',
    fixture: 'guardduty-delete-detector',
    ctx: CTX,
    before: (m) => regionDetector(m, false),
    after: (m) => regionDetector(m, true),
    fix: [
      {
        client: 'guardduty',
        command: CreateDetectorCommand,
        input: {
          Enable: true,
          FindingPublishingFrequency: 'FIFTEEN_MINUTES',
          Features: [
            { Name: 'EKS_AUDIT_LOGS', Status: 'DISABLED' },
            { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
          ],
        },
      },
    ],
    undo: [{ client: 'guardduty', command: DeleteDetectorCommand, input: { DetectorId: RECREATED } }],
  },
  {
    action: 'restore-trail-settings',
    fixture: 'cloudtrail-update-trail',
    ctx: CTX,
    before: (m) => {
      m.cloudtrail.on(GetTrailCommand).resolves({ Trail: { ...ORG_TRAIL, IsMultiRegionTrail: false } });
      m.cloudtrail.on(LookupEventsCommand).resolves(orgTrailHistory);
    },
    after: (m) => {
      m.cloudtrail.on(GetTrailCommand).resolves({ Trail: { ...ORG_TRAIL, IsMultiRegionTrail: true, KmsKeyId: KEY } });
      m.cloudtrail.on(LookupEventsCommand).resolves(orgTrailHistory);
    },
    fix: [
      {
        client: 'cloudtrail',
        command: UpdateTrailCommand,
        input: { Name: ORG_TRAIL.TrailARN, IsMultiRegionTrail: true, KmsKeyId: KEY },
      },
    ],
    undo: [
      {
        client: 'cloudtrail',
        command: UpdateTrailCommand,
        input: { Name: ORG_TRAIL.TrailARN, IsMultiRegionTrail: false, KmsKeyId: '' },
      },
    ],
  },
  {
    action: 'delete-world-open-nacl-entry',
    fixture: 'ec2-create-nacl-entry',
    ctx: CTX,
    before: (m) => m.ec2.on(DescribeNetworkAclsCommand).resolves(networkAcl([RDP_WORLD_ENTRY])),
    after: (m) => m.ec2.on(DescribeNetworkAclsCommand).resolves(networkAcl([])),
    fix: [
      {
        client: 'ec2',
        command: DeleteNetworkAclEntryCommand,
        input: { NetworkAclId: ACL, RuleNumber: 90, Egress: false },
      },
    ],
    undo: [
      {
        client: 'ec2',
        command: CreateNetworkAclEntryCommand,
        input: {
          NetworkAclId: ACL,
          RuleNumber: 90,
          Egress: false,
          Protocol: '6',
          RuleAction: 'allow',
          Ipv6CidrBlock: '::/0',
          PortRange: { From: 3389, To: 3389 },
        },
      },
    ],
  },
  {
    action: 'delete-login-profile',
    fixture: 'iam-create-login-profile-other-user',
    ctx: CTX,
    before: (m) =>
      m.iam.on(GetLoginProfileCommand).resolves({
        LoginProfile: { UserName: 'alice', CreateDate: new Date('2025-05-12T11:05:33Z'), PasswordResetRequired: false },
      }),
    after: (m) =>
      m.iam
        .on(GetLoginProfileCommand)
        .rejects(new IamNoSuchEntity({ message: 'Login Profile for User alice cannot be found.', $metadata: {} })),
    fix: [{ client: 'iam', command: DeleteLoginProfileCommand, input: { UserName: 'alice' } }],
    // A deleted password cannot be put back (delete-login-profile.ts): undo sends nothing.
    undo: [],
  },
  {
    action: 'remove-bus-policy-statement',
    fixture: 'events-put-permission-central-bus',
    ctx: CTX,
    before: (m) => m.events.on(DescribeEventBusCommand).resolves(centralBus(busPolicy(BUS_VIGIL, BUS_PARTNER))),
    after: (m) => m.events.on(DescribeEventBusCommand).resolves(centralBus(busPolicy(BUS_VIGIL))),
    fix: [
      {
        client: 'events',
        command: RemovePermissionCommand,
        input: { EventBusName: 'vigil-security', StatementId: 'partner' },
      },
    ],
    undo: [
      {
        client: 'events',
        command: PutPermissionCommand,
        input: { EventBusName: 'vigil-security', Policy: busPolicy(BUS_VIGIL, BUS_PARTNER) },
      },
    ],
  },
  {
    action: 'remove-foreign-launch-permissions',
    fixture: 'ec2-modify-image-attribute',
    ctx: CTX,
    before: (m) =>
      m.ec2.on(DescribeImageAttributeCommand).resolves({
        ImageId: 'ami-0a1b2c3d4e5f67890',
        LaunchPermissions: [{ Group: 'all' }, { UserId: '999988887777' }, { UserId: '333333333333' }],
      }),
    after: (m) =>
      m.ec2
        .on(DescribeImageAttributeCommand)
        .resolves({ ImageId: 'ami-0a1b2c3d4e5f67890', LaunchPermissions: [{ UserId: '333333333333' }] }),
    fix: [
      {
        client: 'ec2',
        command: ModifyImageAttributeCommand,
        input: {
          ImageId: 'ami-0a1b2c3d4e5f67890',
          LaunchPermission: { Remove: [{ Group: 'all' }, { UserId: '999988887777' }] },
        },
      },
    ],
    undo: [
      {
        client: 'ec2',
        command: ModifyImageAttributeCommand,
        input: {
          ImageId: 'ami-0a1b2c3d4e5f67890',
          LaunchPermission: { Add: [{ Group: 'all' }, { UserId: '999988887777' }] },
        },
      },
    ],
  },
  {
    action: 'remove-foreign-db-snapshot-access',
    fixture: 'rds-modify-db-snapshot-attribute',
    ctx: CTX,
    before: (m) =>
      m.rds.on(DescribeDBSnapshotAttributesCommand).resolves({
        DBSnapshotAttributesResult: {
          DBSnapshotIdentifier: 'payments-db-2026-11-20',
          DBSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: ['all', '999988887777'] }],
        },
      }),
    after: (m) =>
      m.rds.on(DescribeDBSnapshotAttributesCommand).resolves({
        DBSnapshotAttributesResult: {
          DBSnapshotIdentifier: 'payments-db-2026-11-20',
          DBSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: [] }],
        },
      }),
    fix: [
      {
        client: 'rds',
        command: ModifyDBSnapshotAttributeCommand,
        input: {
          DBSnapshotIdentifier: 'payments-db-2026-11-20',
          AttributeName: 'restore',
          ValuesToRemove: ['all', '999988887777'],
        },
      },
    ],
    undo: [
      {
        client: 'rds',
        command: ModifyDBSnapshotAttributeCommand,
        input: {
          DBSnapshotIdentifier: 'payments-db-2026-11-20',
          AttributeName: 'restore',
          ValuesToAdd: ['all', '999988887777'],
        },
      },
    ],
  },
];
