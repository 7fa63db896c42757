import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  DescribeSecurityGroupRulesCommand,
  EC2ServiceException,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { AttachRolePolicyCommand, ListPolicyVersionsCommand } from '@aws-sdk/client-iam';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import * as execute from '../../../handlers/adapters/remediation/execute';
import { makeLocalMemberIo } from '../../../handlers/adapters/remediation/member-io';
import {
  deserializeMemberError,
  MAX_MEMBER_TAG_ARNS,
  MEMBER_REQUEST_TTL_MS,
  type MemberIo,
  type MemberResponse,
  memberRequestMessage,
  parseMemberResponse,
  type UnsignedExecuteRequest,
} from '../../../handlers/core/remediation/member-contract';
import { remediationFor } from '../../../handlers/core/remediation/registry';
import type { PlannedCall, RemediationTarget } from '../../../handlers/core/remediation/types';
import { MAX_TAG_LOOKUP_ARNS } from '../../../handlers/core/triage';
import { createMemberHandler, handlerFromEnvironment } from '../../../handlers/entrypoints/remediate-member';
import { ConfigurationError, RemediationCallError, RemediationStateError } from '../../../handlers/errors';
import type { RemediationId } from '../../../rules/types';
import { CTX, loadRemediationEvent, MEMBER } from '../../fixtures/remediation/load';
import { type Items, inventoryItems, serveInventoryTable } from '../../helpers/inventory-table';
import { fakeMacKey } from '../../helpers/member-mac';
import { VIEW } from '../../helpers/remediation';
import { mockAll } from '../adapters/remediation/sdk-scenarios';

