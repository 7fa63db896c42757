/**
 * The findings function's workflow (issue #15): a batch of the findings FIFO queue → Security Hub and the
 * findings stream, through the findings port. Pure: the port, the logger and the clock are given.
 *
 * - A message is read back with the shared contract (../findings/queue-message.ts). A malformed one is
 *   logged with every problem and reported as a batch item failure, never exported: SQS retries it until
 *   the dead-letter queue (alarmed) keeps it. It holds back nothing: it can never be exported, so the
 *   records after it in its group do not wait for it.
 * - The records of one group (one finding) are published together, in queue order; groups in parallel. A
 *   group whose export still fails after the port's retries is reported whole: SQS FIFO keeps its later
 *   messages back until the earlier ones are done, so an update never overtakes the import or an earlier
 *   update. After `maxReceiveCount` deliveries they go to the DLQ, in order, for a redrive.
 * - Destinations are idempotent for a repeat (Security Hub imports and updates by finding id); the stream
 *   is at least once, so a repeat delivery can write a line twice (docs/findings.md: the lake queries
 *   deduplicate on the finding id, status and time).
 */
import type { FindingRecord } from '../findings/finding';
import type { FindingsPort } from '../findings/ports';
import { parseFindingMessage, recordFindingId } from '../findings/queue-message';
import { type EmfObject, emfMetadata, UNKNOWN } from '../metrics';
import type { JsonLogger, SqsBatchResponse, SqsRecord } from '../lambda-io';

/** An SQS record of a FIFO queue: Lambda passes the message group in `attributes`. */
export interface FifoSqsRecord extends SqsRecord {
  readonly attributes?: { readonly MessageGroupId?: string };
}

export interface FindingsFlowDeps {
  readonly port: FindingsPort;
  readonly logger: JsonLogger;
  /** Epoch ms. */
  readonly now: () => number;
}

/**
 * Metrics of the findings function (namespace Vigil, no dimensions): records exported, records not exported
 * after the retries (returned to the queue), malformed messages (never exported; alarmed through the DLQ).
 */
export const FINDINGS_METRICS = {
  exported: 'FindingsExported',
  notExported: 'FindingsNotExported',
  malformed: 'MalformedFindingMessages',
} as const;

interface Item {
  readonly messageId: string;
  readonly record: FindingRecord;
}

export function createFindingsFlow(deps: FindingsFlowDeps) {
  const { port, logger } = deps;
  return async (event: { readonly Records: readonly FifoSqsRecord[] }): Promise<SqsBatchResponse> => {
    const failed = new Set<string>();
    const groups = new Map<string, Item[]>();
    let malformed = 0;
    for (const message of event.Records) {
      const parsed = parseFindingMessage(message.body);
      if (!parsed.ok) {
        malformed++;
        failed.add(message.messageId);
        logger.log('error', 'malformed finding message', {
          messageId: message.messageId,
          group: message.attributes?.MessageGroupId ?? UNKNOWN,
          problems: parsed.problems,
          outcome: 'not-exported',
        });
        continue;
      }
      const group = recordFindingId(parsed.record);
      groups.set(group, [...(groups.get(group) ?? []), { messageId: message.messageId, record: parsed.record }]);
    }

    let exported = 0;
    let notExported = 0;
    await Promise.all(
      [...groups.entries()].map(async ([group, items]) => {
        const outcome = await port.publish(items.map((i) => i.record));
        if (outcome.ok) {
          exported += items.length;
          return;
        }
        notExported += items.length;
        for (const item of items) failed.add(item.messageId);
        logger.log('error', 'findings not exported', {
          findingId: group,
          messageIds: items.map((i) => i.messageId),
          failures: outcome.failures,
          outcome: 'retry',
        });
      }),
    );
    logger.emit(findingsBatchRecord({ exported, notExported, malformed, timestamp: deps.now() }));
    return {
      batchItemFailures: event.Records.filter((r) => failed.has(r.messageId)).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    };
  };
}

/** The EMF object of one batch. */
export function findingsBatchRecord(input: {
  readonly exported: number;
  readonly notExported: number;
  readonly malformed: number;
  readonly timestamp: number;
}): EmfObject {
  const M = FINDINGS_METRICS;
  return {
    _aws: emfMetadata(
      input.timestamp,
      [[]],
      [M.exported, M.notExported, M.malformed].map((name) => [name, 'Count'] as const),
    ),
    DetectionId: UNKNOWN,
    Severity: UNKNOWN,
    [M.exported]: input.exported,
    [M.notExported]: input.notExported,
    [M.malformed]: input.malformed,
  };
}
