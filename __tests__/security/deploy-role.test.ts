/**
 * The deploy role, the CI role and the guardrail SCP, evaluated with the IAM simulator: every account's deploy
 * role allows what Terraform needs for the resource types its stacks create (derive/deploy-permissions.ts), and
 * nothing in the chain CI identity → CI role → deploy role can reach further than deploying vigil.
 */
import type { VigilConfig } from '../../config/load';
import { loadConfig } from '../../config/load';
import { ciRoleArn, deployRoleArn, stackIds } from '../../config/naming';
import { type Grant, grantsFor, withAccount } from '../../derive/deploy-permissions';
import { ciRolePolicy, deployRoleTrustPolicy } from '../../derive/deploy-trust';
import { resourceTypesByStackType, stackTypesOf } from '../../stacks/bootstrap-stack';
import { bootstrapOrg, type BootstrappedOrg, deployRoleOf } from '../helpers/bootstrap';
import { ADMIN_POLICY, simulate } from '../helpers/iam-simulate';
import { TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { type Json, resourcesOfType, synthJson } from '../helpers/synth';
import type { TerraformStack } from '../../framework/cdktf';

const EXAMPLE = loadConfig();
/** Different ids, and management-account remediation on (it adds the roles' permissions boundary policy). */
const SECOND: VigilConfig = {
  inventory: { ...TEST_INVENTORY, remediateManagementAccount: true },
  // Findings on, so the findings queue, function, stream and bucket are part of what is checked.
  alerting: { ...TEST_ALERTING, findings: { securityHub: true, stream: { enabled: true } } },
  remediation: TEST_REMEDIATION,
};
const ORGS: ReadonlyArray<readonly [string, BootstrappedOrg]> = [
  ['example', bootstrapOrg(EXAMPLE)],
  ['second', bootstrapOrg(SECOND)],
];

const doc = (statements: unknown) => ({ Version: '2012-10-17', Statement: statements });

/** A concrete ARN inside a pattern: `*` region → the home region, other `*` → `sample`. */
function sampleOf(pattern: string, region: string): string {
  if (pattern === '*') return '*';
  const parts = pattern.split(':');
  if (parts[3] === '*') parts[3] = region;
  return parts.join(':').replace(/\*/g, 'sample');
}

/** Request context that satisfies a grant's own condition (its first value, made concrete). */
function contextOf(grant: Grant, region: string): Record<string, string> {
  const context: Record<string, string> = {};
  for (const kv of Object.values(grant.condition ?? {})) {
    for (const [key, value] of Object.entries(kv)) context[key] = sampleOf([value].flat()[0]!, region);
  }
  return context;
}

/**
 * KMS needs the key policy to delegate to IAM (AWS's default key policy, which vigil's keys keep) before an
 * identity policy counts; the simulator evaluates keys that way.
 */
const defaultKeyPolicy = (account: string) =>
  doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }]);

/** The accounts worth simulating: each stack-type combination once (other members differ only by id). */
function representativeAccounts(org: BootstrappedOrg): string[] {
  const inv = org.inventory;
  const plain = inv.accounts.find(
    (a) => ![inv.managementAccountId, inv.logArchiveAccountId, inv.securityAccountId].includes(a.id),
  )!.id;
  return [inv.managementAccountId, inv.logArchiveAccountId, inv.securityAccountId, plain];
}

