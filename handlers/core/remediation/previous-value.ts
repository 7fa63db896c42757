/**
 * The shared "previous value" reader of the restore-type actions: the last known good value of one setting
 * (a trail's `isMultiRegionTrail`, a key's enabled state, a recorder's definition, ...) before the event
 * that changed it. Pure: the evidence is data the state reader gathered, in two kinds:
 *
 *   - snapshots: values vigil itself recorded at a known time (a remediation's snapshot in the audit log);
 *   - CloudTrail event history: `LookupEvents` for the resource, bounded in time (the 90 days event history
 *     keeps, up to the event) and in calls (the state reader's page cap, `HistoryPage.complete`).
 *
 * The newest evidence strictly before the trigger wins. Each setting says how an event's record bears on it:
 * it sets a value, leaves it unchanged (an UpdateTrail without `kmsKeyId`), or cannot be read (the record is
 * missing or truncated — CloudTrail omits oversized request parameters). An unreadable record among the
 * newest evidence, or no evidence while history was cut short by the page cap, means the previous value is
 * unknown: the action refuses rather than guess. No evidence in a complete history is unknown too (the
 * setting was last set more than 90 days ago): nothing to restore from.
 */
import type { PlannedCall, RemediationTarget } from './types';
import {
  call,
  daysBefore,
  detail,
  HISTORY_DAYS,
  type HistoryPage,
  historyRecord,
  type Json,
  str,
  timeOf,
} from './actions/support';

/** How one CloudTrail record bears on the setting. */
export type SettingReading<V> =
  | { readonly kind: 'set'; readonly value: V }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'unreadable'; readonly why: string };

/** One setting whose previous value an action restores. */
export interface Setting<V> {
  /** For reasons and evidence, e.g. `isMultiRegionTrail of trail org-trail`. */
  readonly name: string;
  /** Event names that can set it; others in the history are skipped. */
  readonly eventNames: readonly string[];
  /** Reads the setting from a CloudTrail record of one of `eventNames` (failed calls included: decide). */
  read(record: Json, eventName: string): SettingReading<V>;
}

/** A value vigil recorded itself (e.g. the snapshot of an earlier remediation of the same resource). */
export interface SnapshotObservation<V> {
  /** ISO 8601: when the value was observed. */
  readonly at: string;
  readonly value: V;
  /** e.g. the audit action id. */
  readonly source: string;
}

/** The event whose change is being undone. */
export interface Trigger {
  readonly eventId: string;
  /** ISO 8601. */
  readonly eventTime: string;
}

export type PreviousValue<V> =
  | { readonly kind: 'known'; readonly value: V; readonly at: string; readonly evidence: string }
  | { readonly kind: 'unknown'; readonly reason: string };

/** The trigger of a restore action's target (the `eventId` and `eventTime` details its `target()` recorded). */
export const triggerOf = (target: RemediationTarget): Trigger => ({
  eventId: detail(target, 'eventId'),
  eventTime: detail(target, 'eventTime'),
});

/** A successful call: CloudTrail records failures with an `errorCode`. */
export const succeeded = (record: Json): boolean => str(record['errorCode']) === undefined;

/**
 * The bounded history query: events of `resourceName` in the `HISTORY_DAYS` up to the trigger (LookupEvents
 * returns newest first; the state reader caps the pages).
 */
export const historyLookup = (resourceName: string, trigger: Trigger, region: string): PlannedCall =>
  call(
    'cloudtrail',
    'LookupEvents',
    {
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: resourceName }],
      StartTime: daysBefore(trigger.eventTime, HISTORY_DAYS),
      EndTime: trigger.eventTime,
    },
    region,
  );

/**
 * The bounded history query by event name, for services whose CloudTrail records name no resource (GuardDuty):
 * every `eventName` call of the account and region in the `HISTORY_DAYS` up to the trigger (or, `upToNow`, up to
 * now). The setting's `read` then keeps only the records of the resource in question.
 */
export const historyByEventName = (
  eventName: string,
  trigger: Trigger,
  region: string,
  options: { readonly upToNow?: boolean } = {},
): PlannedCall =>
  call(
    'cloudtrail',
    'LookupEvents',
    {
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: eventName }],
      StartTime: daysBefore(trigger.eventTime, HISTORY_DAYS),
      // Up to now: the calls after the trigger tell whether it is still the newest change (recreate actions).
      ...(options.upToNow ? {} : { EndTime: trigger.eventTime }),
    },
    region,
  );

/** Two history queries read as one: every event of both, complete only when both are. */
export const mergeHistory = (a: HistoryPage, b: HistoryPage): HistoryPage => ({
  events: [...a.events, ...b.events],
  complete: a.complete && b.complete,
});

type Candidate<V> =
  | { readonly kind: 'snapshot'; readonly time: number; readonly at: string; readonly obs: SnapshotObservation<V> }
  | {
      readonly kind: 'history';
      readonly time: number;
      readonly at: string;
      readonly eventId: string;
      readonly eventName: string;
      readonly record: Json | undefined;
    };

/** The last known value of `setting` before `trigger`, or why it is unknown (see the file comment). */
export function previousValue<V>(
  setting: Setting<V>,
  trigger: Trigger,
  history: HistoryPage,
  snapshots: readonly SnapshotObservation<V>[] = [],
): PreviousValue<V> {
  const before = timeOf(trigger.eventTime);
  if (Number.isNaN(before)) return { kind: 'unknown', reason: `the event time ${trigger.eventTime} is not a date` };
  const candidates: Candidate<V>[] = [
    ...snapshots.map((obs) => ({ kind: 'snapshot' as const, time: timeOf(obs.at), at: obs.at, obs })),
    ...history.events
      .filter((e) => e.eventId !== trigger.eventId && setting.eventNames.includes(e.eventName))
      .map((e) => {
        const record = historyRecord(e);
        return {
          kind: 'history' as const,
          time: timeOf(e.eventTime),
          at: e.eventTime,
          eventId: e.eventId,
          eventName: e.eventName,
          record: Object.keys(record).length > 0 ? record : undefined,
        };
      }),
  ]
    .filter((c) => c.time < before)
    .sort((a, b) => b.time - a.time);

  for (const c of candidates) {
    if (c.kind === 'snapshot') {
      return { kind: 'known', value: c.obs.value, at: c.at, evidence: `vigil's snapshot ${c.obs.source} at ${c.at}` };
    }
    const evidence = `${c.eventName} ${c.eventId} at ${c.at}`;
    if (c.record === undefined) {
      return { kind: 'unknown', reason: `${evidence} may have changed ${setting.name}, but its record is unreadable` };
    }
    const reading = setting.read(c.record, c.eventName);
    if (reading.kind === 'set') return { kind: 'known', value: reading.value, at: c.at, evidence };
    if (reading.kind === 'unreadable') {
      return { kind: 'unknown', reason: `${evidence} may have changed ${setting.name}: ${reading.why}` };
    }
  }
  return history.complete
    ? {
        kind: 'unknown',
        reason: `no call set ${setting.name} in CloudTrail's ${HISTORY_DAYS}-day event history before the event`,
      }
    : {
        kind: 'unknown',
        reason: `CloudTrail event history was read only in part (page cap) and its newest events do not set ${setting.name}`,
      };
}
