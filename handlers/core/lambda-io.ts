/**
 * What every Lambda of vigil shares about its input and output, as pure code: the SQS event and function
 * URL shapes (the `aws-lambda` types are not a dependency), the one `isRecord` guard, the structured JSON logger (one
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

/** The parts of a function URL request (payload format 2.0) the handler reads. */
export interface FunctionUrlEvent {
  readonly rawPath: string;
  /** Header names are lower-cased by Lambda. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  /** True when Lambda base64-encoded the body (binary or unrecognised content types). */
  readonly isBase64Encoded?: boolean;
  readonly requestContext: { readonly http: { readonly method: string; readonly sourceIp?: string } };
}

/** A function URL response. */
export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The body of a function URL request as text (decoded when Lambda base64-encoded it); undefined when over `maxBytes`. */
export function functionUrlBody(event: FunctionUrlEvent, maxBytes: number): string | undefined {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) return undefined;
  return bytes.toString('utf8');
}

/** A plain object (not null, not an array): what JSON objects parse to (one guard for rules and handlers). */
export { isRecord } from '../../rules/json';

/** Where log and EMF lines go: one call per line. */
export type WriteLine = (line: string) => void;

/** CloudWatch Logs picks up what a Lambda prints on stdout. */
export const consoleWrite: WriteLine = (line) => console.log(line);

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

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

/** `Name: message` of an error (or the value) for a log line or a reason, at most `max` characters. */
export function describeError(err: unknown, max = 1000): string {
  const e = err as { name?: string; message?: string } | null;
  const text = e && typeof e === 'object' ? `${e.name ?? 'Error'}: ${e.message ?? ''}` : String(err);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Writes one JSON log line `{level, message, service, ...fields}` (the `log` of {@link makeJsonLogger}). */
export type JsonLog = JsonLogger['log'];

/** Just the log function of {@link makeJsonLogger}. */
export const makeJsonLog = (service: string, write: WriteLine = consoleWrite): JsonLog =>
  makeJsonLogger(service, write).log;

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
  await inBatches(records, concurrency, async (record) => {
    let ok = false;
    try {
      ok = await process(record);
    } catch (err) {
      onError(record, err);
    }
    if (!ok) failures.push({ itemIdentifier: record.messageId });
  });
  return { batchItemFailures: failures };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function inBatches<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
