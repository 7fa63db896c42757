/**
 * The Terraform Cloud / Enterprise (`hashicorp/tfe`) provider classes vigil uses, for the `tfc` stack
 * only, each imported by its deep path (the provider's index loads every resource type). Like
 * framework/aws.ts, the only module that names the provider package: switching to CDK Terrain
 * (`@cdktn/provider-tfe`) or another provider build changes these paths and nothing else.
 */
export { DataTfeProject } from '@cdktf/provider-tfe/lib/data-tfe-project';
export { DataTfeWorkspace } from '@cdktf/provider-tfe/lib/data-tfe-workspace';
export { NotificationConfiguration } from '@cdktf/provider-tfe/lib/notification-configuration';
export { TfeProvider } from '@cdktf/provider-tfe/lib/provider';
export { RunTrigger } from '@cdktf/provider-tfe/lib/run-trigger';
export { Variable } from '@cdktf/provider-tfe/lib/variable';
export { VariableSet } from '@cdktf/provider-tfe/lib/variable-set';
export { Workspace } from '@cdktf/provider-tfe/lib/workspace';
export { WorkspaceSettings } from '@cdktf/provider-tfe/lib/workspace-settings';
export { WorkspaceVariableSet } from '@cdktf/provider-tfe/lib/workspace-variable-set';
