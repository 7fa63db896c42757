/**
 * Responder verdicts on alerts: every Slack alert carries three buttons (true positive, expected
 * change, false positive); a click reaches the approve function's URL (Slack's Interactivity Request
 * URL, signed by Slack like approval clicks), is recorded per detection, and counted in the `Verdicts`
 * metric (dimensions DetectionId and Verdict) that the KPI dashboard shows as precision per detection.
 * `npm run replay -- --verdicts <export>` reads the recorded verdicts back. Pure: types, the button
 * value's encoding and the EMF record.
 */
import { METRIC_NAMESPACE } from './metrics';

export const VERDICTS = ['true-positive', 'expected-change', 'false-positive'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** `action_id` of each verdict button. */
export const VERDICT_ACTIONS: Readonly<Record<Verdict, string>> = {
  'true-positive': 'vigil_verdict_true_positive',
  'expected-change': 'vigil_verdict_expected_change',
  'false-positive': 'vigil_verdict_false_positive',
};

/** Button labels, as responders read them. */
export const VERDICT_LABELS: Readonly<Record<Verdict, string>> = {
  'true-positive': 'True positive',
  'expected-change': 'Expected change',
  'false-positive': 'False positive',
};

/** `block_id` of the verdict buttons. */
export const VERDICT_BLOCK_ID = 'vigil_verdict';

/** What a verdict button names: the alert's detection, account and CloudTrail event. */
export interface VerdictSubject {
  readonly detectionId: string;
  readonly accountId: string;
  readonly eventId: string;
}

/** One responder's verdict on one alert. */
export interface VerdictRecord extends VerdictSubject {
  readonly verdict: Verdict;
  /** `slack:<user id>`. */
  readonly actor: string;
  /** ISO 8601. */
  readonly at: string;
}

const DETECTION_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const ACCOUNT_ID = /^\d{12}$/;
const EVENT_ID = /^[\w-]{1,128}$/;

/** The button `value` (Slack allows 2,000 characters; ids are short and space-free). */
export function verdictValue(s: VerdictSubject): string {
  return `${s.detectionId} ${s.accountId} ${s.eventId}`;
}

/** The subject of a button value, or undefined when it is not one vigil wrote. */
export function parseVerdictValue(value: unknown): VerdictSubject | undefined {
  if (typeof value !== 'string' || value.length > 256) return undefined;
  const [detectionId, accountId, eventId, ...rest] = value.split(' ');
  if (rest.length > 0 || !detectionId || !accountId || !eventId) return undefined;
  if (!DETECTION_ID.test(detectionId) || detectionId.length > 64) return undefined;
  if (!ACCOUNT_ID.test(accountId) || !EVENT_ID.test(eventId)) return undefined;
  return { detectionId, accountId, eventId };
}

/** The verdict a button's `action_id` stands for. */
export function verdictOfAction(actionId: unknown): Verdict | undefined {
  return VERDICTS.find((v) => VERDICT_ACTIONS[v] === actionId);
}

/** The EMF record counting one verdict (metric `Verdicts`, dimensions DetectionId and Verdict). */
export function verdictMetric(record: VerdictRecord, timestamp: number) {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['DetectionId', 'Verdict']],
          Metrics: [{ Name: 'Verdicts', Unit: 'Count' }],
        },
      ],
    },
    DetectionId: record.detectionId,
    Verdict: record.verdict,
    Verdicts: 1,
    eventId: record.eventId,
    accountId: record.accountId,
  };
}
