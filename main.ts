/**
 * `npm run synth`: validates the config (config/org.json, alerting.json, remediation.json), then creates one stack
 * per Terraform state and synthesizes them (app.ts). Wiring only; all decisions live in config/, rules/ and stacks/.
 */
import { loadConfig } from './config/load';

const USAGE = `usage: npm run synth   (no arguments)

Validates config/org.json, config/alerting.json and config/remediation.json (every problem listed),
then writes one Terraform JSON folder per stack to cdktf.out/stacks/<stack>, removes the folders of
stacks that no longer exist, and prints what changed since the last synth. Needs no AWS credentials.
Environment: VIGIL_INVENTORY, VIGIL_ALERTING, VIGIL_REMEDIATION name other config files;
VIGIL_SYNTH_STAMP=off builds every member stack in cdktf instead of writing ordinary member stacks of
the same shape from one verified template (the output is identical; off is slower).`;

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
    // Validate before anything else: constructing the App creates the output directory, and a config mistake must
    // leave no partial output behind; and loading the framework and the stacks (app.ts) takes about a second, which
    // a config mistake should not wait for.
    const config = loadConfig();
    const { synthAll } = require('./app') as typeof import('./app');
    for (const line of synthAll(config)) console.log(line);
  } catch (err) {
    // A config mistake stops synth before anything is written, with every problem listed.
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
