/**
 * Responder verdicts as finding updates: a recorded verdict (handlers/core/verdict.ts) becomes
 * `confirmed`, `expected-change` or `false-positive` on its finding. Wraps the verdict recorder of the
 * approve function; the export never fails the click (logged instead).
 */
import type { Detection } from '../../../rules/types';
import type { VerdictRecord } from '../verdict';
import { findingUpdate, VERDICT_STATUS } from './finding';
import type { FindingsPort } from './ports';

export function recordingVerdictFindings(
  record: (verdict: VerdictRecord) => Promise<void>,
  findings: FindingsPort,
  detection: (id: string) => Pick<Detection, 'id' | 'title' | 'severity'> | undefined,
  log: (level: 'error', message: string, fields: Record<string, unknown>) => void,
): (verdict: VerdictRecord) => Promise<void> {
  return async (verdict) => {
    await record(verdict);
    const known = detection(verdict.detectionId);
    if (!known) return;
    const update = findingUpdate(
      { detection: known, accountId: verdict.accountId, eventId: verdict.eventId },
      VERDICT_STATUS[verdict.verdict],
      { at: verdict.at, actor: verdict.actor },
    );
    const outcome = await findings.publish([{ kind: 'update', update }]);
    if (!outcome.ok) {
      log('error', 'finding update not exported', {
        outcome: 'finding-export-failed',
        failures: outcome.failures,
        update,
      });
    }
  };
}
