/**
 * `npm run org:sync [-- --check] [-- --file <path>]`: reads the AWS Organization (management account or
 * delegated administrator credentials), merges it into the inventory file keeping every hand-set field,
 * prints a reviewable diff and any inventory problems, and rewrites the file. With `--check` it writes
 * nothing and exits 1 when the file is stale, for a scheduled CI job. Read-only towards AWS; running it
 * twice gives the same file.
 *
 * Exit codes: 0 written or up to date; 1 stale (`--check` only); 2 could not run (usage, file,
 * credentials, access, AWS failure).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { inventoryProblems } from '../config/inventory';
import {
  diffInventory,
  formatDiff,
  formatInventoryJson,
  type InventoryDocument,
  mergeInventory,
  sameInventory,
} from '../config/sync';
import { MissingCredentialsError, OrganizationAccessError, RetriesExhaustedError } from './org-sync/errors';
import { readOrganization } from './org-sync/read-organization';
import { isThrottlingError } from './org-sync/retry';
import { runCli } from './run-cli';

const DEFAULT_FILE = 'config/org.json';
const USAGE = `Usage: npm run org:sync -- [--check] [--file <path>]

  --check         change nothing; exit 1 if the inventory is out of date with AWS, 0 if it is current
  --file <path>   inventory file to sync (default: ${DEFAULT_FILE})

Run with credentials for the organization's management account or a delegated administrator,
e.g. AWS_PROFILE=org-management npm run org:sync`;

/** What main() needs from the outside world; tests replace all of it. */
export interface CliDeps {
  /**
   * Builds the Organizations client.
   * @default - a client for the default credential chain, retries left to the script
   */
  readonly createClient: () => OrganizationsClient;
  /** @default - process.stdout, one line per call */
  readonly stdout: (line: string) => void;
  /** @default - process.stderr, one line per call */
  readonly stderr: (line: string) => void;
  /** Backoff sleep. @default - setTimeout */
  readonly sleep: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random: () => number;
  /** Resolves `--file` and shortens paths in messages. @default process.cwd() */
  readonly cwd: string;
  /** Read for hints (AWS_PROFILE). @default process.env */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Bad command-line arguments. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The inventory file is missing or is not a JSON object. */
export class InventoryFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InventoryFileError';
  }
}

/** Parsed command line. */
export interface CliOptions {
  readonly check: boolean;
  readonly file: string;
  readonly help: boolean;
}

/** Parses `--check`, `--file <path>` / `--file=<path>` and `--help`; throws UsageError otherwise. */
export function parseArgs(argv: readonly string[]): CliOptions {
  let check = false;
  let help = false;
  let file = DEFAULT_FILE;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--check') check = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--file') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--'))
        throw new UsageError('--file needs a path, e.g. --file config/org.json');
      file = value;
    } else if (arg.startsWith('--file=')) {
      file = arg.slice('--file='.length);
      if (file === '') throw new UsageError('--file needs a path, e.g. --file=config/org.json');
    } else throw new UsageError(`unknown argument '${arg}'`);
  }
  return { check, file, help };
}

/** Runs the command; resolves to the process exit code instead of exiting, so tests can call it. */
export async function main(argv: readonly string[], deps: Partial<CliDeps> = {}): Promise<number> {
  const d: CliDeps = { ...defaultDeps(), ...deps };
  const out = d.stdout;
  const err = d.stderr;

  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`org:sync: ${error.message}`);
    err(USAGE);
    return 2;
  }
  if (options.help) {
    out(USAGE);
    return 0;
  }

  const path = resolve(d.cwd, options.file);
  const shown = relative(d.cwd, path) || path;
  let original: string;
  let current: InventoryDocument;
  try {
    ({ original, current } = await loadInventory(path, shown));
  } catch (error) {
    if (!(error instanceof InventoryFileError)) throw error;
    err(`org:sync: ${error.message}`);
    return 2;
  }

  let read: Awaited<ReturnType<typeof readOrganization>>;
  try {
    read = await readOrganization(d.createClient(), {
      retry: {
        sleep: d.sleep,
        random: d.random,
        onRetry: (e) =>
          err(
            `${e.operation} ${isThrottlingError(e.error) ? 'was throttled' : 'failed'} (${errorName(e.error)}); ` +
              `retrying in ${e.delayMs} ms (attempt ${e.attempt + 1}/${e.maxAttempts})`,
          ),
      },
    });
  } catch (error) {
    for (const line of explainFailure(error, current, d.env)) err(line);
    return 2;
  }

  const { snapshot, skipped } = read;
  const merged = mergeInventory(current, snapshot);
  const diff = diffInventory(current, merged);

  out(
    `Read organization ${snapshot.organizationId} (root ${snapshot.rootId}): ` +
      `${snapshot.organizationalUnits.length} OU(s), ${snapshot.accounts.length} active account(s).`,
  );
  const ouNames = new Map<string, string>(snapshot.organizationalUnits.map((ou) => [ou.id, ou.name]));
  ouNames.set(snapshot.rootId, 'Root');
  for (const s of skipped) {
    const where = ouNames.has(s.ou) ? `${ouNames.get(s.ou)} (${s.ou})` : s.ou;
    out(
      `Skipped account ${s.id} (${s.name}) in ${where}: ${s.reason}; suspended and closed accounts are left out of ${shown}.`,
    );
  }
  const stale = !sameInventory(current, merged);
  if (diff.length > 0) {
    out(`Changes to ${shown} (${diff.length}):`);
    for (const line of formatDiff(diff)) out(`  ${line}`);
  } else if (stale) {
    out(
      `No changes in the organization, but ${shown} differs from it in details the diff does not list ` +
        '(e.g. an account without a "tags" object, or an id listed twice).',
    );
  } else out(`No changes: ${shown} matches the organization.`);
  const fileOrg = current['organizationId'];
  if (typeof fileOrg === 'string' && fileOrg !== '' && fileOrg !== snapshot.organizationId) {
    err(
      `warning: these credentials read organization ${snapshot.organizationId}, but ${shown} describes ${fileOrg}; ` +
        'check AWS_PROFILE before committing a sync that replaces the whole inventory.',
    );
  }

  const problems = inventoryProblems(merged);
  if (problems.length > 0) {
    err(`warning: ${shown} will have ${problems.length} problem(s) after this sync; hand-set these before merging:`);
    for (const p of problems) err(`  - ${p.path}: ${p.message}`);
  }

  const next = formatInventoryJson(merged);
  if (options.check) {
    if (stale) {
      out(`${shown} is out of date with the organization; run npm run org:sync and commit the result.`);
      return 1;
    }
    out(`${shown} is up to date.`);
    if (next !== original)
      out(`(Its layout differs from what org:sync writes; npm run org:sync would only reformat it.)`);
    return 0;
  }

  if (next === original) {
    out(`${shown} is already up to date; nothing written.`);
    return 0;
  }
  // Write-then-rename so an interrupted run never leaves half a file.
  const temp = `${path}.org-sync.tmp`;
  await writeFile(temp, next, 'utf8');
  await rename(temp, path);
  out(
    stale
      ? `Wrote ${shown}; review the changes above before committing.`
      : `Rewrote ${shown} in canonical order and layout (no organization changes).`,
  );
  return 0;
}

