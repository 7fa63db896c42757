/**
 * coverage (scheduled every heartbeat interval): turns the heartbeat cells into the coverage map, alerts
 * on its transitions and publishes its counts. Its environment, written by the security stack from
 * `coverageEnvironment`, read with `readCoverageSettings`. The routing is triage's (same variables, same
 * owner routing file), PagerDuty included: the pipeline-down page goes to the default route's service.
 */
import type { AlertRouting } from '../../core/alert';
import type { RoutingConfig } from '../../core/triage';
import { type Env, optional, SettingsReader } from '../settings';
import { readRouting, TRIAGE_ENV } from '../triage/spec';

export const COVERAGE_ENV = {
  coverageTable: 'COVERAGE_TABLE',
  inventoryTable: TRIAGE_ENV.inventoryTable,
  intervalMinutes: 'HEARTBEAT_INTERVAL_MINUTES',
  leaseSeconds: 'COVERAGE_LEASE_SECONDS',
  optInRegionsCaller: 'OPT_IN_REGIONS_CALLER',
  emailTopicArn: TRIAGE_ENV.emailTopicArn,
  ownerRoutingFile: TRIAGE_ENV.ownerRoutingFile,
  slackChannel: TRIAGE_ENV.slackChannel,
  slackWebhookRef: TRIAGE_ENV.slackWebhookRef,
  slackBotTokenRef: TRIAGE_ENV.slackBotTokenRef,
  slackChannelId: TRIAGE_ENV.slackChannelId,
  pagerdutyRoutingKeyRef: TRIAGE_ENV.pagerdutyRoutingKeyRef,
} as const;

/** Settings read from the environment. */
export interface CoverageSettings {
  readonly tableName: string;
  readonly inventoryTable: string;
  readonly routing: RoutingConfig;
  /** Minutes between two heartbeats of a cell (the member schedules' rate). @default 5 */
  readonly intervalMinutes: number;
  /** How long a sending run holds its round. @default 360 */
  readonly leaseSeconds: number;
  /**
   * The account the function runs in (the security account), when the opt-in region check is on: it reads
   * every account's enabled opt-in regions from Account Management. @default - the check is off
   */
  readonly optInRegionsCaller?: string;
}

/** What the stack writes. */
export interface CoverageEnvironmentInput {
  readonly tableName: string;
  readonly inventoryTable: string;
  readonly defaultRouting: AlertRouting;
  /** Owner routing file bundled next to index.js (the same content as triage's). */
  readonly ownerRoutingFile: string;
  readonly intervalMinutes: number;
  readonly leaseSeconds: number;
  /** The security account's id when the opt-in region check is on. @default - off */
  readonly optInRegionsCaller?: string;
}

const E = COVERAGE_ENV;

export function coverageEnvironment(s: CoverageEnvironmentInput): Record<string, string> {
  const d = s.defaultRouting;
  return {
    [E.coverageTable]: s.tableName,
    [E.inventoryTable]: s.inventoryTable,
    [E.intervalMinutes]: String(s.intervalMinutes),
    [E.leaseSeconds]: String(s.leaseSeconds),
    ...optional(E.optInRegionsCaller, s.optInRegionsCaller),
    ...optional(E.emailTopicArn, d.emailTopicArn),
    [E.ownerRoutingFile]: s.ownerRoutingFile,
    ...optional(E.slackChannel, d.slackChannel),
    ...optional(E.slackWebhookRef, d.slackWebhookRef),
    ...(d.slackBotTokenRef
      ? { [E.slackBotTokenRef]: d.slackBotTokenRef, ...optional(E.slackChannelId, d.slackChannelId) }
      : {}),
    ...optional(E.pagerdutyRoutingKeyRef, d.pagerdutyRoutingKeyRef),
  };
}

/**
 * Reads and checks the environment (and the owner routing file it names, relative to `dir`); every
 * problem at once.
 * @throws ConfigurationError
 */
export function readCoverageSettings(env: Env, dir: string): CoverageSettings {
  const r = new SettingsReader(env, 'coverage');
  const tableName = r.required(E.coverageTable, 'name of the coverage table');
  const inventoryTable = r.required(E.inventoryTable, 'the inventory table, which holds the account view');
  const routing = readRouting(r, dir, { paging: true });
  const caller = r.text(E.optInRegionsCaller);
  if (caller !== undefined && !/^\d{12}$/.test(caller)) {
    r.problem(
      `${E.optInRegionsCaller}: expected the 12-digit id of the account the function runs in, got '${caller.slice(0, 20)}'`,
    );
  }
  return r.done<CoverageSettings>({
    tableName,
    inventoryTable,
    routing,
    intervalMinutes: r.whole(E.intervalMinutes, 5, 1),
    leaseSeconds: r.whole(E.leaseSeconds, 360, 60),
    ...(caller ? { optInRegionsCaller: caller } : {}),
  });
}

/** The coverage map widget's settings (a read-only function: the tables and the interval, nothing else). */
export interface CoverageMapSettings {
  readonly tableName: string;
  readonly inventoryTable: string;
  readonly intervalMinutes: number;
}

/** What the stack writes for the coverage map widget's function. */
export function coverageMapEnvironment(s: CoverageMapSettings): Record<string, string> {
  return {
    [E.coverageTable]: s.tableName,
    [E.inventoryTable]: s.inventoryTable,
    [E.intervalMinutes]: String(s.intervalMinutes),
  };
}

/**
 * Reads the coverage map widget's environment; every problem at once.
 * @throws ConfigurationError
 */
export function readCoverageMapSettings(env: Env): CoverageMapSettings {
  const r = new SettingsReader(env, 'coverage-map');
  const tableName = r.required(E.coverageTable, 'name of the coverage table');
  const inventoryTable = r.required(E.inventoryTable, 'the inventory table, which holds the account view');
  return r.done<CoverageMapSettings>({ tableName, inventoryTable, intervalMinutes: r.whole(E.intervalMinutes, 5, 1) });
}
