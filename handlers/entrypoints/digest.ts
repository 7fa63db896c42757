/**
 * Daily digest Lambda. Trigger: an EventBridge schedule rule (cron, once a day at the configured UTC
 * hour); `{"day": "YYYY-MM-DD"}` as the event re-sends a given day by hand. Effect: reads the day before
 * the schedule's time from the digest table (change-monitor events that triage recorded instead of
 * alerting), groups them by owner and sends each owner one message (Slack and email through the
 * owner's routing, never PagerDuty) with counts per detection and account and sampled events with
 * CloudTrail links. Side effects: DynamoDB Query and conditional PutItem on the digest table, secret
 * reads, Slack posts, SNS publishes, JSON log lines. Idempotency: each channel of each owner's digest
 * is recorded as sent (a conditional write) right after it went out, and a run skips what is recorded,
 * so Lambda's retries and a second run send nothing twice; the function allows one run at a time.
 * When any owner's digest failed, the run throws after trying every owner: the function's error alarm
 * fires, Lambda retries the same event (same day) twice, then the event goes to the digest DLQ.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeDigestSender } from '../adapters/digest-sender';
import { makeDigestStore } from '../adapters/digest-store';
import { makeEmailPublisher } from '../adapters/email';
import { builtOnFirstCall } from '../adapters/lambda-io';
import { makeSecretReader } from '../adapters/secrets';
import { createDigestFlow, type DigestReport } from '../core/flows/digest-flow';
import { readDigestSettings } from '../functions/digest/spec';

export { readDigestSettings, type DigestSettings } from '../functions/digest/spec';
export { createDigestFlow, type DigestFlowDeps, type DigestReport } from '../core/flows/digest-flow';

/** Builds the run with real clients from the environment and the bundled owner routing. */
export function digestFromEnvironment(env: Readonly<Record<string, string | undefined>>, dir: string) {
  const settings = readDigestSettings(env, dir);
  return createDigestFlow({
    store: makeDigestStore(new DynamoDBClient({}), settings.tableName),
    sender: makeDigestSender({ secrets: makeSecretReader(), publishEmail: makeEmailPublisher() }),
    routing: settings.routing,
    dayOffset: settings.dayOffset,
    now: () => new Date(),
  });
}

/** The Lambda handler. Built on first invocation, so tests can import the module without an environment. */
export const handler: (event: unknown) => Promise<DigestReport> = builtOnFirstCall(
  (): ((event: unknown) => Promise<DigestReport>) => digestFromEnvironment(process.env, __dirname),
);
