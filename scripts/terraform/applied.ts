/**
 * What `npm run deploy -- --apply` last applied, per stack: the hash of the stack's synthesized
 * `cdk.tf.json` (the same hash `npm run synth` compares; asset folders carry their content hash in
 * their path, so a changed Lambda bundle changes the JSON too). `--only-changed` skips the stacks
 * whose JSON still has the hash of their last successful apply.
 *
 * The record lives in `.vigil/applied.json` next to the output folder (the project root for
 * `cdktf.out`): synth deletes and rewrites `cdktf.out`, so it cannot live there, and it describes what
 * this checkout (or this CI cache) applied, so it is gitignored rather than committed. Deleting it is
 * always safe: every stack then counts as changed.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One stack's entry. */
export interface AppliedStack {
  /** sha256 of the stack's `cdk.tf.json` when it was applied. */
  readonly hash: string;
  /** When it was applied (ISO 8601; for people reading the file). */
  readonly appliedAt: string;
}

/** The record file's content. */
export interface AppliedRecord {
  readonly version: 1;
  readonly stacks: Readonly<Record<string, AppliedStack>>;
}

/** Where the record of `outdir` (e.g. `<project>/cdktf.out`) lives: `<project>/.vigil/applied.json`. */
export function appliedRecordPath(outdir: string): string {
  return join(dirname(outdir), '.vigil', 'applied.json');
}

/** A record file that cannot be read as one. */
export class AppliedRecordError extends Error {
  override readonly name = 'AppliedRecordError';
}

/** Reads the record; an absent file is an empty record. Throws AppliedRecordError naming the fix. */
export function readApplied(file: string): AppliedRecord {
  if (!existsSync(file)) return { version: 1, stacks: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AppliedRecordError(
      `${file} is not valid JSON (${(err as Error).message}); delete it and every stack counts as changed`,
    );
  }
  const stacks = (parsed as { stacks?: unknown } | null)?.stacks;
  if (typeof stacks !== 'object' || stacks === null || Array.isArray(stacks)) {
    throw new AppliedRecordError(`${file} has no "stacks" object; delete it and every stack counts as changed`);
  }
  return { version: 1, stacks: stacks as Record<string, AppliedStack> };
}

/** Stacks of `current` (id → hash) whose hash equals the one recorded at their last apply. */
export function unchangedStacks(record: AppliedRecord, current: ReadonlyMap<string, string>): Set<string> {
  return new Set([...current].filter(([id, hash]) => record.stacks[id]?.hash === hash).map(([id]) => id));
}

/**
 * Records `applied` (id → hash) and forgets `destroyed`, re-reading the file first; written with
 * write-then-rename so an interrupted deploy never leaves half a file.
 */
export function updateApplied(
  file: string,
  change: { readonly applied?: ReadonlyMap<string, string>; readonly destroyed?: readonly string[] },
  now: Date = new Date(),
): void {
  const stacks: Record<string, AppliedStack> = { ...readApplied(file).stacks };
  for (const [id, hash] of change.applied ?? []) stacks[id] = { hash, appliedAt: now.toISOString() };
  for (const id of change.destroyed ?? []) delete stacks[id];
  const sorted = Object.fromEntries(Object.entries(stacks).sort(([a], [b]) => a.localeCompare(b)));
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ version: 1, stacks: sorted } satisfies AppliedRecord, null, 2)}\n`);
  renameSync(temp, file);
}
