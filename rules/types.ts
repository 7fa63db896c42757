/**
 * The detection catalog's vocabulary. Detections are plain data: stacks derive forwarding and
 * routing rules from them, handlers derive routing and remediation, docs and tests derive the rest.
 */

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** How a detection's remediation runs: never, alert only, after a human approves, or at once. */
export type RemediationMode = 'off' | 'notify' | 'approve' | 'auto';

/** Remediation actions vigil implements; everything else in the catalog is notify-only. */
export type RemediationId =
  | 'revoke-world-open-ingress'
  | 'restore-bucket-public-access-block'
  | 'restore-account-public-access-block'
  | 'revert-policy-version'
  | 'detach-admin-policy'
  | 'restart-trail-logging'
  | 'restore-forwarding-rule'
  | 'cancel-key-deletion'
  | 'restart-config-recorder'
  | 'recreate-config-recorder-or-channel'
  | 'remove-public-bucket-policy-statements'
  | 'remove-public-bucket-acl-grants'
  | 'delete-admin-inline-policy'
  | 'remove-user-from-admin-group'
  | 'deactivate-access-key'
  | 'enable-disabled-key'
  | 'enable-guardduty-detector'
  | 'recreate-guardduty-detector'
  | 'restore-event-selectors'
  | 'restore-trail-settings'
  | 'delete-world-open-nacl-entry'
  | 'delete-login-profile'
  | 'remove-bus-policy-statement'
  | 'remove-foreign-launch-permissions'
  | 'remove-foreign-snapshot-permissions'
  | 'remove-foreign-db-snapshot-access';

/** An EventBridge event pattern (JSON). */
export type EventPattern = { readonly [key: string]: unknown };

/** The two CloudTrail detail-types vigil forwards. */
export const API_CALL = 'AWS API Call via CloudTrail';
/**
 * AWS documents `AWS Console Signin via CloudTrail`, many published patterns use `AWS Console Sign In
 * via CloudTrail`. Sign-in detections match on source + eventName instead of either spelling.
 */
export const CONSOLE_SIGNIN = 'AWS Console Signin via CloudTrail';

/**
 * GuardDuty publishes each finding (new, and again when updated) to the default bus of the detector's account
 * and region with this detail-type and source `aws.guardduty`; the detail is the GuardDuty `Finding` object
 * (camelCase: `id`, `type`, `severity`, `accountId`, `region`, `resource`, `service`, `updatedAt`; GuardDuty
 * API reference, Finding; User Guide, "Creating custom responses to GuardDuty findings with Amazon EventBridge").
 */
export const GUARDDUTY_FINDING = 'GuardDuty Finding';
export const GUARDDUTY_SOURCE = 'aws.guardduty';

export interface ComplianceRefs {
  /** CIS AWS Foundations Benchmark controls, e.g. `CIS 4.3 (v1.4+) / 3.3 (v1.2)`. */
  readonly cis?: readonly string[];
  /** AWS Security Hub controls, e.g. `CloudWatch.1`. */
  readonly securityHub?: readonly string[];
  readonly pciDss?: readonly string[];
  readonly soc2?: readonly string[];
  /** MITRE ATT&CK technique ids, e.g. `T1562.008`. */
  readonly mitre?: readonly string[];
}

/**
 * What the member accounts forward for a detection. Coarse on purpose: the precise test runs
 * centrally. `api` entries are merged per service across detections; `pattern` entries are for
 * detections that are not about specific API names (root activity, AccessDenied bursts).
 */
export type Forwarding =
  | {
      readonly kind: 'api';
      /** EventBridge source, e.g. `aws.cloudtrail` (stored, not derived). */
      readonly source: string;
      /** CloudTrail eventSource, e.g. `cloudtrail.amazonaws.com`. */
      readonly eventSource: string;
      readonly eventNames: readonly string[];
    }
  | {
      readonly kind: 'pattern';
      /** Stable key (kebab-case), becomes part of the member rule name. */
      readonly key: string;
      readonly pattern: EventPattern;
      /**
       * `global`: the pattern matches only global-service events (IAM, Organizations), recorded in us-east-1,
       * so its rule exists only there. @default 'regional' - a rule in every enabled region
       */
      readonly scope?: 'global' | 'regional';
    };

