/**
 * Error classes shared by the handlers. Each ends in `Error`, sets `name` (it survives bundling and
 * shows in logs) and passes `{ cause }` when it wraps another error. Keep this file a plain list of
 * classes without imports, so any layer can use it without pulling in anything else.
 */

/** What {@link DeliveryError} knows about a failed delivery. */
export interface DeliveryErrorDetails {
  /** Channel that failed: `slack`, `pagerduty` or `email`. */
  readonly channel: string;
  /** Retrying the same request cannot succeed (bad payload, unknown webhook, missing secret...). */
  readonly permanent: boolean;
  /** Requests made before giving up (0 when the request was never sent, e.g. no secret). */
  readonly attempts: number;
  /** Last HTTP status seen. @default - no HTTP response (timeout, network error, SDK error) */
  readonly status?: number;
}

/**
 * One channel did not accept an alert within the retries allowed. The message never contains the
 * webhook URL or routing key: both are secrets.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  readonly channel: string;
  readonly permanent: boolean;
  readonly attempts: number;
  readonly status: number | undefined;

  constructor(message: string, details: DeliveryErrorDetails, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.channel = details.channel;
    this.permanent = details.permanent;
    this.attempts = details.attempts;
    this.status = details.status;
  }
}

/**
 * An alert reached fewer channels than its routing asks for. Thrown so that the SQS message is not
 * deleted: the caller reports it as a batch item failure, SQS redelivers it, and after the queue's
 * `maxReceiveCount` it lands in the DLQ (nothing is dropped). `permanent` is true when no retry can
 * help (every failure is permanent, or no channel is configured): log it loudly, a human must fix
 * the routing or the secret, then redrive the DLQ.
 */
export class NotificationError extends Error {
  override readonly name = 'NotificationError';
  readonly permanent: boolean;
  /** The channels that failed, with their own reason and classification. */
  readonly failures: readonly DeliveryError[];
  /** Channels that did accept the alert; a retry may skip them to avoid duplicate posts. */
  readonly delivered: readonly string[];

  constructor(
    message: string,
    details: {
      readonly failures: readonly DeliveryError[];
      readonly delivered: readonly string[];
      readonly permanent: boolean;
    },
  ) {
    super(message, details.failures.length === 1 ? { cause: details.failures[0] } : undefined);
    this.failures = details.failures;
    this.delivered = details.delivered;
    this.permanent = details.permanent;
  }
}

/** A secret reference is malformed, or names something that is not a secret (e.g. a plain URL). */
export class SecretReferenceError extends Error {
  override readonly name = 'SecretReferenceError';
}

/** Reading a secret from Secrets Manager or SSM failed. */
export class SecretReadError extends Error {
  override readonly name = 'SecretReadError';
  /** The secret is missing, empty or not readable by this role: a retry will not help. */
  readonly permanent: boolean;

  constructor(message: string, details: { readonly permanent: boolean }, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.permanent = details.permanent;
  }
}

/**
 * A handler's configuration (environment variables, bundled data files such as the inventory view)
 * is missing or malformed. Raised when the handler is built, before any message is processed: no
 * retry can help, a deployment must fix it.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** Why an approval store write was refused; see {@link ApprovalConflictError}. */
export type ApprovalConflict = 'already-decided' | 'expired' | 'not-expired' | 'token-used' | 'not-found';

/**
 * An approval request is no longer in the state an operation needs: it was decided already (a second
 * click, a replayed request), it expired (or, for the timeout sweeper, has not expired yet), a signed
 * link's nonce was used before, or it does not exist. Raised by the approval store when its
 * conditional write fails; the approval endpoint answers 410.
 */
export class ApprovalConflictError extends Error {
  override readonly name = 'ApprovalConflictError';
  readonly requestId: string;
  /** What was found instead. */
  readonly conflict: ApprovalConflict;
  /** The request's status when the write was refused. @default - unknown (no item, or a nonce) */
  readonly currentStatus: string | undefined;
  /** Who decided it, when it was decided. @default - unknown */
  readonly decidedBy: string | undefined;

  constructor(
    message: string,
    details: {
      readonly requestId: string;
      readonly conflict: ApprovalConflict;
      readonly currentStatus?: string;
      readonly decidedBy?: string;
    },
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.requestId = details.requestId;
    this.conflict = details.conflict;
    this.currentStatus = details.currentStatus;
    this.decidedBy = details.decidedBy;
  }
}

/**
 * A run of the approval timeout sweeper could not settle some expired requests (they stay pending and
 * the next run retries them). Thrown at the end of the run so the invocation counts as an error.
 */
export class ApprovalSweepError extends Error {
  override readonly name = 'ApprovalSweepError';
  /** Ids of the requests that could not be settled. */
  readonly failed: readonly string[];