async function loadInventory(path: string, shown: string): Promise<{ original: string; current: InventoryDocument }> {
  let original: string;
  try {
    original = await readFile(path, 'utf8');
  } catch (error) {
    throw new InventoryFileError(
      `cannot read ${shown} (${errorName(error)}); org:sync updates an existing inventory, so create it with the ` +
        'hand-set settings first or pass --file <path>',
      { cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(original);
  } catch (error) {
    throw new InventoryFileError(`${shown} is not valid JSON: ${errorMessage(error)}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InventoryFileError(`${shown} must contain a JSON object (the org inventory)`);
  }
  return { original, current: parsed as InventoryDocument };
}

/** Lines telling the user what went wrong and what to do about it. */
function explainFailure(
  error: unknown,
  current: InventoryDocument,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const inFile = typeof current['managementAccountId'] === 'string' ? current['managementAccountId'] : undefined;
  if (error instanceof MissingCredentialsError) {
    const profile = env['AWS_PROFILE'];
    const cause = error.cause === undefined ? '' : ` (${errorName(error.cause)}: ${errorMessage(error.cause)})`;
    return [
      `org:sync: ${error.message}${cause}.`,
      `Run it with credentials for the management account${inFile ? ` ${inFile}` : ''} or a delegated administrator:`,
      '  - a named profile:           AWS_PROFILE=<profile> npm run org:sync',
      '  - IAM Identity Center (SSO): aws sso login --profile <profile>, then AWS_PROFILE=<profile> npm run org:sync',
      '  - or export AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN',
      ...(profile
        ? [
            `AWS_PROFILE is '${profile}': if it uses SSO, the session may have expired; run aws sso login --profile ${profile}.`,
          ]
        : ['AWS_PROFILE is not set.']),
    ];
  }
  if (error instanceof OrganizationAccessError) {
    const target = error.managementAccountId ?? inFile;
    const cause = error.cause === undefined ? '' : ` (${errorName(error.cause)}: ${errorMessage(error.cause)})`;
    return [
      `org:sync: ${error.message}${cause}.`,
      target
        ? `Use credentials for the management account ${target}${error.managementAccountId ? '' : ` (managementAccountId in the inventory)`}, ` +
          'or for a delegated administrator account of AWS Organizations, with organizations:Describe*/List* permissions.'
        : 'Use credentials for the organization management account, or a delegated administrator of AWS Organizations.',
      'e.g. AWS_PROFILE=<management-account-profile> npm run org:sync',
    ];
  }
  if (error instanceof RetriesExhaustedError) {
    return [
      `org:sync: ${error.message}.`,
      'AWS Organizations is throttling this organization; try again in a few minutes.',
    ];
  }
  return [`org:sync failed: ${errorName(error)}: ${errorMessage(error)}`];
}

// Duck-typed rather than instanceof: errors from node:fs and the SDK may come from another realm (jest, bundlers).
function errorName(error: unknown): string {
  if (typeof error !== 'object' || error === null) return typeof error;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  return typeof name === 'string' ? name : 'Error';
}

function errorMessage(error: unknown): string {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(error);
}

function defaultDeps(): CliDeps {
  return {
    // Organizations is a global service; in the aws partition (the only one vigil supports) its
    // endpoint is us-east-1. maxAttempts 1: scripts/org-sync/retry.ts is the only retry layer.
    createClient: () => new OrganizationsClient({ region: 'us-east-1', maxAttempts: 1 }),
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    random: Math.random,
    cwd: process.cwd(),
    env: process.env,
  };
}

if (require.main === module) runCli('org:sync', (argv) => main(argv), 2);
