/**
 * EventBridge limits at org scale: synthesizes the 1,000-account benchmark org of bench/synth.ts (17 regions
 * per account; override with BENCH_ACCOUNTS) and reads back what Terraform would create:
 * - member forwarding rules per account and region (limit: 300 rules per event bus, shared with the account's own
 *   rules), and in total;
 * - the largest member forwarding pattern, in characters and UTF-8 bytes (limit: 2,048);
 * - the rules on the central bus (one per detection, same 300 limit).
 * It cross-checks the synthesized figures against the pure derivation (`forwardingPatterns(CATALOG)`).
 *
 *   npx tsx bench/forwarding-limits.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CATALOG } from '../rules/catalog';
import { forwardingPatterns, MAX_PATTERN_LENGTH } from '../rules/patterns';
import { SYNTHETIC_REMEDIATION, syntheticOrg } from './synth';

/** EventBridge quota: rules per event bus (adjustable, default 300). */
const MAX_RULES_PER_BUS = 300;

type Json = Record<string, unknown>;

interface MemberFigures {
  readonly rulesPerRegion: Map<string, number[]>;
  readonly patterns: Map<string, string>;
}

/** Reads the forwarding rules and patterns of every member stack in a synth output. */
function readMembers(outdir: string): MemberFigures {
  const rulesPerRegion = new Map<string, number[]>();
  const patterns = new Map<string, string>();
  const stacks = readdirSync(join(outdir, 'stacks')).filter((s) => s.startsWith('member-'));
  for (const stack of stacks) {
    const tf = JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as Json;
    const rules = Object.values((tf['resource'] as Json)['aws_cloudwatch_event_rule'] as Json) as Json[];
    const counts = new Map<string, number>();
    for (const rule of rules) {
      for (const placement of Object.values((rule['for_each'] ?? {}) as Json) as Json[]) {
        const region = String(placement['region']);
        counts.set(region, (counts.get(region) ?? 0) + 1);
      }
    }
    for (const [region, n] of counts) rulesPerRegion.set(region, [...(rulesPerRegion.get(region) ?? []), n]);
    for (const local of Object.entries((tf['locals'] ?? {}) as Json)) {
      if (!local[0].startsWith('forwarding_patterns')) continue;
      for (const [key, text] of Object.entries(local[1] as Json)) patterns.set(key, String(text));
    }
  }
  return { rulesPerRegion, patterns };
}

/** Rules on the central bus in the security stack. */
function centralRuleCount(outdir: string): number {
  const tf = JSON.parse(readFileSync(join(outdir, 'stacks', 'security', 'cdk.tf.json'), 'utf8')) as Json;
  const rules = Object.values((tf['resource'] as Json)['aws_cloudwatch_event_rule'] as Json) as Json[];
  return rules.filter((r) => String(r['event_bus_name'] ?? '').includes('aws_cloudwatch_event_bus')).length;
}

function main(): void {
  const accounts = Number(process.env['BENCH_ACCOUNTS'] ?? 1000);
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-limits-'));
  try {
    const org = syntheticOrg(accounts);
    const orgFile = join(work, 'org.json');
    const remediationFile = join(work, 'remediation.json');
    const outdir = join(work, 'out');
    mkdirSync(outdir);
    writeFileSync(orgFile, JSON.stringify(org));
    writeFileSync(remediationFile, JSON.stringify(SYNTHETIC_REMEDIATION));
    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), join(__dirname, 'synth-child.ts')], {
      env: {
        ...process.env,
        VIGIL_INVENTORY: orgFile,
        VIGIL_REMEDIATION: remediationFile,
        CDKTF_OUTDIR: outdir,
        CHECKPOINT_DISABLE: '1',
      },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`synth of ${accounts} accounts failed:\n${run.stderr}`);

    const { rulesPerRegion, patterns } = readMembers(outdir);
    const derived = forwardingPatterns(CATALOG);
    console.log(
      `forwarding limits: ${accounts} accounts × ${org.regions.length} regions, ${CATALOG.length} detections, ` +
        `${derived.length} forwarding patterns (${derived.filter((p) => p.scope === 'global').length} global)`,
    );
    console.log('region           member rules per account (min–max)');
    let total = 0;
    let worst = 0;
    for (const region of [...rulesPerRegion.keys()].sort()) {
      const counts = rulesPerRegion.get(region)!;
      const min = Math.min(...counts);
      const max = Math.max(...counts);
      worst = Math.max(worst, max);
      total += counts.reduce((a, b) => a + b, 0);
      console.log(`${region.padEnd(16)} ${min === max ? String(max) : `${min}–${max}`}`);
    }
    const sized = [...patterns.entries()]
      .map(([key, text]) => ({ key, chars: text.length, bytes: Buffer.byteLength(text, 'utf8') }))
      .sort((a, b) => b.bytes - a.bytes);
    const largest = sized[0]!;
    console.log(
      `member rules in the org: ${total}; most in one region of one account: ${worst} of ${MAX_RULES_PER_BUS}`,
    );
    console.log(
      `largest forwarding pattern: '${largest.key}' ${largest.chars} characters / ${largest.bytes} bytes ` +
        `(limit ${MAX_PATTERN_LENGTH}; headroom ${MAX_PATTERN_LENGTH - largest.bytes})`,
    );
    console.log(`patterns by size: ${sized.map((p) => `${p.key} ${p.bytes}`).join(', ')}`);
    console.log(`central bus rules: ${centralRuleCount(outdir)} of ${MAX_RULES_PER_BUS}`);

    // The synthesized stacks must say what the pure derivation says.
    const derivedKeys = derived.map((p) => p.key).sort();
    if (JSON.stringify([...patterns.keys()].sort()) !== JSON.stringify(derivedKeys)) {
      throw new Error(`synthesized pattern keys ${[...patterns.keys()]} differ from forwardingPatterns ${derivedKeys}`);
    }
    if (largest.bytes > MAX_PATTERN_LENGTH) throw new Error(`pattern '${largest.key}' exceeds ${MAX_PATTERN_LENGTH}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) main();
