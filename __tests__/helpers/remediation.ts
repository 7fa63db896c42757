/**
 * Shared pieces of the remediation orchestration tests: the bundled org and remediation config, real
 * fixture events, an orchestrator context over them, and in-memory ports that record every call in
 * order (so tests can assert "snapshot before change", "no write after a duplicate", ...).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory } from '../../config/load';
import { centralBusArn } from '../../config/naming';
import type { RemediationConfig } from '../../config/remediation';
import { toHandlerInventory } from '../../handlers/core/inventory-view';
import type { ApprovalRequest } from '../../handlers/core/approval/request';
import type { TagLookup } from '../../handlers/core/remediation/exemptions';
import type { BreakerCounts, KillSwitchReading } from '../../handlers/core/remediation/guard';
import {
  type ApprovalOpening,
  type AuditRecord,
  type ClaimResult,
  type Escalation,
  makeOrchestratorContext,
  type OrchestratorContext,
  type OrchestratorPorts,
} from '../../handlers/core/remediation/orchestrate';
import { REMEDIATIONS } from '../../handlers/core/remediation/registry';
import type { PlannedCall, RemediationEvent, RemediationTarget } from '../../handlers/core/remediation/types';
import { CATALOG } from '../../rules/catalog';
import { PREDICATES } from '../../rules/predicates';

const ROOT = join(__dirname, '..', '..');

/** config/org.json, validated. */
export const ORG = loadInventory(join(ROOT, 'config', 'org.json'));
/** The handlers' view of it (what the remediate function bundles). */
export const VIEW = toHandlerInventory(ORG);
/** config/remediation.json as committed. */
export const BUNDLED_CONFIG = JSON.parse(
  readFileSync(join(ROOT, 'config', 'remediation.json'), 'utf8'),
) as RemediationConfig;

/** Accounts of config/org.json by role in the rollout. */
export const ACCOUNTS = {
  management: '110000000001',
  paymentsProd: '110000000006',
  checkoutProd: '110000000007',
  paymentsStaging: '110000000008',
  sandboxAlice: '110000000011',
} as const;

/** A fixture event (a fresh copy): __tests__/fixtures/events/<detection>/<name>.json. */
export function loadEvent(detectionId: string, name: string): RemediationEvent {
  return JSON.parse(
    readFileSync(join(ROOT, '__tests__', 'fixtures', 'events', detectionId, `${name}.json`), 'utf8'),
  ) as RemediationEvent;
}

/** The event as if it happened in another account of the org (every account field moved). */
export function inAccount(event: RemediationEvent, accountId: string): RemediationEvent {
  const text = JSON.stringify(event).split(event.account).join(accountId);
  return JSON.parse(text) as RemediationEvent;
}

/** The event as if vigil's remediation role had made the call. */
export function byRemediationRole(event: RemediationEvent): RemediationEvent {
  const copy = structuredClone(event) as any;
  copy.detail.userIdentity = {
    type: 'AssumedRole',
    arn: `arn:aws:sts::${event.account}:assumed-role/vigil-remediation/vigil-remediate`,
    accountId: event.account,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        arn: `arn:aws:iam::${event.account}:role/vigil-remediation`,
        accountId: event.account,
        userName: 'vigil-remediation',
      },
    },
  };
  return copy as RemediationEvent;
}

/** The bundled config with changes. */
export function configWith(changes: Partial<RemediationConfig> = {}): RemediationConfig {
  return { ...structuredClone(BUNDLED_CONFIG), ...changes };
}

/** An orchestrator context over the bundled org and catalog. */
export function contextWith(changes: Partial<RemediationConfig> = {}): OrchestratorContext {
  return makeOrchestratorContext({
    config: configWith(changes),
    inventory: VIEW,
    catalog: CATALOG,
    predicates: PREDICATES,
    actions: REMEDIATIONS,
    naming: { centralBusArn: centralBusArn(ORG), deployRoleName: ORG.deployRoleName },
  });
}

/** Fixed clock of the tests. */
export const NOW = new Date('2026-11-28T12:00:00.000Z');

