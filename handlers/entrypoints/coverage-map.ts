/**
 * Coverage map widget Lambda (issue #11). Trigger: the KPI dashboard's custom widget, each time someone
 * views or refreshes it (CloudWatch invokes it with the viewer's credentials and a `widgetContext`).
 * Effect: reads the heartbeat cells, triage's sightings and the last committed state of the coverage table
 * and the account view, evaluates the map exactly as the coverage function does (same pure core), and
 * returns it as HTML: accounts × regions, the ones that need attention first. Read-only: DynamoDB Scan and
 * GetItem on the coverage table, GetItem/BatchGetItem on the inventory table; it sends nothing and writes
 * nothing, so viewing the dashboard can never change what the coverage function alerts on. Failure: the
 * widget shows the error (CloudWatch displays a failed invocation); nothing is retried or lost.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeCoverageStore } from '../adapters/coverage-store';
import { makeInventorySource } from '../adapters/inventory-source';
import { builtOnFirstCall } from '../adapters/lambda-io';
import { coverageInventoryFromView, evaluateCoverage } from '../core/coverage';
import { type CoverageStore, storedCoverageInputs } from '../core/flows/coverage-ports';
import { renderCoverageMapHtml } from '../core/format-coverage-html';
import type { HandlerInventory } from '../core/inventory-view';
import { readCoverageMapSettings } from '../functions/coverage/spec';

export interface CoverageMapDeps {
  readonly store: Pick<CoverageStore, 'cells' | 'load'>;
  readonly inventory: () => Promise<HandlerInventory>;
  readonly now: () => Date;
  readonly intervalMinutes: number;
}

/** Builds the widget handler over its ports. `maxRows` comes from the widget's params when set. */
export function createCoverageMap(deps: CoverageMapDeps): (event?: unknown) => Promise<string> {
  return async (event) => {
    const [cells, record, inventory] = await Promise.all([deps.store.cells(), deps.store.load(), deps.inventory()]);
    const result = evaluateCoverage({
      inventory: coverageInventoryFromView(inventory),
      ...storedCoverageInputs(cells, record),
      now: deps.now(),
      options: { intervalMinutes: deps.intervalMinutes },
    });
    const rows = (event as { maxRows?: unknown } | undefined)?.maxRows;
    return renderCoverageMapHtml(
      result,
      typeof rows === 'number' && Number.isInteger(rows) && rows > 0 ? rows : undefined,
    );
  };
}

/** The handler with real clients from the environment. */
export function coverageMapFromEnvironment(env: Readonly<Record<string, string | undefined>>) {
  const settings = readCoverageMapSettings(env);
  const dynamo = new DynamoDBClient({});
  const inventories = makeInventorySource({ client: dynamo, tableName: settings.inventoryTable });
  return createCoverageMap({
    store: makeCoverageStore(dynamo, settings.tableName),
    inventory: () => inventories.current(),
    now: () => new Date(),
    intervalMinutes: settings.intervalMinutes,
  });
}

export const handler: (event: unknown) => Promise<string> = builtOnFirstCall(
  (): ((event: unknown) => Promise<string>) => coverageMapFromEnvironment(process.env),
);
