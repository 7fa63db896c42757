/**
 * Terraform Cloud as code (issue #10): the `tfc` stack creates and configures one workspace per stack that
 * `npm run synth` writes, and is itself synthesized only when `backend.type` is `"tfc"`. For every stack:
 * a `tfe_workspace` named by `workspacePattern` (organization, optional project, Terraform version pin,
 * working directory, auto-apply) and its `tfe_workspace_settings` (execution mode, agent pool). For the
 * stacks Terraform Cloud runs (every AWS stack but bootstrap): dynamic AWS credentials through one shared
 * variable set, run triggers along the deploy order, and the configured notifications.
 *
 * Dynamic credentials: one variable set (`TFC_AWS_PROVIDER_AUTH`, `TFC_AWS_RUN_ROLE_ARN` = the CI role in
 * the management account, optionally the audience) attached to each AWS workspace, rather than two or
 * three `tfe_variable`s per workspace: the role ARN and audience live in one place (one change rotates
 * them for 2,000 workspaces; N attachments instead of 2N–3N variables), and the set has priority, so a
 * workspace-level variable cannot quietly point one stack at another role. The stacks' AWS providers then
 * assume the deploy role of their account from the CI role (role chaining; stacks/vigil-stack.ts).
 *
 * Which workspaces run where: `LOCALLY_APPLIED_STACKS` (scripts/terraform/order.ts) get execution mode
 * `local`, i.e. Terraform Cloud holds their state and an operator applies them. `bootstrap` creates the CI
 * role that dynamic credentials assume, so it cannot use them: it is applied with management-account admin
 * credentials, and gets no credentials, run triggers or notifications here. Nothing Terraform Cloud runs
 * depends on a local workspace's runs (they produce none), so no run trigger starts from one.
 *
 * This stack's own state: the `cloud` block like every stack, workspace `<workspacePattern with tfc>`
 * (e.g. `vigil-tfc`), which the first `terraform init` creates (in `project` when set). It runs locally
 * too: a remote run has no token allowed to create workspaces, and a team token stored in a workspace
 * variable would be the most powerful secret in the organization. It reads its own workspace and keeps it
 * in local execution mode, but the very first plan comes before that, so once, by hand:
 *   1. `terraform login <hostname>` with a token that may manage workspaces and variable sets
 *      (an organization owner, or a team with those permissions);
 *   2. `npm run synth`, then `terraform -chdir=cdktf.out/stacks/tfc init` (creates the workspace);
 *   3. set that workspace's execution mode to Local (Settings → General), unless the organization's
 *      default already is;
 *   4. `npm run deploy -- --apply --stacks tfc` (with `TF_VAR_<urlVariable>` set for webhook
 *      notifications): the workspaces exist before any other stack's `init` could create them with
 *      default settings (order.ts runs tfc in a wave of its own, first).
 * Afterwards the same `npm run deploy -- --apply --stacks tfc` after every synth that adds or removes a
 * stack. Removing an account's stack deletes its workspace only once it manages no resources (safe delete:
 * `force_delete` stays off): destroy the stack's resources first.
 */
import type { Construct } from 'constructs';
import { TerraformStack, TerraformVariable } from '../framework/cdktf';
import {
  DataTfeProject,
  DataTfeWorkspace,
  NotificationConfiguration,
  RunTrigger,
  TfeProvider,
  Variable,
  VariableSet,
  Workspace,
  WorkspaceSettings,
  WorkspaceVariableSet,
} from '../framework/tfe';
import type { OrgInventory } from '../config/inventory';
import { ciRoleArn } from '../config/naming';
import { DEFAULT_TFC_TERRAFORM_VERSION, notificationKey, type TfcBackendConfig, tfcWorkspaceName } from '../config/tfc';
import { configureBackend } from './vigil-stack';

