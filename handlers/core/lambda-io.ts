/**
 * What every Lambda of vigil shares about its input and output, as pure code: the SQS event shapes (the
 * `aws-lambda` types are not a dependency), the one `isRecord` guard, the structured JSON logger (one
 * line per record, written through an injectable function so tests capture it), the error text that
 * goes into a log line, and the bounded-concurrency loop over a batch. No SDK, no environment, no clock.
 */

/** The parts of an SQS record the handlers read. */
export interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
}

export interface SqsEvent {
  readonly Records: readonly SqsRecord[];
}

/** Partial batch response: only the listed messages are retried by SQS. */
export interface SqsBatchResponse {
  readonly batchItemFailures: Array<{ readonly itemIdentifier: string }>;
}

/** A plain object (not null, not an array): what JSON objects parse to. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Where log and EMF lines go: one call per line. */
export type WriteLine = (line: string) => void;

/** CloudWatch Logs picks up what a Lambda prints on stdout. */
export const consoleWrite: WriteLine = (line) => console.log(line);

export type LogLevel = 'info' | 'warn' | 'error';

/** The structured logger every handler uses: JSON lines `{level, message, service, ...fields}`. */
export interface JsonLogger {
  /** One log line. */
  readonly log: (level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>) => void;
  /** One line holding `record` as it is (an EMF metrics object, for instance). */
  readonly emit: (record: unknown) => void;
}

/**
 * A logger for one function. `service` names it in every line (e.g. `vigil-triage`), so a Logs Insights
 * query can tell the functions apart when their log groups are searched together.
 */
export function makeJsonLogger(service: string, write: WriteLine = consoleWrite): JsonLogger {
  return {
    log: (level, message, fields = {}) => write(JSON.stringify({ level, message, service, ...fields })),
    emit: (record) => write(JSON.stringify(record)),
  };
}

/** `Name: message` of an error for a log line, at most 1,000 characters. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 1000 ? `${text.slice(0, 999)}…` : text;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function inBatches<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
