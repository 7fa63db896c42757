/**
 * Scale benchmark: synthesizes generated organizations of 10 / 100 / 1,000 / 3,000 / 5,000 accounts × 17
 * regions (override with BENCH_SIZES=10,100) as `npm run synth` does, member stacks written from templates
 * (build/member-stamps.ts), plus 1,000 accounts with every member stack built by cdktf for comparison
 * (BENCH_FULL_SIZES; VIGIL_SYNTH_STAMP=off), and prints wall time, peak memory and output size of each.
 * Each size runs in a fresh child process so peak RSS is that synth's alone. The bundles come from the
 * bundle cache after the first size (a second synth with unchanged handler code does not rebuild them).
 *
 *   npm run bench            # all benchmarks
 *   npx tsx bench/synth.ts   # just this one
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OrgInventory } from '../config/inventory';
import { KNOWN_REGIONS } from '../config/regions';

const REGIONS = ['us-east-1', ...KNOWN_REGIONS.filter((r) => r !== 'us-east-1')].slice(0, 17).sort();

/** A synthetic org: 3 core accounts plus workload accounts spread over 12 OUs. */
export function syntheticOrg(accounts: number): OrgInventory {
  const id = (n: number) => String(100000000000 + n);
  const ous = Array.from({ length: 12 }, (_, i) => ({
    id: `ou-bench-${String(i).padStart(8, '0')}`,
    name: `ou-${i}`,
    parentId: 'r-bench',
    environment: (['prod', 'non-prod', 'sandbox'] as const)[i % 3]!,
  }));
  return {
    organizationId: 'o-bench12345',
    rootId: 'r-bench',
    managementAccountId: id(1),
    logArchiveAccountId: id(2),
    securityAccountId: id(3),
    homeRegion: 'us-east-1',
    regions: REGIONS,
    deployRoleName: 'vigil-deploy',
    namePrefix: 'vigil',
    defaultOwner: 'security-team',
    backend: { type: 'local' },
    scpTargets: ['r-bench'],
    organizationalUnits: ous,
    accounts: Array.from({ length: accounts }, (_, i) => ({
      id: id(i + 1),
      name: `account-${i + 1}`,
      ou: ous[i % ous.length]!.id,
      tags: { owner: `team-${i % 40}` },
    })),
  };
}

/** Remediation config that names no account or OU, so it fits every synthetic org (also used by `npm run tf:check`). */
export const SYNTHETIC_REMEDIATION = {
  dryRun: false,
  killSwitchParameter: '/vigil/remediation/kill-switch',
  circuitBreaker: { perAccount: 5, orgWide: 20, windowMinutes: 60 },
  modes: [
    { environment: 'sandbox', mode: 'auto' },
    { environment: 'prod', mode: 'approve' },
  ],
  exemptions: [],
  exemptionTag: { key: 'vigil:exempt', maxDays: 90 },
  approvers: { slackUserIds: ['U0000000001'], emails: [] },
  approval: { timeoutMinutes: 60, onTimeout: 'escalate' },
  approvedAdminPrincipals: ['arn:aws:iam::*:role/vigil-deploy'],
};

function dirSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : statSync(p).size;
  }
  return total;
}

function main(): void {
  const sizes = (process.env['BENCH_SIZES'] ?? '10,100,1000,3000,5000')
    .split(',')
    .map((n) => ({ n: Number(n), stamp: 'on' }));
  for (const n of (process.env['BENCH_FULL_SIZES'] ?? '1000').split(',').filter(Boolean)) {
    sizes.push({ n: Number(n), stamp: 'off' });
  }
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  console.log(`synth benchmark: ${REGIONS.length} regions per account, one child process per org size`);
  console.log('accounts  stacks  wall (s)  peak RSS (MiB)  output (MiB)  member stacks');
  for (const { n, stamp } of sizes) {
    const file = join(work, `org-${n}.json`);
    const remediationFile = join(work, 'remediation.json');
    writeFileSync(remediationFile, JSON.stringify(SYNTHETIC_REMEDIATION));
    const outdir = join(work, `out-${n}`);
    mkdirSync(outdir, { recursive: true });
    writeFileSync(file, JSON.stringify(syntheticOrg(n)));
    const started = process.hrtime.bigint();
    // /usr/bin/time is not on every machine: the child reports its own peak RSS (process.resourceUsage).
    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), join(__dirname, 'synth-child.ts')], {
      env: {
        ...process.env,
        VIGIL_INVENTORY: file,
        VIGIL_REMEDIATION: remediationFile,
        CDKTF_OUTDIR: outdir,
        CHECKPOINT_DISABLE: '1',
        VIGIL_SYNTH_STAMP: stamp,
      },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.status !== 0) {
      console.error(run.stderr);
      throw new Error(`synth of ${n} accounts failed`);
    }
    const peakKiB = Number(/peakRssKiB=(\d+)/.exec(run.stdout)?.[1] ?? NaN);
    const stacks = readdirSync(join(outdir, 'stacks')).length;
    console.log(
      `${String(n).padStart(8)}  ${String(stacks).padStart(6)}  ${wall.toFixed(1).padStart(8)}  ${(peakKiB / 1024).toFixed(0).padStart(14)}  ${(dirSize(outdir) / 2 ** 20).toFixed(1).padStart(12)}  ${stamp === 'on' ? 'from templates' : 'each by cdktf (VIGIL_SYNTH_STAMP=off)'}`,
    );
    rmSync(outdir, { recursive: true, force: true });
  }
  rmSync(work, { recursive: true, force: true });
  console.log('budget (issue #14): 5,000 accounts in ≤ 30 s and ≤ 1,536 MiB on 2 cores');
}

if (require.main === module) main();
