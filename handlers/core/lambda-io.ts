/**
 * What every vigil function shares at its edge, kept pure: the SQS event shapes (the `aws-lambda` types
 * are not a dependency), the partial-batch runner, error descriptions for logs, and the structured JSON
 * log line. Adapters and entrypoints pass the real `write` (console.log); tests pass their own.
 */

/** The parts of an SQS record the handlers read. */
export interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
}

export interface SqsEvent {
  readonly Records: readonly SqsRecord[];
}

/** Partial batch response (ReportBatchItemFailures): only the listed messages are retried by SQS. */
export interface SqsBatchResponse {
  readonly batchItemFailures: Array<{ readonly itemIdentifier: string }>;
}

/** Whether an invocation payload is an SQS batch. */
export function isSqsEvent(input: unknown): input is SqsEvent {
  const records = (input as { Records?: unknown } | null)?.Records;
  return (
    Array.isArray(records) && records.every((r) => typeof r?.body === 'string' && typeof r?.messageId === 'string')
  );
}

/**
 * Runs `process` over a batch's records, at most `concurrency` at a time, and lists the records to
 * redeliver: those for which it returned false or threw (`onError` hears about the throws).
 */
export async function processBatch(
  event: SqsEvent | undefined,
  concurrency: number,
  process: (record: SqsRecord) => Promise<boolean>,
  onError: (record: SqsRecord, err: unknown) => void,
): Promise<SqsBatchResponse> {
  const records = Array.isArray(event?.Records) ? event.Records : [];
  const failures: Array<{ itemIdentifier: string }> = [];
  let next = 0;
  const worker = async () => {
    while (next < records.length) {
      const record = records[next++]!;
      let ok = false;
      try {
        ok = await process(record);
      } catch (err) {
        onError(record, err);
      }
      if (!ok) failures.push({ itemIdentifier: record.messageId });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, records.length)) }, worker));
  return { batchItemFailures: failures };
}

/** `Name: message` of an error (or the value), bounded to `max` characters for logs and reasons. */
export function describeError(err: unknown, max = 1000): string {
  const e = err as { name?: string; message?: string } | null;
  const text = e && typeof e === 'object' ? `${e.name ?? 'Error'}: ${e.message ?? ''}` : String(err);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Writes one JSON log line: `{level, message, service, ...fields}`. */
export type JsonLog = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** The structured logger of one function (`service` e.g. `vigil-triage`). */
export function makeJsonLog(service: string, write: (line: string) => void): JsonLog {
  return (level, message, fields = {}) => write(JSON.stringify({ level, message, service, ...fields }));
}
