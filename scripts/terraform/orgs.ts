/**
 * The organizations the Terraform check synthesizes: the bundled example org (config/) and a
 * generated multi-region org, so the check covers more regions than the example uses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from '../../framework/cdktf';
import { SYNTHETIC_REMEDIATION, syntheticOrg } from '../../bench/synth';
import type { AlertingConfig } from '../../config/alerting';
import { loadConfig, type VigilConfig } from '../../config/load';
import type { RemediationConfig } from '../../config/remediation';
import { GLOBAL_EVENTS_REGION, KNOWN_REGIONS } from '../../config/regions';
import { stampingEnabled } from '../../build/member-stamps';
import { buildApp, synthApp } from '../../app';

/** One organization to synthesize and check. */
export interface CheckedOrg {
  /** Short label used in output and temp folder names. */
  readonly label: string;
  readonly config: VigilConfig;
}

/** The example org exactly as `npm run synth` reads it (config/*.json, or VIGIL_* overrides). */
export function exampleOrg(): CheckedOrg {
  return { label: 'example', config: loadConfig() };
}

/**
 * A generated org of `accounts` accounts (management, log archive and security first) × `regions`
 * regions: us-east-1, where global service events arrive, plus the first others known. Unlike the
 * example org, it turns the findings exports on (Security Hub and the stream into the S3 lake), so the
 * check plans the findings queue, function, stream and bucket too.
 */
export function generatedOrg(accounts = 3, regions = 5): CheckedOrg {
  const inventory = syntheticOrg(accounts);
  const chosen = [GLOBAL_EVENTS_REGION, ...KNOWN_REGIONS.filter((r) => r !== GLOBAL_EVENTS_REGION)]
    .slice(0, regions)
    .sort();
  const alerting = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'alerting.json'), 'utf8'));
  return {
    label: `generated-${accounts}x${regions}`,
    config: {
      inventory: { ...inventory, regions: chosen },
      alerting: { ...(alerting as AlertingConfig), findings: { securityHub: true, stream: { enabled: true } } },
      remediation: SYNTHETIC_REMEDIATION as unknown as RemediationConfig,
    },
  };
}

/** Synthesizes every stack of `org` into `outdir` (as `npm run synth` does) and returns the stack ids. */
export function synthOrg(org: CheckedOrg, outdir: string): string[] {
  synthApp(buildApp(new App({ outdir, stackTraces: false }), org.config, { stampMembers: stampingEnabled() }));
  return readdirSync(join(outdir, 'stacks')).sort();
}
