/**
 * `npm run plan -- <event files or folders> [--json] [--config config/remediation.json] [--inventory config/org.json]`
 *
 * Offline and without credentials: for each EventBridge event (a `.json` file, or every `.json` file under
 * a folder), which detections fire (central pattern + predicate), the mode each would run in for that
 * account and why (config/remediation.json over the catalog), and the exact AWS calls the remediation
 * would make: first the read-only calls, then the mutating calls planned against the state the event left
 * the resource in ("assuming current state is as the event left it"; at run time the state is re-read and
 * may already be compliant). Uses the same pre-flight as the remediate function, so what it prints is what
 * the function decides, up to what only AWS knows: resource tags, the kill switch, the breaker counters.
 *
 * `--json` prints one JSON object per event and line. Exit code: 0, 1 when a file could not be read or
 * parsed (the others are still planned), 2 for usage or config errors.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { loadInventory } from '../config/load';
import { centralBusArn } from '../config/naming';
import { loadRemediationConfig } from '../config/remediation';
import { toHandlerInventory } from '../handlers/core/inventory-view';
import { checkExemptions } from '../handlers/core/remediation/exemptions';
import { eventIdOf } from '../handlers/core/remediation/guard';
import {
  detectionsFor,
  exemptionResources,
  makeOrchestratorContext,
  type OrchestratorContext,
  preflight,
} from '../handlers/core/remediation/orchestrate';
import { REMEDIATIONS } from '../handlers/core/remediation/registry';
import type { PlannedCall, RemediationEvent } from '../handlers/core/remediation/types';
import { CATALOG } from '../rules/catalog';
import { PREDICATES } from '../rules/predicates';
import type { RemediationMode } from '../rules/types';
import { assumedState } from './plan/assumed-state';
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
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface PlanOptions {
  readonly inputs: readonly string[];
  readonly json: boolean;
  readonly config: string;
  readonly inventory: string;
}

export const USAGE =
  'usage: npm run plan -- <event files or folders> [--json] [--config config/remediation.json] [--inventory config/org.json]';

export function parseArgs(argv: readonly string[]): PlanOptions {
  const inputs: string[] = [];
  let json = false;
  let config = 'config/remediation.json';
  let inventory = 'config/org.json';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a file name\n${USAGE}`);
      return v;
    };
    if (arg === '--json') json = true;
    else if (arg === '--config') config = value();
    else if (arg === '--inventory') inventory = value();
    else if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}\n${USAGE}`);
    else inputs.push(arg);
  }
  if (inputs.length === 0) throw new UsageError(`no event files or folders given\n${USAGE}`);
  return { inputs, json, config, inventory };
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

/** The plan for one event file. */
export interface EventPlan {
  readonly file: string;
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
  const lines = [plan.file];
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

/** Every `.json` file named or under a named folder, sorted for stable output. */
export function eventFiles(inputs: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) walk(path.join(p, name));
    } else if (p.endsWith('.json')) out.push(p);
  };
  for (const input of inputs) walk(path.resolve(cwd, input));
  return out;
}

export async function main(argv: readonly string[], io: Partial<PlanIo> = {}): Promise<number> {
  const stdout = io.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stderr = io.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cwd = io.cwd ?? process.cwd();
  const today = io.today ?? new Date().toISOString().slice(0, 10);
  let options: PlanOptions;
  let ctx: OrchestratorContext;
  let files: string[];
  try {
    options = parseArgs(argv);
    const inventory = loadInventory(path.resolve(cwd, options.inventory));
    const config = loadRemediationConfig(path.resolve(cwd, options.config), inventory);
    ctx = makeOrchestratorContext({
      config,
      inventory: toHandlerInventory(inventory),
      catalog: CATALOG,
      predicates: PREDICATES,
      actions: REMEDIATIONS,
      naming: { centralBusArn: centralBusArn(inventory), deployRoleName: inventory.deployRoleName },
    });
    files = eventFiles(options.inputs, cwd);
  } catch (err) {
    stderr(err instanceof Error ? err.message : String(err));
    return 2;
  }
  let failed = false;
  for (const file of files) {
    const shown = path.relative(cwd, file) || file;
    let plan: EventPlan;
    try {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      // A triage message ({detectionId, event}) is accepted too; its event is what is planned.
      const event = (raw['event'] && typeof raw['event'] === 'object' ? raw['event'] : raw) as RemediationEvent;
      if (typeof event.detail !== 'object' || event.detail === null || typeof event.account !== 'string') {
        throw new Error('not an EventBridge event (no detail or account)');
      }
      plan = planEvent(shown, event, ctx, today);
    } catch (err) {
      failed = true;
      plan = { file: shown, detections: [], error: err instanceof Error ? err.message : String(err) };
    }
    if (options.json) stdout(JSON.stringify(plan));
    else for (const line of formatPlan(plan)) stdout(line);
  }
  return failed ? 1 : 0;
}

if (require.main === module) runCli('plan', (argv) => main(argv), 2);