/** What the fake ports can be told to do. */
export interface FakeOptions {
  /** States returned by successive readState calls (the last one repeats). */
  states?: unknown[];
  readStateError?: Error;
  executeError?: Error;
  tags?: TagLookup;
  killSwitch?: KillSwitchReading;
  /** Counts returned by the breaker (default: the first action in the window). */
  breaker?: BreakerCounts;
  auditError?: (record: AuditRecord) => Error | undefined;
  approvals?: Record<string, ApprovalRequest>;
}

/** In-memory ports recording each call, in order, in `trace`. */
export class FakePorts implements OrchestratorPorts {
  readonly trace: string[] = [];
  readonly audited: AuditRecord[] = [];
  readonly executed: Array<{ target: RemediationTarget; calls: readonly PlannedCall[] }> = [];
  readonly escalations: Escalation[] = [];
  readonly openings: ApprovalOpening[] = [];
  readonly claims = new Map<string, { status: string; outcome?: string }>();
  readonly executedRequests: Array<{ id: string; outcome: string }> = [];
  readonly logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  private stateIndex = 0;
  private requestCount = 0;

  constructor(readonly options: FakeOptions = {}) {}

  now = () => NOW;

  readKillSwitch = async (): Promise<KillSwitchReading> => {
    this.trace.push('kill-switch');
    return this.options.killSwitch ?? { kind: 'value', value: 'off' };
  };

  readTags = async (lookup: { accountId: string; region: string; arns: readonly string[] }): Promise<TagLookup> => {
    this.trace.push(`tags ${lookup.arns.join(',')}`);
    return this.options.tags ?? { kind: 'read', tags: {} };
  };

  readState = async (target: RemediationTarget): Promise<unknown> => {
    this.trace.push(`read-state ${target.resourceId}`);
    if (this.options.readStateError) throw this.options.readStateError;
    const states = this.options.states ?? [];
    const state = states[Math.min(this.stateIndex, states.length - 1)];
    this.stateIndex++;
    return state;
  };

  execute = async (target: RemediationTarget, calls: readonly PlannedCall[]): Promise<unknown> => {
    this.trace.push(`execute ${calls.map((c) => c.operation).join(',')}`);
    if (this.options.executeError) throw this.options.executeError;
    this.executed.push({ target, calls });
    return {};
  };

  idempotency = {
    claim: async (key: string): Promise<ClaimResult> => {
      this.trace.push(`claim ${key}`);
      const existing = this.claims.get(key);
      if (existing) return { claimed: false, ...existing };
      this.claims.set(key, { status: 'in-progress' });
      return { claimed: true };
    },
    complete: async (key: string, outcome: string) => {
      this.trace.push(`complete ${key} ${outcome}`);
      this.claims.set(key, { status: 'completed', outcome });
    },
    release: async (key: string) => {
      this.trace.push(`release ${key}`);
      this.claims.delete(key);
    },
  };

  takeBreakerSlot = async (accountId: string): Promise<BreakerCounts> => {
    this.trace.push(`breaker ${accountId}`);
    return this.options.breaker ?? { account: 1, org: 1 };
  };

  audit = {
    append: async (record: AuditRecord) => {
      this.trace.push(`audit ${record.phase} ${record.outcome}`);
      const error = this.options.auditError?.(record);
      if (error) throw error;
      this.audited.push(record);
    },
    read: async (actionId: string) => this.audited.filter((r) => r.actionId === actionId),
  };

  approvals = {
    open: async (opening: ApprovalOpening) => {
      this.trace.push(`approval-open ${opening.plan.summary}`);
      this.openings.push(opening);
      return { requestId: `request-${++this.requestCount}` };
    },
    get: async (id: string) => this.options.approvals?.[id],
    markExecuted: async (id: string, write: { outcome: string }) => {
      this.trace.push(`approval-executed ${id}`);
      this.executedRequests.push({ id, outcome: write.outcome });
      return undefined;
    },
  };

  escalate = async (escalation: Escalation) => {
    this.trace.push(`escalate ${escalation.kind}`);
    this.escalations.push(escalation);
  };

  log = (level: string, message: string, fields?: Record<string, unknown>) => {
    this.logs.push({ level, message, ...(fields ? { fields } : {}) });
  };
}
