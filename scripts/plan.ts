/**
 * `npm run plan -- [options] <file, folder or ->...`
 *
 * Offline and without credentials: for each EventBridge event or CloudTrail record of the inputs (read by the
 * shared CLI input reader: log files, events, arrays, JSON Lines, folders, stdin), which detections fire (central
 * pattern + predicate), the mode each would run in for that account and why (config/remediation.json over the
 * catalog), and the exact AWS calls the remediation would make: first the read-only calls, then the mutating calls
 * planned against the state the event left the resource in ("assuming current state is as the event left it"; at
 * run time the state is re-read and may already be compliant). Uses the same pre-flight as the remediate function,
 * so what it prints is what the function decides, up to what only AWS knows: resource tags, the kill switch, the
 * breaker counters.
 *
 * `--json` prints one JSON object per event and line, then a `{"summary": ...}` line. Exit codes: see SPEC.
 */
import { checkExemptions } from '../handlers/core/remediation/exemptions';
import { eventIdOf } from '../handlers/core/remediation/guard';
import {
  detectionsFor,
  exemptionResources,
  type OrchestratorContext,
  preflight,
} from '../handlers/core/remediation/orchestrate';
import type { PlannedCall, RemediationEvent } from '../handlers/core/remediation/types';
import type { RemediationMode } from '../rules/types';
import { assumedState } from './plan/assumed-state';
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

/** What main() needs from the outside world; tests replace parts of it. */
export interface PlanIo {
  /** Writes one line to stdout. @default - process.stdout */
  readonly stdout: (line: string) => void;
  /** Writes one line to stderr. @default - process.stderr */
  readonly stderr: (line: string) => void;
  /** Resolves relative paths. @default process.cwd() */
  readonly cwd: string;
  /** Today, for exemption expiry. @default - the current date */
  readonly today: string;
  /** What `-` reads. @default process.stdin */
  readonly stdin?: ReadOptions['stdin'];
}

export { UsageError } from './cli/command';

export interface PlanOptions {
  readonly inputs: readonly string[];
  readonly json: boolean;
  readonly config: string;
  readonly inventory: string;
  readonly help: boolean;
}

/** The command line and `--help` of plan. */
export const SPEC: CommandSpec = {
  name: 'plan',
  synopsis: '[options] <file, folder or ->...',
  description:
    'Offline, without credentials: for each event, which detections fire, the remediation mode for that account and\n' +
    'why, and the exact AWS calls the remediation would make (read-only calls first, then the mutating calls,\n' +
    'assuming the resource is as the event left it).',
  inputs: INPUTS_HELP,
  options: [
    { flag: '--json', help: 'one JSON object per event and line, then one {"summary": ...} line' },
    { flag: '--config', value: '<file>', help: 'remediation config (default: config/remediation.json)' },
    { flag: '--inventory', value: '<file>', help: 'org inventory (default: config/org.json)' },
  ],
  exitCodes: [
    [0, 'every event read was planned'],
    [1, 'some files or records could not be read or planned (the rest were; the summary lists them)'],
    [2, 'usage or config error, missing input, or no event could be read from the inputs'],
  ],
  examples: [
    'npm run plan -- __tests__/fixtures/events/ec2-security-group-world-open-ingress/positive-ssh-ipv4.json',
    'npm run plan -- --json --config my-remediation.json ./incident-events/',
    "aws sqs receive-message ... | jq -c '.Messages[].Body | fromjson' | npm run plan -- -",
  ],
};

/** The `--help` text. */
export const USAGE = formatHelp(SPEC);

export function parseArgs(argv: readonly string[]): PlanOptions {
  const line = parseCommandLine(SPEC, argv);
  const value = (flag: string, fallback: string) => {
    const v = line.options.get(flag);
    return typeof v === 'string' ? v : fallback;
  };
  if (line.positionals.length === 0 && !line.help) {
    throw new UsageError('name at least one event file, folder, or - for stdin');
  }
  return {
    inputs: line.positionals,
    json: line.options.has('--json'),
    config: value('--config', 'config/remediation.json'),
    inventory: value('--inventory', 'config/org.json'),
    help: line.help,
  };
}

