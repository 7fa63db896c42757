/**
 * `npm run undo -- [options] <action id | file, folder or ->`
 *
 * Reverts remediations: reads an action's records from the audit table (the action id is in the alert, the log
 * line and the failure page: `<CloudTrail eventID>:<action>`), computes the undo calls from the snapshot recorded
 * before the change (the action's `undo`), prints them and, unless `--dry-run`, sends them in the member account and
 * appends `undo-snapshot` / `undo-result` records to the audit log. Refuses when nothing was changed or the change
 * was undone already. Instead of an action id it takes the same inputs as replay and plan (the events an incident
 * left): for each event, the actions of the detections that fire on it are looked up and undone.
 *
 * Needs credentials: DynamoDB read (and PutItem) on the audit table in the security account, and in the
 * member account either `--role <name>` (assumed from your credentials, e.g. a break-glass role allowed the
 * action's undo IAM actions) or credentials for that account itself (checked with STS GetCallerIdentity,
 * so an undo never lands in the wrong account). Without credentials it says what to do instead (exit 2), never a
 * stack trace. Exit codes: see SPEC.
 */
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { loadInventory } from '../config/load';
import { makeAuditLog } from '../handlers/adapters/remediation/audit';
import { makeRemediationExecutor } from '../handlers/adapters/remediation/execute';
import { actionIdFor, eventIdOf } from '../handlers/core/remediation/guard';
import {
  type AuditPort,
  describeError,
  detectionsFor,
  type makeOrchestratorContext,
  planUndo,
  undoAction,
} from '../handlers/core/remediation/orchestrate';
import { REMEDIATIONS } from '../handlers/core/remediation/registry';
import type { PlannedCall, RemediationEvent, RemediationTarget } from '../handlers/core/remediation/types';
import {
  type CommandSpec,
  errorMessage,
  formatHelp,
  formatReadSummary,
  nothingReadMessage,
  parseCommandLine,
  ReadTally,
  reportUsageError,
  UsageError,
} from './cli/command';
import { readEvents } from './cli/events';
import { INPUTS_HELP, listInputs, locate, missingInputHint, type ReadOptions } from './cli/inputs';
import { loadRemediationContext } from './cli/remediation-context';
import { runCli } from './run-cli';

/** What main() needs; tests replace all of it, the defaults talk to AWS. */
export interface UndoDeps {
  readonly audit: AuditPort;
  /** Sends the undo calls in the target's account. */
  readonly execute: (target: RemediationTarget, calls: readonly PlannedCall[]) => Promise<unknown>;
  /** Who runs the undo (recorded as the actor). */
  readonly whoAmI: () => Promise<string>;
  readonly now: () => Date;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** Resolves relative paths (inputs, inventory, config). @default process.cwd() */
  readonly cwd: string;
  /** What `-` reads. @default process.stdin */
  readonly stdin?: ReadOptions['stdin'];
}

export { UsageError } from './cli/command';

export interface UndoOptions {
  /** @default - the actions of the events in `inputs` */
  readonly actionId?: string;
  /** Event files, folders or `-` whose remediations to undo. @default - none: `actionId` */
  readonly inputs: readonly string[];
  readonly dryRun: boolean;
  /** @default - the member account's own credentials */
  readonly role?: string;
  /** @default `<namePrefix>-remediation-audit` */
  readonly table?: string;
  readonly inventory: string;
  /** Remediation config, to tell which detections fire on event inputs. */
  readonly config: string;
  /** Undo every action found for event inputs (without it, more than one is refused). */
  readonly all: boolean;
  readonly help: boolean;
}

