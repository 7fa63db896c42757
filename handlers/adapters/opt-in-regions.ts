/**
 * Which opt-in regions an account has enabled, from AWS Account Management (`ListRegions`), for the
 * coverage map's "region enabled but not covered" check (issue #11). The coverage function runs in the
 * security account, which the bootstrap stack registers as the delegated administrator of Account
 * Management; the organization needs trusted access for `account.amazonaws.com` (doctor checks it).
 *
 * - Statuses ENABLED and ENABLING count: a region being enabled is about to take traffic. Regions
 *   ENABLED_BY_DEFAULT are left out (they cannot be disabled; see `CoverageInput.optInRegions`).
 * - The caller's own account is asked without `AccountId` (the API requires that form for the caller's
 *   account); the management account cannot be asked by a delegated administrator at all, so the flow
 *   skips it (documented in docs/coverage.md).
 */
import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import type { OptInRegionReader } from '../core/flows/coverage-ports';

/** The statuses that make an opt-in region count as enabled. */
export const ENABLED_OPT_IN_STATUSES = ['ENABLED', 'ENABLING'] as const;

/** Reads opt-in regions through `client`; `selfAccountId` is the account the client's credentials belong to. */
export function makeOptInRegionReader(
  selfAccountId: string,
  client: Pick<AccountClient, 'send'> = new AccountClient({ region: 'us-east-1', maxAttempts: 5 }),
): OptInRegionReader {
  return {
    async list(accountId) {
      const regions: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = await client.send(
          new ListRegionsCommand({
            ...(accountId === selfAccountId ? {} : { AccountId: accountId }),
            RegionOptStatusContains: [...ENABLED_OPT_IN_STATUSES],
            MaxResults: 50,
            ...(NextToken ? { NextToken } : {}),
          }),
        );
        for (const r of page.Regions ?? []) {
          // The filter is the service's; checked again so a reply that ignores it cannot invent a gap.
          if (r.RegionName && (ENABLED_OPT_IN_STATUSES as readonly string[]).includes(r.RegionOptStatus ?? '')) {
            regions.push(r.RegionName);
          }
        }
        NextToken = page.NextToken;
      } while (NextToken);
      return [...new Set(regions)].sort();
    },
  };
}
