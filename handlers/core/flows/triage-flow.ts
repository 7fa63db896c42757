/**
 * The triage workflow: for each SQS message, validate it, decide (handlers/core/triage.ts), deduplicate,
 * fold bursts, enrich with the owner, notify and hand remediation over, through ports: the dedupe store,
 * the tag reader, the notifier, the remediation queue, the clock and the log/metrics writer. No SDK, no
 * environment: handlers/entrypoints/triage.ts builds the adapters and calls {@link createTriageFlow}.
 * See that entrypoint's header for the delivery, idempotency and failure semantics.
 */
import { parseTriageMessage } from '../envelope';
import {
  describeError as describe,
  inBatches,
  makeJsonLogger,
  type SqsBatchResponse,
  type SqsEvent,
  type SqsRecord,
  type WriteLine,
} from '../lambda-io';
import { detectionLatencyMs, type MetricInput, metricsRecord, type TriageMetric, UNKNOWN } from '../metrics';
import { noteUnknownAccount, recordHeartbeat } from './heartbeat-flow';
import { sweepModeOf } from './sweep-mode';
import { resolveOwner } from '../owner';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryRuntime } from '../retry';
import { digestEntry, optionalIds, sendWithRetry, slackMessageOf } from './triage-helpers';
import {
  type AlertDecision,
  type BurstFacts,
  buildAlert,
  type DropCategory,
  type RoutingConfig,
  routeAlert,
  type TriageContext,
  triageMessage,
} from '../triage';
import { NotificationError } from '../../errors';
import {
  type AlertNotifier,
  CHANNELS,
  type ChannelName,
  type DedupeStore,
  type DigestLog,
  type HeartbeatLog,
  type AccountSightings,
  type ResourceTagsReader,
  type TriageOutcome,
} from './triage-ports';
import { type RemediationWork, remediationWork } from '../remediation/request-contract';
import { buildFinding } from '../findings/finding';
import type { FindingsPort } from '../findings/ports';

/** The workflow's ports and settings: the entrypoint builds them from the environment, tests pass fakes. */
export interface TriageFlowDeps {
  readonly context: TriageContext;
  readonly store: DedupeStore;
  readonly tags: ResourceTagsReader;
  readonly notifier: AlertNotifier;
  readonly routing: RoutingConfig;
  readonly now: () => Date;
  /** Where log and EMF lines go. @default console.log */
  readonly write?: WriteLine;
  /**
   * How long an event stays known after its final outcome: covers SQS redelivery and EventBridge's
   * 24-hour retries of a second forwarding path. @default 86400
   */
  readonly eventDedupeSeconds?: number;
  /**
   * How long a claim protects an event or resource in flight. Keep it above the function timeout and
   * below the queue's visibility timeout, so a crashed attempt's message finds the claim expired.
   * @default 300
   */
  readonly leaseSeconds?: number;
  /** Messages of one batch processed at once. @default 10 */
  readonly concurrency?: number;
  /**
   * Hands an alerted detection that has a remediation to the remediation function (its work queue).
   * @default - remediation is not requested
   */
  readonly requestRemediation?: (request: RemediationWork) => Promise<void>;
  /**
   * How the remediation hand-off is retried before the message is given back to SQS: the policy, and
   * the clock, sleep and randomness (tests pass their own, so no test waits).
   * @default - DEFAULT_RETRY_POLICY (4 attempts, at most 1.75 s of back-off), real time
   */
  readonly handOffRetry?: { readonly policy?: RetryPolicy; readonly runtime?: RetryRuntime };
  /**
   * Where change monitors (severity `info`) go instead of a real-time alert: the owner's daily digest.
   * @default - no digest: they are alerted like any other detection
   */
  readonly digest?: DigestLog;
  /** Records vigil's heartbeats for the coverage map; never alerted. @default - logged and counted only */
  readonly heartbeats?: HeartbeatLog;
  /** Notes events from accounts the account view lacks, for the coverage map. @default - not noted */
  readonly sightings?: AccountSightings;
  /**
   * Where the finding of each alert goes (Security Hub, the SIEM stream: handlers/core/findings). Fail open:
   * it is exported after the alert and the remediation hand-off; if it still fails after its retries, the
   * message returns to the queue (ending in the DLQ) and the redelivery exports it without alerting or
   * requesting remediation again. @default - no findings
   */
  readonly findings?: FindingsPort;
  /** Told what happened to each message (replay, plan and the agreement test read it). @default - nobody */
  readonly observe?: (outcome: TriageOutcome) => void;
  /**
   * `sweep`: the trail-log sweep (handlers/core/flows/sweep-flow.ts) runs these same decisions over an event read
   * from a delivered log file, after the grace period. An event the dedupe store already holds is only confirmed
   * (`SweepConfirmed`, outcome `confirmed`); one in flight (`pending`) is retried later; one it does not know is
   * claimed and alerted with the late marker (`Alert.late`, `SweepLateFindings`), its gap logged, and remediation
   * requested exactly as real time would. Everything else (catalog, predicates, loop guard, severities, the
   * dedupe key, repeat windows, bursts, digest routing) is the real-time path's.
   * @default 'real-time'
   */
  readonly mode?: 'real-time' | 'sweep';
}

