/**
 * `npm run offboard -- <account-id> [--apply [--yes]] [--dir cdktf.out] [--bin b] [--parallelism n]`
 *
 * Takes one account out of vigil. The order matters: synth deletes `cdktf.out/stacks/member-<id>` as
 * soon as the account leaves config/org.json, and that folder holds the provider and backend Terraform
 * needs to destroy what vigil put in the account. So:
 * 1. synthesize the current config, then destroy `member-<id>` (`npm run deploy -- --destroy --stacks
 *    member-<id>`) while its folder exists;
 * 2. remove the account from config/org.json;
 * 3. synthesize (the stale folder goes) and apply the stacks that changed (security: the functions'
 *    account view).
 * Without `--apply` it plans the destruction and prints the remaining steps; nothing is changed.
 * The management, log-archive and security accounts are refused: vigil's central stacks live there.
 *
 * Exit codes: 0 done; 1 a step failed (config problems, a failed plan, destroy or apply); 2 nothing
 * could be done (usage, an account that cannot or need not be offboarded).
 */
import { resolve } from 'node:path';
import { inventoryProblems, type OrgInventory } from '../config/inventory';
import { stackIds } from '../config/naming';
import { remediationConfigProblems } from '../config/remediation';
import { diffInventory, formatDiff } from '../config/sync';
import {
  accountsOf,
  configFiles,
  defaultStepIo,
  deployCommand,
  parseStepArgs,
  readInventoryDocument,
  runDeploy,
  type StepIo,
  StopError,
  shown,
  synthesize,
  validateConfig,
  writeInventoryDocument,
} from './onboarding/shared';
import { runCli } from './run-cli';

const USAGE = `usage: npm run offboard -- <account-id> [--apply [--yes]] [--dir cdktf.out] [--bin terraform|tofu] [--parallelism N]

  1. synthesizes, then destroys member-<account-id> while its folder still exists
  2. removes the account from config/org.json
  3. synthesizes again (the stale folder goes) and applies the stacks that changed (security)
  without --apply: plans the destruction (step 1) and prints steps 2 and 3; nothing is changed
  --apply asks for a typed 'destroy', then 'apply' (--yes skips the questions)

exit codes: 0 done, 1 a step failed, 2 nothing done (usage, central account, account not listed)`;

/** Roles that keep an account in the inventory whatever happens: vigil's central stacks live there. */
const CENTRAL_ROLES = [
  ['managementAccountId', 'the management account (organization trail, SCPs)'],
  ['logArchiveAccountId', 'the log-archive account (trail bucket and key)'],
  ['securityAccountId', 'the security account (central bus, queues, functions)'],
] as const;

/** Runs offboarding; returns the exit code. */
export async function main(argv: readonly string[], io: StepIo = defaultStepIo()): Promise<number> {
  try {
    return await offboard(argv, io);
  } catch (err) {
    if (!(err instanceof StopError)) throw err;
    io.out(err.message);
    return 2;
  }
}