/** What a detection would do with one event. */
export interface DetectionPlan {
  readonly detectionId: string;
  readonly title: string;
  readonly severity: string;
  /** @default - the detection has no remediation */
  readonly action?: string;
  readonly mode: RemediationMode;
  readonly modeReason: string;
  /**
   * `act` (mode auto), `approve` (asks, then calls), `notify` (alert only; the calls are what it would
   * make if enabled), `exempt`, `refused`, `already-compliant` or `off`.
   */
  readonly verdict: 'act' | 'approve' | 'notify' | 'exempt' | 'refused' | 'already-compliant' | 'off';
  readonly reason: string;
  /** @default - no target */
  readonly resource?: string;
  readonly summary?: string;
  /** Read-only calls made first (read-only role). */
  readonly reads: readonly PlannedCall[];
  /** Mutating calls, assuming the state the event left. */
  readonly calls: readonly PlannedCall[];
  readonly assumption?: string;
  readonly notes: readonly string[];
}

/** The plan for one event. */
export interface EventPlan {
  readonly file: string;
  /** Where the event is in its file (`line 3`, `Records[12]`). @default - the file holds just this event */
  readonly where?: string;
  readonly eventId?: string;
  readonly eventName?: string;
  readonly account?: string;
  readonly accountName?: string;
  readonly region?: string;
  readonly actor?: string;
  readonly detections: readonly DetectionPlan[];
  /** Set when the file could not be read or is not an event. @default - none */
  readonly error?: string;
}

export const ASSUMPTION = 'assuming current state is as the event left it';

/** Plans one event (pure apart from the context). */
export function planEvent(file: string, event: RemediationEvent, ctx: OrchestratorContext, today: string): EventPlan {
  const d = event.detail;
  const account = d.recipientAccountId ?? event.account;
  const detections = detectionsFor(event, ctx).map((detection): DetectionPlan => {
    const head = { detectionId: detection.id, title: detection.title, severity: detection.severity };
    const pre = preflight({ detectionId: detection.id, event }, ctx);
    if ('done' in pre) {
      const dec = pre.done;
      const verdict =
        dec.mode === 'off' && dec.outcome === 'notify-only' ? 'off' : dec.outcome === 'refused' ? 'refused' : 'notify';
      return {
        ...head,
        ...(detection.remediation ? { action: detection.remediation.action } : {}),
        mode: dec.mode,
        modeReason: dec.modeReasons[0] ?? dec.reason,
        verdict,
        reason: dec.reason,
        ...(dec.target ? { resource: dec.target.resourceId } : {}),
        reads: [],
        calls: [],
        notes: [],
      };
    }
    const { def, target, mode } = pre.go;
    const notes: string[] = [];
    const base = {
      ...head,
      action: def.id,
      mode: mode.mode,
      modeReason: mode.reason,
      resource: target.resourceId,
    };
    const exemption = checkExemptions(
      { detectionId: detection.id, accountId: account, resources: exemptionResources(target) },
      ctx.config,
      { kind: 'not-taggable' },
      today,
    );
    notes.push(...exemption.ignored.map((i) => `ignored: ${i}`));
    if (exemption.kind === 'exempt') {
      return { ...base, verdict: 'exempt', reason: exemption.reason, reads: [], calls: [], notes };
    }
    const reads = def.stateReads(target);
    const plan = def.plan(target, assumedState(target, event));
    if (mode.mode === 'auto' || mode.mode === 'approve') {
      notes.push(
        'at run time also: resource-tag exemptions, the kill switch and the circuit breaker (not read offline)',
      );
    }
    if (ctx.config.dryRun) notes.push('config/remediation.json has dryRun: true, so no call would actually be made');
    if (plan.kind !== 'act') {
      return {
        ...base,
        verdict: plan.kind === 'refuse' ? 'refused' : 'already-compliant',
        reason: plan.reason,
        reads,
        calls: [],
        assumption: ASSUMPTION,
        notes,
      };
    }
    const verdict = mode.mode === 'auto' ? 'act' : mode.mode === 'approve' ? 'approve' : 'notify';
    const reason =
      verdict === 'act'
        ? `would ${plan.summary}`
        : verdict === 'approve'
          ? `would ask for approval to ${plan.summary}`
          : `alert only; if remediation were enabled it would ${plan.summary}`;
    return { ...base, verdict, reason, summary: plan.summary, reads, calls: plan.calls, assumption: ASSUMPTION, notes };
  });
  return {
    file,
    eventId: eventIdOf(event),
    eventName: d.eventName,
    account,
    ...(ctx.inventory.accounts[account] ? { accountName: ctx.inventory.accounts[account]!.name } : {}),
    region: d.awsRegion ?? event.region,
    ...(d.userIdentity?.arn ? { actor: d.userIdentity.arn } : {}),
    detections,
  };
}