/** The command line and `--help` of undo. */
export const SPEC: CommandSpec = {
  name: 'undo',
  synopsis: '[options] <action id | file, folder or ->...',
  description:
    'Reverts a remediation from the snapshot recorded before it: prints the undo calls, then (unless --dry-run)\n' +
    'makes them in the member account and records the undo in the audit table. Give the action id from the alert\n' +
    '(<CloudTrail eventID>:<action>), or the events the remediation was about: their actions are looked up.\n' +
    'Needs AWS credentials (audit table in the security account, the calls in the member account); without them\n' +
    'it says which role to use, and `npm run plan` shows offline what a remediation of an event does.',
  inputs:
    'Action id: <CloudTrail eventID>:<action>, e.g. 21f0ec88-…:revoke-world-open-ingress (one at a time);\n' +
    `or the events the remediation was about, whose actions are looked up.\n${INPUTS_HELP}`,
  options: [
    { flag: '--dry-run', help: 'print the undo calls, make none, record nothing (still reads the audit table)' },
    { flag: '--all', help: 'with event inputs: undo every action found (without it, more than one is refused)' },
    {
      flag: '--role',
      value: '<role name>',
      help: 'role to assume in the member account for the calls (default: your credentials, in that account)',
    },
    { flag: '--table', value: '<audit table>', help: 'audit table (default: <namePrefix>-remediation-audit)' },
    { flag: '--inventory', value: '<file>', help: 'org inventory (default: config/org.json)' },
    {
      flag: '--config',
      value: '<file>',
      help: 'remediation config, to tell which detections fire on event inputs (default: config/remediation.json)',
    },
  ],
  exitCodes: [
    [0, 'undone (or printed with --dry-run); with event inputs, also when vigil had changed nothing'],
    [1, 'refused (nothing was changed, or it was undone already) or the undo failed'],
    [2, 'usage error (e.g. several actions without --all), missing input, no credentials, or nothing read'],
  ],
  examples: [
    'npm run undo -- 21f0ec88-de27-4093-ab8e-93e5e993e10c:revoke-world-open-ingress --dry-run',
    'npm run undo -- 21f0ec88-de27-4093-ab8e-93e5e993e10c:revoke-world-open-ingress --role BreakGlass',
    'npm run undo -- --dry-run ./incident-events/',
  ],
};

/** The `--help` text. */
export const USAGE = formatHelp(SPEC);

const ACTION_ID = /^[\w-]{1,128}:[a-z-]+$/;

export function parseArgs(argv: readonly string[]): UndoOptions {
  const line = parseCommandLine(SPEC, argv);
  const get = (flag: string) => {
    const v = line.options.get(flag);
    return typeof v === 'string' ? v : undefined;
  };
  const ids: string[] = [];
  const inputs: string[] = [];
  for (const arg of line.positionals) {
    if (ACTION_ID.test(arg)) ids.push(arg);
    // Something with a colon that is not a path is a mistyped action id, not a file to look for.
    else if (arg.includes(':') && !/[/\\]|\.(json|jsonl|ndjson|gz)$/i.test(arg)) {
      throw new UsageError(
        `'${arg}' is not an action id (<CloudTrail eventID>:<action>, e.g. 3f2c…:revoke-world-open-ingress)`,
      );
    } else inputs.push(arg);
  }
  if (ids.length > 1) throw new UsageError(`one action id at a time, got '${ids[0]}' and '${ids[1]}'`);
  if (ids.length === 1 && inputs.length > 0) {
    throw new UsageError(`give an action id or event inputs, not both: '${ids[0]}' and '${inputs[0]}'`);
  }
  if (ids.length === 0 && inputs.length === 0 && !line.help) {
    throw new UsageError('no action id given (or event files, folders or - to look the actions up)');
  }
  const role = get('--role');
  const table = get('--table');
  return {
    ...(ids[0] === undefined ? {} : { actionId: ids[0] }),
    inputs,
    dryRun: line.options.has('--dry-run'),
    all: line.options.has('--all'),
    inventory: get('--inventory') ?? 'config/org.json',
    config: get('--config') ?? 'config/remediation.json',
    help: line.help,
    ...(role === undefined ? {} : { role }),
    ...(table === undefined ? {} : { table }),
  };
}

const CREDENTIALS_MESSAGE =
  /Could not load credentials|CredentialsProviderError|security token included in the request is (expired|invalid)/i;

/** Errors that mean "no usable AWS credentials", from the SDK's provider chain or from STS. */
export function isCredentialsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    ['CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId'].includes(
      error.name,
    ) ||
    CREDENTIALS_MESSAGE.test(error.message) ||
    isCredentialsError(error.cause)
  );
}

