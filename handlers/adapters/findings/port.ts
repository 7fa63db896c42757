/**
 * The findings function's port (issue #15): a Security Hub sink and a Firehose sink behind the core
 * publisher, which retries with real time. The function's bundle carries both clients, pinned in
 * package.json: nothing comes from the SDK the Lambda runtime happens to provide. The producers (triage,
 * remediate, approve) hold the queue port of ./queue.ts instead, so their bundles carry neither client.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { type FindingsPort, type FindingsSink, findingsPublisher } from '../../core/findings/ports';
import type { RetryRuntime } from '../../core/retry';
import { systemRuntime } from '../http';
import type { FindingsSettings } from '../../functions/findings';
import { makeFirehoseSink } from './firehose';
import { makeSecurityHubSink } from './security-hub';

/** The clients the findings function exports with; tests pass mocked ones. */
export interface FindingsClients {
  readonly securityHub: (region: string) => SecurityHubClient;
  readonly firehose: () => FirehoseClient;
}

const SDK_CLIENTS: FindingsClients = {
  securityHub: (region) => new SecurityHubClient({ region }),
  firehose: () => new FirehoseClient({}),
};

/** The findings function's port; undefined when no destination is configured. */
export function makeFindingsPort(
  settings: FindingsSettings,
  clients: FindingsClients = SDK_CLIENTS,
  runtime: RetryRuntime = systemRuntime,
): FindingsPort | undefined {
  const sinks: FindingsSink[] = [];
  if (settings.securityHub) {
    sinks.push(makeSecurityHubSink(clients.securityHub(settings.securityHub.region), settings.securityHub));
  }
  if (settings.streamName) sinks.push(makeFirehoseSink(clients.firehose(), settings.streamName));
  if (sinks.length === 0) return undefined;
  return findingsPublisher(sinks, { runtime });
}
