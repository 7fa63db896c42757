/** A finding built the way triage builds it: from the decision on a fixture event. */
import { parseTriageMessage } from '../../../../handlers/core/envelope';
import { buildFinding, type Finding } from '../../../../handlers/core/findings/finding';
import { type AlertDecision, triageMessage } from '../../../../handlers/core/triage';
import { DETECTION_OF, type FixtureName, loadTriageEvent, messageBody, triageContext } from '../../../fixtures/triage';

export function decisionOf(name: FixtureName): AlertDecision {
  const parsed = parseTriageMessage(messageBody(DETECTION_OF[name], loadTriageEvent(name)));
  if (!parsed.ok) throw new Error(parsed.reason);
  const decision = triageMessage(parsed.message, triageContext());
  if (decision.kind !== 'alert') throw new Error(`fixture ${name} does not alert`);
  return decision;
}

export const SENT_AT = Date.parse('2025-07-01T01:13:05Z');

export function sampleFinding(name: FixtureName = 'stop-logging-prod'): Finding {
  const decision = decisionOf(name);
  return buildFinding({
    ...decision,
    owner: 'payments-team',
    remediation: decision.detection.remediation ? 'requested' : undefined,
    sentAt: SENT_AT,
  });
}
