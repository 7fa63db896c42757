/**
 * `npm run undo -- <action id> [--dry-run] [--role <role name>] [--table <audit table>] [--inventory config/org.json]`
 *
 * Reverts one remediation: reads the action's records from the audit table (the action id is in the
 * alert, the log line and the failure page: `<CloudTrail eventID>:<action>`), computes the undo calls from
 * the snapshot recorded before the change (the action's `undo`), prints them and, unless `--dry-run`,
 * sends them in the member account and appends `undo-snapshot` / `undo-result` records to the audit log.
 * Refuses when nothing was changed or the change was undone already.
 *
 * Needs credentials: DynamoDB read (and PutItem) on the audit table in the security account, and in the
 * member account either `--role <name>` (assumed from your credentials, e.g. a break-glass role allowed the
 * action's undo IAM actions) or credentials for that account itself (checked with STS GetCallerIdentity,
 * so an undo never lands in the wrong account). Exit code: 0 done (or dry run), 1 refused or failed, 2 usage.
 */
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { loadInventory } from '../config/load';
import { makeAuditLog } from '../handlers/adapters/remediation/audit';
import { makeRemediationExecutor } from '../handlers/adapters/remediation/execute';
import { type AuditPort, describeError, planUndo, undoAction } from '../handlers/core/remediation/orchestrate';
import { REMEDIATIONS } from '../handlers/core/remediation/registry';
import type { PlannedCall, RemediationTarget } from '../handlers/core/remediation/types';
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
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface UndoOptions {
  readonly actionId: string;
  readonly dryRun: boolean;
  /** @default - the member account's own credentials */
  readonly role?: string;
  /** @default `<namePrefix>-remediation-audit` */
  readonly table?: string;
  readonly inventory: string;
}

export const USAGE =
  'usage: npm run undo -- <action id> [--dry-run] [--role <role name>] [--table <audit table>] [--inventory config/org.json]';

export function parseArgs(argv: readonly string[]): UndoOptions {
  let actionId: string | undefined;
  let dryRun = false;
  let role: string | undefined;
  let table: string | undefined;
  let inventory = 'config/org.json';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--dry-run') dryRun = true;
    else if (arg === '--role') role = value();
    else if (arg === '--table') table = value();
    else if (arg === '--inventory') inventory = value();
    else if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}\n${USAGE}`);
    else if (actionId === undefined) actionId = arg;
    else throw new UsageError(`one action id at a time, got '${actionId}' and '${arg}'\n${USAGE}`);
  }
  if (!actionId) throw new UsageError(`no action id given\n${USAGE}`);
  if (!/^[\w-]{1,128}:[a-z-]+$/.test(actionId)) {
    throw new UsageError(
      `'${actionId}' is not an action id (<CloudTrail eventID>:<action>, e.g. 3f2c…:revoke-world-open-ingress)`,
    );
  }
  return {
    actionId,
    dryRun,
    inventory,
    ...(role === undefined ? {} : { role }),
    ...(table === undefined ? {} : { table }),
  };
}

const callLine = (c: PlannedCall, i: number) =>
  `  ${i + 1}. ${c.service}:${c.operation} ${c.region} ${JSON.stringify(c.input)}`;

export async function main(argv: readonly string[], deps: Partial<UndoDeps> = {}): Promise<number> {
  const stdout = deps.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stderr = deps.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  let options: UndoOptions;
  let full: UndoDeps;
  try {
    options = parseArgs(argv);
    full = { stdout, stderr, ...defaultDeps(options, deps), ...deps } as UndoDeps;
  } catch (err) {
    stderr(err instanceof Error ? err.message : String(err));
    return 2;
  }

  const records = await full.audit.read(options.actionId);
  const plan = planUndo(options.actionId, records, REMEDIATIONS);
  if (plan.kind === 'refuse') {
    stderr(`refused: ${plan.reason}`);
    return 1;
  }
  const s = plan.snapshotRecord;
  stdout(`action ${options.actionId}: ${s.summary ?? s.action}`);
  stdout(`  changed ${s.at} by ${s.actor} in account ${s.accountId}${s.region ? ` ${s.region}` : ''}`);
  stdout(`  snapshot before the change: ${JSON.stringify(s.snapshot)}`);
  stdout(`undo calls${options.dryRun ? ' (dry run: none is made)' : ''}:`);
  for (const [i, c] of plan.calls.entries()) stdout(callLine(c, i));
  if (options.dryRun) return 0;

  let actor: string;
  try {
    actor = `operator:${await full.whoAmI()}`;
  } catch (err) {
    stderr(`cannot tell who you are (no credentials?): ${describeError(err)}`);
    return 1;
  }
  const log = (level: string, message: string, fields: Record<string, unknown> = {}) =>
    stderr(`${level}: ${message} ${JSON.stringify(fields)}`);
  const result = await undoAction(options.actionId, actor, { ...full, log }, REMEDIATIONS);
  if (result.outcome === 'fixed') {
    stdout(`done: ${result.reason}; recorded in the audit log as ${actor}`);
    return 0;
  }
  stderr(`${result.outcome}: ${result.reason}`);
  return 1;
}

/** AWS-backed dependencies, built only for what `deps` does not provide. */
function defaultDeps(options: UndoOptions, given: Partial<UndoDeps>): Partial<UndoDeps> {
  if (given.audit && given.execute && given.whoAmI && given.now) return {};
  const inventory = loadInventory(path.resolve(process.cwd(), options.inventory));
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
