import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  DescribeSecurityGroupRulesCommand,
  EC2ServiceException,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { ListPolicyVersionsCommand } from '@aws-sdk/client-iam';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import * as execute from '../../../handlers/adapters/remediation/execute';
import { makeLocalMemberIo } from '../../../handlers/adapters/remediation/member-io';
import {
  deserializeMemberError,
  MAX_MEMBER_TAG_ARNS,
  type MemberIo,
  type MemberResponse,
  parseMemberResponse,
} from '../../../handlers/core/remediation/member-contract';
import { remediationFor } from '../../../handlers/core/remediation/registry';
import type { PlannedCall, RemediationTarget } from '../../../handlers/core/remediation/types';
import { MAX_TAG_LOOKUP_ARNS } from '../../../handlers/core/triage';
import { createMemberHandler, handlerFromEnvironment } from '../../../handlers/entrypoints/remediate-member';
import { ConfigurationError, RemediationCallError, RemediationStateError } from '../../../handlers/errors';
import type { RemediationId } from '../../../rules/types';
import { CTX, loadRemediationEvent, MEMBER } from '../../fixtures/remediation/load';
import { mockAll } from '../adapters/remediation/sdk-scenarios';

const mocks = mockAll();
const sts = mockClient(STSClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const lines: string[] = [];
const handle = createMemberHandler(makeLocalMemberIo({ namePrefix: 'vigil', sts: new STSClient({}) }), (l) =>
  lines.push(l),
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
const meta = { $metadata: { httpStatusCode: 403 } };

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
    [
      'a bad execute account',
      { op: 'execute', accountId: 'x', calls: [REVOKE], role: 'remediation' },
      /execute\.accountId/,
    ],
    ['an unknown role', { op: 'execute', accountId: MEMBER, calls: [REVOKE], role: 'admin' }, /execute\.role/],
    ['no calls', { op: 'execute', accountId: MEMBER, calls: [], role: 'remediation' }, /calls: expected 1 to 50/],
    [
      'a call outside the executor table',
      { op: 'execute', accountId: MEMBER, calls: [{ ...REVOKE, operation: 'TerminateInstances' }], role: 'undo' },
      /calls\[0\]: ec2:TerminateInstances is not in the executor's table/,
    ],
    [
      'an unknown service',
      { op: 'execute', accountId: MEMBER, calls: [{ ...REVOKE, service: 'lambda' }], role: 'remediation' },
      /calls\[0\]: expected a remediation service/,
    ],
    [
      'a non-boolean dryRun',
      { op: 'execute', accountId: MEMBER, calls: [REVOKE], role: 'remediation', dryRun: 'yes' },
      /dryRun/,
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
    for (const m of [...Object.values(mocks), sts, tagging]) expect(m.calls()).toHaveLength(0);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', message: 'request refused' });
  });

  it('caps tag lookups like triage does', () => {
    expect(MAX_MEMBER_TAG_ARNS).toBe(MAX_TAG_LOOKUP_ARNS);
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

    expect(wire(await handle({ op: 'execute', accountId: MEMBER, calls: [REVOKE], role: 'remediation' }))).toEqual({
      ok: true,
      result: { dryRun: false, calls: [{ call: REVOKE, outcome: 'done' }] },
    });
    expect(mocks.ec2.commandCalls(RevokeSecurityGroupIngressCommand)[0]!.args[0].input).toEqual(REVOKE.input);
  });

  it('sends nothing in dry-run', async () => {
    const response = await handle({ op: 'execute', accountId: MEMBER, calls: [REVOKE], role: 'undo', dryRun: true });

    expect(response).toEqual({ ok: true, result: { dryRun: true, calls: [{ call: REVOKE, outcome: 'would-call' }] } });
    expect(mocks.ec2.calls()).toHaveLength(0);
  });

  it('returns a RemediationCallError as data: permanent, index and the calls completed before it', async () => {
    const second: PlannedCall = { ...REVOKE, input: { GroupId: 'sg-0123', SecurityGroupRuleIds: ['sgr-2'] } };
    mocks.ec2
      .on(RevokeSecurityGroupIngressCommand)
      .resolvesOnce({ Return: true })
      .rejectsOnce(
        new EC2ServiceException({ name: 'UnauthorizedOperation', $fault: 'client', message: 'no', ...meta }),
      );

    const response = wire(
      await handle({ op: 'execute', accountId: MEMBER, calls: [REVOKE, second], role: 'remediation' }),
    );

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
    await createMemberHandler(io, () => undefined)({ op: 'execute', accountId: MEMBER, calls: [REVOKE], role: 'undo' });
    expect(io.execute).toHaveBeenCalledWith({ op: 'execute', accountId: MEMBER, calls: [REVOKE], role: 'undo' });
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

    await expect(createMemberHandler(io, () => undefined)({ op: 'read-state', target })).rejects.toThrow('boom');
  });
});

describe('handlerFromEnvironment', () => {
  it('needs NAME_PREFIX', () => {
    expect(() => handlerFromEnvironment({})).toThrow(ConfigurationError);
    expect(() => handlerFromEnvironment({ NAME_PREFIX: 'Bad Prefix' })).toThrow(/NAME_PREFIX: required/);
    expect(typeof handlerFromEnvironment({ NAME_PREFIX: 'vigil' })).toBe('function');
  });
});
