/**
 * `npm run onboard -- <account-id> [--apply [--yes]] [--from-file <inventory.json>] [--dir cdktf.out] [--bin b] [--parallelism n]`
 *
 * Brings one account under vigil, in three printed steps:
 * 1. the inventory: when config/org.json does not list the account yet, reads AWS Organizations (as
 *    `npm run org:sync` does) and adds that account, and any OU of its chain the file lacks, keeping
 *    every other difference for `npm run org:sync` to review; `--from-file` takes the account from
 *    another inventory file instead (e.g. one synced on a machine with management credentials);
 * 2. validation of every config file and an in-process synth, whose summary says which stacks changed;
 * 3. `npm run deploy -- --plan --stacks <exactly those stacks>` (security and member-<id>, and whatever
 *    else the change touches), or `--apply` (confirmed per wave, or `--yes`), run in-process.
 *
 * Exit codes: 0 done; 1 a step failed (config problems, a failed plan or apply); 2 nothing could be
 * done (usage, the account is not in the organization, AWS Organizations could not be read).
 */
import { resolve } from 'node:path';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { inventoryProblems } from '../config/inventory';
import { stackIds } from '../config/naming';
import { diffInventory, formatDiff, type InventoryDocument, mergeInventory, type OrgSnapshot } from '../config/sync';
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
import { readOrganization } from './org-sync/read-organization';
import { runCli } from './run-cli';

const USAGE = `usage: npm run onboard -- <account-id> [--apply [--yes]] [--from-file <inventory.json>] [--dir cdktf.out] [--bin terraform|tofu] [--parallelism N]

  1. adds the account to config/org.json from AWS Organizations (management or delegated-admin
     credentials, e.g. AWS_PROFILE=management), or from --from-file <inventory.json>, when it is missing
  2. validates the config and synthesizes; the summary names the stacks that changed
  3. plans exactly those stacks (npm run deploy -- --plan --stacks …); --apply applies them, wave by
     wave after a typed 'apply' (--yes skips the question)

exit codes: 0 done, 1 a step failed, 2 nothing done (usage, account not in the organization, AWS unreadable)`;

/** What onboard needs besides the step io; tests replace it. */
export interface OnboardDeps {
  /** Reads AWS Organizations. @default - readOrganization with the default credential chain */
  readonly readSnapshot: () => Promise<OrgSnapshot>;
}

const byId = (a: { id?: unknown }, b: { id?: unknown }) => String(a.id).localeCompare(String(b.id));

/**
 * `current` with account `accountId` of `source` added, and the OUs of its chain that `current` lacks;
 * undefined when `source` does not list the account. Everything else of `current` stays as it is.
 */
export function withAccount(
  current: InventoryDocument,
  source: InventoryDocument,
  accountId: string,
): InventoryDocument | undefined {
  const account = accountsOf(source).find((a) => a['id'] === accountId);
  if (!account) return undefined;
  const ous = (doc: InventoryDocument) => {
    const list = (doc as Record<string, unknown>)['organizationalUnits'];
    return Array.isArray(list) ? (list as Array<Record<string, unknown>>) : [];
  };
  const have = new Set(ous(current).map((o) => o['id']));
  const sourceOus = new Map(ous(source).map((o) => [o['id'], o]));
  const missing: Array<Record<string, unknown>> = [];
  for (let ou = sourceOus.get(account['ou']); ou && !have.has(ou['id']); ou = sourceOus.get(ou['parentId'])) {
    have.add(ou['id']);
    missing.push(ou);
  }
  return {
    ...current,
    organizationalUnits: [...ous(current), ...missing].sort(byId),
    accounts: [...accountsOf(current), account].sort(byId),
  };
}

/** Runs onboarding; returns the exit code. */
export async function main(
  argv: readonly string[],
  io: StepIo = defaultStepIo(),
  deps: Partial<OnboardDeps> = {},
): Promise<number> {
  try {
    return await onboard(argv, io, {
      readSnapshot: async () =>
        (await readOrganization(new OrganizationsClient({ region: 'us-east-1', maxAttempts: 1 }))).snapshot,
      ...deps,
    });
  } catch (err) {
    if (!(err instanceof StopError)) throw err;
    io.out(err.message);
    return 2;
  }
}