  constructor(message: string, details: { readonly failed: readonly string[] }) {
    super(message);
    this.failed = details.failed;
  }
}

/** Some owners' digests did not go out; thrown at the end of the run so the invocation fails and is retried. */
export class DigestRunError extends Error {
  override readonly name = 'DigestRunError';
  /** The owners (or owner and channel) whose digest did not go out. */
  readonly failed: readonly string[];

  constructor(message: string, failed: readonly string[]) {
    super(message);
    this.failed = failed;
  }
}

/**
 * A coverage run could not deliver every message of its round; thrown at the end of the run so the
 * invocation fails and is retried (the round's state is not committed, its sent marks are kept).
 */
export class CoverageRunError extends Error {
  override readonly name = 'CoverageRunError';
  /** The deliveries (`<message>@<recipient>#<channel>`) that failed. */
  readonly failed: readonly string[];

  constructor(message: string, failed: readonly string[]) {
    super(message);
    this.failed = failed;
  }
}

/** Where a remediation call went, for {@link RemediationCallError} and {@link RemediationStateError}. */
export interface RemediationCallDetails {
  readonly accountId: string;
  readonly region: string;
  /** Remediation service, e.g. `ec2`, `s3control`. */
  readonly service: string;
  /** API operation, e.g. `RevokeSecurityGroupIngress`. */
  readonly operation: string;
  /** AWS error code (the SDK error's `name`), e.g. `AccessDenied`, or vigil's own (`UnsupportedOperation`). */
  readonly code: string;
  /** Retrying the same call cannot succeed (denied, invalid, missing resource...): escalate to a human. */
  readonly permanent: boolean;
}

/**
 * Where a remediation call failed: the fields {@link RemediationCallError} and
 * {@link RemediationStateError} share. Not thrown itself.
 */
export abstract class RemediationCallFailure extends Error {
  readonly accountId: string;
  readonly region: string;
  readonly service: string;
  readonly operation: string;
  readonly code: string;
  readonly permanent: boolean;

  constructor(message: string, details: RemediationCallDetails, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.accountId = details.accountId;
    this.region = details.region;
    this.service = details.service;
    this.operation = details.operation;
    this.code = details.code;
    this.permanent = details.permanent;
  }
}

/**
 * A planned remediation call failed after the SDK's own retries (throttling and server faults are
 * retried there), or reported a partial failure (`FailedEntryCount`, `Return: false`). Calls before it
 * in the same plan were made; `completed` says which, so the orchestrator can report, verify and, if
 * needed, undo precisely.
 */
export class RemediationCallError extends RemediationCallFailure {
  override readonly name = 'RemediationCallError';
  /** Position of the failed call in the plan (0-based). */
  readonly index: number;
  /** The calls of the plan that did succeed before this one (operation names, in order). */
  readonly completed: readonly string[];

  constructor(
    message: string,
    details: RemediationCallDetails & { readonly index: number; readonly completed: readonly string[] },
    options?: { readonly cause?: unknown },
  ) {
    super(message, details, options);
    this.index = details.index;
    this.completed = details.completed;
  }
}

/** Re-reading the state of a remediation target failed (nothing was changed). */
export class RemediationStateError extends RemediationCallFailure {
  override readonly name = 'RemediationStateError';
}

/**
 * An audit record with the same action id and sort key exists already. Audit records are append-only
 * (handlers/adapters/remediation/audit.ts): nothing is ever overwritten, so the write is refused.
 */
export class AuditConflictError extends Error {
  override readonly name = 'AuditConflictError';
}

/**
 * The remediate-member function refused a request: unknown `op`, a malformed target or account id, a
 * call outside the executor's table. Nothing was read or changed, and the same request can never pass:
 * it is a bug or a version skew between remediate and remediate-member, so it is permanent.
 */
export class MemberRequestError extends Error {
  override readonly name = 'MemberRequestError';
  readonly permanent = true;
}

/**
 * Invoking the remediate-member function failed without a typed answer: the Invoke call itself failed
 * after the SDK's retries, the function failed unhandled (`FunctionError`: timeout, out of memory, an
 * untyped error) or answered something that is not the contract. Whether anything was changed is not
 * known; every remediation call is safe to repeat, so unhandled failures count as transient.
 */
export class MemberInvokeError extends Error {
  override readonly name = 'MemberInvokeError';
  /** The request's `op` (`read-state`, `execute`, `read-tags`). */
  readonly op: string;
  readonly permanent: boolean;
  /** Lambda's `FunctionError` (`Unhandled`), when the function failed. @default - the invoke itself failed */
  readonly functionError: string | undefined;

  constructor(
    message: string,
    details: { readonly op: string; readonly permanent: boolean; readonly functionError?: string },
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.op = details.op;
    this.permanent = details.permanent;
    this.functionError = details.functionError;
  }
}
