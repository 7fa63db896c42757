import { makePredicateContext } from '../../handlers/core/own-calls';
import type { CloudTrailEventBridgeEvent, PredicateContext } from '../../rules/predicates';
import {
  configSettingsWeaken,
  eventSelectorsDropManagementEvents,
  guardDutyDetectorWeakened,
  guardDutyFilterArchives,
  passwordPolicyWeakened,
  readableRequest,
  trailUpdateWeakens,
} from '../../rules/weakening';

const OWN = '110000000006';
const ORG_ACCOUNT = '110000000002';
const OUTSIDE = '999988887777';
const ctx: PredicateContext = makePredicateContext({
  organizationId: 'o-k3m9x2p7qa',
  namePrefix: 'vigil',
  accountIds: [OWN, ORG_ACCOUNT],
  securityAccountId: ORG_ACCOUNT,
});

/** A minimal EventBridge envelope around a CloudTrail record (only what the predicates read). */
function event(eventName: string, requestParameters: unknown, region = 'eu-west-1'): CloudTrailEventBridgeEvent {
  return {
    id: 'e1',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.test',
    account: OWN,
    time: '2025-01-01T00:00:00Z',
    region,
    detail: {
      eventSource: 'test.amazonaws.com',
      eventName,
      awsRegion: region,
      requestParameters: requestParameters as Record<string, unknown> | null,
      recipientAccountId: OWN,
    },
  };
}

/** Requests no predicate can read: each must alert (fail open). */
const UNREADABLE: readonly (readonly [string, unknown])[] = [
  ['missing', undefined],
  ['null', null],
  ['a string', 'omitted'],
  ['an array', [{ name: 'x' }]],
  ['truncated (omitted: true)', { omitted: true }],
];

describe('readableRequest', () => {
  it.each(UNREADABLE)('is undefined for a request that is %s', (_case, p) => {
    expect(readableRequest(event('Anything', p))).toBeUndefined();
  });

  it('returns the parameters of a readable request', () => {
    expect(readableRequest(event('Anything', { name: 't' }))).toEqual({ name: 't' });
  });
});

describe.each([
  ['trailUpdateWeakens', 'UpdateTrail', (e: CloudTrailEventBridgeEvent) => trailUpdateWeakens(e, ctx)],
  ['eventSelectorsDropManagementEvents', 'PutEventSelectors', eventSelectorsDropManagementEvents],
  ['configSettingsWeaken', 'PutConfigurationRecorder', (e: CloudTrailEventBridgeEvent) => configSettingsWeaken(e, ctx)],
  ['configSettingsWeaken', 'PutDeliveryChannel', (e: CloudTrailEventBridgeEvent) => configSettingsWeaken(e, ctx)],
  ['guardDutyDetectorWeakened', 'UpdateDetector', guardDutyDetectorWeakened],
  ['guardDutyFilterArchives', 'CreateFilter', guardDutyFilterArchives],
  ['passwordPolicyWeakened', 'UpdateAccountPasswordPolicy', passwordPolicyWeakened],
] as const)('%s (%s) fails open', (_name, eventName, predicate) => {
  it.each(UNREADABLE)('alerts when the request is %s', (_case, p) => {
    expect(predicate(event(eventName, p))).toBe(true);
  });
});

describe('trailUpdateWeakens', () => {
  const update = (p: Record<string, unknown>) =>
    trailUpdateWeakens(event('UpdateTrail', { name: 'org-trail', ...p }), ctx);

  it.each([
    ['log-file validation off', { enableLogFileValidation: false }],
    ['validation off as a string', { enableLogFileValidation: 'false' }],
    ['single-region', { isMultiRegionTrail: false }],
    ['global service events off', { includeGlobalServiceEvents: false }],
    ['no longer an organization trail', { isOrganizationTrail: false }],
    ['encryption removed', { kmsKeyId: '' }],
    ['CloudWatch Logs delivery removed', { cloudWatchLogsLogGroupArn: '', cloudWatchLogsRoleArn: '' }],
    ['notifications removed', { snsTopicName: '' }],
    ['logs re-pointed to another bucket', { s3BucketName: 'audit-copy' }],
    ['logs re-pointed to another prefix', { s3KeyPrefix: 'elsewhere' }],
    ['a KMS key outside the organization', { kmsKeyId: `arn:aws:kms:eu-west-1:${OUTSIDE}:key/abc` }],
    ['a setting of an unknown type', { isMultiRegionTrail: 'maybe' }],
    ['a setting the predicate does not know', { futureSwitch: true }],
    ['validation on but the bucket changed', { enableLogFileValidation: true, s3BucketName: 'x' }],
  ])('is true for %s', (_case, p) => {
    expect(update(p)).toBe(true);
  });

  it.each([
    ['only turning validation on', { enableLogFileValidation: true }],
    ['adding a KMS key of the organization', { kmsKeyId: `arn:aws:kms:eu-west-1:${ORG_ACCOUNT}:key/abc` }],
    ['a KMS alias', { kmsKeyId: 'alias/cloudtrail' }],
    ['turning multi-region and global events on', { isMultiRegionTrail: true, includeGlobalServiceEvents: true }],
    ['adding CloudWatch Logs delivery', { cloudWatchLogsLogGroupArn: 'arn:aws:logs:eu-west-1:1:log-group:t:*' }],
    ['the name only', {}],
  ])('is false for %s', (_case, p) => {
    expect(update(p)).toBe(false);
  });
});

