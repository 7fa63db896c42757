import type { Construct } from 'constructs';
import {
  CloudformationStackSet,
  CloudformationStackSetInstance,
  IamOpenidConnectProvider,
  IamRole,
  IamRolePolicy,
  OrganizationsDelegatedAdministrator,
} from '../framework/aws';
import { TerraformResource } from '../framework/cdktf';
import { type OrgInventory, optInRegionCheck } from '../config/inventory';
import { ciRoleName, deployRoleStackSetName } from '../config/naming';
import type { RemediationConfig } from '../config/remediation';
import { policyDocument, type Statement } from '../constructs/policy-document';
import {
  ACCOUNT,
  DEPLOY_STACK_TYPES,
  type DeployStackType,
  grantStatements,
  grantsFor,
  selfProtection,
  withAccount,
} from '../derive/deploy-permissions';
import {
  ciRolePolicy,
  ciRoleTrustPolicy,
  createsCiRole,
  deployRoleTrustedArn,
  deployRoleTrustPolicy,
  oidcProviderOf,
} from '../derive/deploy-trust';
import { VigilStack } from './vigil-stack';

/** A stack that deploys through the deploy role: its type, its account and the resource types it creates. */
export interface DeployedStack {
  readonly id: string;
  readonly type: DeployStackType;
  readonly accountId: string;
  /** Terraform resource types, sorted and unique. */
  readonly resourceTypes: readonly string[];
}

/**
 * The stacks of `app` that deploy through the deploy role, read from the construct tree: what the deploy
 * role may do is derived from what these stacks actually create. Stacks that do not assume the deploy role
 * (bootstrap itself) are skipped; a deploy-role stack of an unknown type fails with the fix.
 */
export function deployedStacks(app: Construct): DeployedStack[] {
  return app.node.children
    .filter((c): c is VigilStack => c instanceof VigilStack && c.assumesDeployRole)
    .map((stack) => {
      if (!(DEPLOY_STACK_TYPES as readonly string[]).includes(stack.component)) {
        throw new Error(
          `stack ${stack.node.id} (component '${stack.component}') deploys through the deploy role, but the bootstrap stack knows no permissions for its type: add it to DEPLOY_STACK_TYPES in derive/deploy-permissions.ts`,
        );
      }
      const types = stack.node
        .findAll()
        .filter((c): c is TerraformResource => c instanceof TerraformResource)
        .map((r) => r.terraformResourceType);
      return {
        id: stack.node.id,
        type: stack.component as DeployStackType,
        accountId: stack.accountId,
        resourceTypes: [...new Set(types)].sort(),
      };
    });
}

/** The resource types each stack type creates (the union over its stacks; member stacks differ by account). */
export function resourceTypesByStackType(deployed: readonly DeployedStack[]): Map<DeployStackType, string[]> {
  const out = new Map<DeployStackType, string[]>();
  for (const type of DEPLOY_STACK_TYPES) {
    const types = new Set(deployed.filter((d) => d.type === type).flatMap((d) => d.resourceTypes));
    if (types.size > 0) out.set(type, [...types].sort());
  }
  return out;
}

/** Name of the inline policy that protects the deploy role and the CI role from the deploy role itself. */
export const SELF_PROTECTION_POLICY = 'self-protection';

/** AWS's limit on the aggregate size of a role's inline policies (characters, whitespace excluded). */
export const ROLE_INLINE_POLICY_LIMIT = 10_240;

/** The deploy role's inline policies: one per stack type (named by it) plus the self-protection one. */
export interface DeployRolePolicies {
  /** Statements per stack type, resource ARNs with the `${AWS::AccountId}` placeholder. */
  readonly byType: ReadonlyMap<DeployStackType, Statement[]>;
  readonly selfProtection: Statement[];
}

export function deployRolePolicies(
  inv: OrgInventory,
  killSwitchParameter: string,
  deployed: readonly DeployedStack[],
): DeployRolePolicies {
  const scope = {
    namePrefix: inv.namePrefix,
    organizationId: inv.organizationId,
    scpTargets: inv.scpTargets,
    killSwitchParameter,
  };
  const byType = new Map<DeployStackType, Statement[]>();
  for (const [type, types] of resourceTypesByStackType(deployed)) {
    byType.set(type, grantStatements(grantsFor(types, scope, `the ${type} stack`)));
  }
  return { byType, selfProtection: [selfProtection(inv.deployRoleName, ciRoleName(inv))] };
}

/** The stack types that deploy into an account (its deploy role gets their union). */
export function stackTypesOf(deployed: readonly DeployedStack[], accountId: string): DeployStackType[] {
  return DEPLOY_STACK_TYPES.filter((t) => deployed.some((d) => d.type === t && d.accountId === accountId));
}

const pascal = (s: string) => s.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
/** The template condition that holds in the accounts of a stack type. */
export const conditionOf = (type: DeployStackType): string => `Is${pascal(type)}Account`;