/** One stack whose workspace this stack manages. */
export interface TfcManagedStack {
  /** Stack id (e.g. `security`); the workspace is `workspacePattern` with `{stack}` replaced by it. */
  readonly id: string;
  /** Stacks it depends on (scripts/terraform/order.ts `stackDependencies`); each becomes a run trigger source. */
  readonly dependsOn: readonly string[];
  /**
   * Applied by an operator, never run by Terraform Cloud: execution mode `local`, no dynamic credentials,
   * no run triggers, no notifications.
   * @default false
   */
  readonly local?: boolean;
}

export interface TfcStackProps {
  /** Its `backend` must be of type `tfc`. */
  readonly inventory: OrgInventory;
  /** Every stack `buildApp` synthesizes except this one. */
  readonly stacks: readonly TfcManagedStack[];
}

/** Triggers of a notification that names none: what needs a human. */
export const DEFAULT_NOTIFICATION_TRIGGERS: readonly string[] = ['run:errored', 'run:needs_attention'];

/** Terraform Cloud workspaces for vigil's stacks; see the file header for how it is applied. */
export class TfcStack extends TerraformStack {
  /** Workspace of each managed stack, by stack id. */
  readonly workspaces: ReadonlyMap<string, Workspace>;

  constructor(scope: Construct, id: string, props: TfcStackProps) {
    super(scope, id);
    // config/load.ts validated the Terraform Cloud settings (config/tfc.ts) with the rest of the inventory.
    const backend = props.inventory.backend as TfcBackendConfig;
    if (backend.type !== 'tfc') {
      throw new Error(
        `TfcStack '${id}': config/org.json has backend type '${backend.type}'; the tfc stack exists only with "backend": {"type": "tfc", ...}`,
      );
    }
    validateStacks(id, props.stacks);
    configureBackend(this, id, backend);
    const { organization } = backend;
    new TfeProvider(this, 'tfe', { hostname: backend.hostname ?? 'app.terraform.io', organization });

    const projectId = backend.project
      ? new DataTfeProject(this, 'project', { name: backend.project, organization }).id
      : undefined;

    // Its own workspace exists (the first `terraform init` created it): keep it in local execution mode.
    const own = new DataTfeWorkspace(this, 'own-workspace', { name: tfcWorkspaceName(backend, id), organization });
    new WorkspaceSettings(this, 'own-workspace-settings', { workspaceId: own.id, executionMode: 'local' });

    const remote = props.stacks.filter((s) => !s.local);
    const credentials = remote.length > 0 ? this.awsCredentials(props.inventory, backend) : undefined;
    const urls = this.webhookVariables(backend);

    const workspaces = new Map<string, Workspace>();
    for (const stack of [...props.stacks].sort((a, b) => a.id.localeCompare(b.id))) {
      const local = stack.local === true;
      const autoApply = !local && (backend.autoApply ?? false);
      const workspace = new Workspace(this, `workspace-${stack.id}`, {
        name: tfcWorkspaceName(backend, stack.id),
        organization,
        ...(projectId ? { projectId } : {}),
        description: local
          ? `vigil stack ${stack.id}: state only, applied by an operator (npm run deploy -- --apply --stacks ${stack.id})`
          : `vigil stack ${stack.id}: configuration from npm run synth, uploaded by npm run tfc:upload or npm run deploy`,
        terraformVersion: backend.terraformVersion ?? DEFAULT_TFC_TERRAFORM_VERSION,
        ...(backend.workingDirectory
          ? { workingDirectory: backend.workingDirectory.replace(/\{stack\}/g, stack.id) }
          : {}),
        autoApply,
        autoApplyRunTrigger: autoApply,
        // No VCS connection (cdktf.out is build output) and nothing to run before the first upload.
        fileTriggersEnabled: false,
        queueAllRuns: false,
      });
      // Execution mode and agent pool moved from tfe_workspace (deprecated there) to tfe_workspace_settings;
      // auto_apply and description stay on tfe_workspace alone. Provider releases before
      // hashicorp/terraform-provider-tfe#1891 (October 2025; the pinned 0.71.0 is later) reset those two
      // whenever a settings resource existed: do not pin an older tfe provider.
      const mode = local ? 'local' : (backend.executionMode ?? 'remote');
      new WorkspaceSettings(this, `settings-${stack.id}`, {
        workspaceId: workspace.id,
        executionMode: mode,
        ...(mode === 'agent' ? { agentPoolId: backend.agentPoolId } : {}),
      });
      workspaces.set(stack.id, workspace);
    }

    for (const stack of remote) {
      const workspace = workspaces.get(stack.id)!;
      new WorkspaceVariableSet(this, `aws-credentials-${stack.id}`, {
        workspaceId: workspace.id,
        variableSetId: credentials!.id,
      });
      // A successful apply of each dependency queues a run here (auto-applied only with autoApply).
      for (const dependency of [...stack.dependsOn].sort()) {
        const source = props.stacks.find((s) => s.id === dependency);
        if (!source || source.local) continue;
        new RunTrigger(this, `trigger-${stack.id}-after-${dependency}`, {
          workspaceId: workspace.id,
          sourceableId: workspaces.get(dependency)!.id,
        });
      }
      for (const n of backend.notifications ?? []) {
        new NotificationConfiguration(this, `notify-${stack.id}-${notificationKey(n.name)}`, {
          name: n.name,
          workspaceId: workspace.id,
          destinationType: n.destinationType,
          enabled: true,
          triggers: [...(n.triggers ?? DEFAULT_NOTIFICATION_TRIGGERS)],
          ...(n.urlVariable ? { url: urls.get(n.urlVariable)!.stringValue } : {}),
          ...(n.emailUserIds ? { emailUserIds: [...n.emailUserIds] } : {}),
          ...(n.emailAddresses ? { emailAddresses: [...n.emailAddresses] } : {}),
        });
      }
    }
    this.workspaces = workspaces;
  }

