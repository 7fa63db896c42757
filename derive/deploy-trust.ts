/**
 * Who may deploy, derived from the inventory's `deployTrust`: the trust policy of the CI role (management
 * account), the OIDC provider it federates with, the CI role's one permission (assuming the deploy roles of
 * the organization) and the exact principal every deploy role trusts. Pure: no cdktf.
 */
import type { DeployTrust, OrgInventory } from '../config/inventory';
import { ciRoleArn, ciRoleName } from '../config/naming';
import type { Statement } from '../constructs/policy-document';

/** The default trust: a workstation with management-account credentials assumes the CI role. */
export const DEFAULT_DEPLOY_TRUST: DeployTrust = { type: 'management-account' };

/** The OIDC identity provider the CI role federates with. */
export interface OidcProviderSpec {
  /** Issuer host, e.g. `app.terraform.io`; the provider's ARN and condition keys are named by it. */
  readonly host: string;
  /** Audiences (`aud`) the provider accepts. */
  readonly clientIds: readonly string[];
}

/** Terraform Cloud's workload identity audience for AWS (its documented default). */
export const TFC_AUDIENCE = 'aws.workload.identity';
/** The audience GitHub's configure-aws-credentials action requests. */
export const GITHUB_AUDIENCE = 'sts.amazonaws.com';
export const GITHUB_HOST = 'token.actions.githubusercontent.com';

export const deployTrustOf = (inv: OrgInventory): DeployTrust => inv.deployTrust ?? DEFAULT_DEPLOY_TRUST;

/** Whether the bootstrap stack creates the CI role (every trust type but `role`, which names its own). */
export const createsCiRole = (inv: OrgInventory): boolean => deployTrustOf(inv).type !== 'role';

/** The one principal every deploy role trusts, by exact ARN: the CI role, or the configured role. */
export function deployRoleTrustedArn(inv: OrgInventory): string {
  const trust = deployTrustOf(inv);
  return trust.type === 'role' ? trust.arn : ciRoleArn(inv);
}

/** Trust policy of every deploy role: exactly one principal, by exact ARN, may assume it. */
export function deployRoleTrustPolicy(inv: OrgInventory): Statement[] {
  return [
    {
      Sid: 'CiOnly',
      Effect: 'Allow',
      Principal: { AWS: deployRoleTrustedArn(inv) },
      Action: 'sts:AssumeRole',
    },
  ];
}

/** The OIDC provider of the CI trust, or undefined when the CI role is not federated. */
export function oidcProviderOf(inv: OrgInventory): OidcProviderSpec | undefined {
  const trust = deployTrustOf(inv);
  if (trust.type === 'tfc') {
    const host = inv.backend.type === 'tfc' ? (inv.backend.hostname ?? 'app.terraform.io') : 'app.terraform.io';
    return { host, clientIds: [TFC_AUDIENCE] };
  }
  if (trust.type === 'github') return { host: GITHUB_HOST, clientIds: [GITHUB_AUDIENCE] };
  return undefined;
}

export const oidcProviderArn = (inv: OrgInventory, host: string): string =>
  `arn:aws:iam::${inv.managementAccountId}:oidc-provider/${host}`;

/**
 * The `sub` claims the CI role accepts. Terraform Cloud: `organization:<org>:project:<project>:workspace:<ws>:run_phase:<phase>`
 * with the backend's workspace pattern (`{stack}` → `*`), any run phase (plan and apply both need credentials).
 * GitHub: `repo:<owner/repo>:environment:<env>` or `repo:<owner/repo>:ref:<ref>`.
 */
export function ciSubjects(inv: OrgInventory): string[] {
  const trust = deployTrustOf(inv);
  if (trust.type === 'tfc') {
    if (inv.backend.type !== 'tfc') throw new Error('deployTrust "tfc" needs the Terraform Cloud backend');
    const workspace = inv.backend.workspacePattern.replace('{stack}', '*');
    return [
      `organization:${inv.backend.organization}:project:${trust.project ?? '*'}:workspace:${workspace}:run_phase:*`,
    ];
  }
  if (trust.type === 'github') {
    return [
      trust.environment !== undefined
        ? `repo:${trust.repository}:environment:${trust.environment}`
        : `repo:${trust.repository}:ref:${trust.ref ?? 'refs/heads/main'}`,
    ];
  }
  return [];
}

/** Trust policy of the CI role; fails for the `role` trust type, which has no CI role. */
export function ciRoleTrustPolicy(inv: OrgInventory): Statement[] {
  const trust = deployTrustOf(inv);
  const oidc = oidcProviderOf(inv);
  if (oidc) {
    const subjects = ciSubjects(inv);
    // StringLike only where the subject has a wildcard (Terraform Cloud's workspace pattern); exact otherwise.
    const wildcard = subjects.some((s) => s.includes('*'));
    return [
      {
        Sid: 'CiIdentity',
        Effect: 'Allow',
        Principal: { Federated: oidcProviderArn(inv, oidc.host) },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${oidc.host}:aud`]: oidc.clientIds.length === 1 ? oidc.clientIds[0]! : [...oidc.clientIds],
            ...(wildcard ? {} : { [`${oidc.host}:sub`]: subjects }),
          },
          ...(wildcard ? { StringLike: { [`${oidc.host}:sub`]: subjects } } : {}),
        },
      },
    ];
  }
  if (trust.type === 'management-account') {
    // The account root delegates to the management account's IAM: only principals whose own policy allows
    // sts:AssumeRole on this role (administrators) can use it.
    return [
      {
        Sid: 'ManagementAccount',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${inv.managementAccountId}:root` },
        Action: 'sts:AssumeRole',
      },
    ];
  }
  throw new Error(
    `deployTrust "${trust.type}" has no CI role (${ciRoleName(inv)}): the deploy roles trust ${deployRoleTrustedArn(inv)}`,
  );
}

/** The CI role's only permission: assume the deploy role of an account of this organization. */
export function ciRolePolicy(inv: OrgInventory): Statement[] {
  return [
    {
      Sid: 'AssumeDeployRoles',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: `arn:aws:iam::*:role/${inv.deployRoleName}`,
      Condition: { StringEquals: { 'aws:ResourceOrgID': inv.organizationId } },
    },
  ];
}
