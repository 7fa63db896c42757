/**
 * The stream sink of the findings port (handlers/core/findings/ports.ts): each record as one OCSF
 * Detection Finding JSON line (handlers/core/findings/ocsf.ts), PutRecordBatch to the findings delivery
 * stream (at most 500 records per call). Firehose answers per record: the failed ones are returned by
 * their index (Firehose's `ServiceUnavailableException` and internal errors are transient), so the
 * port retries only those.
 */
import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { FindingRecord } from '../../core/findings/finding';
import { ocsfJsonLine } from '../../core/findings/ocsf';
import type { FindingsSink, SinkRejection } from '../../core/findings/ports';

/** PutRecordBatch takes at most 500 records per request. */
export const PUT_BATCH = 500;

const TRANSIENT_CODE = /serviceunavailable|throttl|internal|limitexceeded/i;

export function makeFirehoseSink(client: FirehoseClient, streamName: string): FindingsSink {
  const encoder = new TextEncoder();
  return {
    name: 'firehose',
    async send(records: readonly FindingRecord[]): Promise<readonly SinkRejection[]> {
      const rejected: SinkRejection[] = [];
      for (let start = 0; start < records.length; start += PUT_BATCH) {
        const chunk = records.slice(start, start + PUT_BATCH);
        const out = await client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: streamName,
            Records: chunk.map((r) => ({ Data: encoder.encode(ocsfJsonLine(r)) })),
          }),
        );
        if (!out.FailedPutCount) continue;
        for (const [i, response] of (out.RequestResponses ?? []).entries()) {
          if (!response.ErrorCode) continue;
          rejected.push({
            index: start + i,
            transient: TRANSIENT_CODE.test(response.ErrorCode),
            error: `Firehose rejected the record: ${response.ErrorCode} ${response.ErrorMessage ?? ''}`.trim(),
          });
        }
      }
      return rejected;
    },
  };
}
