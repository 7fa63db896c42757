/**
 * Composition root: validate the org inventory, derive data from the catalog, create one stack per
 * Terraform state, synth. Wiring only; all decisions live in config/, rules/ and stacks/.
 */
import { App } from 'cdktf';
import { loadConfig, type VigilConfig } from './config/load';
import { stackIds } from './config/naming';
import { forwardingPatterns } from './rules/patterns';
import { CATALOG } from './rules/catalog';
import { LogArchiveStack } from './stacks/log-archive-stack';
import { MemberStack } from './stacks/member-stack';
import { OrgTrailStack } from './stacks/org-trail-stack';
import { remediationPermissions } from './derive/remediation-permissions';
import { SecurityStack } from './stacks/security-stack';
import { disableTokenStackTraces } from './build/synth-performance';

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
  return app;
}

if (require.main === module) {
  try {
    // Validate before the App exists: constructing it creates the output directory, and a config
    // mistake must leave no partial output behind.
    const config = loadConfig();
    // Stack traces in construct metadata only bloat the output (and make it machine-specific).
    buildApp(new App({ stackTraces: false }), config).synth();
  } catch (err) {
    // A config mistake stops synth before anything is written, with every problem listed.
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
