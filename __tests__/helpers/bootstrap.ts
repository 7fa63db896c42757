/**
 * The bootstrap stack of a whole app, synthesized, with what each account's deploy role holds: the
 * management account's role from the Terraform JSON, every other account's from the StackSet template
 * rendered for that account (tests/helpers/cloudformation.ts).
 */
import type { OrgInventory } from '../../config/inventory';
import type { VigilConfig } from '../../config/load';
import { stackIds } from '../../config/naming';
import { type App, Testing } from '../../framework/cdktf';
import { buildApp } from '../../app';
import { type BootstrapStack, type DeployedStack, deployedStacks } from '../../stacks/bootstrap-stack';
import { renderTemplate } from './cloudformation';
import { type Json, onlyResource, synthJson } from './synth';
import { roleNamed, synthesizedRoles } from './synthesized-iam';

export interface BootstrappedOrg {
  readonly inventory: OrgInventory;
  readonly config: VigilConfig;
  readonly app: App;
  /** The bootstrap stack's Terraform JSON. */
  readonly tf: Json;
  readonly deployed: readonly DeployedStack[];
  /** The StackSet's template, parsed. */
  readonly template: Json;
}

/** The StackSet's template as CloudFormation receives it (Terraform's `$${` and `%%{` escapes undone). */
export function templateOf(tf: Json): Json {
  const body = onlyResource(tf, 'aws_cloudformation_stack_set')['template_body'] as string;
  return JSON.parse(body.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{'));
}

export function bootstrapOrg(config: VigilConfig): BootstrappedOrg {
  const app = buildApp(Testing.app() as App, config);
  const tf = synthJson(app.node.findChild(stackIds.bootstrap) as BootstrapStack);
  return {
    inventory: config.inventory,
    config,
    app,
    tf,
    deployed: deployedStacks(app),
    template: templateOf(tf),
  };
}

/** The deploy role as CloudFormation creates it in `accountId` (not the management account). */
export function stackSetRoleIn(org: BootstrappedOrg, accountId: string): Json {
  return renderTemplate(org.template, accountId)['Resources']['DeployRole'];
}

/** Trust and inline policy documents of the deploy role of `accountId`. */
export function deployRoleOf(
  org: BootstrappedOrg,
  accountId: string,
): { trust: Json; policies: Json[]; names: string[] } {
  if (accountId === org.inventory.managementAccountId) {
    const role = roleNamed(synthesizedRoles(org.tf, accountId), org.inventory.deployRoleName);
    const names = Object.values<Json>(org.tf['resource']['aws_iam_role_policy'])
      .filter((p) => p['role'] === '${aws_iam_role.deploy-role.id}')
      .map((p) => p['name'] as string);
    return { trust: role.trust, policies: [...role.policies], names };
  }
  const props = stackSetRoleIn(org, accountId)['Properties'];
  return {
    trust: props['AssumeRolePolicyDocument'],
    policies: props['Policies'].map((p: Json) => p['PolicyDocument']),
    names: props['Policies'].map((p: Json) => p['PolicyName']),
  };
}
