import type { Decision, Escalation } from '../../../../handlers/core/remediation/orchestrate';
import {
  alertRemediationFor,
  formatRemediationPage,
  remediationMetrics,
} from '../../../../handlers/core/remediation/report';

const NOW = new Date('2026-11-28T12:00:00.000Z');
const decision = (changes: Partial<Decision> = {}): Decision => ({
  detectionId: 'cloudtrail-logging-stopped',
  eventId: 'evt-1',
  accountId: '110000000011',
  actionId: 'evt-1:restart-trail-logging',
  mode: 'auto',
  outcome: 'fixed',
  reason: 'start logging: logging',
  modeReasons: [],
  reads: [],
  calls: [],
  actor: 'vigil',
  automated: true,
  verifiedAt: NOW.toISOString(),
  escalated: false,
  ...changes,
});
const escalation = (changes: Partial<Escalation> = {}): Escalation => ({
  kind: 'failure',
  actionId: 'evt-1:restart-trail-logging',
  detectionId: 'cloudtrail-logging-stopped',
  accountId: '110000000011',
  summary: 'start logging on trail',
  reason: 'AccessDenied',
  ...changes,
});

describe('alertRemediationFor', () => {
  it.each([
    ['fixed', 'fixed'],
    ['failed', 'failed'],
    ['pending-approval', 'pending-approval'],
    ['dry-run', 'dry-run'],
    ['already-compliant', 'skipped'],
    ['refused', 'skipped'],
    ['notify-only', 'none'],
  ] as const)('shows %s as %s', (outcome, state) => {
    expect(alertRemediationFor(decision({ outcome }))).toEqual({
      mode: 'auto',
      state,
      detail: 'start logging: logging',
    });
  });
});

describe('formatRemediationPage', () => {
  it('pages a failure on its own incident, critical', () => {
    const page = formatRemediationPage(escalation(), 'routing-key', NOW);
    expect(page).toMatchObject({
      routing_key: 'routing-key',
      event_action: 'trigger',
      dedup_key: 'vigil/remediation/failure/evt-1:restart-trail-logging',
      payload: { severity: 'critical', summary: expect.stringMatching(/^Remediation failed: start logging on trail/) },
    });
  });

  it('folds breaker trips into one incident per account, or one for the organization', () => {
    const account = formatRemediationPage(escalation({ kind: 'circuit-breaker', breakerScope: 'account' }), 'k', NOW);
    const org = formatRemediationPage(escalation({ kind: 'circuit-breaker', breakerScope: 'organization' }), 'k', NOW);
    const other = formatRemediationPage(escalation({ kind: 'circuit-breaker', actionId: 'evt-2:x' }), 'k', NOW);
    expect(account.dedup_key).toBe('vigil/circuit-breaker/110000000011');
    expect(other.dedup_key).toBe(account.dedup_key);
    expect(org.dedup_key).toBe('vigil/circuit-breaker/organization');
    expect(account.payload.severity).toBe('error');
  });

  it('folds kill-switch read failures into one incident', () => {
    expect(formatRemediationPage(escalation({ kind: 'kill-switch-unreadable' }), 'k', NOW).dedup_key).toBe(
      'vigil/kill-switch-unreadable',
    );
  });
});

describe('remediationMetrics', () => {
  it('measures time to respond only for verified fixes, from the alert', () => {
    const fixed = remediationMetrics(decision(), {
      severity: 'critical',
      alertSentAt: '2026-11-28T11:58:00.000Z',
      now: NOW,
    });
    expect(fixed).toMatchObject({ TimeToRespondMs: 120_000, Automated: 1, Remediations: 1, Outcome: 'fixed' });
    const failed = remediationMetrics(decision({ outcome: 'failed', automated: false }), {
      severity: 'critical',
      alertSentAt: '2026-11-28T11:58:00.000Z',
      now: NOW,
    });
    expect(failed).toMatchObject({ Automated: 0, Outcome: 'failed' });
    expect(failed).not.toHaveProperty('TimeToRespondMs');
  });

  it('omits time to respond without a send time, and emits nothing for duplicates', () => {
    expect(remediationMetrics(decision(), { severity: 'critical', now: NOW })).not.toHaveProperty('TimeToRespondMs');
    expect(remediationMetrics(decision({ outcome: 'duplicate' }), { severity: 'critical', now: NOW })).toBeUndefined();
  });
});