const mocks = mockAll();
const sts = mockClient(STSClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const lines: string[] = [];
const KEY = fakeMacKey();
const NOW = new Date('2026-03-01T10:00:00.000Z');
/** An account id with the member roles' shape that is not in the inventory (a former member, anyone's). */
const OUTSIDER = '999999999999';
/** A second inventory account (the tampering test moves a signed request there). */
const OTHER_MEMBER = '555555555555';
/** The management account of the fixture inventory (no opt-in: vigil only reads there). */
const MANAGEMENT = VIEW.managementAccountId;
const authority = {
  accountIds: new Set([MEMBER, OTHER_MEMBER, MANAGEMENT]),
  readOnlyAccountIds: new Set([MANAGEMENT]),
  verifyMac: KEY.verify,
  now: () => NOW,
};
const handle = createMemberHandler(
  makeLocalMemberIo({ namePrefix: 'vigil', sts: new STSClient({}) }),
  authority,
  (l: string) => lines.push(l),
);
/** What crosses the wire: the response as remediate reads it. */
const wire = (r: MemberResponse): MemberResponse => parseMemberResponse(JSON.stringify(r), 'test');

const targetOf = (action: RemediationId, fixture: string): RemediationTarget => {
  const t = remediationFor(action).target(loadRemediationEvent(fixture), CTX);
  if ('refuse' in t) throw new Error(t.refuse);
  return t;
};
const REVOKE: PlannedCall = {
  service: 'ec2',
  operation: 'RevokeSecurityGroupIngress',
  input: { GroupId: 'sg-0123', SecurityGroupRuleIds: ['sgr-1'] },
  region: 'eu-west-1',
};
/** An undo call of detach-admin-policy: re-opening, so never a remediation call. */
const ATTACH: PlannedCall = {
  service: 'iam',
  operation: 'AttachRolePolicy',
  input: { RoleName: 'ci', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
  region: 'us-east-1',
};
const meta = { $metadata: { httpStatusCode: 403 } };
const ACTION_ID = 'e-1:revoke-world-open-ingress';

/** An execute request as remediate builds it, before signing. */
const unsigned = (changes: Partial<UnsignedExecuteRequest> = {}): UnsignedExecuteRequest => ({
  op: 'execute',
  accountId: MEMBER,
  action: 'revoke-world-open-ingress',
  calls: [REVOKE],
  role: 'remediation',
  requestId: ACTION_ID,
  expiresAt: new Date(NOW.getTime() + MEMBER_REQUEST_TTL_MS).toISOString(),
  ...changes,
});
/** The request signed with `key` (the test stand-in of the KMS request key by default). */
const signed = async (request: UnsignedExecuteRequest, key = KEY) => ({
  ...request,
  mac: await key.sign(memberRequestMessage(request)),
});
const noAwsCall = () => {
  for (const m of [...Object.values(mocks), sts, tagging]) expect(m.calls()).toHaveLength(0);
};

beforeEach(() => {
  for (const m of [...Object.values(mocks), sts, tagging]) m.reset();
  lines.length = 0;
});

describe('request validation', () => {
  const target = targetOf('revoke-world-open-ingress', 'ec2-authorize-ingress');
  it.each([
    ['not an object', 'read-state', /expected a JSON object/],
    ['an unknown op', { op: 'delete-everything', target }, /op: expected 'read-state', 'execute' or 'read-tags'/],
    ['no op', { target }, /op: expected/],
    ['an unknown action', { op: 'read-state', target: { ...target, action: 'terminate-instances' } }, /target\.action/],
    [
      'a short account id',
      { op: 'read-state', target: { ...target, accountId: '4444' } },
      /target\.accountId: expected 12 digits/,
    ],
    ['a bad region', { op: 'read-state', target: { ...target, region: 'mars' } }, /target\.region/],
    ['an extra field', { op: 'read-state', target, roleArn: 'arn:aws:iam::1:role/x' }, /unexpected field\(s\) roleArn/],
    ['a bad execute account', { ...unsigned(), accountId: 'x', mac: 'A'.repeat(44) }, /execute\.accountId/],
    ['an unknown role', { ...unsigned(), role: 'admin', mac: 'A'.repeat(44) }, /execute\.role/],
    ['no calls', { ...unsigned(), calls: [], mac: 'A'.repeat(44) }, /calls: expected 1 to 50/],
    [
      'a call outside the executor table',
      { ...unsigned(), calls: [{ ...REVOKE, operation: 'TerminateInstances' }], role: 'undo', mac: 'A'.repeat(44) },
      /calls\[0\]: ec2:TerminateInstances is not in the executor's table/,
    ],
    [
      'an unknown service',
      { ...unsigned(), calls: [{ ...REVOKE, service: 'lambda' }], mac: 'A'.repeat(44) },
      /calls\[0\]: expected a remediation service/,
    ],
    ['a non-boolean dryRun', { ...unsigned(), dryRun: 'yes', mac: 'A'.repeat(44) }, /dryRun/],
    [
      'an unknown execute action',
      { ...unsigned(), action: 'delete-everything', mac: 'A'.repeat(44) },
      /execute\.action: expected a known remediation/,
    ],
    [
      'too many ARNs',
      { op: 'read-tags', lookup: { accountId: MEMBER, region: 'eu-west-1', arns: Array(21).fill('arn:aws:s3:::b') } },
      /lookup\.arns/,
    ],
    [
      'a tag lookup without ARNs',
      { op: 'read-tags', lookup: { accountId: MEMBER, region: 'eu-west-1' } },
      /lookup\.arns/,
    ],
  ])('refuses %s, sending nothing', async (_case, request, message) => {
    const response = await handle(request);

    expect(response).toEqual({
      ok: false,
      error: { name: 'MemberRequestError', message: expect.stringMatching(message) },
    });
    noAwsCall();
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', message: 'request refused' });
  });

  it('caps tag lookups like triage does', () => {
    expect(MAX_MEMBER_TAG_ARNS).toBe(MAX_TAG_LOOKUP_ARNS);
  });
});

describe('authorization: only what remediate planned, only in inventory accounts', () => {
  const refused = (message: RegExp) => ({
    ok: false,
    error: { name: 'MemberRequestError', message: expect.stringMatching(message) },
  });

  it('refuses an execute request without a MAC (anyone who can invoke the function), sending nothing', async () => {
    mocks.ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });

    const response = await handle({ op: 'execute', accountId: MEMBER, calls: [REVOKE], role: 'remediation' });

    expect(response).toEqual(refused(/execute\.mac: expected remediate's base64 MAC of the request/));
    noAwsCall();
  });

  it('refuses an execute request signed with another key, sending nothing', async () => {
    const response = await handle(await signed(unsigned(), fakeMacKey('somebody-elses-key')));

    expect(response).toEqual(refused(/the MAC of request e-1:revoke-world-open-ingress is not valid/));
    noAwsCall();
  });

  it.each([
    [
      'the calls',
      () => ({
        calls: [{ ...REVOKE, input: { GroupId: 'sg-other', SecurityGroupRuleIds: ['sgr-9'] } }],
      }),
    ],
    ['the account', () => ({ accountId: OTHER_MEMBER })],
    [
      'the role',
      () => ({
        role: 'undo' as const,
        action: 'revoke-world-open-ingress' as const,
        calls: [{ ...REVOKE, operation: 'AuthorizeSecurityGroupIngress' }],
      }),
    ],
    [
      'the expiry',
      (r: UnsignedExecuteRequest) => ({ expiresAt: new Date(Date.parse(r.expiresAt) - 1000).toISOString() }),
    ],
    ['the request id', () => ({ requestId: 'e-2:revoke-world-open-ingress' })],
    ['dry-run', () => ({ dryRun: true })],
  ])('refuses a signed request whose %s changed on the way', async (_what, change) => {
    const original = await signed(unsigned());
    const tampered = { ...original, ...change(original) };

    const response = await handle(tampered);

    expect(response).toEqual(refused(/is not valid/));
    noAwsCall();
  });

  it('refuses a validly signed execute in an account outside the inventory', async () => {
    const response = await handle(await signed(unsigned({ accountId: OUTSIDER })));

    expect(response).toEqual(refused(/execute: account 999999999999 is not in the inventory/));
    noAwsCall();
  });

  it('refuses a validly signed execute in the management account without the opt-in, naming the setting', async () => {
    const response = await handle(await signed(unsigned({ accountId: MANAGEMENT })));

    expect(response).toEqual(
      refused(new RegExp(`execute: account ${MANAGEMENT} is the management account.*remediateManagementAccount`)),
    );
    noAwsCall();
  });

  it('reads state in the management account (plans and notifications need it)', async () => {
    mocks.ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    const target = { ...targetOf('revoke-world-open-ingress', 'ec2-authorize-ingress'), accountId: MANAGEMENT };

    expect(wire(await handle({ op: 'read-state', target }))).toEqual({ ok: true, result: { rules: [] } });
  });

  it('refuses reads of state and tags in an account outside the inventory', async () => {
    const target = { ...targetOf('revoke-world-open-ingress', 'ec2-authorize-ingress'), accountId: OUTSIDER };

    expect(await handle({ op: 'read-state', target })).toEqual(refused(/read-state: account 999999999999 is not/));
    expect(
      await handle({ op: 'read-tags', lookup: { accountId: OUTSIDER, region: 'eu-west-1', arns: ['arn:aws:s3:::b'] } }),
    ).toEqual(refused(/read-tags: account 999999999999 is not in the inventory/));
    noAwsCall();
  });

  it('refuses an undo call asked for with the remediation role, even signed', async () => {
    const response = await handle(await signed(unsigned({ action: 'detach-admin-policy', calls: [ATTACH] })));

    expect(response).toEqual(
      refused(
        /calls\[0\]: iam:AttachRolePolicy \(iam:AttachRolePolicy\) is not a remediation call of detach-admin-policy/,
      ),
    );
    noAwsCall();
  });

  it("refuses a call of another action than the request's, even signed", async () => {
    const response = await handle(await signed(unsigned({ action: 'detach-admin-policy', calls: [REVOKE] })));

    expect(response).toEqual(
      refused(/calls\[0\]: ec2:RevokeSecurityGroupIngress .* is not a remediation call of detach-admin-policy/),
    );
    noAwsCall();
  });

  it('refuses an expired request and one that claims to live longer than a request may', async () => {
    const expired = await signed(unsigned({ expiresAt: NOW.toISOString() }));
    const tooLong = await signed(unsigned({ expiresAt: new Date(NOW.getTime() + 3_600_000).toISOString() }));

    expect(await handle(expired)).toEqual(
      refused(/request e-1:revoke-world-open-ingress expired at 2026-03-01T10:00:00\.000Z/),
    );
    expect(await handle(tooLong)).toEqual(refused(/beyond the 5-minute lifetime/));
    noAwsCall();
  });

  it('runs an undo call with the undo role when the request is signed and declared for undo', async () => {
    mocks.iam.on(AttachRolePolicyCommand).resolves({});

    const response = await handle(
      await signed(unsigned({ action: 'detach-admin-policy', calls: [ATTACH], role: 'undo' })),
    );

    expect(response).toEqual({ ok: true, result: { dryRun: false, calls: [{ call: ATTACH, outcome: 'done' }] } });
    expect(mocks.iam.commandCalls(AttachRolePolicyCommand)).toHaveLength(1);
  });
});

describe('read-state', () => {
  it('reads the state with the state reader and returns it as JSON', async () => {
    mocks.ec2
      .on(DescribeSecurityGroupRulesCommand)
      .resolves({ SecurityGroupRules: [{ SecurityGroupRuleId: 'sgr-1' }] });
    const target = targetOf('revoke-world-open-ingress', 'ec2-authorize-ingress');

    expect(wire(await handle({ op: 'read-state', target }))).toEqual({
      ok: true,
      result: { rules: [{ SecurityGroupRuleId: 'sgr-1' }] },
    });
  });

  it('returns dates as ISO strings, so plan and verify decide the same on both sides of the hop', async () => {
    mocks.iam.on(ListPolicyVersionsCommand).resolves({
      Versions: [
        { VersionId: 'v2', IsDefaultVersion: false, CreateDate: new Date('2025-06-10T08:00:00Z') },
        { VersionId: 'v3', IsDefaultVersion: true, CreateDate: new Date('2025-06-11T09:29:48Z') },
      ],
      IsTruncated: false,
    });
    mocks.cloudtrail.on(LookupEventsCommand).resolves({
      Events: [{ EventId: 'e-1', EventName: 'CreatePolicyVersion', EventTime: new Date('2025-06-11T09:29:48Z') }],
    });
    const target = targetOf('revert-policy-version', 'iam-create-policy-version');
    const direct = await makeLocalMemberIo({ namePrefix: 'vigil', sts: new STSClient({}) }).readState(target);

    const response = wire(await handle({ op: 'read-state', target }));

    if (!response.ok) throw new Error('expected a state');
    expect(response.result).toEqual(direct);
    expect((response.result as { versions: Array<{ CreateDate: string }> }).versions[1]!.CreateDate).toBe(
      '2025-06-11T09:29:48.000Z',
    );
    const def = remediationFor('revert-policy-version');
    expect(def.plan(target, response.result)).toEqual(def.plan(target, direct));
    expect(def.verify(target, response.result)).toEqual(def.verify(target, direct));
  });

  it('returns a RemediationStateError as data, with its fields and cause', async () => {
    mocks.ec2
      .on(DescribeSecurityGroupRulesCommand)
      .rejects(new EC2ServiceException({ name: 'UnauthorizedOperation', $fault: 'client', message: 'no', ...meta }));
    const target = targetOf('revoke-world-open-ingress', 'ec2-authorize-ingress');

    const response = wire(await handle({ op: 'read-state', target }));

    if (response.ok) throw new Error('expected an error');
    const err = deserializeMemberError(response.error);
    expect(err).toBeInstanceOf(RemediationStateError);
    expect(err).toMatchObject({
      accountId: MEMBER,
      service: 'ec2',
      operation: 'DescribeSecurityGroupRules',
      code: 'UnauthorizedOperation',
      permanent: true,
    });
    expect((err.cause as Error).name).toBe('UnauthorizedOperation');
  });
});

describe('execute', () => {
  it('sends the calls with the executor and returns what it did', async () => {
    mocks.ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });

    expect(wire(await handle(await signed(unsigned())))).toEqual({
      ok: true,
      result: { dryRun: false, calls: [{ call: REVOKE, outcome: 'done' }] },
    });
    expect(mocks.ec2.commandCalls(RevokeSecurityGroupIngressCommand)[0]!.args[0].input).toEqual(REVOKE.input);
  });

  it('sends nothing in dry-run', async () => {
    const response = await handle(
      await signed(unsigned({ action: 'detach-admin-policy', calls: [ATTACH], role: 'undo', dryRun: true })),
    );

    expect(response).toEqual({ ok: true, result: { dryRun: true, calls: [{ call: ATTACH, outcome: 'would-call' }] } });
    noAwsCall();
  });

  it('returns a RemediationCallError as data: permanent, index and the calls completed before it', async () => {
    const second: PlannedCall = { ...REVOKE, input: { GroupId: 'sg-0123', SecurityGroupRuleIds: ['sgr-2'] } };
    mocks.ec2
      .on(RevokeSecurityGroupIngressCommand)
      .resolvesOnce({ Return: true })
      .rejectsOnce(
        new EC2ServiceException({ name: 'UnauthorizedOperation', $fault: 'client', message: 'no', ...meta }),
      );

    const response = wire(await handle(await signed(unsigned({ calls: [REVOKE, second] }))));

    if (response.ok) throw new Error('expected an error');
    const err = deserializeMemberError(response.error);
    expect(err).toBeInstanceOf(RemediationCallError);
    expect(err).toMatchObject({
      name: 'RemediationCallError',
      accountId: MEMBER,
      region: 'eu-west-1',
      service: 'ec2',
      operation: 'RevokeSecurityGroupIngress',
      code: 'UnauthorizedOperation',
      permanent: true,
      index: 1,
      completed: ['RevokeSecurityGroupIngress'],
    });
    expect(err.message).toMatch(
      /ec2:RevokeSecurityGroupIngress in 444444444444\/eu-west-1 failed: UnauthorizedOperation/,
    );
  });

  it('uses the remediation role for fixes and the undo role for undo', () => {
    const spy = jest.spyOn(execute, 'makeRemediationExecutor');
    makeLocalMemberIo({ namePrefix: 'acme' });
    expect(spy.mock.calls.map(([o]) => o.roleName)).toEqual(['acme-remediation', 'acme-remediation-undo']);
    spy.mockRestore();
  });

  it('passes the role of the request to the member I/O', async () => {
    const io: MemberIo = {
      readState: jest.fn(),
      execute: jest.fn(async () => ({ dryRun: false, calls: [] })),
      readTags: jest.fn(),
    };
    const request = await signed(unsigned({ action: 'detach-admin-policy', calls: [ATTACH], role: 'undo' }));
    await createMemberHandler(io, authority, () => undefined)(request);
    expect(io.execute).toHaveBeenCalledWith(request);
  });
});

