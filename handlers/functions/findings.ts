/**
 * The findings settings (issue #15). The security stack writes them when config/alerting.json `findings`
 * enables a destination:
 *
 * - triage, remediate and approve get the findings queue's URL (`findingsQueueEnvironment`) and enqueue
 *   each finding and update there (`readFindingsQueueUrl`);
 * - the findings function gets the destinations (`findingsEnvironment`, `readFindingsSettings`).
 *
 * Unset: no findings are exported.
 */
import type { SecurityHubTarget } from '../core/findings/asff';

/** The product ARN findings are imported under (the stack grants BatchImportFindings on it). */
export { productArn } from '../core/findings/asff';
import { type Env, SettingsReader } from './settings';

export const FINDINGS_ENV = {
  queueUrl: 'FINDINGS_QUEUE_URL',
  securityHubAccount: 'FINDINGS_SECURITY_HUB_ACCOUNT',
  securityHubRegion: 'FINDINGS_SECURITY_HUB_REGION',
  stream: 'FINDINGS_STREAM',
} as const;

/** Where the findings function exports to. */
export interface FindingsSettings {
  /** Import into Security Hub of this account and region. @default - not imported */
  readonly securityHub?: SecurityHubTarget;
  /** The Firehose delivery stream's name. @default - not streamed */
  readonly streamName?: string;
}

const E = FINDINGS_ENV;

/** A FIFO queue's URL: `https://sqs.<region>.amazonaws.com/<account>/<name>.fifo`. */
const FIFO_QUEUE_URL = /^https:\/\/sqs\.[a-z0-9-]+\.amazonaws\.com\/\d{12}\/[A-Za-z0-9_-]{1,75}\.fifo$/;

export function findingsQueueEnvironment(queueUrl: string): Record<string, string> {
  return { [E.queueUrl]: queueUrl };
}

/** The findings queue of a producer (undefined: findings are off). @throws ConfigurationError */
export function readFindingsQueueUrl(env: Env, fn: string): string | undefined {
  const r = new SettingsReader(env, fn);
  const url = r.text(E.queueUrl);
  if (url !== undefined && !FIFO_QUEUE_URL.test(url)) {
    r.problem(
      `${E.queueUrl}: expected the URL of a FIFO queue (https://sqs.<region>.amazonaws.com/<account>/<name>.fifo), got '${url.slice(0, 80)}'`,
    );
  }
  return r.done(url);
}

export function findingsEnvironment(s: FindingsSettings): Record<string, string> {
  return {
    ...(s.securityHub
      ? { [E.securityHubAccount]: s.securityHub.accountId, [E.securityHubRegion]: s.securityHub.region }
      : {}),
    ...(s.streamName ? { [E.stream]: s.streamName } : {}),
  };
}

/** Reads the findings function's destinations (at least one); every problem at once. @throws ConfigurationError */
export function readFindingsSettings(env: Env, fn: string): FindingsSettings {
  const r = new SettingsReader(env, fn);
  const account = r.text(E.securityHubAccount);
  const region = r.text(E.securityHubRegion);
  if (account !== undefined && !/^\d{12}$/.test(account)) {
    r.problem(`${E.securityHubAccount}: expected a 12-digit account id, got '${account.slice(0, 20)}'`);
  }
  if ((account === undefined) !== (region === undefined)) {
    r.problem(`${E.securityHubAccount} and ${E.securityHubRegion}: set both (Security Hub import) or neither`);
  }
  const stream = r.text(E.stream);
  if (account === undefined && region === undefined && stream === undefined) {
    r.problem(
      `no destination: set ${E.securityHubAccount} and ${E.securityHubRegion}, or ${E.stream} (the security stack sets them from config/alerting.json \`findings\`)`,
    );
  }
  return r.done<FindingsSettings>({
    ...(account && region ? { securityHub: { accountId: account, region } } : {}),
    ...(stream ? { streamName: stream } : {}),
  });
}
