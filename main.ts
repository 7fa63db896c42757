/**
 * Composition root: validate the org inventory, derive data from the catalog, create one stack per
 * Terraform state, synth. Wiring only; all decisions live in config/, rules/ and stacks/.
 */
import { relative } from 'node:path';
import { App, TerraformStack } from './framework/cdktf';
import { loadConfig, type VigilConfig } from './config/load';
import { stackIds } from './config/naming';
import { TFC_STACK_ID } from './config/tfc';
import { forwardingPatterns } from './rules/patterns';
import { CATALOG } from './rules/catalog';
import { BootstrapStack, deployedStacks } from './stacks/bootstrap-stack';
import { LogArchiveStack } from './stacks/log-archive-stack';
import { MemberStack } from './stacks/member-stack';
import { OrgTrailStack } from './stacks/org-trail-stack';
import { remediationPermissions } from './derive/remediation-permissions';
import { SecurityStack } from './stacks/security-stack';
import { TfcStack } from './stacks/tfc-stack';
import { disableTokenStackTraces } from './build/synth-performance';
import { bundleStats } from './build/bundle';
import { formatSynthSummary, removeStaleStacks, snapshotStacks } from './build/synth-summary';
import { LOCALLY_APPLIED_STACKS, stackDependencies } from './scripts/terraform/order';

/** Builds every stack of the organization into `app`. Exported for tests and the benchmark. */
export function buildApp(app: App, config: VigilConfig): App {
  const { inventory, alerting, remediation } = config;
  disableTokenStackTraces();
  const patterns = forwardingPatterns(CATALOG);
  const permissions = remediationPermissions(CATALOG);
  new LogArchiveStack(app, stackIds.logArchive, { inventory });
  new OrgTrailStack(app, stackIds.orgTrail, { inventory, remediation });
  new SecurityStack(app, stackIds.security, { inventory, catalog: CATALOG, alerting, remediation });
  for (const account of [...inventory.accounts].sort((a, b) => a.id.localeCompare(b.id))) {
    new MemberStack(app, stackIds.member(account.id), { inventory, account, patterns, permissions });
  }
  // After the stacks above: the deploy role's permissions derive from what they create.
  new BootstrapStack(app, stackIds.bootstrap, { inventory, remediation, deployed: deployedStacks(app) });
  if (inventory.backend.type === 'tfc') {
    // Created last: its workspaces are the stacks above, each with the dependencies its run triggers follow.
    const others = app.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack);
    new TfcStack(app, TFC_STACK_ID, {
      inventory,
      stacks: others.map((s) => ({
        id: s.node.id,
        dependsOn: stackDependencies(s.node.id),
        local: LOCALLY_APPLIED_STACKS.includes(s.node.id),
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

const USAGE = `usage: npm run synth   (no arguments)

Validates config/org.json, config/alerting.json and config/remediation.json (every problem listed),
then writes one Terraform JSON folder per stack to cdktf.out/stacks/<stack>, removes the folders of
stacks that no longer exist, and prints what changed since the last synth. Needs no AWS credentials.
Environment: VIGIL_INVENTORY, VIGIL_ALERTING, VIGIL_REMEDIATION name other config files.`;

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  if (args.length > 0) {
    console.error(`unknown argument '${args[0]}'\n${USAGE}`);
    process.exit(2);
  }
  try {
    // Validate before the App exists: constructing it creates the output directory, and a config
    // mistake must leave no partial output behind.
    const config = loadConfig();
    // Stack traces in construct metadata only bloat the output (and make it machine-specific).
    const app = new App({ stackTraces: false });
    const before = snapshotStacks(app.outdir);
    buildApp(app, config).synth();
    const ids = app.node.children.map((c) => c.node.id);
    const removed = removeStaleStacks(app.outdir, ids);
    for (const line of formatSynthSummary(
      relative(process.cwd(), app.outdir) || '.',
      before,
      snapshotStacks(app.outdir),
      removed,
    )) {
      console.log(line);
    }
    const bundles = bundleStats();
    console.log(
      bundles.fromCache > 0
        ? `functions: ${bundles.built} bundled, ${bundles.fromCache} unchanged (from the bundle cache; VIGIL_BUNDLE_CACHE=off rebuilds all)`
        : `functions: ${bundles.built} bundled`,
    );
  } catch (err) {
    // A config mistake stops synth before anything is written, with every problem listed.
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
