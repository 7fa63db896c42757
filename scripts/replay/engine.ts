/**
 * Replay's triage: the deployed triage workflow (handlers/core/flows/triage-flow.ts), run in process on
 * the messages the central rules would queue for each replayed event. Same envelope check, loop guard,
 * failed-call rule, pattern and predicate, supersession, severity with the environment bump, dedupe keys,
 * repeat window, burst folding and digest routing as production, because it is the same code; only the
 * adapters differ: the dedupe store is in memory (handlers/core/flows/memory-dedupe-store.ts), the
 * notifier and the digest record instead of sending, resource tags are not read (the owner comes from the
 * account, as in production when a resource has no tags), and the clock is the event's CloudTrail time.
 *
 * The clock: production triages an event a few seconds to minutes after its eventTime, in arrival
 * order. Replay processes events in input order with the clock at their eventTime, so repeat windows and
 * event-dedupe horizons are measured between event times; CloudTrail log files are in time order within a
 * file and name their time, so folders sorted by name come close to arrival order.
 */
import type { Alert } from '../../handlers/core/alert';
import { MemoryDedupeStore } from '../../handlers/core/flows/memory-dedupe-store';
import { createTriageFlow } from '../../handlers/core/flows/triage-flow';
import type { DigestEntry, TriageOutcome } from '../../handlers/core/flows/triage-ports';
import type { HandlerInventory } from '../../handlers/core/inventory-view';
import type { RemediationWork } from '../../handlers/core/remediation/request-contract';
import { makeTriageContext, type RoutingConfig } from '../../handlers/core/triage';
import type { Predicate } from '../../rules/predicates';
import type { Detection } from '../../rules/types';

/** What the central rule of a detection puts on the triage queue: the rule's input transformer's output. */
export function triageMessageBody(detectionId: string, event: unknown): string {
  return JSON.stringify({ detectionId, event });
}

export interface ReplayEngineOptions {
  readonly inventory: HandlerInventory;
  readonly catalog: readonly Detection[];
  readonly predicates: Readonly<Record<string, Predicate>>;
  /** As deployed (`alerting.repeatWindowSeconds`). @default 900 */
  readonly repeatWindowSeconds?: number;
  /** As deployed; only decides the channels shown, never whether an alert is sent. @default - one Slack channel */
  readonly routing?: RoutingConfig;
}

/** What one replayed event led to. */
export interface EngineResult {
  readonly outcomes: readonly TriageOutcome[];
  /** Alerts sent for this event (real time). */
  readonly alerts: readonly Alert[];
  /** Digest entries recorded for this event. */
  readonly digest: readonly DigestEntry[];
  /** Remediation work handed over for this event. */
  readonly remediation: readonly RemediationWork[];
}

export interface ReplayEngine {
  /**
   * Triages the messages the central rules queue for `event` (one per detection id, in the order given),
   * with the clock at the event's time.
   */
  triage(
    event: { readonly time: string; readonly detail: Readonly<Record<string, unknown>> },
    detectionIds: readonly string[],
  ): Promise<EngineResult>;
}

const REPLAY_ROUTING: RoutingConfig = { default: { slackChannel: '#replay' } };

export function makeReplayEngine(o: ReplayEngineOptions): ReplayEngine {
  let nowMs = 0;
  let messages = 0;
  let outcomes: TriageOutcome[] = [];
  let alerts: Alert[] = [];
  let digest: DigestEntry[] = [];
  let remediation: RemediationWork[] = [];
  const flow = createTriageFlow({
    context: makeTriageContext(o.inventory, o.catalog, o.predicates, {
      ...(o.repeatWindowSeconds === undefined ? {} : { repeatWindowSeconds: o.repeatWindowSeconds }),
    }),
    store: new MemoryDedupeStore(),
    tags: { read: async () => ({ status: 'not-applicable' }) },
    notifier: {
      notify: async (alert) => {
        alerts.push(alert);
        return [];
      },
    },
    digest: {
      record: async (entry) => {
        digest.push(entry);
      },
    },
    requestRemediation: async (work) => {
      remediation.push(work);
    },
    routing: o.routing ?? REPLAY_ROUTING,
    now: () => new Date(nowMs),
    write: () => undefined,
    concurrency: 1,
    observe: (outcome) => outcomes.push(outcome),
  });
  return {
    async triage(event, detectionIds) {
      outcomes = [];
      alerts = [];
      digest = [];
      remediation = [];
      const eventTime = Date.parse(String(event.detail['eventTime'] ?? ''));
      nowMs = Number.isNaN(eventTime) ? Date.parse(event.time) : eventTime;
      const Records = detectionIds.map((id) => ({
        messageId: `replay-${++messages}`,
        body: triageMessageBody(id, event),
      }));
      await flow({ Records });
      return { outcomes, alerts, digest, remediation };
    },
  };
}