describe('read-tags', () => {
  const BUCKET = 'arn:aws:s3:::payments-exports';

  it("assumes the read-only role and returns the tags reader's answer", async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIA',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
    tagging.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [{ ResourceARN: BUCKET, Tags: [{ Key: 'owner', Value: 'payments' }] }],
    });

    const response = await handle({
      op: 'read-tags',
      lookup: { accountId: MEMBER, region: 'eu-west-1', arns: [BUCKET] },
    });

    expect(response).toEqual({
      ok: true,
      result: { status: 'found', tags: { [BUCKET]: { owner: 'payments' } }, arns: [BUCKET] },
    });
    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toMatchObject({
      RoleArn: `arn:aws:iam::${MEMBER}:role/vigil-readonly`,
      RoleSessionName: 'vigil-remediate',
    });
  });
});

describe('untyped failures', () => {
  it('stay unhandled, so remediate sees a FunctionError (transient)', async () => {
    const io: MemberIo = {
      readState: async () => {
        throw new TypeError('boom');
      },
      execute: jest.fn(),
      readTags: jest.fn(),
    };
    const target = targetOf('revoke-world-open-ingress', 'ec2-authorize-ingress');

    await expect(createMemberHandler(io, authority, () => undefined)({ op: 'read-state', target })).rejects.toThrow(
      'boom',
    );
  });
});

