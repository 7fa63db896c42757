/**
 * The findings settings shared by triage and remediate (issue #15): where findings go. The security
 * stack writes them with `findingsEnvironment` when config/findings.json enables a destination; both
 * functions read them with `readFindingsSettings`. Unset: no findings are exported.
 */
import type { SecurityHubTarget } from '../core/findings/asff';

/** The product ARN findings are imported under (the stack grants BatchImportFindings on it). */
export { productArn } from '../core/findings/asff';
import { type Env, SettingsReader } from './settings';

export const FINDINGS_ENV = {
  securityHubAccount: 'FINDINGS_SECURITY_HUB_ACCOUNT',
  securityHubRegion: 'FINDINGS_SECURITY_HUB_REGION',
  stream: 'FINDINGS_STREAM',
} as const;

export interface FindingsSettings {
  /** Import into Security Hub of this account and region. @default - not imported */
  readonly securityHub?: SecurityHubTarget;
  /** The Firehose delivery stream's name. @default - not streamed */
  readonly streamName?: string;
}

const E = FINDINGS_ENV;

export function findingsEnvironment(s: FindingsSettings): Record<string, string> {
  return {
    ...(s.securityHub
      ? { [E.securityHubAccount]: s.securityHub.accountId, [E.securityHubRegion]: s.securityHub.region }
      : {}),
    ...(s.streamName ? { [E.stream]: s.streamName } : {}),
  };
}

/** Reads the findings settings; every problem at once. @throws ConfigurationError */
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
  return r.done<FindingsSettings>({
    ...(account && region ? { securityHub: { accountId: account, region } } : {}),
    ...(stream ? { streamName: stream } : {}),
  });
}
