/**
 * The findings port: where triage and remediation hand finding records (./finding.ts). Behind it, one
 * sink per destination (handlers/adapters/findings-*.ts: Security Hub, the Firehose stream). Fail open:
 * a failed export never blocks an alert or a remediation; the flows are told what failed after the
 * retries and report it (triage returns the message to its queue, so it ends in the DLQ; remediation
 * logs it like a failed outcome report).
 */
import { describeError } from '../lambda-io';
import {
  type AttemptResult,
  classifySdkError,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  type RetryRuntime,
  runWithRetry,
  type SdkErrorShape,
} from '../retry';
import type { FindingRecord } from './finding';

/** Records a sink could not deliver in one call, by their index in the batch it was given. */
export interface SinkRejection {
  readonly index: number;
  /** A later call may succeed (throttled, internal error). */
  readonly transient: boolean;
  readonly error: string;
}

/**
 * One destination. `send` delivers the records it can and returns the ones it could not; it throws
 * when the call itself failed (an SDK error: the whole batch is retried).
 */
export interface FindingsSink {
  readonly name: string;
  send(records: readonly FindingRecord[]): Promise<readonly SinkRejection[]>;
}

/** What publishing a batch came to. */
export type FindingsOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Per sink that still failed: its name, the records lost there, and why. */
      readonly failures: ReadonlyArray<{
        readonly sink: string;
        readonly records: number;
        readonly permanent: boolean;
        readonly error: string;
      }>;
    };

/** What the flows call. Never throws. */
export interface FindingsPort {
  publish(records: readonly FindingRecord[]): Promise<FindingsOutcome>;
}

/**
 * The port over sinks: each sink gets the batch, its transient rejections and thrown throttling or
 * server errors are retried (only the records that failed) with the retry policy; sinks run in parallel.
 */
export function findingsPublisher(
  sinks: readonly FindingsSink[],
  retry: { readonly policy?: RetryPolicy; readonly runtime: RetryRuntime },
): FindingsPort {
  const policy = retry.policy ?? DEFAULT_RETRY_POLICY;
  const publishTo = async (sink: FindingsSink, records: readonly FindingRecord[]) => {
    let pending = records;
    let error = '';
    const outcome = await runWithRetry(
      async (): Promise<AttemptResult<void>> => {
        try {
          const rejected = await sink.send(pending);
          if (rejected.length === 0) return { ok: true, value: undefined };
          // Only the rejected records are sent again; one that can never succeed ends the sequence.
          const permanent = rejected.some((r) => !r.transient);
          error = rejected.map((r) => r.error).join('; ');
          pending = rejected.map((r) => pending[r.index]).filter((r): r is FindingRecord => r !== undefined);
          return { ok: false, failure: { kind: 'rejected', permanent, detail: error } };
        } catch (err) {
          error = describeError(err);
          const permanent = classifySdkError((err ?? {}) as SdkErrorShape) === 'permanent';
          return { ok: false, failure: { kind: 'rejected', permanent, detail: error } };
        }
      },
      policy,
      retry.runtime,
    );
    return outcome.ok
      ? undefined
      : {
          sink: sink.name,
          records: pending.length,
          permanent: outcome.permanent,
          error: `${error} (${outcome.reason})`,
        };
  };
  return {
    async publish(records) {
      if (records.length === 0 || sinks.length === 0) return { ok: true };
      const results = await Promise.all(
        sinks.map((sink) =>
          publishTo(sink, records).catch((err: unknown) => ({
            sink: sink.name,
            records: records.length,
            permanent: false,
            error: describeError(err),
          })),
        ),
      );
      const failures = results.filter((r) => r !== undefined);
      return failures.length === 0 ? { ok: true } : { ok: false, failures };
    },
  };
}
