/**
 * Coverage Lambda. Trigger: an EventBridge schedule rule on the security account's default bus, every
 * heartbeat interval (default 5 minutes). Effect: scans the heartbeat cells of the coverage table
 * (triage writes one item per account × region × path), reads the account view from the inventory
 * table, evaluates the coverage map (healthy / late / silent / not deployed, with flapping suppression)
 * against the previous round's state, publishes the counts as EMF metrics (`CoverageHealthyCells`,
 * `CoverageSilentCells`, `CoverageLateCells`, `CoverageNotDeployedCells`, dimensionless and per
 * `Region`), and sends one message per transition: a newly silent or recovered cell to the account's
 * owner and the default route, one PagerDuty page (and later its resolve) when every cell is silent,
 * one message per account or region the inventory does not cover (accounts from heartbeats and triage's
 * sightings; opt-in regions from Account Management `ListRegions`, when OPT_IN_REGIONS_CALLER is set, at
 * most 25 accounts per run, cached 6 hours in the table). Side effects: DynamoDB Scan, GetItem
 * and (conditional) PutItem on the coverage table, account:ListRegions, GetItem/BatchGetItem on the inventory table, secret
 * reads, Slack posts, PagerDuty events, SNS publishes, JSON and EMF log lines. Idempotency and
 * failure: see handlers/core/flows/coverage-flow.ts (a lease per round, sent marks, state committed only
 * after every delivery); a failed delivery fails the invocation, Lambda retries it twice, then the
 * event goes to the coverage DLQ, and the next scheduled run tries the same round again.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeCoverageSender } from '../adapters/coverage-sender';
import { makeCoverageStore } from '../adapters/coverage-store';
import { makeEmailPublisher } from '../adapters/email';
import { makeInventorySource, rebuiltPerInventory } from '../adapters/inventory-source';
import { makeOptInRegionReader } from '../adapters/opt-in-regions';
import { builtOnFirstCall } from '../adapters/lambda-io';
import { makeSecretReader } from '../adapters/secrets';
import { type CoverageReport, createCoverageFlow } from '../core/flows/coverage-flow';
import { readCoverageSettings } from '../functions/coverage/spec';

export { readCoverageSettings, type CoverageSettings } from '../functions/coverage/spec';
export { createCoverageFlow, type CoverageFlowDeps, type CoverageReport } from '../core/flows/coverage-flow';

/** Builds the run with real clients from the environment; rebuilt when a deploy changes the account view. */
export function coverageFromEnvironment(env: Readonly<Record<string, string | undefined>>, dir: string) {
  const settings = readCoverageSettings(env, dir);
  const now = () => new Date();
  const dynamo = new DynamoDBClient({});
  const store = makeCoverageStore(dynamo, settings.tableName);
  const sender = makeCoverageSender({ secrets: makeSecretReader(), publishEmail: makeEmailPublisher(), now });
  const inventories = makeInventorySource({ client: dynamo, tableName: settings.inventoryTable });
  const optInReader = settings.optInRegionsCaller ? makeOptInRegionReader(settings.optInRegionsCaller) : undefined;
  return rebuiltPerInventory(inventories, (inventory) =>
    createCoverageFlow({
      store,
      sender,
      inventory,
      routing: settings.routing,
      now,
      options: { intervalMinutes: settings.intervalMinutes },
      leaseSeconds: settings.leaseSeconds,
      ...(optInReader
        ? {
            optInRegions: {
              reader: optInReader,
              // A delegated administrator cannot ask about the management account (docs/coverage.md).
              skip:
                inventory.managementAccountId === settings.optInRegionsCaller ? [] : [inventory.managementAccountId],
            },
          }
        : {}),
    }),
  );
}

/** The Lambda handler. Built on first invocation, so tests can import the module without an environment. */
export const handler: (event: unknown) => Promise<CoverageReport> = builtOnFirstCall(
  (): ((event: unknown) => Promise<CoverageReport>) => coverageFromEnvironment(process.env, __dirname),
);
