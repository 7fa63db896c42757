/**
 * The triage flow's heartbeat step (issue #11): a heartbeat decision (handlers/core/triage.ts) is recorded
 * as its cell's latest in the coverage table, logged (outcome `heartbeat`) and counted (`Heartbeats`,
 * `HeartbeatLatencyMs` by Region and org-wide); never alerted, digested or remediated, and never claimed in
 * the dedupe store (the conditional write makes a redelivery or a late, older heartbeat harmless).
 */
import { describeError, type JsonLogger } from '../lambda-io';
import { heartbeatLatencyMs } from '../heartbeat';
import { heartbeatMetricsRecord } from '../metrics';
import type { HeartbeatDecision } from '../triage';
import type { HandlerInventory } from '../inventory-view';
import type { AccountSightings, HeartbeatLog, TriageOutcome } from './triage-ports';

export interface HeartbeatStepDeps {
  readonly messageId: string;
  /** The message's facts for the log line (ids, account, region). */
  readonly facts: Record<string, unknown>;
  readonly now: () => Date;
  /** @default - logged and counted only */
  readonly heartbeats?: HeartbeatLog;
  readonly logger: Pick<JsonLogger, 'log' | 'emit'>;
  readonly observe: (outcome: TriageOutcome) => void;
}

/**
 * Records one heartbeat. A failed write throws, so the message returns to SQS: a lost heartbeat would turn
 * its cell late for nothing. @returns true (the message is done)
 */
export async function recordHeartbeat(decision: HeartbeatDecision, deps: HeartbeatStepDeps): Promise<boolean> {
  const hb = decision.heartbeat;
  const arrived = deps.now();
  const latencyMs = heartbeatLatencyMs(hb, arrived.getTime());
  const newest = deps.heartbeats
    ? await deps.heartbeats.record({ ...hb, arrivedAt: arrived.toISOString() })
    : undefined;
  deps.logger.log('info', 'heartbeat', {
    outcome: 'heartbeat',
    path: hb.path,
    latencyMs,
    ...(newest === false ? { older: true } : {}),
    ...(deps.heartbeats ? {} : { recorded: false }),
    ...deps.facts,
  });
  deps.logger.emit(
    heartbeatMetricsRecord({
      region: hb.region,
      path: hb.path,
      detectionId: decision.detection.id,
      latencyMs,
      timestamp: arrived.getTime(),
      properties: { messageId: deps.messageId, eventId: hb.eventId, account: hb.accountId },
    }),
  );
  deps.observe({
    messageId: deps.messageId,
    detectionId: decision.detection.id,
    eventId: hb.eventId,
    outcome: 'heartbeat',
    severity: decision.detection.severity,
  });
  return true;
}

/**
 * Notes an event of an account the account view lacks, for the coverage map's "not in the inventory"
 * message. Fail open: a failed note is logged, never a reason to hold the event's own alert back.
 */
export async function noteUnknownAccount(
  event: { readonly account: string; readonly region: string },
  deps: {
    readonly inventory: HandlerInventory;
    readonly sightings?: AccountSightings;
    readonly now: () => Date;
    readonly logger: Pick<JsonLogger, 'log'>;
    readonly facts: Record<string, unknown>;
  },
): Promise<void> {
  if (!deps.sightings || Object.hasOwn(deps.inventory.accounts, event.account)) return;
  try {
    await deps.sightings.note(event.account, event.region, deps.now().toISOString());
  } catch (error) {
    deps.logger.log('warn', 'could not note an account the inventory lacks', {
      ...deps.facts,
      error: describeError(error),
    });
  }
}