/** Every string that names the account placeholder becomes `Fn::Sub`, so CloudFormation fills in the account. */
function substituted(value: unknown): unknown {
  if (typeof value === 'string') return value.includes(ACCOUNT) ? { 'Fn::Sub': value } : value;
  if (Array.isArray(value)) return value.map(substituted);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituted(v)]));
  }
  return value;
}

const document = (statements: readonly Statement[]) => ({ Version: '2012-10-17', Statement: statements });

/**
 * The StackSet's template: the deploy role with the member policy everywhere and, through `Conditions` on
 * `AWS::AccountId`, the policy of each other stack type only in the accounts that stack type deploys to.
 * The management account is not in it (service-managed StackSets never deploy there).
 */
export function deployRoleTemplate(
  inv: OrgInventory,
  policies: DeployRolePolicies,
  deployed: readonly DeployedStack[],
): Record<string, unknown> {
  const conditions: Record<string, unknown> = {};
  const conditional: unknown[] = [];
  for (const [type, statements] of policies.byType) {
    const policy = { PolicyName: type, PolicyDocument: substituted(document(statements)) };
    const accounts = [
      ...new Set(
        deployed.filter((d) => d.type === type && d.accountId !== inv.managementAccountId).map((d) => d.accountId),
      ),
    ].sort();
    if (type === 'member') {
      // Every account: an account that joins the org gets it before its member stack exists.
      conditional.push(policy);
      continue;
    }
    if (accounts.length === 0) continue;
    const equals = accounts.map((a) => ({ 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, a] }));
    conditions[conditionOf(type)] = equals.length === 1 ? equals[0] : { 'Fn::Or': equals };
    conditional.push({ 'Fn::If': [conditionOf(type), policy, { Ref: 'AWS::NoValue' }] });
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `The ${inv.namePrefix} deploy role (${inv.deployRoleName}), trusted by ${deployRoleTrustedArn(inv)} only. Generated by vigil's bootstrap stack: change it there.`,
    ...(Object.keys(conditions).length > 0 ? { Conditions: conditions } : {}),
    Resources: {
      DeployRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: inv.deployRoleName,
          Description: `Terraform deploys ${inv.namePrefix} through this role`,
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: document(deployRoleTrustPolicy(inv)),
          Policies: [
            { PolicyName: SELF_PROTECTION_POLICY, PolicyDocument: document(policies.selfProtection) },
            ...conditional,
          ],
          Tags: [
            { Key: 'vigil:managed-by', Value: 'vigil' },
            { Key: 'vigil:component', Value: 'bootstrap' },
          ],
        },
      },
    },
  };
}

/**
 * A string Terraform passes through unchanged: Terraform reads `${...}` and `%{...}` in every string of the
 * JSON syntax as template interpolation (`${AWS::AccountId}` fails to parse), so both are escaped by doubling.
 */
export const terraformLiteral = (s: string): string => s.split('${').join('$${').split('%{').join('%%{');

/** Size of a role's inline policies as IAM counts it (JSON without whitespace). */
export const inlinePolicySize = (documents: readonly string[]): number =>
  documents.reduce((n, d) => n + JSON.stringify(JSON.parse(d)).length, 0);

export interface BootstrapStackProps {
  readonly inventory: OrgInventory;
  /** The guardrail's kill switch parameter is among what the security stack creates. */
  readonly remediation: Pick<RemediationConfig, 'killSwitchParameter'>;
  /** The stacks that deploy through the deploy role (`deployedStacks(app)`), built before this one. */
  readonly deployed: readonly DeployedStack[];
}

/**
 * The management account's bootstrap: the deploy role in every account, trusted by the CI identity only.
 * - a service-managed StackSet with auto-deployment to `deployRoleTargets` (default: the root), so an
 *   account that joins the org gets the deploy role without anyone deploying anything;
 * - the deploy role of the management account itself (StackSets never deploy there);
 * - the CI role `<deployRoleName>-ci` (and its OIDC provider) that may only assume the deploy roles.
 *
 * Its provider does NOT assume the deploy role (the role does not exist yet, and nothing may let the deploy
 * role change itself): apply it with management-account administrator credentials, once and after every
 * change to what the stacks create. Prerequisite (once, outside Terraform): trusted access for StackSets
 * (`aws organizations enable-aws-service-access --service-principal member.org.stacksets.cloudformation.amazonaws.com`,
 * or CloudFormation console → StackSets → Activate trusted access).
 */
export class BootstrapStack extends VigilStack {
  readonly deployRole: IamRole;
  readonly stackSet: CloudformationStackSet;
  readonly ciRole?: IamRole;
  /** The security account as Account Management's delegated administrator (when `optInRegionCheck` is on). */
  readonly accountManagementAdmin?: OrganizationsDelegatedAdministrator;

  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    const inv = props.inventory;
    super(scope, id, {
      inventory: inv,
      accountId: inv.managementAccountId,
      component: 'bootstrap',
      assumeDeployRole: false,
    });
    const provider = this.provider;
    const policies = deployRolePolicies(inv, props.remediation.killSwitchParameter, props.deployed);

