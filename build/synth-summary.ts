/**
 * What `npm run synth` tells you: which stacks it wrote and where, which member stacks appeared or went
 * away since the last synth, which stacks' Terraform changed, and the stale stack folders it removed
 * (an offboarded account's folder would otherwise linger in `cdktf.out/stacks` and be planned or
 * uploaded again by `deploy` and `tfc:upload`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Stack id → hash of its `cdk.tf.json`, for the stacks in `<outdir>/stacks` (empty before a first synth). */
export function snapshotStacks(outdir: string): Map<string, string> {
  const dir = join(outdir, 'stacks');
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const id of readdirSync(dir).sort()) {
    const file = join(dir, id, 'cdk.tf.json');
    if (existsSync(file)) out.set(id, createHash('sha256').update(readFileSync(file)).digest('hex'));
  }
  return out;
}

/** Removes stack folders that are not among `current` (stale ones); returns their ids. */
export function removeStaleStacks(outdir: string, current: readonly string[]): string[] {
  const dir = join(outdir, 'stacks');
  if (!existsSync(dir)) return [];
  const keep = new Set(current);
  const stale = readdirSync(dir)
    .filter((id) => !keep.has(id))
    .sort();
  for (const id of stale) rmSync(join(dir, id), { recursive: true, force: true });
  return stale;
}

/** The summary lines. `before` is the snapshot taken before synth, `after` the one taken after it. */
export function formatSynthSummary(
  outdir: string,
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
  removed: readonly string[],
): string[] {
  const ids = [...after.keys()];
  const members = ids.filter((id) => id.startsWith('member-'));
  const added = ids.filter((id) => !before.has(id));
  const changed = ids.filter((id) => before.has(id) && before.get(id) !== after.get(id));
  const lines = [
    `synthesized ${ids.length} stacks (${ids.length - members.length} central, ${members.length} member) into ${join(outdir, 'stacks')}`,
  ];
  if (before.size === 0) {
    lines.push('first synth in this folder: every stack is new');
  } else {
    lines.push(
      `since the last synth: ${added.length} new${added.length ? ` (${added.join(', ')})` : ''}, ` +
        `${removed.length} removed${removed.length ? ` (${removed.join(', ')}: stale folders deleted)` : ''}, ` +
        `${changed.length} changed${changed.length ? ` (${changed.join(', ')})` : ''}, ` +
        `${ids.length - added.length - changed.length} unchanged`,
    );
  }
  if (removed.length > 0) {
    lines.push(
      'a removed stack still exists in AWS until destroyed: put its account back in config/org.json, then ' +
        'npm run offboard -- <account id> --apply (README, "Offboarding an account")',
    );
  }
  return lines;
}