describe('eventSelectorsDropManagementEvents', () => {
  const basic = (eventSelectors: unknown) => event('PutEventSelectors', { trailName: 't', eventSelectors });
  const advanced = (advancedEventSelectors: unknown) =>
    event('PutEventSelectors', { trailName: 't', advancedEventSelectors });
  const category = { field: 'eventCategory', equals: ['Management'] };
  const readOnly = (value: string) => ({ field: 'readOnly', equals: [value] });
  const management = { name: 'm', fieldSelectors: [category] };

  it.each([
    ['management events off', basic([{ readWriteType: 'All', includeManagementEvents: false }])],
    ['write-only', basic([{ readWriteType: 'WriteOnly', includeManagementEvents: true }])],
    ['read-only in two selectors', basic([{ readWriteType: 'ReadOnly' }, { readWriteType: 'ReadOnly' }])],
    [
      'an excluded event source',
      basic([
        { readWriteType: 'All', includeManagementEvents: true, excludeManagementEventSources: ['kms.amazonaws.com'] },
      ]),
    ],
    [
      'the same source excluded from both halves',
      basic([
        { readWriteType: 'ReadOnly', excludeManagementEventSources: ['kms.amazonaws.com'] },
        { readWriteType: 'WriteOnly', excludeManagementEventSources: ['kms.amazonaws.com'] },
      ]),
    ],
    ['an unknown read/write type', basic([{ readWriteType: 'Some' }])],
    ['no basic selectors at all', basic([])],
    [
      'advanced selectors for data events only',
      advanced([{ fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }] }]),
    ],
    ['advanced management selector limited to reads', advanced([{ fieldSelectors: [category, readOnly('true')] }])],
    [
      'advanced management selector without KMS events',
      advanced([{ fieldSelectors: [category, { field: 'eventSource', notEquals: ['kms.amazonaws.com'] }] }]),
    ],
    [
      'advanced management selector for one event source',
      advanced([{ fieldSelectors: [category, { field: 'eventSource', equals: ['iam.amazonaws.com'] }] }]),
    ],
    [
      'advanced management selector narrowed by a field it cannot judge',
      advanced([{ fieldSelectors: [category, { field: 'eventName', notEquals: ['ConsoleLogin'] }] }]),
    ],
    ['no selectors in the request', event('PutEventSelectors', { trailName: 't' })],
    ['a selector that is not an object', basic(['All'])],
  ])('is true for %s', (_case, e) => {
    expect(eventSelectorsDropManagementEvents(e)).toBe(true);
  });

  it.each([
    [
      'all management events',
      basic([{ readWriteType: 'All', includeManagementEvents: true, excludeManagementEventSources: [] }]),
    ],
    ['defaults (fields omitted)', basic([{ dataResources: [] }])],
    ['one selector as an object, not a list', basic({ readWriteType: 'All' })],
    [
      'management plus data events',
      basic([{ readWriteType: 'All' }, { readWriteType: 'ReadOnly', includeManagementEvents: false }]),
    ],
    ['ReadOnly and WriteOnly in two selectors', basic([{ readWriteType: 'ReadOnly' }, { readWriteType: 'WriteOnly' }])],
    [
      'a KMS exclusion covered by another selector',
      basic([
        { readWriteType: 'All', excludeManagementEventSources: ['kms.amazonaws.com'] },
        { readWriteType: 'All', excludeManagementEventSources: ['rdsdata.amazonaws.com'] },
      ]),
    ],
    [
      'advanced management selector',
      advanced([management, { fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }] }]),
    ],
    [
      'advanced read and write selectors',
      advanced([{ fieldSelectors: [category, readOnly('true')] }, { fieldSelectors: [category, readOnly('false')] }]),
    ],
    [
      'advanced selector with both readOnly values',
      advanced([{ fieldSelectors: [category, { field: 'readOnly', equals: ['true', 'false'] }] }]),
    ],
    [
      'advanced KMS exclusion plus an unrestricted selector',
      advanced([
        { fieldSelectors: [category, { field: 'eventSource', notEquals: ['kms.amazonaws.com'] }] },
        management,
      ]),
    ],
  ])('is false for %s', (_case, e) => {
    expect(eventSelectorsDropManagementEvents(e)).toBe(false);
  });
});