describe.each(ORGS)('the %s org', (_label, org) => {
  const inv = org.inventory;
  const scope = {
    namePrefix: inv.namePrefix,
    organizationId: inv.organizationId,
    scpTargets: inv.scpTargets,
    killSwitchParameter: org.config.remediation.killSwitchParameter,
  };

  it('maps every resource type of every synthesized deploy-role stack (an unknown type names the file to add it to)', () => {
    const byType = resourceTypesByStackType(org.deployed);
    for (const stack of org.deployed) {
      const tf = synthJson(org.app.node.findChild(stack.id) as TerraformStack);
      const synthesized = Object.keys(tf['resource'] ?? {});
      expect(synthesized.length).toBeGreaterThan(0);
      // What the synthesized JSON holds is what the permissions were derived from, and the map knows it all.
      expect(byType.get(stack.type)).toEqual(expect.arrayContaining(synthesized));
      expect(() => grantsFor(synthesized, scope, stack.id)).not.toThrow();
    }
    expect(() => grantsFor(['aws_instance'], scope, 'the member stack')).toThrow(
      /the member stack creates aws_instance.*add it to RESOURCE_TYPE_GRANTS in derive\/deploy-permissions\.ts/,
    );
  });

  it.each(representativeAccounts(org).map((a) => [a]))(
    "account %s: its deploy role allows every action mapped for its stacks' resource types",
    async (account) => {
      const { policies } = deployRoleOf(org, account);
      const byType = resourceTypesByStackType(org.deployed);
      const types = stackTypesOf(org.deployed, account).flatMap((t) => byType.get(t)!);
      const grants = withAccount(grantsFor(types, scope), account);
      expect(grants.length).toBeGreaterThan(3);
      const refused: string[] = [];
      for (const grant of grants) {
        for (const resource of grant.resources.map((r) => sampleOf(r, inv.homeRegion))) {
          for (const action of grant.actions) {
            const decision = await simulate({
              principal: deployRoleArn(inv, account),
              action,
              resource,
              resourceAccount: account,
              identityPolicies: policies,
              ...(resource.includes(':key/') ? { resourcePolicy: defaultKeyPolicy(account) } : {}),
              context: contextOf(grant, inv.homeRegion),
            });
            if (decision !== 'Allowed') refused.push(`${action} on ${resource}: ${decision}`);
          }
        }
      }
      expect(refused).toEqual([]);
    },
  );

  it('gives each account only the policies of the stack types that deploy there', () => {
    const [mgmt, logs, sec, plain] = representativeAccounts(org);
    expect(deployRoleOf(org, mgmt!).names.sort()).toEqual(['member', 'org-trail', 'self-protection']);
    expect(deployRoleOf(org, logs!).names.sort()).toEqual(['log-archive', 'member', 'self-protection']);
    expect(deployRoleOf(org, sec!).names.sort()).toEqual(['member', 'security', 'self-protection']);
    expect(deployRoleOf(org, plain!).names.sort()).toEqual(['member', 'self-protection']);
    // An account that joins later (not in the inventory) gets the member policy from auto-deployment.
    expect(deployRoleOf(org, '999999999999').names.sort()).toEqual(['member', 'self-protection']);
  });

  it('a member deploy role cannot create the security stack (no cross-type leak)', async () => {
    const plain = representativeAccounts(org)[3]!;
    await expect(
      simulate({
        principal: deployRoleArn(inv, plain),
        action: 'lambda:CreateFunction',
        resource: `arn:aws:lambda:${inv.homeRegion}:${plain}:function:${inv.namePrefix}-triage`,
        identityPolicies: deployRoleOf(org, plain).policies,
      }),
    ).resolves.toBe('ImplicitlyDenied');
  });

  describe('no escalation', () => {
    const mgmt = inv.managementAccountId;
    const member = representativeAccounts(org)[3]!;

    it.each([
      ['iam:PutRolePolicy'],
      ['iam:UpdateAssumeRolePolicy'],
      ['iam:AttachRolePolicy'],
      ['iam:DeleteRole'],
      ['iam:TagRole'],
    ])('the deploy role cannot %s on itself or on the CI role', async (action) => {
      for (const account of [mgmt, member]) {
        for (const target of [deployRoleArn(inv, account), `arn:aws:iam::${account}:role/${inv.deployRoleName}-ci`]) {
          await expect(
            simulate({
              principal: deployRoleArn(inv, account),
              action,
              resource: target,
              identityPolicies: deployRoleOf(org, account).policies,
            }),
          ).resolves.toMatch(/Denied$/);
        }
      }
    });

    it.each<[string, string]>([
      ['iam:CreateRole', 'arn:aws:iam::{a}:role/Admin'],
      ['iam:PutRolePolicy', 'arn:aws:iam::{a}:role/OrganizationAccountAccessRole'],
      ['iam:CreateOpenIDConnectProvider', 'arn:aws:iam::{a}:oidc-provider/example.com'],
      ['cloudformation:UpdateStackSet', 'arn:aws:cloudformation:eu-west-1:{a}:stackset/vigil-deploy-role:1'],
      ['organizations:CreatePolicy', 'arn:aws:organizations::{a}:policy/o-other123456/service_control_policy/p-1'],
      ['sts:AssumeRole', 'arn:aws:iam::{a}:role/OrganizationAccountAccessRole'],
      ['s3:GetObject', 'arn:aws:s3:::someone-elses-bucket/key'],
    ])('the management deploy role cannot %s on %s', async (action, resource) => {
      await expect(
        simulate({
          principal: deployRoleArn(inv, mgmt),
          action,
          resource: resource.replace('{a}', mgmt),
          resourceAccount: mgmt,
          identityPolicies: deployRoleOf(org, mgmt).policies,
        }),
      ).resolves.toBe('ImplicitlyDenied');
    });
  });
});

