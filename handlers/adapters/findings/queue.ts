/**
 * The producers' findings port (issue #15), held by triage, remediate and approve: each record goes on the
 * findings FIFO queue (handlers/core/findings/queue-message.ts), one SendMessage per record in order,
 * retried with real time on throttling and server errors. A retried send cannot enqueue a record twice: the
 * deduplication id is the hash of the body. Only the SQS client, which these bundles already carry.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FindingRecord } from '../../core/findings/finding';
import { type FindingsPort, type FindingsSink, findingsPublisher } from '../../core/findings/ports';
import { findingMessage } from '../../core/findings/queue-message';
import type { RetryRuntime } from '../../core/retry';
import { systemRuntime } from '../http';

/** The sink that enqueues records on the findings queue, in order. Throws the SDK's error (the publisher retries). */
export function makeFindingsQueueSink(client: SQSClient, queueUrl: string): FindingsSink {
  return {
    name: 'findings-queue',
    async send(records: readonly FindingRecord[]) {
      // One at a time: a record is sent only after the one before it is on the queue, so a failure
      // never lets a later update of a finding overtake an earlier one.
      for (const record of records) {
        const message = findingMessage(record);
        await client.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: message.body,
            MessageGroupId: message.groupId,
            MessageDeduplicationId: message.deduplicationId,
          }),
        );
      }
      return [];
    },
  };
}

/** The producers' port: undefined when findings are off (no queue URL). */
export function makeFindingsQueuePort(
  queueUrl: string | undefined,
  client: () => SQSClient,
  runtime: RetryRuntime = systemRuntime,
): FindingsPort | undefined {
  if (queueUrl === undefined) return undefined;
  return findingsPublisher([makeFindingsQueueSink(client(), queueUrl)], { runtime });
}
