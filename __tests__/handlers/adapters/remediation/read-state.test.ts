import {
  GetTrailCommand,
  GetTrailStatusCommand,
  LookupEventsCommand,
  TrailNotFoundException,
} from '@aws-sdk/client-cloudtrail';
import {
  DescribeConfigurationRecorderStatusCommand,
  NoSuchConfigurationRecorderException,
} from '@aws-sdk/client-config-service';
import {
  DescribeNetworkAclsCommand,
  DescribeSecurityGroupRulesCommand,
  EC2ServiceException,
} from '@aws-sdk/client-ec2';
import { DescribeEventBusCommand, DescribeRuleCommand, ResourceNotFoundException } from '@aws-sdk/client-eventbridge';
import {
  GetLoginProfileCommand,
  GetRoleCommand,
  ListPolicyVersionsCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { DescribeKeyCommand, NotFoundException } from '@aws-sdk/client-kms';
import { BadRequestException, GetDetectorCommand, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import {
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand,
  NoSuchPublicAccessBlockConfiguration,
} from '@aws-sdk/client-s3-control';
import {
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBSnapshotAttributesCommand,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { DescribeImageAttributeCommand, DescribeSnapshotAttributeCommand } from '@aws-sdk/client-ec2';
import { makeStateReader } from '../../../../handlers/adapters/remediation/read-state';
import { remediationFor } from '../../../../handlers/core/remediation/registry';
import type { RemediationTarget } from '../../../../handlers/core/remediation/types';
import type { RemediationId } from '../../../../rules/types';
import { RemediationStateError } from '../../../../handlers/errors';
import { CTX, loadRemediationEvent, MEMBER } from '../../../fixtures/remediation/load';
import { mockAll } from './sdk-scenarios';
import 'aws-sdk-client-mock-jest';

const mocks = mockAll();
const reader = makeStateReader({ namePrefix: 'vigil', maxHistoryPages: 3 });
const targetOf = <K extends RemediationId>(action: K, fixture: string): RemediationTarget & { readonly action: K } => {
  const t = remediationFor(action).target(loadRemediationEvent(fixture), CTX);
  if ('refuse' in t) throw new Error(t.refuse);
  return t as RemediationTarget & { readonly action: K };
};
const TRAIL = `arn:aws:cloudtrail:us-east-2:${MEMBER}:trail/payments-audit`;
const KEY = `arn:aws:kms:eu-west-1:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const meta = { $metadata: {} };

beforeEach(() => {
  for (const m of Object.values(mocks)) m.reset();
});

describe('makeStateReader', () => {
  it('makes the reads stateReads() lists, with the same input and region', async () => {
    const target = targetOf('revoke-world-open-ingress', 'ec2-authorize-ingress');
    mocks.ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });

    await reader.read(target);

    const [planned] = remediationFor(target.action).stateReads(target);
    const sent = mocks.ec2.call(0);
    expect(sent.args[0].input).toEqual(planned?.input);
    expect(await (sent.thisValue as { config: { region: () => Promise<string> } }).config.region()).toBe('eu-west-1');
  });

  it('follows every page of security group rules', async () => {
    mocks.ec2
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({ SecurityGroupRules: [{ SecurityGroupRuleId: 'sgr-1' }], NextToken: 'page-2' })
      .resolvesOnce({ SecurityGroupRules: [{ SecurityGroupRuleId: 'sgr-2' }] });

    const state = await reader.read(targetOf('revoke-world-open-ingress', 'ec2-authorize-ingress'));

    expect(state.rules.map((r) => r.SecurityGroupRuleId)).toEqual(['sgr-1', 'sgr-2']);
    expect(mocks.ec2).toHaveReceivedNthCommandWith(2, DescribeSecurityGroupRulesCommand, { NextToken: 'page-2' });
  });

  it('turns "no configuration" and "no bucket" into state', async () => {
    const bucket = targetOf('restore-bucket-public-access-block', 's3-put-bucket-pab');
    const s3Error = (name: string) =>
      new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 404 }, message: name });
    mocks.s3
      .on(GetPublicAccessBlockCommand)
      .rejectsOnce(s3Error('NoSuchPublicAccessBlockConfiguration'))
      .rejectsOnce(s3Error('NoSuchBucket'));
    mocks.s3control.on(GetAccountPublicAccessBlockCommand).rejects(
      new NoSuchPublicAccessBlockConfiguration({
        message: 'The public access block configuration was not found',
        $metadata: {},
      }),
    );

    expect(await reader.read(bucket)).toEqual({ configuration: 'none' });
    expect(await reader.read(bucket)).toEqual({ configuration: 'no-such-bucket' });
    expect(await reader.read(targetOf('restore-account-public-access-block', 's3-delete-account-pab'))).toEqual({
      configuration: 'none',
    });
  });

  it('reads a network ACL, turns "no ACL" into state, and reads history only for a replaced entry', async () => {
    const created = targetOf('delete-world-open-nacl-entry', 'ec2-create-nacl-entry');
    const replaced = targetOf('delete-world-open-nacl-entry', 'ec2-replace-nacl-entry');
    const entry = {
      RuleNumber: 90,
      Egress: false,
      Protocol: '6',
      RuleAction: 'allow' as const,
      CidrBlock: '0.0.0.0/0',
    };
    mocks.ec2
      .on(DescribeNetworkAclsCommand)
      .resolvesOnce({ NetworkAcls: [{ NetworkAclId: 'acl-0e1f2a3b4c5d6e7f8', Entries: [entry] }] })
      .rejectsOnce(
        new EC2ServiceException({
          name: 'InvalidNetworkAclID.NotFound',
          $fault: 'client',
          $metadata: {},
          message: 'x',
        }),
      )
      .resolvesOnce({ NetworkAcls: [{ NetworkAclId: 'acl-0e1f2a3b4c5d6e7f8' }] });
    mocks.cloudtrail.on(LookupEventsCommand).resolves({ Events: [] });

    expect(await reader.read(created)).toEqual({
      exists: true,
      entries: [entry],
      history: { events: [], complete: true },
    });
    expect(await reader.read(created)).toEqual({ exists: false, entries: [], history: { events: [], complete: true } });
    expect(mocks.cloudtrail.calls()).toHaveLength(0);
    expect(await reader.read(replaced)).toEqual({ exists: true, entries: [], history: { events: [], complete: true } });
    expect(mocks.cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 1);
  });

  it('reads a bus policy, and turns "no bus" into state', async () => {
    const target = targetOf('remove-bus-policy-statement', 'events-put-permission-central-bus');
    mocks.events
      .on(DescribeEventBusCommand)
      .resolvesOnce({ Name: 'vigil-security', Policy: '{"Statement":[]}' })
      .resolvesOnce({ Name: 'vigil-security' })
      .rejectsOnce(new ResourceNotFoundException({ message: 'x', $metadata: {} }));

    expect(await reader.read(target)).toEqual({ exists: true, policy: '{"Statement":[]}' });
    expect(await reader.read(target)).toEqual({ exists: true });
    expect(await reader.read(target)).toEqual({ exists: false });
  });

  it('reads sharing attributes of AMIs, EBS and RDS snapshots, and turns "not found" into state', async () => {
    const ec2Missing = (name: string) =>
      new EC2ServiceException({ name, $fault: 'client', $metadata: {}, message: 'x' });
    mocks.ec2
      .on(DescribeImageAttributeCommand)
      .resolvesOnce({ LaunchPermissions: [{ Group: 'all' }, { UserId: '999988887777' }, { OrganizationArn: 'arn:o' }] })
      .rejectsOnce(ec2Missing('InvalidAMIID.NotFound'));
    mocks.ec2
      .on(DescribeSnapshotAttributeCommand)
      .resolvesOnce({ CreateVolumePermissions: [{ UserId: '999988887777' }] })
      .rejectsOnce(ec2Missing('InvalidSnapshot.NotFound'));
    mocks.rds
      .on(DescribeDBSnapshotAttributesCommand)
      .resolvesOnce({
        DBSnapshotAttributesResult: {
          DBSnapshotAttributes: [
            { AttributeName: 'other', AttributeValues: ['x'] },
            { AttributeName: 'restore', AttributeValues: ['all'] },
          ],
        },
      })
      .resolvesOnce({})
      .rejectsOnce(
        new RDSServiceException({ name: 'DBSnapshotNotFoundFault', $fault: 'client', $metadata: {}, message: 'x' }),
      );
    mocks.rds
      .on(DescribeDBClusterSnapshotAttributesCommand)
      .resolves({ DBClusterSnapshotAttributesResult: { DBClusterSnapshotAttributes: [{ AttributeName: 'restore' }] } });

    const image = targetOf('remove-foreign-launch-permissions', 'ec2-modify-image-attribute');
    expect(await reader.read(image)).toEqual({ exists: true, grants: ['all', '999988887777', 'arn:o'] });
    expect(await reader.read(image)).toEqual({ exists: false, grants: [] });
    const snap = targetOf('remove-foreign-snapshot-permissions', 'ec2-modify-snapshot-attribute');
    expect(await reader.read(snap)).toEqual({ exists: true, grants: ['999988887777'] });
    expect(await reader.read(snap)).toEqual({ exists: false, grants: [] });
    const db = targetOf('remove-foreign-db-snapshot-access', 'rds-modify-db-snapshot-attribute');
    expect(await reader.read(db)).toEqual({ exists: true, grants: ['all'] });
    expect(await reader.read(db)).toEqual({ exists: true, grants: [] });
    expect(await reader.read(db)).toEqual({ exists: false, grants: [] });
    const cluster = targetOf('remove-foreign-db-snapshot-access', 'rds-modify-cluster-snapshot-attribute');
    expect(await reader.read(cluster)).toEqual({ exists: true, grants: [] });
  });

  it('reads a login profile, and turns "no profile" into state', async () => {
    const target = targetOf('delete-login-profile', 'iam-create-login-profile-other-user');
    mocks.iam
      .on(GetLoginProfileCommand)
      .resolvesOnce({ LoginProfile: { UserName: 'alice', CreateDate: new Date('2025-05-12T11:05:33Z') } })
      .resolvesOnce({})
      .rejectsOnce(new NoSuchEntityException({ message: 'x', $metadata: {} }));

    expect(await reader.read(target)).toEqual({
      exists: true,
      createDate: '2025-05-12T11:05:33.000Z',
      passwordResetRequired: false,
    });
    expect(await reader.read(target)).toEqual({ exists: false });
    expect(await reader.read(target)).toEqual({ exists: false });
  });

  it('reads a bucket ACL, and turns "no bucket" into state', async () => {
    const target = targetOf('remove-public-bucket-acl-grants', 's3-put-bucket-acl-public');
    const grant = { Grantee: { Type: 'Group' as const, URI: 'x' }, Permission: 'READ' as const };
    mocks.s3
      .on(GetBucketAclCommand)
      .resolvesOnce({ Owner: { ID: 'o' }, Grants: [grant] })
      .resolvesOnce({})
      .rejectsOnce(new S3ServiceException({ name: 'NoSuchBucket', $fault: 'client', $metadata: {}, message: 'x' }));

    expect(await reader.read(target)).toEqual({ exists: true, owner: { ID: 'o' }, grants: [grant] });
    expect(await reader.read(target)).toEqual({ exists: true, grants: [] });
    expect(await reader.read(target)).toEqual({ exists: false });
  });

  it('reads a bucket policy, and turns "no policy" and "no bucket" into state', async () => {
    const target = targetOf('remove-public-bucket-policy-statements', 's3-put-bucket-policy-public');
    const s3Error = (name: string) =>
      new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 404 }, message: name });
    mocks.s3
      .on(GetBucketPolicyCommand)
      .resolvesOnce({ Policy: '{"Statement":[]}' })
      .rejectsOnce(s3Error('NoSuchBucketPolicy'))
      .rejectsOnce(s3Error('NoSuchBucket'));

    expect(await reader.read(target)).toEqual({ policy: '{"Statement":[]}' });
    expect(await reader.read(target)).toEqual({ policy: 'none' });
    expect(await reader.read(target)).toEqual({ policy: 'no-such-bucket' });
    expect(mocks.s3).toHaveReceivedCommandWith(GetBucketPolicyCommand, {
      Bucket: `payments-settlement-${MEMBER}`,
      ExpectedBucketOwner: MEMBER,
    });
  });

  it('reads trail status by ARN in the home region GetTrail reports', async () => {
    mocks.cloudtrail
      .on(GetTrailCommand)
      .resolves({ Trail: { Name: 'payments-audit', TrailARN: TRAIL, HomeRegion: 'us-east-2' } });
    mocks.cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: false });

    const state = await reader.read(targetOf('restart-trail-logging', 'cloudtrail-stop-logging-by-name'));

    expect(state).toEqual({ exists: true, trailArn: TRAIL, homeRegion: 'us-east-2', isLogging: false });
    const status = mocks.cloudtrail.commandCalls(GetTrailStatusCommand)[0]!;
    expect(status.args[0].input).toEqual({ Name: TRAIL });
    expect(await (status.thisValue as { config: { region: () => Promise<string> } }).config.region()).toBe('us-east-2');
  });

  it.each([
    [
      'a deleted trail',
      'restart-trail-logging',
      'cloudtrail-stop-logging',
      () =>
        mocks.cloudtrail.on(GetTrailCommand).rejects(new TrailNotFoundException({ message: 'Unknown trail', ...meta })),
      { exists: false },
    ],
    [
      'a deleted rule',
      'restore-forwarding-rule',
      'events-disable-rule',
      () =>
        mocks.events
          .on(DescribeRuleCommand)
          .rejects(new ResourceNotFoundException({ message: 'Rule does not exist', ...meta })),
      { exists: false, targets: [] },
    ],
    [
      'a deleted GuardDuty detector (GuardDuty answers BadRequestException)',
      'enable-guardduty-detector',
      'guardduty-update-detector',
      () =>
        mocks.guardduty.on(GetDetectorCommand).rejects(
          new BadRequestException({
            message: 'The request is rejected because the input detectorId is not owned by the current account.',
            ...meta,
          }),
        ),
      { exists: false, history: { events: [], complete: true } },
    ],
    [
      'a detector listed but deleted before GetDetector (none in the region)',
      'recreate-guardduty-detector',
      'guardduty-delete-detector',
      () => {
        mocks.cloudtrail.on(LookupEventsCommand).resolves({ Events: [] });
        mocks.guardduty.on(ListDetectorsCommand).resolves({ DetectorIds: ['c0ffee00c0ffee00c0ffee00c0ffee00'] });
        mocks.guardduty.on(GetDetectorCommand).rejects(
          new BadRequestException({
            message: 'The request is rejected because the input detectorId is not owned by the current account.',
            ...meta,
          }),
        );
      },
      { history: { events: [], complete: true } },
    ],
    [
      'a deleted recorder',
      'restart-config-recorder',
      'config-stop-recorder',
      () =>
        mocks.config
          .on(DescribeConfigurationRecorderStatusCommand)
          .rejects(new NoSuchConfigurationRecorderException({ message: 'x', ...meta })),
      { exists: false },
    ],
    [
      'a deleted role',
      'detach-admin-policy',
      'iam-attach-role-policy',
      () =>
        mocks.iam
          .on(GetRoleCommand)
          .rejects(new NoSuchEntityException({ message: 'The role cannot be found', ...meta })),
      { principalExists: false, attachedPolicyArns: [] },
    ],
    [
      'a deleted key',
      'cancel-key-deletion',
      'kms-schedule-key-deletion',
      () => mocks.kms.on(DescribeKeyCommand).rejects(new NotFoundException({ message: 'Key does not exist', ...meta })),
      { exists: false, history: { events: [], complete: true } },
    ],
  ] as const)('turns %s into state', async (_case, action, fixture, arrange, expected) => {
    arrange();

    expect(await reader.read(targetOf(action, fixture))).toEqual(expected);
  });

  it('reads a deleted policy without asking CloudTrail', async () => {
    mocks.iam
      .on(ListPolicyVersionsCommand)
      .rejects(new NoSuchEntityException({ message: 'Policy does not exist', ...meta }));

    const state = await reader.read(targetOf('revert-policy-version', 'iam-create-policy-version'));

    expect(state.policyExists).toBe(false);
    expect(mocks.cloudtrail.calls()).toHaveLength(0);
  });

  it('reads the policy history: three lookups up to the event, one for deletions since, timestamps as Dates', async () => {
    mocks.iam.on(ListPolicyVersionsCommand).resolves({
      Versions: [{ VersionId: 'v3', IsDefaultVersion: true, CreateDate: new Date('2025-06-11T09:29:48Z') }],
      IsTruncated: false,
    });
    mocks.cloudtrail.on(LookupEventsCommand).resolves({ Events: [] });

    const state = await reader.read(targetOf('revert-policy-version', 'iam-create-policy-version'));

    expect(state.versions).toEqual([
      { VersionId: 'v3', IsDefaultVersion: true, CreateDate: '2025-06-11T09:29:48.000Z' },
    ]);
    const lookups = mocks.cloudtrail.commandCalls(LookupEventsCommand).map((c) => c.args[0].input);
    expect(lookups.map((i) => i.LookupAttributes?.[0]?.AttributeValue)).toEqual([
      'CreatePolicyVersion',
      'SetDefaultPolicyVersion',
      'CreatePolicy',
      'DeletePolicyVersion',
    ]);
    expect(lookups[0]).toMatchObject({
      StartTime: new Date('2025-03-13T09:29:48Z'),
      EndTime: new Date('2025-06-11T09:29:48Z'),
    });
    expect(lookups[3]).toEqual({
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'DeletePolicyVersion' }],
      StartTime: new Date('2025-06-11T09:29:48Z'),
    });
  });

  it('looks the key history up by the key ARN and marks it incomplete past the page cap', async () => {
    mocks.kms
      .on(DescribeKeyCommand)
      .resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY, KeyState: 'PendingDeletion', KeyManager: 'CUSTOMER' } });
    const page = (n: number) => ({
      Events: [
        {
          EventId: `e${n}`,
          EventName: 'Decrypt',
          EventTime: new Date(`2025-06-0${n}T00:00:00Z`),
          CloudTrailEvent: '{}',
        },
      ],
      NextToken: `t${n}`,
    });
    mocks.cloudtrail.on(LookupEventsCommand).resolvesOnce(page(1)).resolvesOnce(page(2)).resolvesOnce(page(3));

    const state = await reader.read(targetOf('cancel-key-deletion', 'kms-schedule-key-deletion'));

    expect(mocks.cloudtrail).toHaveReceivedCommandWith(LookupEventsCommand, {
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: KEY }],
    });
    expect(mocks.cloudtrail.commandCalls(LookupEventsCommand)).toHaveLength(3); // maxHistoryPages
    expect(state.history.complete).toBe(false);
    expect(state.history.events.map((e) => e.eventTime)).toEqual([
      '2025-06-01T00:00:00.000Z',
      '2025-06-02T00:00:00.000Z',
      '2025-06-03T00:00:00.000Z',
    ]);
  });

  it('fails with a typed RemediationStateError for anything else, and sends no write', async () => {
    const denied = new EC2ServiceException({
      name: 'UnauthorizedOperation',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: 'no',
    });
    mocks.ec2.on(DescribeSecurityGroupRulesCommand).rejects(denied);

    const err = await reader
      .read(targetOf('revoke-world-open-ingress', 'ec2-authorize-ingress'))
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RemediationStateError);
    expect(err).toMatchObject({
      code: 'UnauthorizedOperation',
      permanent: true,
      operation: 'DescribeSecurityGroupRules',
      cause: denied,
    });
  });

  it('fails with a RemediationStateError for an unexpected "not found"', async () => {
    mocks.cloudtrail.on(GetTrailCommand).resolves({ Trail: { TrailARN: TRAIL, HomeRegion: 'us-east-2' } });
    mocks.cloudtrail
      .on(GetTrailStatusCommand)
      .rejects(new TrailNotFoundException({ message: 'gone meanwhile', ...meta }));

    await expect(reader.read(targetOf('restart-trail-logging', 'cloudtrail-stop-logging'))).rejects.toMatchObject({
      name: 'RemediationStateError',
      code: 'TrailNotFoundException',
      operation: 'GetTrailStatus',
      region: 'us-east-2', // the home region, where the status was read
    });
  });
});