export type { RemediationWork } from '../remediation/request-contract';

/** Metric for each kind of drop. */
const DROP_METRIC: Readonly<Record<DropCategory, TriageMetric>> = {
  invalid: 'DroppedInvalid',
  'own-remediation': 'LoopGuarded',
  'failed-call': 'Ignored',
  'no-finding': 'Ignored',
  superseded: 'Deduplicated',
};

/**
 * Every channel: what an event whose alert went out completely is recorded as having reached when only
 * its remediation hand-off failed, so the redelivery skips them all and sends nothing again.
 */
const ALL_CHANNELS: readonly ChannelName[] = [...CHANNELS];

/** Recorded with the delivered channels when remediation was handed over but the finding export failed. */
const REMEDIATION_HANDED_OVER = 'remediation';

/** Builds the SQS batch handler. */
export function createTriageFlow(deps: TriageFlowDeps): (event: SqsEvent) => Promise<SqsBatchResponse> {
  const logger = makeJsonLogger('vigil-triage', deps.write);
  const retryPolicy = deps.handOffRetry?.policy ?? DEFAULT_RETRY_POLICY;
  const retryRuntime: RetryRuntime = deps.handOffRetry?.runtime ?? {
    now: () => deps.now().getTime(),
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    random: Math.random,
  };
  const eventTtl = deps.eventDedupeSeconds ?? 86_400;
  const lease = deps.leaseSeconds ?? 300;
  const ctx = deps.context;
  const sweep = deps.mode === 'sweep';
  const sweepMode = sweepModeOf({ logger, now: deps.now });
  const seconds = () => Math.floor(deps.now().getTime() / 1000);

  const log = logger.log;
  const observe = deps.observe ?? (() => undefined);
  const heartbeatDeps = { now: deps.now, heartbeats: deps.heartbeats, logger, observe };
  const metric = (input: Omit<MetricInput, 'timestamp'>) => {
    const record = metricsRecord({ ...input, timestamp: deps.now().getTime() });
    if (record) logger.emit(record);
  };

  /** Processes one message; false asks SQS to redeliver it. */
  const processRecord = async (record: SqsRecord): Promise<boolean> => {
    const messageId = record.messageId;
    const parsed = parseTriageMessage(record.body);
    if (!parsed.ok) {
      const known = parsed.seen.detectionId ? ctx.detections.get(parsed.seen.detectionId)?.detection : undefined;
      log('warn', 'dropped invalid message', {
        outcome: 'invalid',
        code: parsed.code,
        reason: parsed.reason,
        messageId,
        ...parsed.seen,
      });
      metric({
        detectionId: known?.id ?? UNKNOWN,
        severity: known?.severity ?? UNKNOWN,
        values: { DroppedInvalid: 1 },
        properties: { messageId, reason: parsed.code },
      });
      observe({ messageId, ...optionalIds(parsed.seen), outcome: 'invalid', reason: parsed.reason });
      return true;
    }

    const { event } = parsed.message;
    const facts = {
      messageId,
      detectionId: parsed.message.detectionId,
      eventId: event.detail.eventID,
      eventName: event.detail.eventName,
      account: event.account,
      region: event.region,
    };
    await noteUnknownAccount(event, { ...heartbeatDeps, inventory: ctx.inventory, sightings: deps.sightings, facts });
    const decision = triageMessage(parsed.message, ctx);
    if (decision.kind === 'drop') {
      log(decision.category === 'invalid' ? 'warn' : 'info', `dropped: ${decision.category}`, {
        outcome: decision.category,
        reason: decision.reason,
        ...facts,
      });
      metric({
        detectionId: decision.detection?.id ?? UNKNOWN,
        severity: decision.detection?.severity ?? UNKNOWN,
        values: { [DROP_METRIC[decision.category]]: 1 },
        properties: { messageId, eventId: String(facts.eventId), account: event.account },
      });
      observe({
        messageId,
        detectionId: facts.detectionId,
        eventId: String(facts.eventId),
        outcome: decision.category,
        reason: decision.reason,
      });
      return true;
    }
    if (decision.kind === 'heartbeat') return recordHeartbeat(decision, { ...heartbeatDeps, messageId, facts });
    return alertOn(decision, messageId, facts, event);
  };

  const alertOn = async (
    decision: AlertDecision,
    messageId: string,
    facts: Record<string, unknown>,
    event: unknown,
  ) => {
    const eventKey = decision.keys.event;
    const eventId = decision.event.eventId;
    const dims = { detectionId: decision.detection.id, severity: decision.severity };
    const props = { messageId, eventId, account: decision.accountId };
    const seen = (outcome: TriageOutcome['outcome'], more: Partial<TriageOutcome> = {}) =>
      observe({
        messageId,
        detectionId: decision.detection.id,
        eventId,
        outcome,
        severity: decision.severity,
        ...more,
      });

    const claim = await deps.store.claimEvent(eventKey, { owner: messageId, now: seconds(), leaseSeconds: lease });
    if (!claim.claimed && sweep) return sweepMode.seenBefore(claim.status, { dims, props, facts, seen });
    if (!claim.claimed) {
      log('info', 'duplicate event', { outcome: 'duplicate', status: claim.status, ...facts });
      metric({ ...dims, values: { Deduplicated: 1 }, properties: { ...props, reason: `event ${claim.status}` } });
      seen('duplicate', { reason: `event ${claim.status}` });
      return true;
    }
    /** Records a final outcome that sends nothing (folded into a burst, or a repeat). */
    const settle = async (status: 'folded' | 'suppressed', name: TriageMetric, fields: Record<string, unknown>) => {
      await deps.store.finishEvent(eventKey, { owner: messageId, status, now: seconds(), ttlSeconds: eventTtl });
      log('info', status === 'folded' ? 'folded into a burst' : 'repeat suppressed', {
        outcome: status,
        ...fields,
        ...facts,
      });
      metric({ ...dims, values: { [name]: 1 }, properties: { ...props, reason: status } });
      seen(status);
      return true;
    };

    const late = sweep ? sweepMode.late(decision, { dims, props, facts }) : undefined;
    const recordLate = () => late?.record();
    let burst: BurstFacts | undefined;
    let resourceClaimed = false;
    /** After the alert went out: repeats on its resource are suppressed for the window from now. */
    const startRepeatWindow = async () => {
      if (!resourceClaimed || !decision.keys.resource) return;
      await deps.store
        .confirmResource(decision.keys.resource, {
          owner: eventId,
          now: seconds(),
          windowSeconds: decision.repeatWindowSeconds,
        })
        .catch((err: unknown) => log('error', 'could not start the repeat window', { error: describe(err), ...facts }));
    };
    let delivered: readonly string[] = claim.delivered;
    try {
      if (decision.burst) {
        const counted = await deps.store.countBurst(decision.burst, eventId);
        if (counted.status !== 'alert') {
          return await settle('folded', 'Aggregated', { burst: decision.burst.group, ...counted });
        }
        burst = { count: counted.count };
      } else if (decision.keys.resource) {
        // Aggregated detections skip this: their window already is the suppression.
        resourceClaimed = await deps.store.claimResource(decision.keys.resource, {
          owner: eventId,
          now: seconds(),
          leaseSeconds: lease,
        });
        if (!resourceClaimed) {
          return await settle('suppressed', 'Deduplicated', {
            windowSeconds: decision.repeatWindowSeconds,
            resources: decision.event.resources.slice(0, 5),
          });
        }
      }

      const tags = await deps.tags.read(decision.tagLookup);
      const owner = resolveOwner(ctx.inventory, decision.account, tags);
      if (deps.digest && decision.severity === 'info') {
        // A change monitor: information for the owner's daily digest, never a real-time alert.
        await deps.digest.record(digestEntry(decision, owner.owner));
        await deps.store
          .finishEvent(eventKey, { owner: messageId, status: 'digest', now: seconds(), ttlSeconds: eventTtl })
          .catch((err: unknown) =>
            log('warn', 'could not record the digest outcome', { error: describe(err), ...facts }),
          );
        log('info', 'added to the daily digest', { outcome: 'digest', owner: owner.owner, ...facts });
        metric({ ...dims, values: { Digested: 1 }, properties: props });
        recordLate();
        seen('digest', { owner: owner.owner, ...(sweep ? { late: true } : {}) });
        return true;
      }
      const routing = routeAlert(owner.owner, decision.severity, deps.routing);
      const built = buildAlert(decision, owner, routing, burst, { verdictButtons: deps.routing.verdictButtons });
      const alert = late ? { ...built, late: late.marker() } : built;
      const skip = CHANNELS.filter((c: ChannelName) => delivered.includes(c));
      // An earlier attempt sent the alert everywhere and only failed to hand it to remediation.
      const alreadySent = skip.length === ALL_CHANNELS.length;
      const outcomes = await deps.notifier.notify(alert, { skip });
      const slack = slackMessageOf(outcomes);

      const sentAt = deps.now().getTime();
      let remediation: 'requested' | 'withheld' | undefined;
      if (decision.detection.remediation && deps.requestRemediation && decision.unreadable) {
        // Fail open on detection, closed on action: the alert says what could be read, nothing acts on it.
        log('warn', 'remediation not requested', {
          reason: decision.unreadable,
          ...facts,
        });
        remediation = 'withheld';
      } else if (decision.detection.remediation && deps.requestRemediation) {
        remediation = 'requested';
      }
      if (remediation === 'requested' && deps.requestRemediation && !delivered.includes(REMEDIATION_HANDED_OVER)) {
        const handOff = await sendWithRetry(
          deps.requestRemediation,
          remediationWork(decision.detection.id, event, {
            sentAt: new Date(sentAt).toISOString(),
            alert,
            ...(slack ? { slack } : {}),
          }),
          retryPolicy,
          retryRuntime,
        );
        if (!handOff.ok) {
          // The alert is out and must not go out again: the event is recorded `failed` with every channel
          // delivered, so SQS's redelivery skips them all and only asks for remediation again.
          // If this write fails too, the claim stays `pending` and its lease runs out: the redelivery would
          // then alert again, which beats losing the remediation.
          const recordedFailure = await deps.store
            .failEvent(eventKey, { owner: messageId, delivered: ALL_CHANNELS, now: seconds(), ttlSeconds: eventTtl })
            .catch((err: unknown) => describe(err));
          // The alert on this resource is out: its repeat window starts (the redelivery, same owner, re-claims it).
          await startRepeatWindow();
          log('error', 'could not request remediation; the message returns to the queue (the alert is not re-sent)', {
            outcome: 'retry',
            error: handOff.error,
            permanent: handOff.permanent,
            attempts: handOff.attempts,
            ...(recordedFailure === true
              ? {}
              : { bookkeeping: recordedFailure === false ? 'claim lost to another attempt' : recordedFailure }),
            ...facts,
          });
          // The alert went out in this attempt: it counts here (the redelivery sends and counts nothing).
          metric({
            ...dims,
            values: {
              AlertsSent: 1,
              DetectionLatencyMs: detectionLatencyMs(sentAt, decision.eventTimeMs),
              RemediationRequestFailed: 1,
            },
            properties: props,
          });
          recordLate();
          seen('retry', { owner: owner.owner, remediation: 'requested', reason: handOff.error });
          return false;
        }
      }
      if (deps.findings) {
        const finding = buildFinding({ ...decision, event: decision.event, owner: owner.owner, remediation, sentAt });
        const exported = await deps.findings.publish([{ kind: 'finding', finding }]);
        if (!exported.ok) {
          // Like a failed hand-off: nothing is sent or requested again, the redelivery exports the finding.
          const done = [...ALL_CHANNELS, ...(remediation === 'requested' ? [REMEDIATION_HANDED_OVER] : [])];
          await deps.store
            .failEvent(eventKey, { owner: messageId, delivered: done, now: seconds(), ttlSeconds: eventTtl })
            .catch(() => undefined);
          await startRepeatWindow();
          log('error', 'finding not exported; the message returns to the queue (the alert is not re-sent)', {
            outcome: 'retry',
            findingId: finding.id,
            failures: exported.failures,
            ...facts,
          });
          const sent = alreadySent
            ? {}
            : { AlertsSent: 1, DetectionLatencyMs: detectionLatencyMs(sentAt, decision.eventTimeMs) };
          metric({ ...dims, values: { ...sent, FindingExportFailed: 1 }, properties: props });
          seen('retry', {
            owner: owner.owner,
            ...(remediation ? { remediation } : {}),
            reason: 'finding export failed',
          });
          return false;
        }
      }
      // The alert is out: a failed bookkeeping write must not make SQS send it again.
      const recorded = await deps.store
        .finishEvent(eventKey, { owner: messageId, status: 'sent', now: seconds(), ttlSeconds: eventTtl })
        .catch((err: unknown) => describe(err));
      await startRepeatWindow();
      if (alreadySent) {
        log(recorded === true ? 'info' : 'warn', 'remediation requested for an alert sent by an earlier attempt', {
          outcome: 'sent',
          ...(recorded === true
            ? {}
            : { bookkeeping: recorded === false ? 'claim lost to another attempt' : recorded }),
          ...facts,
        });
        seen('alerted', { owner: owner.owner, ...(remediation ? { remediation } : {}) });
        return true;
      }
      log(recorded === true ? 'info' : 'warn', 'alert sent', {
        outcome: 'sent',
        severity: decision.severity,
        owner: owner.owner,
        ownerSource: owner.source,
        ...(owner.caveat ? { ownerCaveat: owner.caveat } : {}),
        ...(recorded === true ? {} : { bookkeeping: recorded === false ? 'claim lost to another attempt' : recorded }),
        skipped: skip,
        ...facts,
      });
      metric({
        ...dims,
        values: { AlertsSent: 1, DetectionLatencyMs: detectionLatencyMs(sentAt, decision.eventTimeMs) },
        properties: props,
      });
      recordLate();
      seen('alerted', {
        owner: owner.owner,
        ...(remediation ? { remediation } : {}),
        ...(sweep ? { late: true } : {}),
      });
      return true;
    } catch (err) {
      if (err instanceof NotificationError) delivered = [...delivered, ...err.delivered];
      // Give the claims back so the retry (or another copy) can alert; if these writes fail too, the
      // leases run out before SQS redelivers the message.
      await deps.store
        .failEvent(eventKey, { owner: messageId, delivered, now: seconds(), ttlSeconds: eventTtl })
        .catch(() => undefined);
      if (resourceClaimed && decision.keys.resource) {
        await deps.store.releaseResource(decision.keys.resource, { owner: eventId }).catch(() => undefined);
      }
      const permanent = err instanceof NotificationError && err.permanent;
      log(
        'error',
        permanent ? 'notification failed permanently: fix routing or secrets, then redrive the DLQ' : 'will retry',
        {
          outcome: 'retry',
          error: describe(err),
          permanent,
          delivered,
          ...facts,
        },
      );
      if (err instanceof NotificationError) metric({ ...dims, values: { NotificationFailed: 1 }, properties: props });
      seen('retry', { reason: describe(err) });
      return false;
    }
  };

  return async (event) => {
    const records = Array.isArray(event?.Records) ? event.Records : [];
    const failures: Array<{ itemIdentifier: string }> = [];
    await inBatches(records, deps.concurrency ?? 10, async (record) => {
      let ok = false;
      try {
        ok = await processRecord(record);
      } catch (err) {
        // A dedupe-store outage or a bug: retry the message; after maxReceiveCount it waits in the DLQ.
        log('error', 'triage failed; will retry', {
          outcome: 'retry',
          error: describe(err),
          messageId: record.messageId,
        });
      }
      if (!ok) failures.push({ itemIdentifier: record.messageId });
    });
    return { batchItemFailures: failures };
  };
}