/** Human-readable lines for one event plan. */
export function formatPlan(plan: EventPlan): string[] {
  const lines = [locate(plan.file, plan.where)];
  if (plan.error) return [...lines, `  error: ${plan.error}`];
  const where = plan.accountName ? `${plan.accountName} (${plan.account})` : plan.account;
  lines.push(`  ${plan.eventName} by ${plan.actor ?? 'unknown'} in ${where} ${plan.region}, event ${plan.eventId}`);
  if (plan.detections.length === 0) lines.push('  no detection fires');
  const call = (c: PlannedCall) => `${c.service}:${c.operation} ${c.region} ${JSON.stringify(c.input)}`;
  for (const d of plan.detections) {
    lines.push(`  ▸ ${d.detectionId} [${d.severity}] ${d.title}`);
    lines.push(`    mode:     ${d.mode} (${d.modeReason})`);
    lines.push(`    verdict:  ${d.verdict}: ${d.reason}`);
    if (d.action) lines.push(`    action:   ${d.action}${d.resource ? ` on ${d.resource}` : ''}`);
    if (d.reads.length > 0) {
      lines.push('    reads first (read-only):');
      for (const c of d.reads) lines.push(`      ${call(c)}`);
    }
    if (d.calls.length > 0) {
      const label = d.verdict === 'notify' ? 'calls if enabled' : 'calls';
      lines.push(`    ${label}, ${d.assumption ?? ASSUMPTION}:`);
      for (const [i, c] of d.calls.entries()) lines.push(`      ${i + 1}. ${call(c)}`);
    } else if (d.assumption) {
      lines.push(`    no mutating call, ${d.assumption}`);
    }
    for (const note of d.notes) lines.push(`    note: ${note}`);
  }
  return lines;
}

export async function main(argv: readonly string[], io: Partial<PlanIo> = {}): Promise<number> {
  const stdout = io.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stderr = io.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cwd = io.cwd ?? process.cwd();
  const today = io.today ?? new Date().toISOString().slice(0, 10);
  let options: PlanOptions;
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
  let ctx: OrchestratorContext;
  try {
    ctx = loadRemediationContext(cwd, { inventory: options.inventory, config: options.config });
  } catch (err) {
    // Config and inventory errors name the file and every problem; no stack trace.
    stderr(`plan: ${errorMessage(err)}`);
    return 2;
  }
  const listing = await listInputs(options.inputs, cwd);
  if (listing.missing.length > 0) {
    return reportUsageError(SPEC, stderr, listing.missing.map((m) => missingInputHint(m, cwd)).join('\nplan: '));
  }
  const tally = new ReadTally();
  let failed = 0;
  let planned = 0;
  const emit = (plan: EventPlan) => {
    if (options.json) stdout(JSON.stringify(plan));
    else for (const line of formatPlan(plan)) stdout(line);
  };
  for await (const item of readEvents(listing, tally, io.stdin ? { stdin: io.stdin } : {})) {
    const at = { file: item.file, ...(item.where === undefined ? {} : { where: item.where }) };
    if (item.kind === 'skipped') {
      failed++;
      stderr(`plan: skipped ${locate(item.file, item.where)}: ${item.reason}`);
      emit({ ...at, detections: [], error: item.reason });
      continue;
    }
    try {
      emit({ ...planEvent(item.file, item.event as unknown as RemediationEvent, ctx, today), ...at });
      planned++;
    } catch (err) {
      // A bug in a planner for one odd event must not hide the plans of the others.
      failed++;
      tally.recordsSkipped.push({ file: item.file, where: item.where ?? '', reason: errorMessage(err) });
      emit({ ...at, detections: [], error: errorMessage(err) });
    }
  }
  if (options.json) {
    stdout(JSON.stringify({ summary: { ...tally, planned } }));
  } else {
    stdout('');
    for (const line of formatReadSummary(tally, 'event')) stdout(line);
  }
  if (tally.items === 0) {
    stderr(nothingReadMessage('plan', tally));
    return 2;
  }
  return failed > 0 ? 1 : 0;
}

if (require.main === module) runCli('plan', (argv) => main(argv), 2);