/** What to do without credentials: the roles to use, and what works offline. */
export function credentialsAdvice(error: unknown, options: UndoOptions, cwd: string): string[] {
  let where = 'the security account';
  let deployRole = 'the deploy role';
  let table = options.table ?? '<namePrefix>-remediation-audit';
  try {
    const inv = loadInventory(path.resolve(cwd, options.inventory));
    where = `the security account ${inv.securityAccountId}`;
    deployRole = `arn:aws:iam::${inv.securityAccountId}:role/${inv.deployRoleName}`;
    table = options.table ?? `${inv.namePrefix}-remediation-audit`;
  } catch {
    // The advice stays generic; the inventory error is not what the user asked about.
  }
  const subject = options.actionId ?? options.inputs.join(' ');
  return [
    `undo: no usable AWS credentials (${errorMessage(error)}).`,
    `undo reads and appends to the audit table ${table} in ${where}, and makes the undo calls in the member account.`,
    'To run it:',
    `  1. get credentials for ${deployRole} (appending to the audit table needs it),`,
    '     e.g. `aws sso login --profile <profile>` then `AWS_PROFILE=<profile> npm run undo -- ...`;',
    '  2. add --role <role name>: a role in the member account that those credentials may assume and that may make',
    "     the action's undo calls (your break-glass role), or run with credentials for the member account itself.",
    'Without credentials:',
    '  - the Undo button on the Slack message of an approved fix does the same through vigil;',
    `  - \`npm run plan -- <event file>\` shows offline which remediation the event triggers and its exact calls.`,
    ...(options.dryRun
      ? []
      : [
          'With read access to the audit table only:',
          `  - \`npm run undo -- ${subject} --dry-run\` prints the undo calls without making them.`,
        ]),
  ];
}

const callLine = (c: PlannedCall, i: number) =>
  `  ${i + 1}. ${c.service}:${c.operation} ${c.region} ${JSON.stringify(c.input)}`;

type Outcome = 'done' | 'refused' | 'failed' | 'nothing-recorded';

export async function main(argv: readonly string[], deps: Partial<UndoDeps> = {}): Promise<number> {
  const stdout = deps.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stderr = deps.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cwd = deps.cwd ?? process.cwd();
  let options: UndoOptions;
  try {
    options = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return reportUsageError(SPEC, stderr, err.message);
  }
  if (options.help) {
    stdout(USAGE);
    return 0;
  }
  let full: UndoDeps;
  try {
    full = { stdout, stderr, cwd, ...defaultDeps(options, deps, cwd), ...deps } as UndoDeps;
  } catch (err) {
    stderr(`undo: ${errorMessage(err)}`);
    return 2;
  }

  try {
    if (options.actionId !== undefined) {
      const outcome = await undoOne(options.actionId, options, full, false);
      return outcome === 'done' ? 0 : 1;
    }
    return await undoEvents(options, full);
  } catch (err) {
    if (isCredentialsError(err)) {
      for (const line of credentialsAdvice(err, options, cwd)) stderr(line);
      return 2;
    }
    // AWS answered, but no: a missing table, a wrong region, a role without access. Expected; no stack trace.
    if (typeof err === 'object' && err !== null && '$metadata' in err) {
      stderr(`undo: AWS refused the request: ${describeError(err)}`);
      stderr(
        `Check --table (default: <namePrefix>-remediation-audit), the region (AWS_REGION, default: the inventory's ` +
          'homeRegion), and that your credentials may read the audit table (the deploy role of the security account).',
      );
      return 2;
    }
    throw err;
  }
}

/** Undoes one action; `lookedUp` is true when the id came from an event (no records then is not an error). */
async function undoOne(actionId: string, options: UndoOptions, full: UndoDeps, lookedUp: boolean): Promise<Outcome> {
  const { stdout, stderr } = full;
  const records = await full.audit.read(actionId);
  if (lookedUp && records.length === 0) {
    stdout(`action ${actionId}: no audit record, vigil did not act on it`);
    return 'nothing-recorded';
  }
  const plan = planUndo(actionId, records, REMEDIATIONS);
  if (plan.kind === 'refuse') {
    stderr(`refused: ${plan.reason}`);
    return 'refused';
  }
  const s = plan.snapshotRecord;
  stdout(`action ${actionId}: ${s.summary ?? s.action}`);
  stdout(`  changed ${s.at} by ${s.actor} in account ${s.accountId}${s.region ? ` ${s.region}` : ''}`);
  stdout(`  snapshot before the change: ${JSON.stringify(s.snapshot)}`);
  stdout(`undo calls${options.dryRun ? ' (dry run: none is made)' : ''}:`);
  for (const [i, c] of plan.calls.entries()) stdout(callLine(c, i));
  if (options.dryRun) return 'done';

  let actor: string;
  try {
    actor = `operator:${await full.whoAmI()}`;
  } catch (err) {
    if (isCredentialsError(err)) throw err;
    stderr(`cannot tell who you are: ${describeError(err)}`);
    return 'failed';
  }
  const log = (level: string, message: string, fields: Record<string, unknown> = {}) =>
    stderr(`${level}: ${message} ${JSON.stringify(fields)}`);
  const result = await undoAction(actionId, actor, { ...full, log }, REMEDIATIONS);
  if (result.outcome === 'fixed') {
    stdout(`done: ${result.reason}; recorded in the audit log as ${actor}`);
    return 'done';
  }
  stderr(`${result.outcome}: ${result.reason}`);
  // No credentials for the member account: the undo is recorded as failed, and the advice says what to do.
  if (CREDENTIALS_MESSAGE.test(result.reason))
    throw Object.assign(new Error(result.reason), { name: 'CredentialsProviderError' });
  return 'failed';
}

