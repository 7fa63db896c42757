/**
 * Member stacks by template (issue #14: 5,000 accounts in ≤ 30 s). Every ordinary member stack is the
 * same Terraform with the account id in different places: its stack id, provider, role ARNs and
 * backend key. Building and resolving a cdktf construct tree per account cost ~25 ms and ~0.4 MiB each
 * (148 s and 2.2 GiB for 5,000 accounts); this module synthesizes, per *shape* (the account-dependent
 * inputs of `MemberStack`: its regions), a template account and a verifier account with cdktf, and
 * writes every other account's stack as the template's JSON with the template's account id replaced.
 *
 * Why it cannot silently differ from a full synth:
 * - The shape is every input `MemberStack` reads from the account besides its id (`memberStackShape`
 *   in stacks/member-stack.ts, next to the constructor). The management and security accounts, whose
 *   stacks differ by role, are always synthesized in full.
 * - A template account is used only if its id appears nowhere else in what member stacks are built
 *   from (the inventory without its own record), so every occurrence in the JSON is the account's own.
 * - After synth the verifier's real JSON must equal the template's with the id replaced, byte for byte;
 *   otherwise synth stops (a vigil bug: `VIGIL_SYNTH_STAMP=off` synthesizes every stack in full).
 * - Tests synthesize orgs both ways and compare every file.
 * The synthesized Terraform JSON is the contract: the output is identical, only faster to produce.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Account, OrgInventory } from '../config/inventory';
import { stackIds } from '../config/naming';

/** Stamp only shapes with at least this many accounts (template + verifier + at least one stamped). */
const MIN_GROUP = 3;

/** One shape's template, verifier and the accounts whose stacks are stamped from the template. */
export interface StampGroup {
  readonly shape: string;
  readonly template: string;
  readonly verifier: string;
  readonly stamped: readonly string[];
}

export interface StampPlan {
  /** Accounts synthesized by cdktf (templates and verifiers included), in the input order. */
  readonly full: readonly Account[];
  readonly groups: readonly StampGroup[];
}

/** Whether stamping is on: `VIGIL_SYNTH_STAMP=off` synthesizes every member stack in full. */
export function stampingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env['VIGIL_SYNTH_STAMP'];
  if (v === undefined || v === '' || v === 'on') return true;
  if (v === 'off') return false;
  throw new Error(
    `VIGIL_SYNTH_STAMP='${v}' is not valid: use 'off' to synthesize every member stack in full, or leave it unset`,
  );
}

/**
 * Splits the member accounts into those cdktf synthesizes and those stamped from a template.
 * `shapeOf` returns the account-dependent inputs of the member stack (undefined: always in full).
 */
export function planMemberStamps(
  inventory: OrgInventory,
  accounts: readonly Account[],
  shapeOf: (account: Account) => string | undefined,
): StampPlan {
  const byShape = new Map<string, Account[]>();
  for (const account of accounts) {
    const shape = shapeOf(account);
    if (shape === undefined) continue;
    byShape.set(shape, [...(byShape.get(shape) ?? []), account]);
  }
  const inventoryText = JSON.stringify(inventory);
  const groups: StampGroup[] = [];
  const stampedIds = new Set<string>();
  for (const [shape, members] of byShape) {
    if (members.length < MIN_GROUP) continue;
    // Template and verifier: accounts whose id appears nowhere else in the inventory (not in a
    // backend bucket name, another account's tags, the management or security ids...).
    const clean: Account[] = [];
    for (const a of members) {
      if (clean.length === 2) break;
      if (occurrences(inventoryText, a.id) === occurrences(JSON.stringify(a), a.id)) clean.push(a);
    }
    if (clean.length < 2) continue;
    const [template, verifier] = clean as [Account, Account];
    const stamped = members.filter((a) => a !== template && a !== verifier).map((a) => a.id);
    if (stamped.length === 0) continue;
    for (const id of stamped) stampedIds.add(id);
    groups.push({ shape, template: template.id, verifier: verifier.id, stamped });
  }
  return { full: accounts.filter((a) => !stampedIds.has(a.id)), groups };
}

function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** The manifest entry of a stack (cdktf's `manifest.json`). */
type ManifestEntry = Record<string, unknown>;

/**
 * After `app.synth()`: checks each group's verifier against its template, writes the stamped stacks
 * (only files whose content changed are rewritten) and adds them to `manifest.json`. Returns the
 * stamped stack ids.
 */
export function writeMemberStamps(outdir: string, groups: readonly StampGroup[]): string[] {
  if (groups.length === 0) return [];
  const manifestFile = join(outdir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { stacks: Record<string, ManifestEntry> };
  const written: string[] = [];
  for (const group of groups) {
    const templateId = stackIds.member(group.template);
    const text = readFileSync(stackFile(outdir, templateId), 'utf8');
    const expected = text.replaceAll(group.template, group.verifier);
    const actual = readFileSync(stackFile(outdir, stackIds.member(group.verifier)), 'utf8');
    if (actual !== expected) {
      throw new Error(
        `synth: the member stack of ${group.verifier} differs from the template ${templateId} with the account id replaced ` +
          `(shape ${group.shape}). This is a vigil bug (an account-dependent input missing from memberStackShape in stacks/member-stack.ts); ` +
          'set VIGIL_SYNTH_STAMP=off to synthesize every member stack in full, and report it.',
      );
    }
    const entry = JSON.stringify(manifest.stacks[templateId]);
    if (entry === undefined) throw new Error(`synth: the template stack ${templateId} is missing from manifest.json`);
    for (const accountId of group.stamped) {
      const id = stackIds.member(accountId);
      writeIfChanged(stackFile(outdir, id), text.replaceAll(group.template, accountId));
      manifest.stacks[id] = JSON.parse(entry.replaceAll(group.template, accountId)) as ManifestEntry;
      written.push(id);
    }
  }
  writeFileSync(manifestFile, stableStringify(manifest));
  return written;
}

function stackFile(outdir: string, id: string): string {
  return join(outdir, 'stacks', id, 'cdk.tf.json');
}

function writeIfChanged(file: string, text: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
}

/**
 * JSON with object keys sorted and two-space indentation, byte for byte as cdktf writes its manifest
 * (json-stable-stringify with `space: 2`, which also breaks empty arrays and objects over two lines).
 */
export function stableStringify(value: unknown, level = 0): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `\n${'  '.repeat(level + 1)}`;
  const close = `\n${'  '.repeat(level)}`;
  if (Array.isArray(value)) {
    return `[${value.map((v) => inner + stableStringify(v, level + 1)).join(',')}${close}]`;
  }
  const entries = Object.keys(value)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${inner}${JSON.stringify(k)}: ${stableStringify((value as Record<string, unknown>)[k], level + 1)}`);
  return `{${entries.join(',')}${close}}`;
}
