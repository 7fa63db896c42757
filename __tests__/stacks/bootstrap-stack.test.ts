import type { OrgInventory } from '../../config/inventory';
import { ciRoleArn, deployRoleStackSetName, stackIds } from '../../config/naming';
import { deployWaves, stackDependencies } from '../../scripts/terraform/order';
import { type App, Testing } from '../../framework/cdktf';
import { buildApp } from '../../app';
import {
  BootstrapStack,
  type DeployedStack,
  deployedStacks,
  inlinePolicySize,
  ROLE_INLINE_POLICY_LIMIT,
} from '../../stacks/bootstrap-stack';
import { VigilStack } from '../../stacks/vigil-stack';
import { deployRoleOf, stackSetRoleIn, templateOf } from '../helpers/bootstrap';
import { renderTemplate } from '../helpers/cloudformation';
import { type Json, onlyResource, resourcesOfType, synthJson } from '../helpers/synth';
import { TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';

const DEPLOYED = deployedStacks(
  buildApp(Testing.app() as App, { inventory: TEST_INVENTORY, alerting: TEST_ALERTING, remediation: TEST_REMEDIATION }),
);
const MGMT = TEST_INVENTORY.managementAccountId;
const MEMBER = '444444444444';

/** The bootstrap stack alone for an inventory, with the test org's deployed stacks. */
function bootstrap(inventory: OrgInventory = TEST_INVENTORY, deployed: readonly DeployedStack[] = DEPLOYED) {
  const stack = new BootstrapStack(Testing.app(), 'bootstrap', {
    inventory,
    remediation: TEST_REMEDIATION,
    deployed,
  });
  const tf = synthJson(stack);
  const template = templateOf(tf);
  return { tf, template, org: { inventory, tf, template, deployed } as any };
}

const tfcInventory: OrgInventory = {
  ...TEST_INVENTORY,
  backend: { type: 'tfc', organization: 'acme', workspacePattern: 'vigil-{stack}' },
  deployTrust: { type: 'tfc' },
};

describe('BootstrapStack', () => {
  const { tf, template, org } = bootstrap();

  it('does not assume the deploy role it creates, and is pinned to the management account', () => {
    expect(tf['provider']['aws']).toEqual([
      expect.objectContaining({ allowed_account_ids: [MGMT], region: TEST_INVENTORY.homeRegion }),
    ]);
    expect(tf['provider']['aws'][0]['assume_role']).toBeUndefined();
  });

  it('deploys the deploy role with a service-managed StackSet that follows accounts into and out of the org', () => {
    expect(onlyResource(tf, 'aws_cloudformation_stack_set')).toEqual(
      expect.objectContaining({
        name: deployRoleStackSetName(TEST_INVENTORY),
        permission_model: 'SERVICE_MANAGED',
        auto_deployment: { enabled: true, retain_stacks_on_account_removal: false },
        capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    );
    expect(onlyResource(tf, 'aws_cloudformation_stack_set_instance')).toEqual(
      expect.objectContaining({
        deployment_targets: { organizational_unit_ids: [TEST_INVENTORY.rootId] },
        retain_stack: false,
      }),
    );
  });

  it('sets no per-resource region (provider 5.x and 6.x both place the instances in the home region)', () => {
    for (const type of ['aws_cloudformation_stack_set', 'aws_cloudformation_stack_set_instance']) {
      expect(onlyResource(tf, type)['region']).toBeUndefined();
      expect(onlyResource(tf, type)['stack_set_instance_region']).toBeUndefined();
    }
  });

  it('registers the security account as Account Management delegated admin for the opt-in region check, unless it is off', () => {
    expect(resourcesOfType(tf, 'aws_organizations_delegated_administrator')).toEqual([
      expect.objectContaining({
        account_id: TEST_INVENTORY.securityAccountId,
        service_principal: 'account.amazonaws.com',
      }),
    ]);
    const { tf: off } = bootstrap({ ...TEST_INVENTORY, optInRegionCheck: false });
    expect(resourcesOfType(off, 'aws_organizations_delegated_administrator')).toEqual([]);
  });

  it('targets the configured OUs', () => {
    const targets = ['ou-ab12-workload', 'ou-ab12-security', 'ou-ab12-sandbox1'];
    const { tf: custom } = bootstrap({ ...TEST_INVENTORY, deployRoleTargets: targets });
    expect(onlyResource(custom, 'aws_cloudformation_stack_set_instance')['deployment_targets']).toEqual({
      organizational_unit_ids: [...targets].sort(),
    });
  });

  it('creates the management account deploy role directly (StackSets never deploy there), with the same trust', () => {
    const role = resourcesOfType(tf, 'aws_iam_role').find((r) => r['name'] === TEST_INVENTORY.deployRoleName)!;
    expect(JSON.parse(role['assume_role_policy'])).toEqual(
      stackSetRoleIn(org, MEMBER)['Properties']['AssumeRolePolicyDocument'],
    );
  });

  it('every deploy role trusts exactly the CI role, by exact ARN', () => {
    for (const account of [MGMT, MEMBER, TEST_INVENTORY.securityAccountId]) {
      expect(deployRoleOf(org, account).trust['Statement']).toEqual([
        { Sid: 'CiOnly', Effect: 'Allow', Principal: { AWS: ciRoleArn(TEST_INVENTORY) }, Action: 'sts:AssumeRole' },
      ]);
    }
  });

  it('names the role, tags it, and keeps every resource ARN account-specific through Fn::Sub', () => {
    const props = template['Resources']['DeployRole']['Properties'];
    expect(props['RoleName']).toBe(TEST_INVENTORY.deployRoleName);
    expect(props['Tags']).toEqual(expect.arrayContaining([{ Key: 'vigil:managed-by', Value: 'vigil' }]));
    const rendered = JSON.stringify(renderTemplate(template, MEMBER));
    expect(rendered).not.toContain('${AWS::AccountId}');
    expect(rendered).toContain(`arn:aws:iam::${MEMBER}:role/vigil-*`);
  });

  it('by default (no deployTrust) lets the management account assume the CI role', () => {
    const ci = resourcesOfType(tf, 'aws_iam_role').find((r) => r['name'] === 'vigil-deploy-ci')!;
    expect(JSON.parse(ci['assume_role_policy'])['Statement']).toEqual([
      {
        Sid: 'ManagementAccount',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${MGMT}:root` },
        Action: 'sts:AssumeRole',
      },
    ]);
    expect(resourcesOfType(tf, 'aws_iam_openid_connect_provider')).toEqual([]);
  });

  it('creates the CI role before the roles that trust it (IAM rejects a trust naming a missing role)', () => {
    for (const r of [
      resourcesOfType(tf, 'aws_iam_role').find((x) => x['name'] === TEST_INVENTORY.deployRoleName)!,
      onlyResource(tf, 'aws_cloudformation_stack_set'),
    ]) {
      expect(r['depends_on']).toEqual(['aws_iam_role.ci-role']);
    }
  });

  it("keeps every account's inline policies under IAM's aggregate limit", () => {
    for (const account of [MGMT, MEMBER, TEST_INVENTORY.logArchiveAccountId, TEST_INVENTORY.securityAccountId]) {
      const size = inlinePolicySize(deployRoleOf(org, account).policies.map((p: Json) => JSON.stringify(p)));
      expect(size).toBeLessThanOrEqual(ROLE_INLINE_POLICY_LIMIT);
    }
  });

  it('escapes the template for Terraform: every ${ reaches CloudFormation literally', () => {
    const body = onlyResource(tf, 'aws_cloudformation_stack_set')['template_body'] as string;
    expect(body).toContain('$${AWS::AccountId}');
    // Terraform would read an unescaped ${ as interpolation (and fail on AWS::AccountId).
    expect(body.replace(/\$\$\{/g, '')).not.toContain('${');
  });

  it('is deterministic', () => {
    expect(bootstrap().tf).toEqual(tf);
  });

  it('fails when a stack creates a resource type the permission map lacks, naming the file to change', () => {
    const odd: DeployedStack = {
      id: 'member-444444444444',
      type: 'member',
      accountId: MEMBER,
      resourceTypes: ['aws_instance'],
    };
    expect(() => bootstrap(TEST_INVENTORY, [...DEPLOYED, odd])).toThrow(
      /the member stack creates aws_instance.*derive\/deploy-permissions\.ts/,
    );
  });

  it('conditions a stack type deployed to several accounts on any of them', () => {
    const twoSecurity = [
      ...DEPLOYED,
      { ...DEPLOYED.find((d) => d.type === 'security')!, id: 'security-2', accountId: MEMBER },
    ];
    const { template: t } = bootstrap(TEST_INVENTORY, twoSecurity);
    expect(t['Conditions']['IsSecurityAccount']).toEqual({
      'Fn::Or': [
        { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, '333333333333'] },
        { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, MEMBER] },
      ],
    });
    expect(
      renderTemplate(t, MEMBER)['Resources']['DeployRole']['Properties']['Policies'].map((p: Json) => p['PolicyName']),
    ).toContain('security');
  });

  it("fails when an account's deploy role would exceed IAM's inline policy limit, with the fix", () => {
    const many = Array.from({ length: 300 }, (_, n) => `ou-ab12-${String(n).padStart(8, '0')}`);
    expect(() => bootstrap({ ...TEST_INVENTORY, scpTargets: many })).toThrow(
      /deploy role of account 111111111111 \(org-trail \+ member\) needs \d+ characters of inline policy; IAM allows 10240/,
    );
  });

  it('fails when a stack of an unknown type deploys through the deploy role', () => {
    class OddStack extends VigilStack {}
    const app = Testing.app();
    new OddStack(app, 'odd', { inventory: TEST_INVENTORY, accountId: MEMBER, component: 'odd' });
    expect(() => deployedStacks(app)).toThrow(/stack odd \(component 'odd'\).*add it to DEPLOY_STACK_TYPES/);
  });

  it('skips stacks that do not assume the deploy role (bootstrap itself)', () => {
    const app = Testing.app();
    new BootstrapStack(app, 'bootstrap', {
      inventory: TEST_INVENTORY,
      remediation: TEST_REMEDIATION,
      deployed: DEPLOYED,
    });
    expect(deployedStacks(app)).toEqual([]);
  });

  it('deploys first: every other stack waits for the deploy role it assumes', () => {
    const ids = [
      stackIds.security,
      stackIds.member(MEMBER),
      stackIds.orgTrail,
      stackIds.logArchive,
      stackIds.bootstrap,
    ];
    expect(deployWaves(ids)[0]).toEqual([stackIds.bootstrap]);
    expect(stackDependencies(stackIds.security)).toEqual([stackIds.bootstrap]);
  });

  describe('deployTrust', () => {
    it('tfc: an OIDC provider for app.terraform.io, and runs of the backend organization’s workspaces only', () => {
      const { tf: t } = bootstrap(tfcInventory);
      expect(onlyResource(t, 'aws_iam_openid_connect_provider')).toEqual(
        expect.objectContaining({ url: 'https://app.terraform.io', client_id_list: ['aws.workload.identity'] }),
      );
      const ci = resourcesOfType(t, 'aws_iam_role').find((r) => r['name'] === 'vigil-deploy-ci')!;
      expect(ci['depends_on']).toEqual(['aws_iam_openid_connect_provider.ci-oidc-provider']);
      expect(JSON.parse(ci['assume_role_policy'])['Statement']).toEqual([
        {
          Sid: 'CiIdentity',
          Effect: 'Allow',
          Principal: { Federated: `arn:aws:iam::${MGMT}:oidc-provider/app.terraform.io` },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: { 'app.terraform.io:aud': 'aws.workload.identity' },
            StringLike: { 'app.terraform.io:sub': ['organization:acme:project:*:workspace:vigil-*:run_phase:*'] },
          },
        },
      ]);
    });

    it('github: the repository’s token for one environment (or ref), matched exactly', () => {
      const env = bootstrap({
        ...TEST_INVENTORY,
        deployTrust: { type: 'github', repository: 'acme/vigil', environment: 'production' },
      }).tf;
      const ref = bootstrap({ ...TEST_INVENTORY, deployTrust: { type: 'github', repository: 'acme/vigil' } }).tf;
      const trustOf = (t: Json) =>
        JSON.parse(
          resourcesOfType(t, 'aws_iam_role').find((r) => r['name'] === 'vigil-deploy-ci')!['assume_role_policy'],
        )['Statement'][0]['Condition'];
      expect(trustOf(env)).toEqual({
        StringEquals: {
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
          'token.actions.githubusercontent.com:sub': ['repo:acme/vigil:environment:production'],
        },
      });
      expect(trustOf(ref)['StringEquals']['token.actions.githubusercontent.com:sub']).toEqual([
        'repo:acme/vigil:ref:refs/heads/main',
      ]);
      expect(onlyResource(env, 'aws_iam_openid_connect_provider')['url']).toBe(
        'https://token.actions.githubusercontent.com',
      );
    });

    it('role: no CI role; every deploy role trusts exactly the named role', () => {
      const arn = 'arn:aws:iam::111111111111:role/ci-runner';
      const { tf: t, org: o } = bootstrap({ ...TEST_INVENTORY, deployTrust: { type: 'role', arn } });
      expect(resourcesOfType(t, 'aws_iam_role').map((r) => r['name'])).toEqual([TEST_INVENTORY.deployRoleName]);
      expect(resourcesOfType(t, 'aws_iam_openid_connect_provider')).toEqual([]);
      for (const account of [MGMT, MEMBER]) {
        expect(deployRoleOf(o, account).trust['Statement'][0]['Principal']).toEqual({ AWS: arn });
      }
    });
  });
});