/** Undoes the actions of every event read from the inputs, then prints the summary. */
async function undoEvents(options: UndoOptions, full: UndoDeps): Promise<number> {
  const { stdout, stderr, cwd } = full;
  const listing = await listInputs(options.inputs, cwd);
  if (listing.missing.length > 0) {
    const hint = (m: string) =>
      `${missingInputHint(m, cwd)}; or give an action id (<CloudTrail eventID>:<action>) instead`;
    return reportUsageError(SPEC, stderr, listing.missing.map(hint).join('\nundo: '));
  }
  let ctx: ReturnType<typeof makeOrchestratorContext>;
  try {
    ctx = loadRemediationContext(cwd, { inventory: options.inventory, config: options.config });
  } catch (err) {
    stderr(`undo: ${errorMessage(err)}`);
    return 2;
  }
  const tally = new ReadTally();
  const actionIds = new Set<string>();
  for await (const item of readEvents(listing, tally, full.stdin ? { stdin: full.stdin } : {})) {
    if (item.kind === 'skipped') {
      stderr(`undo: skipped ${locate(item.file, item.where)}: ${item.reason}`);
      continue;
    }
    const event = item.event as unknown as RemediationEvent;
    for (const d of detectionsFor(event, ctx)) {
      if (d.remediation) actionIds.add(actionIdFor(eventIdOf(event), d.remediation.action));
    }
  }
  const outcomes: Outcome[] = [];
  const recorded: string[] = [];
  for (const id of actionIds) {
    if ((await full.audit.read(id)).length > 0) recorded.push(id);
    else outcomes.push(await undoOne(id, options, full, true));
  }
  // An undo re-opens what vigil closed: a folder of events must not undo several changes by accident.
  if (!options.dryRun && !options.all && recorded.length > 1) {
    stderr(`undo: these events led to ${recorded.length} remediation actions; undoing them all needs --all:`);
    for (const id of recorded) stderr(`  ${id}`);
    stderr('Run with --dry-run to see the calls, then undo one action id at a time or pass --all.');
    return 2;
  }
  for (const id of recorded) outcomes.push(await undoOne(id, options, full, true));
  const count = (o: Outcome) => outcomes.filter((x) => x === o).length;
  stdout('');
  for (const line of formatReadSummary(tally, 'event')) stdout(line);
  stdout(
    `${actionIds.size} remediation action(s) for these events: ${count('done')} ` +
      `${options.dryRun ? 'printed (dry run)' : 'undone'}, ${count('refused')} refused, ${count('failed')} failed, ` +
      `${count('nothing-recorded')} never taken.`,
  );
  if (tally.items === 0) {
    stderr(nothingReadMessage('undo', tally));
    return 2;
  }
  return count('refused') + count('failed') > 0 ? 1 : 0;
}

/** AWS-backed dependencies, built only for what `deps` does not provide. */
function defaultDeps(options: UndoOptions, given: Partial<UndoDeps>, cwd: string): Partial<UndoDeps> {
  if (given.audit && given.execute && given.whoAmI && given.now) return {};
  const inventory = loadInventory(path.resolve(cwd, options.inventory));
  const region = process.env['AWS_REGION'] ?? inventory.homeRegion;
  const sts = new STSClient({ region });
  const whoAmI = async () => (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? 'unknown';
  const executor = makeRemediationExecutor({
    namePrefix: inventory.namePrefix,
    ...(options.role
      ? { roleName: options.role }
      : // No role: the caller's own credentials must already be in the member account.
        { credentialsFor: () => fromNodeProviderChain() }),
  });
  return {
    audit: makeAuditLog({
      client: new DynamoDBClient({ region }),
      tableName: options.table ?? `${inventory.namePrefix}-remediation-audit`,
    }),
    execute: async (target, calls) => {
      if (!options.role) {
        const account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
        if (account !== target.accountId) {
          throw new Error(
            `your credentials are for account ${account}, the change is in ${target.accountId}; ` +
              'use credentials for that account or --role <role name> to assume one there',
          );
        }
      }
      return executor.execute({ accountId: target.accountId, calls });
    },
    whoAmI,
    now: () => new Date(),
  };
}

if (require.main === module) runCli('undo', (argv) => main(argv), 2);
