/**
 * The sweep function (issue #12, docs/sweep.md): SQS batches of S3 event notifications for the org trail's
 * objects in the log-archive bucket. Wires the adapters (S3 and CloudTrail readers, the ledger, and triage's own
 * dedupe store, notifier, digest store and remediation queue) to the sweep workflow
 * (handlers/core/flows/sweep-flow.ts), which runs the triage workflow in sweep mode.
 *
 * Delivery: partial batch failure (`ReportBatchItemFailures`); a deferred message (a finding inside the grace
 * period) has its visibility changed to the rest of the grace period, then is reported failed, so SQS shows it
 * again then. Owner tags are not read (the account's owner is used, as replay does): the sweep needs no role in
 * the member accounts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CATALOG } from '../../rules/catalog';
import { PREDICATES } from '../../rules/predicates';
import { makeDedupeStore } from '../adapters/dedupe-store';
import { makeDigestStore } from '../adapters/digest-store';
import { makeEmailPublisher } from '../adapters/email';
import { makeInventorySource, rebuiltPerInventory } from '../adapters/inventory-source';
import { builtOnFirstCall } from '../adapters/lambda-io';
import { makeNotifier } from '../adapters/notify';
import { makeSecretReader } from '../adapters/secrets';
import { makeSweepLedger } from '../adapters/sweep/ledger';
import { makeTrailObjects } from '../adapters/sweep/trail-objects';
import { createSweepFlow } from '../core/flows/sweep-flow';
import type { SqsBatchResponse, SqsEvent } from '../core/lambda-io';
import { compileCatalog } from '../core/sweep/catalog-runner';
import { makeTriageContext } from '../core/triage';
import { readSweepSettings } from '../functions/sweep/spec';

/** An SQS record as Lambda delivers it: the receipt handle is what ChangeMessageVisibility needs. */
interface SweepSqsEvent extends SqsEvent {
  readonly Records: ReadonlyArray<{
    readonly messageId: string;
    readonly body: string;
    readonly receiptHandle?: string;
  }>;
}

export function handlerFromEnvironment(env: Readonly<Record<string, string | undefined>>, dir: string) {
  const settings = readSweepSettings(env, dir);
  const t = settings.triage;
  const now = () => new Date();
  const dynamo = new DynamoDBClient({});
  const sqs = new SQSClient({});
  const catalog = compileCatalog(CATALOG, PREDICATES);
  const notifier = makeNotifier({ secrets: makeSecretReader(), publishEmail: makeEmailPublisher(), now });
  const store = makeDedupeStore(dynamo, t.tableName);
  const ledger = makeSweepLedger(dynamo, settings.ledgerTable, now);
  const objects = makeTrailObjects({ s3: new S3Client({}) });
  const inventories = makeInventorySource({ client: dynamo, tableName: t.inventoryTable });
  const receipts = new Map<string, string>();
  const build = rebuiltPerInventory(inventories, (inventory) =>
    createSweepFlow({
      triage: {
        context: makeTriageContext(inventory, CATALOG, PREDICATES, { repeatWindowSeconds: t.repeatWindowSeconds }),
        store,
        tags: { read: async () => ({ status: 'not-applicable' }) },
        notifier,
        routing: t.routing,
        now,
        eventDedupeSeconds: t.eventDedupeSeconds,
        leaseSeconds: t.leaseSeconds,
        ...(t.remediationQueueUrl ? { requestRemediation: remediationRequester(sqs, t.remediationQueueUrl) } : {}),
        ...(t.digestTableName ? { digest: makeDigestStore(dynamo, t.digestTableName) } : {}),
      },
      catalog,
      objects,
      ledger,
      layout: {
        organizationId: inventory.organizationId,
        managementAccountId: inventory.managementAccountId,
        ...(settings.trailKeyPrefix ? { prefix: settings.trailKeyPrefix } : {}),
      },
      graceSeconds: settings.graceSeconds,
      ledgerTtlSeconds: settings.ledgerTtlDays * 86_400,
      defer: async (messageId, delaySeconds) => {
        const handle = receipts.get(messageId);
        if (!handle) return;
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: settings.queueUrl,
            ReceiptHandle: handle,
            VisibilityTimeout: delaySeconds,
          }),
        );
      },
    }),
  );
  return async (event: SweepSqsEvent): Promise<SqsBatchResponse> => {
    for (const r of event?.Records ?? []) if (r.receiptHandle) receipts.set(r.messageId, r.receiptHandle);
    try {
      return await build(event);
    } finally {
      for (const r of event?.Records ?? []) receipts.delete(r.messageId);
    }
  };
}

function remediationRequester(client: SQSClient, queueUrl: string) {
  return async (work: unknown): Promise<void> => {
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(work) }));
  };
}

/** The Lambda handler; built on the first call, so importing this module has no side effects. */
export const handler: (event: SweepSqsEvent) => Promise<SqsBatchResponse> = builtOnFirstCall(() =>
  handlerFromEnvironment(process.env, __dirname),
);