  /** The shared variable set of dynamic AWS credentials (see the file header for why a set). */
  private awsCredentials(inventory: OrgInventory, backend: TfcBackendConfig): VariableSet {
    const set = new VariableSet(this, 'aws-credentials', {
      name: tfcWorkspaceName(backend, 'aws-credentials'),
      description:
        "vigil: Terraform Cloud's workload identity assumes the CI role in the management account; each stack's AWS provider then assumes its account's deploy role",
      organization: backend.organization,
      // Workspace variables cannot override these (a workspace admin could otherwise redirect one stack).
      priority: true,
    });
    const env: Record<string, string> = {
      TFC_AWS_PROVIDER_AUTH: 'true',
      TFC_AWS_RUN_ROLE_ARN: ciRoleArn(inventory),
      ...(backend.awsAudience ? { TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE: backend.awsAudience } : {}),
    };
    for (const [key, value] of Object.entries(env)) {
      new Variable(this, `aws-credentials-${key}`, { key, value, category: 'env', variableSetId: set.id });
    }
    return set;
  }

  /** One sensitive input variable per webhook URL the notifications name (values from `TF_VAR_<name>`). */
  private webhookVariables(backend: TfcBackendConfig): Map<string, TerraformVariable> {
    const names = new Set((backend.notifications ?? []).flatMap((n) => (n.urlVariable ? [n.urlVariable] : [])));
    return new Map(
      [...names].sort().map((name) => [
        name,
        new TerraformVariable(this, name, {
          type: 'string',
          sensitive: true,
          nullable: false,
          description: `Webhook URL for Terraform Cloud notifications (set TF_VAR_${name}; never commit it)`,
        }),
      ]),
    );
  }
}

function validateStacks(id: string, stacks: readonly TfcManagedStack[]): void {
  const where = `TfcStack '${id}'`;
  const ids = stacks.map((s) => s.id);
  if (ids.length === 0) throw new Error(`${where}: stacks is empty; buildApp passes every other stack it creates`);
  if (ids.includes(id))
    throw new Error(`${where}: stacks includes '${id}' itself; its workspace comes from terraform init`);
  const duplicate = ids.find((s, i) => ids.indexOf(s) !== i);
  if (duplicate) throw new Error(`${where}: stack '${duplicate}' appears twice; each stack has one workspace`);
}