describe('configSettingsWeaken', () => {
  const everything = { allSupported: true, includeGlobalResourceTypes: true, resourceTypes: [] };
  const recorder = (recordingGroup: unknown, extra: Record<string, unknown> = {}, region = 'eu-west-1') =>
    configSettingsWeaken(
      event(
        'PutConfigurationRecorder',
        { configurationRecorder: { name: 'default', roleARN: 'arn:aws:iam::1:role/r', recordingGroup, ...extra } },
        region,
      ),
      ctx,
    );
  const channel = (deliveryChannel: unknown) =>
    configSettingsWeaken(event('PutDeliveryChannel', { deliveryChannel }), ctx);

  it.each([
    ['allSupported false', { ...everything, allSupported: false, resourceTypes: ['AWS::S3::Bucket'] }],
    [
      'an exclusion list',
      {
        allSupported: false,
        exclusionByResourceTypes: { resourceTypes: ['AWS::EC2::Instance'] },
        recordingStrategy: { useOnly: 'EXCLUSION_BY_RESOURCE_TYPES' },
      },
    ],
    ['an inclusion strategy', { ...everything, recordingStrategy: { useOnly: 'INCLUSION_BY_RESOURCE_TYPES' } }],
    ['no recording group', undefined],
    ['allSupported of an unknown type', { allSupported: 'yes' }],
  ])('is true for a recorder with %s', (_case, group) => {
    expect(recorder(group)).toBe(true);
  });

  it('is true for a recorder dropping the global IAM types in us-east-1', () => {
    expect(recorder({ ...everything, includeGlobalResourceTypes: false }, {}, 'us-east-1')).toBe(true);
  });

  it.each([
    ['daily recording', { recordingFrequency: 'DAILY' }],
    [
      'a daily override',
      { recordingFrequency: 'CONTINUOUS', recordingModeOverrides: [{ recordingFrequency: 'DAILY' }] },
    ],
    ['an override without frequency', { recordingModeOverrides: [{ resourceTypes: ['AWS::EC2::Instance'] }] }],
  ])('is true for a recorder with %s', (_case, recordingMode) => {
    expect(recorder(everything, { recordingMode })).toBe(true);
  });

  it.each([
    ['everything', everything, {}],
    [
      'everything with the ALL_SUPPORTED strategy',
      { ...everything, recordingStrategy: { useOnly: 'ALL_SUPPORTED_RESOURCE_TYPES' } },
      {},
    ],
    ['everything, continuously', everything, { recordingMode: { recordingFrequency: 'CONTINUOUS' } }],
    ['everything but the global types outside us-east-1', { ...everything, includeGlobalResourceTypes: false }, {}],
    ['an empty exclusion list', { ...everything, exclusionByResourceTypes: { resourceTypes: [] } }, {}],
  ])('is false for a recorder recording %s', (_case, group, extra) => {
    expect(recorder(group, extra)).toBe(false);
  });

  it.each([
    ['a bucket named without an organization account', { name: 'default', s3BucketName: 'config-archive' }],
    ['a bucket named after an outside account', { name: 'default', s3BucketName: `config-bucket-${OUTSIDE}` }],
    [
      'an SNS topic outside the organization',
      {
        name: 'default',
        s3BucketName: `config-bucket-${ORG_ACCOUNT}`,
        snsTopicARN: `arn:aws:sns:eu-west-1:${OUTSIDE}:t`,
      },
    ],
    [
      'a KMS key outside the organization',
      { s3BucketName: `config-bucket-${ORG_ACCOUNT}`, s3KmsKeyArn: `arn:aws:kms:eu-west-1:${OUTSIDE}:key/k` },
    ],
    ['no bucket', { name: 'default' }],
    ['no channel', undefined],
  ])('is true for a delivery channel with %s', (_case, c) => {
    expect(channel(c)).toBe(true);
  });

  it.each([
    [
      'the log archive bucket and a new frequency',
      {
        name: 'default',
        s3BucketName: `aws-controltower-logs-${ORG_ACCOUNT}-eu-west-1`,
        configSnapshotDeliveryProperties: { deliveryFrequency: 'Six_Hours' },
      },
    ],
    [
      'an organization topic and key',
      {
        s3BucketName: `config-bucket-${OWN}`,
        snsTopicARN: `arn:aws:sns:eu-west-1:${OWN}:config`,
        s3KmsKeyArn: `arn:aws:kms:eu-west-1:${ORG_ACCOUNT}:key/k`,
      },
    ],
  ])('is false for a delivery channel with %s', (_case, c) => {
    expect(channel(c)).toBe(false);
  });

  it('alerts for an event name it does not know', () => {
    expect(configSettingsWeaken(event('PutSomethingElse', { x: 1 }), ctx)).toBe(true);
  });
});

