/**
 * The findings port of a function, from its settings (handlers/functions/findings.ts): a Security Hub
 * sink and a Firehose sink behind the core publisher, which retries with real time. Undefined when no
 * destination is configured.
 *
 * Bundle size: the two SDK clients are loaded lazily, on the first export, with a `require` esbuild
 * cannot follow, so they come from the SDK the Lambda Node.js runtime provides (`/var/runtime`) instead
 * of the bundle. Bundled, they would add ~110 KB to triage and remediate (over their 500 KB budget), and a
 * literal `import()` would bundle each client whole (~450 KB). Tests inject the pinned packages.
 */
import { type FindingsPort, type FindingsSink, findingsPublisher } from '../../core/findings/ports';
import type { FindingsSettings } from '../../functions/findings';
import { type FirehoseModule, makeFirehoseSink } from './firehose';
import { makeSecurityHubSink, type SecurityHubModule } from './security-hub';

/** Resolved at run time, from the runtime's SDK (the names are not literals, so esbuild leaves them). */
const RUNTIME_SDK = { securityHub: '@aws-sdk/client-securityhub', firehose: '@aws-sdk/client-firehose' };
const runtimeRequire = (name: string): unknown => require(name);

export interface FindingsSdk {
  readonly securityHub: () => SecurityHubModule;
  readonly firehose: () => FirehoseModule;
}

const RUNTIME: FindingsSdk = {
  securityHub: () => runtimeRequire(RUNTIME_SDK.securityHub) as SecurityHubModule,
  firehose: () => runtimeRequire(RUNTIME_SDK.firehose) as FirehoseModule,
};

export function makeFindingsPort(settings: FindingsSettings, sdk: FindingsSdk = RUNTIME): FindingsPort | undefined {
  const sinks: FindingsSink[] = [];
  if (settings.securityHub) sinks.push(makeSecurityHubSink(sdk.securityHub, settings.securityHub));
  if (settings.streamName) sinks.push(makeFirehoseSink(sdk.firehose, settings.streamName));
  if (sinks.length === 0) return undefined;
  return findingsPublisher(sinks, {
    runtime: {
      now: () => Date.now(),
      sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
      random: Math.random,
    },
  });
}