async function offboard(argv: readonly string[], io: StepIo): Promise<number> {
  const options = parseStepArgs(argv, USAGE, false);
  if (options.help) {
    io.out(USAGE);
    return 0;
  }
  const id = options.accountId;
  const member = stackIds.member(id);
  const files = configFiles(io);
  const inventoryShown = shown(io, files.inventory);
  const outdir = resolve(io.cwd, options.dir);

  const { doc } = readInventoryDocument(files.inventory);
  for (const [key, role] of CENTRAL_ROLES) {
    if (doc[key] === id) {
      throw new StopError(
        `${id} is ${role}: vigil's central stacks live there, so it cannot be offboarded like a member. ` +
          `Move ${key} in ${inventoryShown} to another account first, or tear vigil down ` +
          `(${deployCommand(['--apply', '--destroy', '--allow-central', '--stacks', '<stacks>'])}).`,
      );
    }
  }
  const account = accountsOf(doc).find((a) => a['id'] === id);
  if (!account) {
    throw new StopError(
      `${id} is not in ${inventoryShown}, so synth no longer writes ${member} and there is nothing left to destroy ` +
        `from here. If it was removed before its stack was destroyed: put it back (git checkout <an earlier commit> -- ` +
        `${inventoryShown}), then run npm run offboard -- ${id} again.`,
    );
  }
  const name = String(account['name']);
  const dirArgs = options.dir === 'cdktf.out' ? [] : ['--dir', options.dir];

  io.out(`step 1/3: destroy ${member} (${name}) while ${shown(io, resolve(outdir, 'stacks', member))} exists`);
  const config = validateConfig(io);
  if (!config) {
    io.out(`fix the problems above, then run npm run offboard -- ${id} again`);
    return 1;
  }
  // Check the config without the account before destroying anything: a remediation setting naming it
  // would otherwise stop step 3 after the member stack is gone.
  const next = { ...doc, accounts: accountsOf(doc).filter((a) => a['id'] !== id) };
  const problems = [
    ...inventoryProblems(next).map((p) => `${inventoryShown}: ${p.path}: ${p.message}`),
    ...remediationConfigProblems(config.remediation, next as unknown as OrgInventory).map(
      (p) => `${shown(io, files.remediation)}: ${p.path}: ${p.message}`,
    ),
  ];
  if (problems.length > 0) {
    io.out(`without ${id} the config would have ${problems.length} problem(s); fix them first (nothing was changed):`);
    for (const p of problems) io.out(`  - ${p}`);
    return 1;
  }
  synthesize(config, outdir, io);
  const destroyArgs = ['--destroy', '--stacks', member];
  const destroyed = await runDeploy(
    [options.apply ? '--apply' : '--plan', ...(options.yes ? ['--yes'] : []), ...destroyArgs],
    options,
    io,
  );
  if (destroyed !== 0) {
    io.out(
      `offboarding ${id} stopped at step 1: ${inventoryShown} is unchanged; fix what deploy reported and run again`,
    );
    return destroyed === 2 ? 2 : 1;
  }
  if (!options.apply) {
    io.out(`step 2/3: remove ${id} (${name}) from ${inventoryShown}  (not done: plan only)`);
    io.out('step 3/3: npm run synth, then apply the stacks its summary lists as changed (security)');
    io.out(`to do all three: npm run offboard -- ${id} --apply${dirArgs.length ? ` ${dirArgs.join(' ')}` : ''}`);
    return 0;
  }

  io.out(`step 2/3: remove ${id} (${name}) from ${inventoryShown}`);
  for (const line of formatDiff(diffInventory(doc, next))) io.out(`  ${line}`);
  writeInventoryDocument(files.inventory, next);
  io.out(`  wrote ${inventoryShown}: review and commit it`);

  io.out('step 3/3: synthesize and apply what changed');
  const after = validateConfig(io);
  if (!after) {
    io.out(
      `${member} is destroyed and ${id} is out of ${inventoryShown}, but the config has problems without it: ` +
        `fix them, run npm run synth, then ${deployCommand(['--apply', '--only-changed'])}`,
    );
    return 1;
  }
  const synth = synthesize(after, outdir, io, [member]);
  const changed = synth.changed.filter((s) => s !== member);
  const applied =
    changed.length === 0
      ? 0
      : await runDeploy(['--apply', ...(options.yes ? ['--yes'] : []), '--stacks', changed.join(',')], options, io);
  if (changed.length === 0) io.out('  no stack changed');
  if (applied !== 0) {
    io.out(
      `offboarding ${id} stopped at step 3: ${member} is destroyed and ${inventoryShown} updated; ` +
        `fix what deploy reported, then ${deployCommand(['--apply', '--stacks', changed.join(','), ...dirArgs])}`,
    );
    return applied === 2 ? 2 : 1;
  }
  io.out(
    `${id} is offboarded: commit ${inventoryShown}. If it is still an active account of the organization, ` +
      'the next npm run org:sync adds it back: remove it from the organization (or close it) as well.',
  );
  return 0;
}

if (require.main === module) runCli('offboard', (argv) => main(argv), 1);
