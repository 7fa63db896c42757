/**
 * Findings Lambda (issue #15). Trigger: the SQS event source mapping of the `<prefix>-findings.fifo` queue
 * (ReportBatchItemFailures), which triage, remediate and approve fill with finding records and lifecycle
 * updates (handlers/core/findings/queue-message.ts; group = finding id). Effect: imports new findings into
 * Security Hub (BatchImportFindings, ASFF) and updates their workflow (BatchUpdateFindings), and puts every
 * record on the findings stream as an OCSF Detection Finding line (PutRecordBatch), whichever of the two
 * config/alerting.json `findings` turns on. Retries throttling and server errors in place; what still fails
 * goes back to the queue (then the DLQ, alarmed). A malformed message is logged and never exported.
 * Side effects: those calls, one JSON log line per failure, one EMF line per batch.
 */
import { builtOnFirstCall } from '../adapters/lambda-io';
import { makeFindingsPort } from '../adapters/findings/port';
import { createFindingsFlow, type FifoSqsRecord } from '../core/flows/findings-flow';
import { makeJsonLogger, type SqsBatchResponse } from '../core/lambda-io';
import { readFindingsSettings } from '../functions/findings';

export { createFindingsFlow, type FindingsFlowDeps } from '../core/flows/findings-flow';

/** Builds the handler with real clients from the environment. @throws ConfigurationError */
export function handlerFromEnvironment(env: Readonly<Record<string, string | undefined>>) {
  // readFindingsSettings requires a destination, so there is a port.
  const port = makeFindingsPort(readFindingsSettings(env, 'findings'))!;
  return createFindingsFlow({ port, logger: makeJsonLogger('vigil-findings'), now: Date.now });
}

/** The Lambda handler, built on first invocation; a configuration error fails it and SQS keeps the messages. */
export const handler: (event: { readonly Records: readonly FifoSqsRecord[] }) => Promise<SqsBatchResponse> =
  builtOnFirstCall(() => handlerFromEnvironment(process.env));
