import type { Alert } from '../alert';
import type { AlertRef } from './outcome';
import { type ApprovedWork, parseApprovedWork } from '../approval/request';
import type { RemediationEvent } from './types';

// ---------------------------------------------------------------------------------------------
// Inputs

/**
 * What remediate acts on: the detection that fired, the EventBridge event, and a reference to the alert
 * triage sent (the message on the remediation work queue, parsed).
 */
export interface RemediationRequest {
  readonly detectionId: string;
  readonly event: RemediationEvent;
  /** @default - no alert to update (e.g. `npm run plan`, a replay) */
  readonly alertRef?: AlertRef;
}

/** An approved request handed over by the approval flow (`ApprovedWork` of kind `execute`). */
export interface ApprovedExecution {
  readonly requestId: string;
  /** `slack:<id>`, `email:<address>` or `timeout-policy`. */
  readonly approver: string;
}

/** What triage sends: a request whose alert reference is complete (it just sent that alert). */
export interface RemediationWork {
  readonly detectionId: string;
  /** The EventBridge event as triage received it; remediate validates it again. */
  readonly event: unknown;
  readonly alertRef: AlertRef & { readonly sentAt: string; readonly alert: Alert };
}

/** The sender's side: the message triage puts on the remediation work queue. */
export function remediationWork(
  detectionId: string,
  event: unknown,
  alertRef: RemediationWork['alertRef'],
): RemediationWork {
  return { detectionId, event, alertRef };
}

/** Everything remediate may be given, classified. */
export type RemediateInput =
  | { readonly kind: 'request'; readonly request: RemediationRequest }
  | { readonly kind: 'approved'; readonly work: ApprovedWork }
  | { readonly kind: 'invalid'; readonly reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The receiver's side: approved work (`{kind, requestId, approver, responseUrl?}`, or the direct-invoke
 * form `{approvedRequestId, approver}`), or a remediation request (`{detectionId, event, alertRef?}`);
 * anything else is `invalid`, with the first problem found.
 */
export function parseRemediateInput(input: unknown): RemediateInput {
  if (!isObject(input)) return { kind: 'invalid', reason: 'expected a JSON object' };
  if (typeof input['approvedRequestId'] === 'string' || input['kind'] !== undefined) {
    const work = parseApprovedWork(
      JSON.stringify(
        typeof input['approvedRequestId'] === 'string'
          ? {
              kind: 'execute',
              requestId: input['approvedRequestId'],
              approver: input['approver'],
              ...(input['responseUrl'] === undefined ? {} : { responseUrl: input['responseUrl'] }),
            }
          : input,
      ),
    );
    return work
      ? { kind: 'approved', work }
      : { kind: 'invalid', reason: 'approved work needs {kind: "execute" | "undo", requestId, approver}' };
  }
  const problem = requestProblem(input);
  if (problem) return { kind: 'invalid', reason: `${problem}; expected {detectionId, event, alertRef?}` };
  const alertRef = input['alertRef'];
  return {
    kind: 'request',
    request: {
      detectionId: input['detectionId'] as string,
      event: input['event'] as RemediationEvent,
      ...(isObject(alertRef) ? { alertRef: alertRef as AlertRef } : {}),
    },
  };
}

function requestProblem(o: Record<string, unknown>): string | undefined {
  if (typeof o['detectionId'] !== 'string') return 'detectionId is not a string';
  const event = o['event'];
  if (!isObject(event)) return 'event is not an object';
  if (typeof event['id'] !== 'string') return 'event.id is not a string';
  if (typeof event['account'] !== 'string') return 'event.account is not a string';
  if (!isObject(event['detail'])) return 'event.detail is not an object';
  if (o['alertRef'] !== undefined && !isObject(o['alertRef'])) return 'alertRef is not an object';
  return undefined;
}

export type { AlertRef } from './outcome';