describe('the CI role', () => {
  const org = ORGS[0]![1];
  const inv = org.inventory;
  const ci = ciRoleArn(inv);
  const member = representativeAccounts(org)[3]!;
  const assume = (resource: string, orgId: string, policies = ciRolePolicy(inv)) =>
    simulate({
      principal: ci,
      action: 'sts:AssumeRole',
      resource,
      identityPolicies: [doc(policies)],
      resourcePolicy: doc(deployRoleTrustPolicy(inv)),
      context: { 'aws:ResourceOrgID': orgId },
    });

  it("assumes the deploy role of any of the organization's accounts (the deploy role trusts it by exact ARN)", async () => {
    await expect(assume(deployRoleArn(inv, member), inv.organizationId)).resolves.toBe('Allowed');
    await expect(assume(deployRoleArn(inv, '999999999999'), inv.organizationId)).resolves.toBe('Allowed');
  });

  it("cannot assume a deploy role of an account outside the organization, nor any other of the org's roles", async () => {
    await expect(assume(deployRoleArn(inv, member), 'o-someoneelse')).resolves.toBe('ImplicitlyDenied');
    await expect(
      simulate({
        principal: ci,
        action: 'sts:AssumeRole',
        resource: `arn:aws:iam::${member}:role/OrganizationAccountAccessRole`,
        identityPolicies: [doc(ciRolePolicy(inv))],
        resourcePolicy: doc([
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${inv.managementAccountId}:root` },
            Action: 'sts:AssumeRole',
          },
        ]),
        context: { 'aws:ResourceOrgID': inv.organizationId },
      }),
    ).resolves.toBe('ImplicitlyDenied');
  });

  it('can do nothing but assume deploy roles: its one statement allows sts:AssumeRole only', async () => {
    const policy = resourcesOfType(org.tf, 'aws_iam_role_policy').find(
      (p) => p['role'] === '${aws_iam_role.ci-role.id}',
    )!;
    const statements = JSON.parse(policy['policy'])['Statement'] as Json[];
    expect(statements.map((s) => [s['Effect'], s['Action']])).toEqual([['Allow', 'sts:AssumeRole']]);
    for (const [action, resource] of [
      ['iam:CreateRole', `arn:aws:iam::${inv.managementAccountId}:role/x`],
      ['iam:PutRolePolicy', ci],
      ['iam:PassRole', deployRoleArn(inv, inv.managementAccountId)],
      [
        'cloudformation:UpdateStackSet',
        `arn:aws:cloudformation:eu-west-1:${inv.managementAccountId}:stackset/vigil-deploy-role:1`,
      ],
      [
        'organizations:DetachPolicy',
        `arn:aws:organizations::${inv.managementAccountId}:policy/${inv.organizationId}/service_control_policy/p-1`,
      ],
      ['sts:AssumeRoleWithWebIdentity', deployRoleArn(inv, member)],
      ['s3:GetObject', 'arn:aws:s3:::vigil-state/bootstrap.tfstate'],
    ] as const) {
      await expect(
        simulate({
          principal: ci,
          action,
          resource,
          resourceAccount: inv.managementAccountId,
          identityPolicies: [JSON.parse(policy['policy'])],
        }),
      ).resolves.toBe('ImplicitlyDenied');
    }
  });

  it('no other principal of the management account may assume a deploy role, administrators included', async () => {
    await expect(
      simulate({
        principal: `arn:aws:iam::${inv.managementAccountId}:role/Admin`,
        action: 'sts:AssumeRole',
        resource: deployRoleArn(inv, member),
        identityPolicies: [ADMIN_POLICY],
        resourcePolicy: doc(deployRoleTrustPolicy(inv)),
      }),
    ).resolves.toBe('ImplicitlyDenied');
  });
});

describe('the guardrail SCP and the bootstrap name the same deploy role', () => {
  const org = ORGS[1]![1];
  const inv = org.inventory;
  const scps = resourcesOfType(
    synthJson(org.app.node.findChild(stackIds.orgTrail) as TerraformStack),
    'aws_organizations_policy',
  ).map((p) => p['content'] as string);
  const member = representativeAccounts(org)[3]!;
  /** The role the StackSet creates in a member account, by the name in its template. */
  const bootstrapRole = `arn:aws:iam::${member}:role/${org.template['Resources']['DeployRole']['Properties']['RoleName']}`;

  it('spares the role the bootstrap creates: it may change vigil roles in a member account', async () => {
    await expect(
      simulate({
        principal: bootstrapRole,
        action: 'iam:PutRolePolicy',
        resource: `arn:aws:iam::${member}:role/${inv.namePrefix}-forwarder`,
        identityPolicies: deployRoleOf(org, member).policies,
        serviceControlPolicies: scps,
      }),
    ).resolves.toBe('Allowed');
  });

  it('protects the role the bootstrap creates: a member administrator cannot change it', async () => {
    await expect(
      simulate({
        principal: `arn:aws:iam::${member}:role/Admin`,
        action: 'iam:UpdateAssumeRolePolicy',
        resource: bootstrapRole,
        identityPolicies: [ADMIN_POLICY],
        serviceControlPolicies: scps,
      }),
    ).resolves.toBe('ExplicitlyDenied');
  });

  it("spares the StackSet's execution role, which creates and updates the deploy role in member accounts", async () => {
    await expect(
      simulate({
        principal: `arn:aws:sts::${member}:assumed-role/stacksets-exec-0123456789abcdef0123456789abcdef/session`,
        action: 'iam:PutRolePolicy',
        resource: bootstrapRole,
        identityPolicies: [ADMIN_POLICY],
        serviceControlPolicies: scps,
      }),
    ).resolves.toBe('Allowed');
  });

  it.each([
    ['iam:CreateRole', 'stacksets-exec-mine'],
    ['iam:CreateRole', 'stacksets-exec-x/evil'],
    ['iam:UpdateAssumeRolePolicy', 'stacksets-exec-0123456789abcdef0123456789abcdef'],
    ['iam:AttachRolePolicy', 'stacksets-exec-0123456789abcdef0123456789abcdef'],
  ])('a member administrator cannot %s on role %s (its name would be spared too)', async (action, name) => {
    await expect(
      simulate({
        principal: `arn:aws:iam::${member}:role/Admin`,
        action,
        resource: `arn:aws:iam::${member}:role/${name}`,
        identityPolicies: [ADMIN_POLICY],
        serviceControlPolicies: scps,
      }),
    ).resolves.toBe('ExplicitlyDenied');
  });
});
