/**
 * Triage Lambda. Trigger: the SQS event source mapping of the `<prefix>-triage` queue, which the
 * central rules fill with `{"detectionId", "event"}` messages (ReportBatchItemFailures enabled).
 * Effect: for each message, validates the envelope and the event, confirms the detection (pattern,
 * predicate, loop guard, failed calls), enriches it (account, OU, environment, owner), raises
 * severity for prod, deduplicates, folds bursts, and notifies the owner's channels; change monitors
 * (severity `info`) are recorded in the digest table for the owner's daily digest instead (when
 * DIGEST_TABLE is set); vigil's heartbeats are recorded in the coverage table (COVERAGE_TABLE), never alerted. Side effects: DynamoDB writes to the dedupe and digest tables, STS
 * AssumeRole into `<prefix>-readonly` and Tagging API reads in member accounts, Slack / PagerDuty /
 * SNS deliveries, and one JSON log line plus one EMF metrics line per message. Idempotency: keyed
 * on detection + CloudTrail eventID with a two-phase record (claimed, then sent), so a redelivered
 * or doubly forwarded event alerts once, while a message whose notification failed is reported as a
 * batch item failure, retried by SQS (then moved to the DLQ) and, when retried, is not mistaken for
 * a duplicate. The remediation hand-off after the alert is retried in place; if it still fails, the
 * event is recorded `failed` with every channel marked delivered and the message is returned to the
 * queue, so the redelivery requests remediation again without sending the alert again. Invalid
 * messages are logged and acknowledged, never retried and never acted on.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { readOnlyRoleName } from '../../config/naming';
import { CATALOG } from '../../rules/catalog';
import { PREDICATES } from '../../rules/predicates';
import { makeDedupeStore } from '../adapters/dedupe-store';
import { makeDigestStore } from '../adapters/digest-store';
import { makeFindingsQueuePort } from '../adapters/findings/queue';
import { makeEmailPublisher } from '../adapters/email';
import { makeHeartbeatStore } from '../adapters/heartbeat-store';
import { makeSightingStore } from '../adapters/sighting-store';
import { makeInventorySource, rebuiltPerInventory } from '../adapters/inventory-source';
import { builtOnFirstCall } from '../adapters/lambda-io';
import { makeNotifier } from '../adapters/notify';
import { makeResourceTagsReader } from '../adapters/resource-tags';
import { makeSecretReader } from '../adapters/secrets';
import { createTriageFlow, type RemediationWork, type TriageFlowDeps } from '../core/flows/triage-flow';
import type { SqsBatchResponse, SqsEvent } from '../core/lambda-io';
import { makeTriageContext } from '../core/triage';
import { readTriageSettings } from '../functions/triage/spec';
import { readFindingsQueueUrl } from '../functions/findings';

export { readTriageSettings, type TriageSettings } from '../functions/triage/spec';
export type { SqsBatchResponse, SqsEvent, SqsRecord } from '../core/lambda-io';
export type { RemediationWork } from '../core/flows/triage-flow';

/** What the handler needs; `handler` builds them from the environment, tests pass their own. */
export type TriageHandlerDeps = TriageFlowDeps;

/** Builds the SQS batch handler (the workflow is handlers/core/flows/triage-flow.ts). */
export const createHandler = createTriageFlow;

/**
 * Builds the handler with real clients from the environment; the account view comes from the inventory
 * table and the handler is rebuilt when a deploy changes it (onboarding needs no new code).
 */
export function handlerFromEnvironment(env: Readonly<Record<string, string | undefined>>, dir: string) {
  const settings = readTriageSettings(env, dir);
  const now = () => new Date();
  const dynamo = new DynamoDBClient({});
  const sts = new STSClient({});
  const notifier = makeNotifier({ secrets: makeSecretReader(), publishEmail: makeEmailPublisher(), now });
  const store = makeDedupeStore(dynamo, settings.tableName);
  const inventories = makeInventorySource({ client: dynamo, tableName: settings.inventoryTable });
  // Outside the rebuild: the per-container write throttle outlives a new account view.
  const sqs = new SQSClient({});
  const findings = makeFindingsQueuePort(readFindingsQueueUrl(env, 'triage'), () => sqs);
  const sightings = settings.coverageTableName ? makeSightingStore(dynamo, settings.coverageTableName) : undefined;
  return rebuiltPerInventory(inventories, (inventory) =>
    createHandler({
      context: makeTriageContext(inventory, CATALOG, PREDICATES, { repeatWindowSeconds: settings.repeatWindowSeconds }),
      store,
      tags: makeResourceTagsReader({ roleName: readOnlyRoleName(inventory), sts }),
      notifier,
      routing: settings.routing,
      now,
      eventDedupeSeconds: settings.eventDedupeSeconds,
      leaseSeconds: settings.leaseSeconds,
      ...(settings.remediationQueueUrl
        ? { requestRemediation: makeRemediationRequester(settings.remediationQueueUrl, sqs) }
        : {}),
      // Change monitors (severity info) go to the owner's daily digest (entrypoints/digest.ts sends it).
      ...(settings.digestTableName ? { digest: makeDigestStore(dynamo, settings.digestTableName) } : {}),
      // vigil's heartbeats go to the coverage table (the coverage function reads them), never to an alert.
      ...(settings.coverageTableName ? { heartbeats: makeHeartbeatStore(dynamo, settings.coverageTableName) } : {}),
      // Events from accounts the view lacks are noted there too (the coverage map's "not in the inventory").
      ...(sightings ? { sightings } : {}),
      // Each alert's finding goes on the findings queue when findings are on (issue #15).
      ...(findings ? { findings } : {}),
    }),
  );
}

/** Sends remediation work to the remediate function's queue (SDK retries transient failures). */
export function makeRemediationRequester(queueUrl: string, client: SQSClient = new SQSClient({})) {
  return async (work: RemediationWork): Promise<void> => {
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(work) }));
  };
}

/**
 * The Lambda handler. Built on first invocation (not at import, so tests can import this module
 * without an environment); a configuration error fails the invocation, and SQS keeps the messages.
 */
export const handler: (event: SqsEvent) => Promise<SqsBatchResponse> = builtOnFirstCall(() =>
  handlerFromEnvironment(process.env, __dirname),
);
