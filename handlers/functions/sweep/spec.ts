/**
 * sweep (SQS, fed by the log-archive bucket's S3 event notifications): the trail-log sweep (issue #12). Its
 * environment is triage's (same dedupe table, routing, remediation queue, digest table: one engine, one store) plus
 * the sweep's own: the ledger table, the grace period, the trail's key layout and its own queue (to delay a message).
 * Written by the security stack from `sweepEnvironment`, read with `readSweepSettings`.
 */
import { type Env, optional, SettingsReader } from '../settings';
import {
  readTriageSettings,
  TRIAGE_ENV,
  type TriageEnvironmentInput,
  type TriageSettings,
  triageEnvironment,
} from '../triage/spec';

export const SWEEP_ENV = {
  ...TRIAGE_ENV,
  ledgerTable: 'SWEEP_LEDGER_TABLE',
  graceSeconds: 'SWEEP_GRACE_SECONDS',
  ledgerTtlDays: 'SWEEP_LEDGER_TTL_DAYS',
  queueUrl: 'SWEEP_QUEUE_URL',
  trailKeyPrefix: 'TRAIL_KEY_PREFIX',
} as const;

/** Default grace period: 15 minutes after eventTime (docs/sweep.md, "late"). */
export const DEFAULT_SWEEP_GRACE_SECONDS = 900;
/** Default ledger retention: beyond the longest backfill window. */
export const DEFAULT_SWEEP_LEDGER_TTL_DAYS = 90;

export interface SweepSettings {
  readonly triage: TriageSettings;
  readonly ledgerTable: string;
  readonly graceSeconds: number;
  readonly ledgerTtlDays: number;
  /** The sweep's own queue, to delay a message (ChangeMessageVisibility). */
  readonly queueUrl: string;
  /** The trail's S3 key prefix. @default - none */
  readonly trailKeyPrefix?: string;
}

export interface SweepEnvironmentInput extends TriageEnvironmentInput {
  readonly ledgerTable: string;
  readonly graceSeconds: number;
  readonly ledgerTtlDays: number;
  readonly queueUrl: string;
  readonly trailKeyPrefix?: string;
}

const E = SWEEP_ENV;

export function sweepEnvironment(s: SweepEnvironmentInput): Record<string, string> {
  return {
    ...triageEnvironment(s),
    [E.ledgerTable]: s.ledgerTable,
    [E.graceSeconds]: String(s.graceSeconds),
    [E.ledgerTtlDays]: String(s.ledgerTtlDays),
    [E.queueUrl]: s.queueUrl,
    ...optional(E.trailKeyPrefix, s.trailKeyPrefix),
  };
}

/**
 * Reads and checks the environment (triage's, then the sweep's own); every problem at once.
 * @throws ConfigurationError
 */
export function readSweepSettings(env: Env, dir: string): SweepSettings {
  const triage = readTriageSettings(env, dir);
  const r = new SettingsReader(env, 'sweep');
  const ledgerTable = r.required(E.ledgerTable, 'name of the sweep ledger table');
  const queueUrl = r.required(E.queueUrl, "the sweep's own queue, to delay a message until the grace period ends");
  return r.done<SweepSettings>({
    triage,
    ledgerTable,
    queueUrl,
    graceSeconds: r.whole(E.graceSeconds, DEFAULT_SWEEP_GRACE_SECONDS, 0),
    ledgerTtlDays: r.whole(E.ledgerTtlDays, DEFAULT_SWEEP_LEDGER_TTL_DAYS, 1),
    ...optional('trailKeyPrefix', r.text(E.trailKeyPrefix)),
  });
}
