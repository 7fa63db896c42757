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
