import { AwsProvider } from '../framework/aws';
import { CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, TerraformStack } from '../framework/cdktf';
import type { Construct } from 'constructs';
import type { BackendConfig, OrgInventory } from '../config/inventory';
import { deployRoleArn } from '../config/naming';
import { type TfcBackendConfig, tfcWorkspaceName } from '../config/tfc';

export interface VigilStackProps {
  readonly inventory: OrgInventory;
  /** Account every resource of this stack lives in; the provider refuses any other. */
  readonly accountId: string;
  /** Value of the `vigil:component` default tag. */
  readonly component: string;
  /** @default - the inventory's home region */
  readonly region?: string;
  /**
   * Whether the provider assumes the deploy role. Only the bootstrap stack, which creates the deploy role and
   * is applied with the management account's administrator credentials, says no.
   * @default true
   */
  readonly assumeDeployRole?: boolean;
}

/**
 * One deployable unit = one Terraform state. Every vigil stack gets its backend from config and one
 * AWS provider that assumes the deploy role in its account, pinned with `allowed_account_ids` so a
 * mis-set credential can never apply a stack to the wrong account.
 */
export abstract class VigilStack extends TerraformStack {
  readonly provider: AwsProvider;
  readonly inventory: OrgInventory;
  readonly accountId: string;
  /** The `vigil:component` tag: the stack's type (`member`, `security`, ...). */
  readonly component: string;
  /** Whether this stack deploys through the deploy role (every stack but bootstrap). */
  readonly assumesDeployRole: boolean;

  constructor(scope: Construct, id: string, props: VigilStackProps) {
    super(scope, id);
    this.inventory = props.inventory;
    this.accountId = props.accountId;
    this.component = props.component;
    this.assumesDeployRole = props.assumeDeployRole ?? true;
    configureBackend(this, id, props.inventory.backend);
    this.provider = new AwsProvider(this, 'aws', {
      region: props.region ?? props.inventory.homeRegion,
      allowedAccountIds: [props.accountId],
      ...(this.assumesDeployRole
        ? { assumeRole: [{ roleArn: deployRoleArn(props.inventory, props.accountId), sessionName: 'vigil-deploy' }] }
        : {}),
      defaultTags: [{ tags: { 'vigil:managed-by': 'vigil', 'vigil:component': props.component } }],
    });
  }
}

/** Terraform backend of one stack: local (default), S3 (one key per stack) or Terraform Cloud (one workspace per stack). */
export function configureBackend(stack: TerraformStack, stackId: string, backend: BackendConfig): void {
  switch (backend.type) {
    case 'local':
      // Relative to the stack's working directory (cdktf.out/stacks/<id>), so state lands in
      // ./terraform-state at the project root: outside cdktf.out (which synth rewrites) and not
      // an absolute path (which would make synth output differ between machines).
      new LocalBackend(stack, { path: `../../../terraform-state/${stackId}.tfstate` });
      return;
    case 's3': {
      const s3 = new S3Backend(stack, {
        bucket: backend.bucket,
        key: `${backend.keyPrefix ?? 'vigil'}/${stackId}.tfstate`,
        region: backend.region,
        encrypt: true,
        ...(backend.dynamodbTable ? { dynamodbTable: backend.dynamodbTable } : {}),
        ...(backend.roleArn ? { assumeRole: { roleArn: backend.roleArn } } : {}),
      });
      // S3-native locking (Terraform ≥ 1.10); cdktf 0.21's S3Backend has no typed property for it.
      if (!backend.dynamodbTable) s3.addOverride('use_lockfile', true);
      return;
    }
    case 'tfc':
      new CloudBackend(stack, {
        hostname: backend.hostname ?? 'app.terraform.io',
        organization: backend.organization,
        // `project` (Terraform ≥ 1.5): the workspace `terraform init` creates lands in the configured project.
        workspaces: new NamedCloudWorkspace(tfcWorkspaceName(backend, stackId), (backend as TfcBackendConfig).project),
      });
      return;
  }
}
