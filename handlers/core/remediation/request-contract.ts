import type { Alert } from '../alert';
import type { RemediationEvent } from './types';

// ---------------------------------------------------------------------------------------------
// Inputs

/**
 * What the triage function sends (Lambda async invoke, `InvocationType: 'Event'`): the detection
 * that fired, the EventBridge event, and a reference to the alert it sent.
 */
export interface RemediationRequest {
  readonly detectionId: string;
  readonly event: RemediationEvent;
  /** @default - no alert to update (e.g. `npm run plan`, a replay) */
  readonly alertRef?: AlertRef;
}

/** The alert triage sent for this event, so the outcome can update it and MTTR can be measured. */
export interface AlertRef {
  /** When the alert was sent (ISO 8601): the start of TimeToRespondMs. @default - MTTR is not measured */
  readonly sentAt?: string;
  /** The alert as sent; the outcome is reported by re-sending it with a new remediation status. @default - none */
  readonly alert?: Alert;
  /**
   * The Slack message of the alert, when it was posted with a bot token (Web API): the outcome edits
   * it in place with `chat.update`. @default - the outcome is posted as a follow-up message
   */
  readonly slack?: { readonly channel: string; readonly ts: string };
}

/** An approved request handed over by the approval flow (`ApprovedWork` of kind `execute`). */
export interface ApprovedExecution {
  readonly requestId: string;
  /** `slack:<id>`, `email:<address>` or `timeout-policy`. */
  readonly approver: string;
}