    // Every account's role must fit IAM's inline-policy limit; the placeholder is longer than an account id,
    // so measuring with it over-estimates.
    for (const account of [...new Set([inv.managementAccountId, ...props.deployed.map((d) => d.accountId)])].sort()) {
      const types = stackTypesOf(props.deployed, account);
      const size = inlinePolicySize([
        policyDocument(policies.selfProtection),
        ...types.map((t) => policyDocument(policies.byType.get(t) ?? [])),
      ]);
      if (size > ROLE_INLINE_POLICY_LIMIT) {
        throw new Error(
          `the deploy role of account ${account} (${types.join(' + ')}) needs ${size} characters of inline policy; IAM allows ${ROLE_INLINE_POLICY_LIMIT}: shorten namePrefix or merge grants in derive/deploy-permissions.ts`,
        );
      }
    }

    const dependencies: TerraformResource[] = [];
    if (createsCiRole(inv)) {
      const oidc = oidcProviderOf(inv);
      const oidcProvider = oidc
        ? new IamOpenidConnectProvider(this, 'ci-oidc-provider', {
            provider,
            url: `https://${oidc.host}`,
            clientIdList: [...oidc.clientIds],
            // No thumbprint_list: IAM fetches the issuer's certificate thumbprint itself (and ignores
            // thumbprints for issuers whose certificates chain to its trusted CAs).
          })
        : undefined;
      this.ciRole = new IamRole(this, 'ci-role', {
        provider,
        name: ciRoleName(inv),
        description: `CI entry role of ${inv.namePrefix}: may only assume the deploy role (${inv.deployRoleName}) of the organization's accounts`,
        assumeRolePolicy: policyDocument(ciRoleTrustPolicy(inv)),
        maxSessionDuration: 3600,
        ...(oidcProvider ? { dependsOn: [oidcProvider] } : {}),
      });
      new IamRolePolicy(this, 'ci-role-policy', {
        provider,
        name: 'assume-deploy-roles',
        role: this.ciRole.id,
        policy: policyDocument(ciRolePolicy(inv)),
      });
      // IAM rejects a trust policy that names a role that does not exist yet.
      dependencies.push(this.ciRole);
    }

    const trust = policyDocument(deployRoleTrustPolicy(inv));
    this.deployRole = new IamRole(this, 'deploy-role', {
      provider,
      name: inv.deployRoleName,
      description: `Terraform deploys ${inv.namePrefix} through this role`,
      assumeRolePolicy: trust,
      maxSessionDuration: 3600,
      ...(dependencies.length > 0 ? { dependsOn: dependencies } : {}),
    });
    const management = stackTypesOf(props.deployed, inv.managementAccountId);
    new IamRolePolicy(this, 'deploy-role-self-protection', {
      provider,
      name: SELF_PROTECTION_POLICY,
      role: this.deployRole.id,
      policy: policyDocument(policies.selfProtection),
    });
    for (const type of management) {
      new IamRolePolicy(this, `deploy-role-${type}`, {
        provider,
        name: type,
        role: this.deployRole.id,
        policy: policyDocument(withAccount(policies.byType.get(type)!, inv.managementAccountId)),
      });
    }

    this.stackSet = new CloudformationStackSet(this, 'deploy-role-stack-set', {
      provider,
      name: deployRoleStackSetName(inv),
      description: `The ${inv.namePrefix} deploy role (${inv.deployRoleName}) in every account of the organization`,
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { active: true },
      // A broken template stops after the first failed account, touching at most a quarter of them at once.
      operationPreferences: { failureToleranceCount: 0, maxConcurrentPercentage: 25 },
      templateBody: terraformLiteral(JSON.stringify(deployRoleTemplate(inv, policies, props.deployed))),
      // AWS sets an administration role on service-managed StackSets; without this every plan shows a diff.
      lifecycle: { ignoreChanges: ['administration_role_arn'] },
      ...(dependencies.length > 0 ? { dependsOn: dependencies } : {}),
    });
    new CloudformationStackSetInstance(this, 'deploy-role-stack-set-instances', {
      provider,
      stackSetName: this.stackSet.name,
      deploymentTargets: { organizationalUnitIds: [...(inv.deployRoleTargets ?? [inv.rootId])].sort() },
      // Home region only (IAM is global). No `region` argument: provider 6.x renamed it
      // (stack_set_instance_region); without it both 5.x and 6.x use the provider's region.
      operationPreferences: { failureToleranceCount: 0, maxConcurrentPercentage: 25 },
      retainStack: false,
    });

    if (optInRegionCheck(inv)) {
      // The coverage function (security account) reads every account's opt-in regions from Account
      // Management, which only the management account or this delegated administrator may do. Needs trusted
      // access for account.amazonaws.com first (doctor checks it). Registered by hand already? Import it:
      // `terraform import <address> <security account id>/account.amazonaws.com`.
      this.accountManagementAdmin = new OrganizationsDelegatedAdministrator(
        this,
        'account-management-delegated-admin',
        {
          provider,
          accountId: inv.securityAccountId,
          servicePrincipal: 'account.amazonaws.com',
        },
      );
    }
  }
}
