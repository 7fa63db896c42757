/**
 * The coverage table (issue #11): the latest heartbeat of every account × region × path, written by
 * triage (handlers/adapters/heartbeat-store.ts, `pk = cell#<accountId>#<region>#<path>`), and the
 * coverage function's state (`pk = state`). Items expire (`expiresAt`) a month after their last write.
 */
import type { KmsKey } from '../../framework/aws';
import { tableNames } from '../../config/naming';
import { type SecurityContext, secureTable } from './context';

/** Creates the coverage table (on demand, security key, point-in-time recovery, deletion protection). */
export function coverageTable(ctx: SecurityContext, key: KmsKey) {
  return secureTable(ctx, key, 'coverage-table', {
    name: tableNames(ctx.inv).coverage,
    hashKey: 'pk',
    attribute: [{ name: 'pk', type: 'S' }],
    ttl: { attributeName: 'expiresAt', enabled: true },
  });
}