describe('handlerFromEnvironment', () => {
  const KEY_ARN = 'arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const TABLE = 'vigil-inventory';
  const ENV = { NAME_PREFIX: 'vigil', MEMBER_REQUEST_KEY_ARN: KEY_ARN, INVENTORY_TABLE: TABLE };
  const dynamodb = mockClient(DynamoDBClient);
  let items: Items;
  beforeEach(() => {
    dynamodb.reset();
    items = inventoryItems(VIEW);
    serveInventoryTable(dynamodb, TABLE, () => items);
  });
  afterAll(() => dynamodb.restore());

  it('needs NAME_PREFIX, the request key and the inventory table', () => {
    expect(() => handlerFromEnvironment({})).toThrow(ConfigurationError);
    expect(() => handlerFromEnvironment({ ...ENV, NAME_PREFIX: 'Bad Prefix' })).toThrow(
      /NAME_PREFIX: expected lower-case letters, digits and '-', starting with a letter, got 'Bad Prefix'/,
    );
    expect(() => handlerFromEnvironment({})).toThrow(/3 problem\(s\)[\s\S]*NAME_PREFIX: required/);
    expect(() => handlerFromEnvironment({ NAME_PREFIX: 'vigil', INVENTORY_TABLE: TABLE })).toThrow(
      /MEMBER_REQUEST_KEY_ARN: required/,
    );
    expect(() => handlerFromEnvironment({ NAME_PREFIX: 'vigil', MEMBER_REQUEST_KEY_ARN: KEY_ARN })).toThrow(
      /INVENTORY_TABLE: required/,
    );
    expect(typeof handlerFromEnvironment(ENV)).toBe('function');
  });

  it('fails the invocation, naming the table, when the inventory view cannot be read (nothing is sent)', async () => {
    items = new Map();
    const request = await signed(unsigned({ accountId: MEMBER }));
    await expect(handlerFromEnvironment(ENV)(request)).rejects.toThrow(
      /cannot read the inventory view from the inventory table vigil-inventory/,
    );
    noAwsCall();
  });

  it("refuses execute in the inventory's management account unless it opts in", async () => {
    const fromEnv = handlerFromEnvironment(ENV);
    const request = await signed(unsigned({ accountId: MANAGEMENT }));

    expect(await fromEnv(request)).toEqual({
      ok: false,
      error: { name: 'MemberRequestError', message: expect.stringMatching(/is the management account/) },
    });
    noAwsCall();
    // Opted in, the account passes and the next check decides (this handler's real clock: expired).
    items = inventoryItems({ ...VIEW, remediateManagementAccount: true });
    const opted = await handlerFromEnvironment(ENV)(request);
    expect(opted).toEqual({
      ok: false,
      error: { name: 'MemberRequestError', message: expect.stringMatching(/^execute: request .* expired at /) },
    });
    noAwsCall();
  });

  it('refuses accounts outside the inventory before any AWS call', async () => {
    const fromEnv = handlerFromEnvironment(ENV);
    const target = { ...targetOf('revoke-world-open-ingress', 'ec2-authorize-ingress'), accountId: OUTSIDER };

    expect(await fromEnv({ op: 'read-state', target })).toEqual({
      ok: false,
      error: {
        name: 'MemberRequestError',
        message: expect.stringMatching(/account 999999999999 is not in the inventory/),
      },
    });
    noAwsCall();
  });
});
