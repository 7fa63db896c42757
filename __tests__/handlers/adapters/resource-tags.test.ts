import {
  GetResourcesCommand,
  ResourceGroupsTaggingAPIClient,
  ThrottledException,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { makeResourceTagsReader } from '../../../handlers/adapters/resource-tags';
import 'aws-sdk-client-mock-jest';

const sts = mockClient(STSClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);

const TRAIL = 'arn:aws:cloudtrail:eu-west-1:110000000006:trail/payments-audit';
const BUCKET = 'arn:aws:s3:::payments-settlement-110000000006';
const LOOKUP = { accountId: '110000000006', region: 'eu-west-1', arns: [TRAIL] } as const;
const T0 = Date.parse('2025-07-01T01:13:00Z');

const credentials = (expiresAt = T0 + 900_000) => ({
  Credentials: {
    AccessKeyId: 'ASIAEXAMPLEREADONLY',
    SecretAccessKey: 'secret',
    SessionToken: 'token',
    Expiration: new Date(expiresAt),
  },
});

const accessDenied = () =>
  new STSServiceException({
    name: 'AccessDenied',
    $fault: 'client',
    $metadata: { httpStatusCode: 403 },
    message: 'User: arn:aws:sts::110000000003:assumed-role/vigil-triage/x is not authorized to perform: sts:AssumeRole',
  });

let clock = T0;
const reader = (overrides: Partial<Parameters<typeof makeResourceTagsReader>[0]> = {}) =>
  makeResourceTagsReader({
    roleName: 'vigil-readonly',
    sts: new STSClient({ region: 'eu-west-1' }),
    now: () => clock,
    ...overrides,
  });

beforeEach(() => {
  sts.reset();
  tagging.reset();
  clock = T0;
});

describe('makeResourceTagsReader', () => {
  it("assumes the member account's read-only role and reads the tags by ARN", async () => {
    sts.on(AssumeRoleCommand).resolves(credentials());
    tagging.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [{ ResourceARN: TRAIL, Tags: [{ Key: 'owner', Value: 'audit-team' }] }],
    });

    const out = await reader().read(LOOKUP);

    expect(out).toEqual({ status: 'found', tags: { [TRAIL]: { owner: 'audit-team' } }, arns: [TRAIL] });
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::110000000006:role/vigil-readonly',
      RoleSessionName: 'vigil-triage',
    });
    expect(tagging).toHaveReceivedCommandWith(GetResourcesCommand, { ResourceARNList: [TRAIL] });
  });

  it('creates the Tagging client in the region of the resources with the assumed credentials', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials());
    tagging.on(GetResourcesCommand).resolves({});
    const configs: any[] = [];

    await reader({
      taggingClient: (config) => {
        configs.push(config);
        return new ResourceGroupsTaggingAPIClient(config);
      },
    }).read({ ...LOOKUP, region: 'eu-central-1' });

    expect(configs).toHaveLength(1);
    expect(configs[0].region).toBe('eu-central-1');
    await expect(configs[0].credentials()).resolves.toMatchObject({
      accessKeyId: 'ASIAEXAMPLEREADONLY',
      sessionToken: 'token',
    });
  });

  it('answers "found" with no tags for a resource the API does not return (it has none)', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials());
    tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });

    expect(await reader().read(LOOKUP)).toEqual({ status: 'found', tags: { [TRAIL]: {} }, arns: [TRAIL] });
  });

  it('answers "not-applicable" without calling AWS when there is nothing to look up', async () => {
    const r = reader();

    expect(await r.read(undefined)).toEqual({ status: 'not-applicable' });
    expect(await r.read({ ...LOOKUP, arns: [] })).toEqual({ status: 'not-applicable' });
    expect(sts.calls()).toHaveLength(0);
    expect(tagging.calls()).toHaveLength(0);
  });

  it('answers "unavailable" with the reason when the role cannot be assumed, never throwing', async () => {
    sts.on(AssumeRoleCommand).rejects(accessDenied());

    const out = await reader().read(LOOKUP);

    expect(out).toEqual({
      status: 'unavailable',
      reason: expect.stringMatching(/^AccessDenied: .*not authorized.*\(role vigil-readonly in 110000000006\)$/),
    });
    expect(tagging.calls()).toHaveLength(0);
  });

  it('answers "unavailable" when GetResources fails', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials());
    tagging.on(GetResourcesCommand).rejects(new ThrottledException({ message: 'Rate exceeded', $metadata: {} }));

    expect(await reader().read(LOOKUP)).toEqual({ status: 'unavailable', reason: 'ThrottledException: Rate exceeded' });
  });

  it('answers "unavailable" when the lookup takes too long', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials());
    tagging.on(GetResourcesCommand).callsFake(() => new Promise((resolve) => setTimeout(() => resolve({}), 200)));

    expect(await reader({ timeoutMs: 20 }).read(LOOKUP)).toEqual({
      status: 'unavailable',
      reason: 'Error: timed out after 20 ms',
    });
  });

  it('remembers a failing account for a while instead of asking STS for every event of a burst', async () => {
    sts.on(AssumeRoleCommand).rejects(accessDenied());
    const r = reader({ failureTtlMs: 60_000 });

    await r.read(LOOKUP);
    const second = await r.read(LOOKUP);
    clock += 61_000;
    await r.read(LOOKUP);

    expect(second.status).toBe('unavailable');
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('caches tags and credentials until they expire', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials(T0 + 900_000));
    tagging.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [{ ResourceARN: TRAIL, Tags: [{ Key: 'owner', Value: 'audit-team' }] }],
    });
    const r = reader({ ttlMs: 300_000 });

    await r.read(LOOKUP);
    await r.read(LOOKUP);
    expect(tagging).toHaveReceivedCommandTimes(GetResourcesCommand, 1);

    clock += 301_000; // tags expired, credentials still valid
    await r.read(LOOKUP);
    expect(tagging).toHaveReceivedCommandTimes(GetResourcesCommand, 2);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);

    clock += 600_000; // credentials within a minute of expiry: renewed
    await r.read(LOOKUP);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('asks only for the ARNs it has not cached', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials());
    tagging
      .on(GetResourcesCommand)
      .resolvesOnce({ ResourceTagMappingList: [{ ResourceARN: TRAIL, Tags: [{ Key: 'owner', Value: 'audit-team' }] }] })
      .resolvesOnce({
        ResourceTagMappingList: [{ ResourceARN: BUCKET, Tags: [{ Key: 'owner', Value: 'settlement' }] }],
      });
    const r = reader();

    await r.read(LOOKUP);
    const out = await r.read({ ...LOOKUP, arns: [TRAIL, BUCKET] });

    expect(tagging).toHaveReceivedNthCommandWith(2, GetResourcesCommand, { ResourceARNList: [BUCKET] });
    expect(out).toEqual({
      status: 'found',
      tags: { [TRAIL]: { owner: 'audit-team' }, [BUCKET]: { owner: 'settlement' } },
      arns: [TRAIL, BUCKET],
    });
  });

  it('shares one AssumeRole between concurrent lookups in the same account', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials());
    tagging.on(GetResourcesCommand).resolves({});
    const r = reader();

    await Promise.all([r.read(LOOKUP), r.read({ ...LOOKUP, arns: [BUCKET] })]);

    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
  });
});
