import { Testing } from '../../framework/cdktf';
import type { OrgInventory } from '../../config/inventory';
import { CATALOG } from '../../rules/catalog';
import { forwardingPatterns } from '../../rules/patterns';
import { functionNames } from '../../config/naming';
import { MemberStack } from '../../stacks/member-stack';
import { remediationPermissions } from '../../derive/remediation-permissions';
import { SecurityStack } from '../../stacks/security-stack';
import { inventoryWith, TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { ADMIN_POLICY, type Decision, simulate } from '../helpers/iam-simulate';
import { synthJson } from '../helpers/synth';
import { roleNamed, type SynthesizedRole, synthesizedRoles } from '../helpers/synthesized-iam';

// Every role vigil synthesizes, evaluated with no SCP at all: the management account has none, so each
// property here must hold on the roles' own policies (and boundary) alone.
const ORG_ID = TEST_INVENTORY.organizationId;
const OPTED_IN: OrgInventory = inventoryWith((i) => {
  i.remediateManagementAccount = true;
});
const ALERTING_WITH_APPROVALS = {
  ...TEST_ALERTING,
  approvals: {
    slackWebhookRef: 'secretsmanager:vigil/slack/approvals',
    slackSigningSecretRef: 'secretsmanager:vigil/slack/signing-secret',
    linkKeyRef: 'secretsmanager:vigil/approval-link-key',
    escalationRoutingKeyRef: 'ssm:/vigil/pagerduty/escalation',
  },
  // Findings on: the findings function's role and the stream's delivery role are checked like the others.
  findings: { securityHub: true, stream: { enabled: true } },
} as const;

const memberRoles = (inventory: OrgInventory, accountId: string): SynthesizedRole[] =>
  synthesizedRoles(
    synthJson(
      new MemberStack(Testing.app(), `member-${accountId}`, {
        inventory,
        account: inventory.accounts.find((a) => a.id === accountId)!,
        patterns: forwardingPatterns(CATALOG),
        permissions: remediationPermissions(CATALOG),
      }),
    ),
    accountId,
  );
const centralRoles = synthesizedRoles(
  synthJson(
    new SecurityStack(Testing.app(), 'security', {
      inventory: TEST_INVENTORY,
      catalog: CATALOG,
      alerting: ALERTING_WITH_APPROVALS,
      remediation: TEST_REMEDIATION,
    }),
  ),
  '333333333333',
);

/** The stacks with roles, by the account they deploy to. */
const STACKS: ReadonlyArray<{ label: string; account: string; roles: SynthesizedRole[] }> = [
  { label: 'workload member', account: '444444444444', roles: memberRoles(TEST_INVENTORY, '444444444444') },
  { label: 'security member', account: '333333333333', roles: memberRoles(TEST_INVENTORY, '333333333333') },
  { label: 'management', account: '111111111111', roles: memberRoles(TEST_INVENTORY, '111111111111') },
  { label: 'management, opted in', account: '111111111111', roles: memberRoles(OPTED_IN, '111111111111') },
  { label: 'security (central functions)', account: '333333333333', roles: centralRoles },
];

const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';
/** What no vigil role may touch, stated independently of the code under test. */
const PROTECTED_ROLES = [
  'vigil-remediation',
  'vigil-remediation-undo',
  'vigil-readonly',
  'vigil-forwarder',
  ...Object.values(functionNames(TEST_INVENTORY)),
  'vigil-findings-delivery',
  'vigil-deploy',
  'OrganizationAccountAccessRole',
];
const ROLE_ESCALATIONS = [
  'iam:AttachRolePolicy',
  'iam:PutRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:DeleteRolePermissionsBoundary',
  'iam:PutRolePermissionsBoundary',
  'iam:PassRole',
] as const;
const POLICY_ESCALATIONS = ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion'] as const;

const allow = (r: SynthesizedRole) => ({
  identityPolicies: r.policies as Record<string, unknown>[],
  ...(r.boundary ? { permissionsBoundary: r.boundary as Record<string, unknown> } : {}),
});

/** Every escalation `role` could attempt in `account`, and what the simulator says of each that is not denied. */
async function escalationsAllowed(role: SynthesizedRole, account: string): Promise<string[]> {
  const roleTargets = [...new Set([role.name, ...PROTECTED_ROLES, 'Admin'])].map(
    (n) => `arn:aws:iam::${account}:role/${n}`,
  );
  const policyTargets = [ADMINISTRATOR_ACCESS, `arn:aws:iam::${account}:policy/vigil-change-roles-boundary`];
  const attempts = [
    ...ROLE_ESCALATIONS.flatMap((action) => roleTargets.map((resource) => ({ action, resource }))),
    ...POLICY_ESCALATIONS.flatMap((action) => policyTargets.map((resource) => ({ action, resource }))),
  ];
  const allowed: string[] = [];
  for (const { action, resource } of attempts) {
    const decision: Decision = await simulate({
      principal: role.arn,
      action,
      resource,
      principalOrgId: ORG_ID,
      ...allow(role),
      context: {
        'iam:PolicyARN': ADMINISTRATOR_ACCESS,
        ...(action === 'iam:PassRole' ? { 'iam:PassedToService': 'lambda.amazonaws.com' } : {}),
      },
    });
    if (decision === 'Allowed') allowed.push(`${action} ${resource}`);
  }
  return allowed;
}

describe('no vigil role can escalate (no SCP applied)', () => {
  const cases = STACKS.flatMap((s) => s.roles.map((r) => [s.label, r.name, s.account, r] as const));

  it.each(cases)(
    '%s: %s can change no protected role or vigil policy, and attach nothing to Admin',
    async (label, name, account, role) => {
      // The one designed exception: in a member account (SCP-protected), an approved undo of
      // detach-admin-policy re-attaches the catalog's admin policy to the principal it was detached from.
      // Likewise the undo of delete-admin-inline-policy puts the deleted inline policy back.
      // In the management account the boundary denies it (left to a human). No action may rewrite trust
      // policies: a role that can is a path to every role of the account (iam-role-trust-allows-outside-org
      // states why it has no action).
      const member = !label.startsWith('management');
      const exception =
        name === 'vigil-remediation-undo' && member
          ? [
              `iam:AttachRolePolicy arn:aws:iam::${account}:role/Admin`,
              `iam:PutRolePolicy arn:aws:iam::${account}:role/Admin`,
            ]
          : [];
      await expect(escalationsAllowed(role, account)).resolves.toEqual(exception);
    },
  );

  it('the undo role re-attaches only a policy the catalog concerns, never another one', async () => {
    const undo = roleNamed(STACKS[0]!.roles, 'vigil-remediation-undo');
    const attach = (policyArn: string) =>
      simulate({
        principal: undo.arn,
        action: 'iam:AttachRolePolicy',
        resource: 'arn:aws:iam::444444444444:role/Admin',
        principalOrgId: ORG_ID,
        ...allow(undo),
        context: { 'iam:PolicyARN': policyArn },
      });
    await expect(attach(ADMINISTRATOR_ACCESS)).resolves.toBe('Allowed');
    await expect(attach('arn:aws:iam::444444444444:policy/AttackerPolicy')).resolves.toBe('ImplicitlyDenied');
  });

  it('the remediation role detaches only a policy the catalog concerns', async () => {
    const remediation = roleNamed(STACKS[0]!.roles, 'vigil-remediation');
    const detach = (policyArn: string) =>
      simulate({
        principal: remediation.arn,
        action: 'iam:DetachRolePolicy',
        resource: 'arn:aws:iam::444444444444:role/Admin',
        principalOrgId: ORG_ID,
        ...allow(remediation),
        context: { 'iam:PolicyARN': policyArn },
      });
    await expect(detach('arn:aws:iam::aws:policy/AmazonS3FullAccess')).resolves.toBe('Allowed');
    await expect(detach('arn:aws:iam::444444444444:policy/SecurityAuditBoundary')).resolves.toBe('ImplicitlyDenied');
  });

  it('the change roles pass the forwarder role to EventBridge only', async () => {
    const remediation = roleNamed(STACKS[0]!.roles, 'vigil-remediation');
    const pass = (service: string) =>
      simulate({
        principal: remediation.arn,
        action: 'iam:PassRole',
        resource: 'arn:aws:iam::444444444444:role/vigil-forwarder',
        principalOrgId: ORG_ID,
        ...allow(remediation),
        context: { 'iam:PassedToService': service },
      });
    await expect(pass('events.amazonaws.com')).resolves.toBe('Allowed');
    await expect(pass('lambda.amazonaws.com')).resolves.toBe('ImplicitlyDenied');
  });

  it("the remediation role passes the account's Config service-linked role to Config only, no other role", async () => {
    const [remediation, undo] = ['vigil-remediation', 'vigil-remediation-undo'].map((n) =>
      roleNamed(STACKS[0]!.roles, n),
    );
    const serviceLinked =
      'arn:aws:iam::444444444444:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig';
    const pass = (role: SynthesizedRole, resource: string, service: string) =>
      simulate({
        principal: role.arn,
        action: 'iam:PassRole',
        resource,
        principalOrgId: ORG_ID,
        ...allow(role),
        context: { 'iam:PassedToService': service },
      });
    await expect(pass(remediation!, serviceLinked, 'config.amazonaws.com')).resolves.toBe('Allowed');
    for (const [resource, service] of [
      [serviceLinked, 'lambda.amazonaws.com'],
      [serviceLinked, 'events.amazonaws.com'],
      [
        'arn:aws:iam::555555555555:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig',
        'config.amazonaws.com',
      ],
      ['arn:aws:iam::444444444444:role/ConfigRecorderRole', 'config.amazonaws.com'],
      ['arn:aws:iam::444444444444:role/Admin', 'config.amazonaws.com'],
      ['arn:aws:iam::444444444444:role/vigil-remediation', 'config.amazonaws.com'],
      ['arn:aws:iam::444444444444:role/vigil-forwarder', 'config.amazonaws.com'],
    ] as const) {
      await expect(pass(remediation!, resource, service)).resolves.toBe('ImplicitlyDenied');
    }
    // Undo deletes what the action recreated: it never passes the role.
    await expect(pass(undo!, serviceLinked, 'config.amazonaws.com')).resolves.toBe('ImplicitlyDenied');
  });
});

describe('policy size', () => {
  // IAM quotas: inline policies of a role 10,240 characters together, a managed policy 6,144.
  it.each(STACKS.flatMap((s) => s.roles.map((r) => [s.label, r.name, r] as const)))(
    '%s: %s stays within the IAM quotas',
    (_label, _name, role) => {
      const inline = role.policies.reduce((n, p) => n + JSON.stringify(p).length, 0);
      expect(inline).toBeLessThanOrEqual(10_240);
      expect(JSON.stringify(role.boundary ?? {}).length).toBeLessThanOrEqual(6_144);
    },
  );
});

describe('remediation role least privilege', () => {
  const remediation = roleNamed(STACKS[0]!.roles, 'vigil-remediation');
  const RULE = 'arn:aws:events:eu-west-1:444444444444:rule/vigil-fwd-iam';
  const run = (action: string, resource: string, context: Record<string, string | string[]>) =>
    simulate({ principal: remediation.arn, action, resource, principalOrgId: ORG_ID, ...allow(remediation), context });

  it('puts a forwarding rule target only on the central bus', async () => {
    const bus = 'arn:aws:events:eu-west-1:333333333333:event-bus/vigil-security';
    await expect(run('events:PutTargets', RULE, { 'events:TargetArn': [bus] })).resolves.toBe('Allowed');
    await expect(
      run('events:PutTargets', RULE, {
        'events:TargetArn': ['arn:aws:events:eu-west-1:999999999999:event-bus/default'],
      }),
    ).resolves.toBe('ImplicitlyDenied');
    await expect(
      run('events:PutTargets', RULE, {
        'events:TargetArn': [bus, 'arn:aws:sqs:eu-west-1:999999999999:exfiltrate'],
      }),
    ).resolves.toBe('ImplicitlyDenied');
  });

  it("restores a bucket's public access block only on a bucket of its own account", async () => {
    const put = (owner: string) =>
      run('s3:PutBucketPublicAccessBlock', 'arn:aws:s3:::some-bucket', { 's3:ResourceAccount': owner });
    await expect(put('444444444444')).resolves.toBe('Allowed');
    await expect(put('999999999999')).resolves.toBe('ImplicitlyDenied');
  });

  it.each(['s3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketAcl'])(
    '%s only on a bucket of its own account (remove-public-bucket-{policy-statements,acl-grants})',
    async (action) => {
      const call = (owner: string) => run(action, 'arn:aws:s3:::some-bucket', { 's3:ResourceAccount': owner });
      await expect(call('444444444444')).resolves.toBe('Allowed');
      await expect(call('999999999999')).resolves.toBe('ImplicitlyDenied');
    },
  );

  it('deletes inline policies of users, roles and groups of its own account, never puts one', async () => {
    const role = 'arn:aws:iam::444444444444:role/Admin';
    await expect(run('iam:DeleteRolePolicy', role, {})).resolves.toBe('Allowed');
    await expect(run('iam:DeleteUserPolicy', 'arn:aws:iam::444444444444:user/bob', {})).resolves.toBe('Allowed');
    await expect(run('iam:DeleteGroupPolicy', 'arn:aws:iam::444444444444:group/admins', {})).resolves.toBe('Allowed');
    await expect(run('iam:DeleteRolePolicy', 'arn:aws:iam::999999999999:role/Admin', {})).resolves.toBe(
      'ImplicitlyDenied',
    );
    await expect(run('iam:DeleteRolePolicy', 'arn:aws:iam::444444444444:role/vigil-readonly', {})).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(run('iam:PutRolePolicy', role, {})).resolves.toBe('ImplicitlyDenied');
  });

  it('deactivates an access key of a user of its own account, never deletes or creates one', async () => {
    const user = 'arn:aws:iam::444444444444:user/alice';
    await expect(run('iam:UpdateAccessKey', user, {})).resolves.toBe('Allowed');
    await expect(run('iam:UpdateAccessKey', 'arn:aws:iam::999999999999:user/alice', {})).resolves.toBe(
      'ImplicitlyDenied',
    );
    await expect(run('iam:DeleteAccessKey', user, {})).resolves.toBe('ImplicitlyDenied');
    await expect(run('iam:CreateAccessKey', user, {})).resolves.toBe('ImplicitlyDenied');
  });

  it('removes a user from a group of its own account, never adds one', async () => {
    const group = 'arn:aws:iam::444444444444:group/platform-admins';
    await expect(run('iam:RemoveUserFromGroup', group, {})).resolves.toBe('Allowed');
    await expect(run('iam:RemoveUserFromGroup', 'arn:aws:iam::999999999999:group/x', {})).resolves.toBe(
      'ImplicitlyDenied',
    );
    await expect(run('iam:AddUserToGroup', group, {})).resolves.toBe('ImplicitlyDenied');
  });

  it("deletes a user's login profile in its own account, never creates or changes one", async () => {
    const user = 'arn:aws:iam::444444444444:user/alice';
    await expect(run('iam:DeleteLoginProfile', user, {})).resolves.toBe('Allowed');
    await expect(run('iam:DeleteLoginProfile', 'arn:aws:iam::999999999999:user/alice', {})).resolves.toBe(
      'ImplicitlyDenied',
    );
    await expect(run('iam:CreateLoginProfile', user, {})).resolves.toBe('ImplicitlyDenied');
    await expect(run('iam:UpdateLoginProfile', user, {})).resolves.toBe('ImplicitlyDenied');
  });

  it('removes a bus policy statement only in the security account; only undo there puts a policy', async () => {
    const security = (name: string) => roleNamed(STACKS[1]!.roles, name);
    const as = (r: SynthesizedRole, action: string) =>
      simulate({ principal: r.arn, action, resource: '*', principalOrgId: ORG_ID, ...allow(r), context: {} });
    await expect(as(security('vigil-remediation'), 'events:RemovePermission')).resolves.toBe('Allowed');
    await expect(as(security('vigil-remediation'), 'events:PutPermission')).resolves.toBe('ImplicitlyDenied');
    await expect(as(security('vigil-remediation-undo'), 'events:PutPermission')).resolves.toBe('Allowed');
    await expect(as(remediation, 'events:RemovePermission')).resolves.toBe('ImplicitlyDenied');
    await expect(as(roleNamed(STACKS[0]!.roles, 'vigil-remediation-undo'), 'events:PutPermission')).resolves.toBe(
      'ImplicitlyDenied',
    );
  });

  it('changes only the sharing attributes of AMIs, EBS snapshots and RDS snapshots of its own account', async () => {
    const ami = 'arn:aws:ec2:eu-west-1::image/ami-0a1b2c3d4e5f67890';
    const snap = 'arn:aws:ec2:eu-west-1::snapshot/snap-0123456789abcdef0';
    const db = (account: string) => `arn:aws:rds:eu-west-1:${account}:snapshot:payments-db`;
    const cluster = (account: string) => `arn:aws:rds:eu-west-1:${account}:cluster-snapshot:checkout`;
    await expect(run('ec2:ModifyImageAttribute', ami, {})).resolves.toBe('Allowed');
    await expect(run('ec2:ModifySnapshotAttribute', snap, {})).resolves.toBe('Allowed');
    await expect(run('rds:ModifyDBSnapshotAttribute', db('444444444444'), {})).resolves.toBe('Allowed');
    await expect(run('rds:ModifyDBClusterSnapshotAttribute', cluster('444444444444'), {})).resolves.toBe('Allowed');
    await expect(run('rds:ModifyDBSnapshotAttribute', db('999999999999'), {})).resolves.toBe('ImplicitlyDenied');
    await expect(
      run('ec2:ModifyInstanceAttribute', 'arn:aws:ec2:eu-west-1:444444444444:instance/i-1', {}),
    ).resolves.toBe('ImplicitlyDenied');
    await expect(run('rds:DeleteDBSnapshot', db('444444444444'), {})).resolves.toBe('ImplicitlyDenied');
    await expect(run('ec2:DeleteSnapshot', snap, {})).resolves.toBe('ImplicitlyDenied');
  });

  it('deletes or replaces network ACL entries of its own account only, never creates one (undo does)', async () => {
    const acl = 'arn:aws:ec2:eu-west-1:444444444444:network-acl/acl-0e1f2a3b4c5d6e7f8';
    await expect(run('ec2:DeleteNetworkAclEntry', acl, {})).resolves.toBe('Allowed');
    await expect(run('ec2:ReplaceNetworkAclEntry', acl, {})).resolves.toBe('Allowed');
    await expect(
      run('ec2:DeleteNetworkAclEntry', 'arn:aws:ec2:eu-west-1:999999999999:network-acl/acl-1', {}),
    ).resolves.toBe('ImplicitlyDenied');
    await expect(run('ec2:CreateNetworkAclEntry', acl, {})).resolves.toBe('ImplicitlyDenied');
    await expect(run('ec2:DeleteNetworkAcl', acl, {})).resolves.toBe('ImplicitlyDenied');
    const undo = roleNamed(STACKS[0]!.roles, 'vigil-remediation-undo');
    const undoRun = (action: string, resource: string) =>
      simulate({ principal: undo.arn, action, resource, principalOrgId: ORG_ID, ...allow(undo), context: {} });
    await expect(undoRun('ec2:CreateNetworkAclEntry', acl)).resolves.toBe('Allowed');
    await expect(
      undoRun('ec2:CreateNetworkAclEntry', 'arn:aws:ec2:eu-west-1:999999999999:network-acl/acl-1'),
    ).resolves.toBe('ImplicitlyDenied');
    await expect(undoRun('ec2:DeleteNetworkAclEntry', acl)).resolves.toBe('ImplicitlyDenied');
  });

  it("may not read or change what no action needs (bucket policy reads are the read-only role's)", async () => {
    const bucket = 'arn:aws:s3:::some-bucket';
    const own = { 's3:ResourceAccount': '444444444444' };
    for (const action of [
      's3:GetBucketPolicy',
      's3:GetBucketAcl',
      's3:PutBucketCORS',
      's3:PutLifecycleConfiguration',
    ]) {
      await expect(run(action, bucket, own)).resolves.toBe('ImplicitlyDenied');
    }
  });
});

describe('member role trust (no SCP applied)', () => {
  const roles = STACKS[0]!.roles;
  const central = (fn: string) => roleNamed(centralRoles, `vigil-${fn}`);
  const assume = (target: SynthesizedRole, principal: string, policies: readonly object[], principalOrgId = ORG_ID) =>
    simulate({
      principal,
      action: 'sts:AssumeRole',
      resource: target.arn,
      principalOrgId,
      identityPolicies: policies as Record<string, unknown>[],
      resourcePolicy: target.trust,
      context: { 'aws:ResourceOrgID': ORG_ID },
    });

  it.each([
    ['vigil-remediation', ['remediate-member']],
    ['vigil-remediation-undo', ['remediate-member']],
    ['vigil-readonly', ['remediate-member', 'triage']],
  ])('%s is assumable by exactly its central role(s) %j, with their synthesized policies', async (name, trusted) => {
    const target = roleNamed(roles, name);
    const decisions = Object.fromEntries(
      await Promise.all(
        ['triage', 'remediate', 'remediate-member', 'approve', 'approval-timeouts', 'digest'].map(
          async (fn) => [fn, await assume(target, central(fn).arn, central(fn).policies)] as const,
        ),
      ),
    );
    const allowed = Object.entries(decisions)
      .filter(([, d]) => d === 'Allowed')
      .map(([fn]) => fn)
      .sort();
    expect(allowed).toEqual([...trusted].sort());
  });

  it.each(['vigil-remediation', 'vigil-remediation-undo', 'vigil-readonly'])(
    '%s refuses look-alikes: a role on a path, the same name in another account, outside the org',
    async (name) => {
      const target = roleNamed(roles, name);
      await expect(
        assume(target, 'arn:aws:iam::333333333333:role/x/vigil-remediate-member', [ADMIN_POLICY]),
      ).resolves.toBe('ImplicitlyDenied');
      await expect(
        assume(target, 'arn:aws:iam::555555555555:role/vigil-remediate-member', [ADMIN_POLICY]),
      ).resolves.toBe('ImplicitlyDenied');
      await expect(
        assume(target, 'arn:aws:iam::999999999999:role/vigil-remediate-member', [ADMIN_POLICY], 'o-someoneelse'),
      ).resolves.toBe('ImplicitlyDenied');
    },
  );
});

describe('central function roles least privilege', () => {
  const run = (fn: string, action: string, resource: string) =>
    simulate({
      principal: `arn:aws:iam::333333333333:role/vigil-${fn}`,
      action,
      resource,
      principalOrgId: ORG_ID,
      ...allow(roleNamed(centralRoles, `vigil-${fn}`)),
    });
  const secret = (name: string) => `arn:aws:secretsmanager:eu-west-1:333333333333:secret:${name}-AbCdEf`;

  it('only approve reads the Slack signing secret; remediate reads the approval secrets it uses', async () => {
    const get = (fn: string, name: string) => run(fn, 'secretsmanager:GetSecretValue', secret(name));
    await expect(get('approve', 'vigil/slack/signing-secret')).resolves.toBe('Allowed');
    await expect(get('remediate', 'vigil/slack/signing-secret')).resolves.toBe('ImplicitlyDenied');
    await expect(get('remediate', 'vigil/slack/approvals')).resolves.toBe('Allowed');
    await expect(get('remediate', 'vigil/approval-link-key')).resolves.toBe('Allowed');
  });

  it("decrypts secrets only with this account's keys, even through Secrets Manager", async () => {
    const decrypt = (key: string) =>
      simulate({
        principal: 'arn:aws:iam::333333333333:role/vigil-remediate',
        action: 'kms:Decrypt',
        resource: key,
        principalOrgId: ORG_ID,
        ...allow(roleNamed(centralRoles, 'vigil-remediate')),
        // A foreign key whose policy trusts the security account.
        resourcePolicy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::333333333333:root' }, Action: 'kms:*', Resource: '*' },
          ],
        },
        context: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
      });
    await expect(decrypt('arn:aws:kms:eu-west-1:333333333333:key/own')).resolves.toBe('Allowed');
    await expect(decrypt('arn:aws:kms:eu-west-1:999999999999:key/foreign')).resolves.toBe('ImplicitlyDenied');
  });

  it('reads no state item back where the adapters never do (no GetItem)', async () => {
    const table = (name: string) => `arn:aws:dynamodb:eu-west-1:333333333333:table/${name}`;
    await expect(run('triage', 'dynamodb:GetItem', table('vigil-triage-state'))).resolves.toBe('ImplicitlyDenied');
    await expect(run('remediate', 'dynamodb:GetItem', table('vigil-remediation-state'))).resolves.toBe(
      'ImplicitlyDenied',
    );
    await expect(run('remediate', 'dynamodb:UpdateItem', table('vigil-remediation-state'))).resolves.toBe('Allowed');
  });
});
