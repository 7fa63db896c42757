/**
 * What the triage workflow (handlers/core/flows/triage-flow.ts) does differently in sweep mode (the trail-log
 * sweep, handlers/core/flows/sweep-flow.ts), kept here so the workflow reads the same for both paths:
 * - an event the dedupe store already holds is confirmed (`SweepConfirmed`), or looked at again later while it is
 *   in flight;
 * - an event it did not hold is a late finding: its alert carries the late marker, and the gap (detection, account,
 *   region, eventTime → now) is logged and counted (`SweepLateFindings` by severity).
 */
import type { AlertLateness } from '../alert';
import type { JsonLogger } from '../lambda-io';
import { sweepFindingRecord } from '../metrics';
import type { AlertDecision } from '../triage';
import type { EventStatus, TriageOutcome } from './triage-ports';

interface Where {
  readonly dims: { readonly detectionId: string; readonly severity: string };
  readonly props: Readonly<Record<string, string>>;
  readonly facts: Readonly<Record<string, unknown>>;
}

export function sweepModeOf(o: { readonly logger: JsonLogger; readonly now: () => Date }) {
  const { logger, now } = o;
  return {
    /** The dedupe store already holds the event: true once confirmed, false (retry) while it is in flight. */
    seenBefore(
      status: EventStatus | 'unknown',
      w: Where & {
        readonly seen: (outcome: TriageOutcome['outcome'], more?: Partial<TriageOutcome>) => void;
      },
    ): boolean {
      if (status === 'pending') {
        // Real time (or another sweep) holds it in flight: look again later, its outcome decides.
        logger.log('info', 'in flight elsewhere; the sweep looks again later', { outcome: 'retry', ...w.facts });
        w.seen('retry', { reason: 'event pending' });
        return false;
      }
      logger.log('info', 'confirmed by sweep', { outcome: 'confirmed', status, ...w.facts });
      logger.emit(
        sweepFindingRecord({
          kind: 'confirmed',
          ...w.dims,
          timestamp: now().getTime(),
          properties: { ...w.props, status },
        }),
      );
      w.seen('confirmed', { reason: `event ${status}` });
      return true;
    },

    /** A finding real time missed: its alert's marker, and the record of its gap once handled. */
    late(decision: AlertDecision, w: Where) {
      const delaySeconds = () => Math.max(0, Math.floor((now().getTime() - decision.eventTimeMs) / 1000));
      return {
        marker: (): AlertLateness => ({ caughtBy: 'sweep', delaySeconds: delaySeconds() }),
        record: () => {
          const gap = {
            detectionId: decision.detection.id,
            account: decision.accountId,
            region: decision.event.awsRegion,
            eventTime: decision.event.eventTime,
            delaySeconds: delaySeconds(),
          };
          logger.log('warn', 'late finding: real time missed it, the sweep caught it', {
            outcome: 'late',
            ...gap,
            ...w.facts,
          });
          logger.emit(
            sweepFindingRecord({
              kind: 'late',
              ...w.dims,
              timestamp: now().getTime(),
              properties: { ...w.props, ...gap },
            }),
          );
        },
      };
    },
  };
}