describe('guardDutyDetectorWeakened', () => {
  const update = (p: Record<string, unknown>) =>
    guardDutyDetectorWeakened(event('UpdateDetector', { detectorId: 'd', ...p }));

  it.each([
    ['enable false', { enable: false }],
    ['a feature disabled', { features: [{ name: 'S3_DATA_EVENTS', status: 'DISABLED' }] }],
    ['one feature as an object', { features: { name: 'RUNTIME_MONITORING', status: 'DISABLED' } }],
    [
      'an additional configuration disabled',
      {
        features: [
          {
            name: 'EKS_RUNTIME_MONITORING',
            status: 'ENABLED',
            additionalConfiguration: [{ name: 'EKS_ADDON_MANAGEMENT', status: 'DISABLED' }],
          },
        ],
      },
    ],
    ['S3 protection off (legacy data sources)', { dataSources: { s3Logs: { enable: false } } }],
    ['EKS audit logs off', { dataSources: { kubernetes: { auditLogs: { enable: false } } } }],
    [
      'malware scans off',
      { dataSources: { malwareProtection: { scanEc2InstanceWithFindings: { ebsVolumes: false } } } },
    ],
    ['enable of an unknown type', { enable: 'no' }],
  ])('is true for %s', (_case, p) => {
    expect(update(p)).toBe(true);
  });

  it.each([
    ['enable true', { enable: true }],
    ['the publishing frequency only', { findingPublishingFrequency: 'FIFTEEN_MINUTES' }],
    ['features enabled', { enable: true, features: [{ name: 'RDS_LOGIN_EVENTS', status: 'ENABLED' }] }],
    ['data sources enabled', { dataSources: { s3Logs: { enable: true } } }],
  ])('is false for %s', (_case, p) => {
    expect(update(p)).toBe(false);
  });
});

describe('guardDutyFilterArchives', () => {
  const criteria = { criterion: { severity: { lt: 4 } } };
  const filter = (eventName: string, p: Record<string, unknown>) =>
    guardDutyFilterArchives(event(eventName, { detectorId: 'd', name: 'f', ...p }));

  it.each([
    ['a new archive filter', 'CreateFilter', { action: 'ARCHIVE', findingCriteria: criteria }],
    ['an update to archive', 'UpdateFilter', { action: 'ARCHIVE' }],
    ['new criteria for a filter of unknown action', 'UpdateFilter', { findingCriteria: criteria }],
    ['an action it does not know', 'CreateFilter', { action: 'SUPPRESS', findingCriteria: criteria }],
  ])('is true for %s', (_case, eventName, p) => {
    expect(filter(eventName, p)).toBe(true);
  });

  it.each([
    ['a NOOP filter', 'CreateFilter', { action: 'NOOP', findingCriteria: criteria }],
    ['a filter without action (NOOP by default)', 'CreateFilter', { findingCriteria: criteria }],
    ['an update back to NOOP', 'UpdateFilter', { action: 'NOOP', findingCriteria: criteria }],
    ['a new description only', 'UpdateFilter', { description: 'saved view' }],
  ])('is false for %s', (_case, eventName, p) => {
    expect(filter(eventName, p)).toBe(false);
  });
});

describe('passwordPolicyWeakened', () => {
  const cis = { minimumPasswordLength: 14, passwordReusePrevention: 24 };
  const update = (p: Record<string, unknown>) => passwordPolicyWeakened(event('UpdateAccountPasswordPolicy', p));

  it('is true for a deleted policy', () => {
    expect(passwordPolicyWeakened(event('DeleteAccountPasswordPolicy', null))).toBe(true);
  });

  it.each([
    ['a short minimum length', { ...cis, minimumPasswordLength: 8 }],
    ['little reuse prevention', { ...cis, passwordReusePrevention: 5 }],
    ['no reuse prevention (default)', { minimumPasswordLength: 16 }],
    ['no minimum length (default)', { passwordReusePrevention: 24 }],
    ['a length of an unknown type', { ...cis, minimumPasswordLength: 'long' }],
  ])('is true for %s', (_case, p) => {
    expect(update(p)).toBe(true);
  });

  it.each([
    ['exactly CIS', cis],
    [
      'stricter than CIS, numbers as strings',
      { minimumPasswordLength: '20', passwordReusePrevention: '24', requireSymbols: true },
    ],
  ])('is false for %s', (_case, p) => {
    expect(update(p)).toBe(false);
  });
});