async function onboard(argv: readonly string[], io: StepIo, deps: OnboardDeps): Promise<number> {
  const options = parseStepArgs(argv, USAGE, true);
  if (options.help) {
    io.out(USAGE);
    return 0;
  }
  const id = options.accountId;
  const member = stackIds.member(id);
  const files = configFiles(io);
  const inventoryShown = shown(io, files.inventory);

  io.out(`step 1/3: ${inventoryShown} lists account ${id}`);
  const { doc } = readInventoryDocument(files.inventory);
  const listed = accountsOf(doc).find((a) => a['id'] === id);
  if (listed) {
    io.out(`  already listed (${String(listed['name'])}); nothing to add`);
  } else {
    let source: InventoryDocument;
    let sourceName: string;
    if (options.fromFile) {
      const file = resolve(io.cwd, options.fromFile);
      sourceName = shown(io, file);
      source = readInventoryDocument(file).doc;
    } else {
      let snapshot: OrgSnapshot;
      try {
        snapshot = await deps.readSnapshot();
      } catch (err) {
        throw new StopError(
          `${id} is not in ${inventoryShown}, and AWS Organizations could not be read (${(err as Error).name}: ` +
            `${(err as Error).message}).\nRun with credentials for the management account or a delegated administrator ` +
            `(AWS_PROFILE=<management profile> npm run onboard -- ${id}), or take the account from an inventory ` +
            `synced elsewhere: npm run onboard -- ${id} --from-file <org.json>`,
        );
      }
      sourceName = `AWS Organizations (${snapshot.organizationId})`;
      source = mergeInventory(doc, snapshot);
    }
    const next = withAccount(doc, source, id);
    if (!next) {
      throw new StopError(
        options.fromFile
          ? `${id} is not in ${sourceName} either: check the id, or sync that file first (npm run org:sync -- --file ${sourceName})`
          : `${id} is not an active account of ${sourceName}: check the id. An invited account joins once it accepts ` +
              'the invitation; suspended and closed accounts are left out. Nothing was changed.',
      );
    }
    const ours = diffInventory(doc, next);
    io.out(`  from ${sourceName}:`);
    for (const line of formatDiff(ours)) io.out(`    ${line}`);
    const others = diffInventory(doc, source).length - ours.length;
    if (!options.fromFile && others > 0) {
      io.out(`  ${others} other difference(s) with AWS Organizations left alone: review them with npm run org:sync`);
    }
    writeInventoryDocument(files.inventory, next);
    io.out(`  wrote ${inventoryShown}: review and commit it`);
    const problems = inventoryProblems(next);
    if (problems.length > 0) {
      io.out(
        `  ${inventoryShown} now has ${problems.length} problem(s); hand-set these, then run npm run onboard -- ${id} again:`,
      );
      for (const p of problems) io.out(`    - ${p.path}: ${p.message}`);
      return 1;
    }
  }

  io.out('step 2/3: validate the config and synthesize');
  const config = validateConfig(io);
  if (!config) {
    io.out(`fix the problems above, then run npm run onboard -- ${id} again`);
    return 1;
  }
  const outdir = resolve(io.cwd, options.dir);
  const synth = synthesize(config, outdir, io);

  let selection: string[];
  if (synth.first || synth.changed.length === 0) {
    io.out(
      synth.first
        ? `  ${shown(io, outdir)} held no stacks before: synth cannot say what onboarding changed, so deploy compares ` +
            'each stack with its last apply (--only-changed)'
        : '  synth changed nothing (the account was already synthesized): deploy compares each stack with its last ' +
            'apply (--only-changed)',
    );
    selection = ['--only-changed'];
  } else {
    if (!synth.changed.includes(member)) io.out(`  note: ${member} did not change`);
    selection = ['--stacks', synth.changed.join(',')];
  }

  io.out(`step 3/3: ${options.apply ? 'apply' : 'plan'} what changed`);
  const code = await runDeploy(
    [options.apply ? '--apply' : '--plan', ...(options.yes ? ['--yes'] : []), ...selection],
    options,
    io,
  );
  if (code !== 0) {
    io.out(`onboarding ${id} stopped at step 3: fix what deploy reported, then run npm run onboard -- ${id} again`);
    return code === 2 ? 2 : 1;
  }
  if (!options.apply) {
    // Not `onboard --apply`: that synth would change nothing, and fall back to --only-changed.
    const dirArgs = options.dir === 'cdktf.out' ? [] : ['--dir', options.dir];
    io.out(`next, after reviewing the plan: ${deployCommand(['--apply', ...selection, ...dirArgs])}`);
  } else {
    io.out(`${id} is onboarded: commit ${inventoryShown}`);
  }
  return 0;
}

if (require.main === module) runCli('onboard', (argv) => main(argv), 1);
