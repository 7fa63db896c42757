/**
 * The organization as cdktf stacks: `buildApp` creates one stack per Terraform state from the validated config
 * (wiring only; all decisions live in config/, rules/ and stacks/), `synthApp` synthesizes them, and `synthAll` is
 * what `npm run synth` (main.ts) runs once the config is valid. main.ts loads this module only after validating the
 * config, so a config mistake is reported without loading the framework and the stacks.
 */
import { relative } from 'node:path';
import { App, TerraformStack } from './framework/cdktf';
import type { VigilConfig } from './config/load';
import { stackIds } from './config/naming';
import { TFC_STACK_ID } from './config/tfc';
import { forwardingPatterns } from './rules/patterns';
import { CATALOG } from './rules/catalog';
import { BootstrapStack, deployedStacks } from './stacks/bootstrap-stack';
import { LogArchiveStack } from './stacks/log-archive-stack';
import { MemberStack, memberStackShape } from './stacks/member-stack';
import { OrgTrailStack } from './stacks/org-trail-stack';
import { remediationPermissions } from './derive/remediation-permissions';
import { SecurityStack } from './stacks/security-stack';
import { TfcStack } from './stacks/tfc-stack';
import { bundleStats } from './build/bundle';
import { planMemberStamps, type StampGroup, stampingEnabled, writeMemberStamps } from './build/member-stamps';
import { formatSynthSummary, removeStaleStacks, snapshotStacks } from './build/synth-summary';
import { LOCALLY_APPLIED_STACKS, stackDependencies } from './scripts/terraform/order';

/** The member stacks written from a template after synth (build/member-stamps.ts), by app. */
const STAMPS = new WeakMap<App, readonly StampGroup[]>();

export interface BuildOptions {
  /**
   * Write the stacks of ordinary member accounts that share a shape from one template instead of
   * building each in cdktf (build/member-stamps.ts); the output is identical. Only `synthApp` writes
   * them, so callers that synthesize with `app.synth()` leave it off. @default false
   */
  readonly stampMembers?: boolean;
}

/** Builds every stack of the organization into `app`. Exported for tests and the benchmark. */
export function buildApp(app: App, config: VigilConfig, options: BuildOptions = {}): App {
  const { inventory, alerting, remediation } = config;
  const patterns = forwardingPatterns(CATALOG);
  const permissions = remediationPermissions(CATALOG);
  new LogArchiveStack(app, stackIds.logArchive, { inventory });
  new OrgTrailStack(app, stackIds.orgTrail, { inventory, remediation });
  new SecurityStack(app, stackIds.security, { inventory, catalog: CATALOG, alerting, remediation });
  const accounts = [...inventory.accounts].sort((a, b) => a.id.localeCompare(b.id));
  const plan = options.stampMembers
    ? planMemberStamps(inventory, accounts, (a) => memberStackShape(inventory, a))
    : { full: accounts, groups: [] };
  for (const account of plan.full) {
    new MemberStack(app, stackIds.member(account.id), { inventory, account, patterns, permissions });
  }
  STAMPS.set(app, plan.groups);
  // A stamped stack is its template's with the account id replaced: so is what it deploys.
  const built = deployedStacks(app);
  const stampedDeployed = plan.groups.flatMap((g) => {
    const template = built.find((d) => d.id === stackIds.member(g.template))!;
    return g.stamped.map((accountId) => ({ ...template, id: stackIds.member(accountId), accountId }));
  });
  // After the stacks above: the deploy role's permissions derive from what they create.
  new BootstrapStack(app, stackIds.bootstrap, {
    inventory,
    remediation,
    deployed: [...built, ...stampedDeployed].sort(
      (a, b) => stackOrder(a.id) - stackOrder(b.id) || a.id.localeCompare(b.id),
    ),
  });
  if (inventory.backend.type === 'tfc') {
    // Created last: its workspaces are the stacks above, each with the dependencies its run triggers follow.
    const ids = [
      stackIds.logArchive,
      stackIds.orgTrail,
      stackIds.security,
      ...accounts.map((a) => stackIds.member(a.id)),
      stackIds.bootstrap,
    ];
    new TfcStack(app, TFC_STACK_ID, {
      inventory,
      stacks: ids.map((id) => ({
        id,
        dependsOn: stackDependencies(id),
        local: LOCALLY_APPLIED_STACKS.includes(id),
      })),
    });
  }
  // Stacks never reference each other (names cross accounts by convention, config/naming.ts); their
  // deploy order is recorded in the manifest so `cdktf deploy` and any reader of it follow it.
  const stacks = new Map(
    app.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack).map((s) => [s.node.id, s]),
  );
  for (const [id, stack] of stacks) {
    for (const dependency of stackDependencies(id)) stack.addDependency(stacks.get(dependency)!);
  }
  return app;
}

/** Creation order of the stacks in `buildApp` (central, members, bootstrap), for lists that must match it. */
function stackOrder(id: string): number {
  const central: string[] = [stackIds.logArchive, stackIds.orgTrail, stackIds.security];
  return central.includes(id) ? central.indexOf(id) : id.startsWith('member-') ? 3 : 4;
}

/** Synthesizes an app built by `buildApp`, stamped member stacks included; returns every stack id. */
export function synthApp(app: App): string[] {
  app.synth();
  const stamped = writeMemberStamps(app.outdir, STAMPS.get(app) ?? []);
  return [...app.node.children.map((c) => c.node.id), ...stamped];
}

/**
 * What `npm run synth` does with a valid config: synthesizes every stack into the App's outdir (`cdktf.out`, or
 * CDKTF_OUTDIR), removes the folders of stacks that no longer exist, and returns the lines to print (what changed
 * since the last synth, how the functions were bundled).
 */
export function synthAll(config: VigilConfig): string[] {
  // Stack traces in construct metadata only bloat the output (and make it machine-specific).
  const app = new App({ stackTraces: false });
  const before = snapshotStacks(app.outdir);
  const ids = synthApp(buildApp(app, config, { stampMembers: stampingEnabled() }));
  const removed = removeStaleStacks(app.outdir, ids);
  const bundles = bundleStats();
  return [
    ...formatSynthSummary(relative(process.cwd(), app.outdir) || '.', before, snapshotStacks(app.outdir), removed),
    bundles.fromCache > 0
      ? `functions: ${bundles.built} bundled, ${bundles.fromCache} unchanged (from the bundle cache; VIGIL_BUNDLE_CACHE=off rebuilds all)`
      : `functions: ${bundles.built} bundled`,
  ];
}