/**
 * What kind of finding a detection reports. The class decides delivery: every class but `change`
 * alerts in real time; `change` monitors (the CIS 4.x / CloudWatch.x "something changed" metric
 * filters) are information, always severity `info`, never raised for production accounts, and reach
 * their owners in the daily digest instead of a page.
 */
export type DetectionClass =
  /** Makes a resource reachable from the internet or from outside the organization. */
  | 'exposure'
  /** Grants administrator rights or a new way in (privilege escalation, persistence). */
  | 'privilege'
  /** Weakens or blinds a defence: logging, detection, guardrails, encryption, vigil itself. */
  | 'impairment'
  /** Suspicious use of credentials: the root user, sign-in without MFA, bursts of denied calls. */
  | 'access'
  /** A change monitor: something changed; information for the digest, not a finding. */
  | 'change'
  /**
   * vigil's own heartbeat (issue #11): a scheduled harmless call that proves the pipeline delivers from
   * its account and region. Always severity `info`; triage records it in the coverage table and never
   * alerts, digests or remediates it (a look-alike not made by the exact heartbeat role alerts as
   * `vigil-heartbeat-tampered`).
   */
  | 'heartbeat';

export const DETECTION_CLASSES: readonly DetectionClass[] = [
  'exposure',
  'privilege',
  'impairment',
  'access',
  'change',
  'heartbeat',
];

export interface Detection {
  /** Stable id used in alerts, suppressions, metrics and rule names. Never rename; retire and add. */
  readonly id: string;
  readonly title: string;
  /**
   * See {@link DetectionClass}. `change` and `heartbeat` detections have severity `info`, every other class
   * `medium` or above.
   */
  readonly class: DetectionClass;
  readonly severity: Severity;
  /** One or two sentences for the alert: why a human should care. */
  readonly rationale: string;
  readonly compliance: ComplianceRefs;
  readonly forward: Forwarding;
  /** The precise pattern of the central rule (one rule per detection). */
  readonly pattern: EventPattern;
  /**
   * Name of a predicate (in the handlers' core) for what a pattern cannot express, such as
   * correlated fields inside one array item. @default - the pattern alone decides
   */
  readonly predicate?: string;
  /** @default - notify only */
  readonly remediation?: { readonly action: RemediationId; readonly defaultMode: RemediationMode };
  /**
   * Why no remediation action is safe for this detection (shown in docs/detections.md); every high or critical
   * detection has either `remediation` or this. @default - none
   */
  readonly noRemediation?: string;
  /**
   * The events are read-only management events (or failed read-only calls), which EventBridge only
   * delivers to rules in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS. @default false
   */
  readonly readOnlyEvents?: boolean;
  /** The detection is about failed calls; others never alert on events with an errorCode. @default false */
  readonly aboutFailures?: boolean;
  /**
   * Broader detections this one makes redundant: when this detection alerts for an event, those do
   * not (e.g. `iam-admin-policy-attached` supersedes the CIS 4.4 catch-all `iam-policy-changed`), so
   * one change gives one alert while each CIS control still has its own rule. @default - none
   */
  readonly supersedes?: readonly string[];
  /**
   * Fold matching events into one alert instead of alerting on each: the alert fires once `threshold`
   * matching events that share the values at `groupBy` fall into one window of `windowSeconds`; later
   * matches in the same window join that alert. `threshold: 1` alerts on the first event and folds the rest.
   * @default - every matching event alerts on its own
   */
  readonly aggregate?: Aggregation;
}

/** How the triage handler folds a burst of matching events into one alert (see `Detection.aggregate`). */
export interface Aggregation {
  /** Length of the window, in seconds (triage counts in fixed windows aligned to the CloudTrail eventTime). */
  readonly windowSeconds: number;
  /** Number of matching events within the window that raises the alert (at least 1). */
  readonly threshold: number;
  /**
   * Dotted paths into the EventBridge event whose values form the group key, e.g. `account` or
   * `detail.userIdentity.arn`. Events missing a path share the group of the empty value.
   */
  readonly groupBy: readonly string[];
}
