/**
 * What the functions publish and read that infrastructure code must name the same way: the metric
 * namespace and names (the dashboard and alarms read them) and the items of the inventory table (the
 * account view triage, remediate and remediate-member read at run time). stacks/ and constructs/ import
 * these from here, never from handlers/core or handlers/adapters.
 */
import type { OrgInventory } from '../../config/inventory';
import {
  encodeInventoryView,
  type HandlerInventory,
  INVENTORY_HEAD_KEY,
  inventoryChunkKey,
  toHandlerInventory,
} from '../core/inventory-view';

export { INVENTORY_TTL_SECONDS } from '../core/inventory-view';
export {
  COVERAGE_METRICS,
  HEARTBEAT_LATENCY_METRIC,
  MALFORMED_APPROVAL_RECORDS_METRIC,
  METRIC_NAMESPACE,
  SWEEP_METRICS,
} from '../core/metrics';

/** One item of the inventory table, in DynamoDB JSON (what `aws_dynamodb_table_item.item` takes). */
export interface InventoryTableItem {
  /** Its partition key, unique in the table: a stable name for the Terraform resource. */
  readonly pk: string;
  readonly item: string;
}

/**
 * The items that hold `inv`'s handler view: the chunks of its JSON, then the head item naming them
 * (handlers/adapters/inventory-source.ts reads them back). The head must be written after the chunks.
 */
export function inventoryTableItems(inv: OrgInventory): { chunks: InventoryTableItem[]; head: InventoryTableItem } {
  return viewTableItems(toHandlerInventory(inv));
}

/** {@link inventoryTableItems} of a view. */
export function viewTableItems(view: HandlerInventory): { chunks: InventoryTableItem[]; head: InventoryTableItem } {
  const { sha256, chunks } = encodeInventoryView(view);
  return {
    chunks: chunks.map((body, i) => {
      const pk = inventoryChunkKey(sha256, i);
      return { pk, item: JSON.stringify({ pk: { S: pk }, body: { S: body } }) };
    }),
    head: {
      pk: INVENTORY_HEAD_KEY,
      item: JSON.stringify({
        pk: { S: INVENTORY_HEAD_KEY },
        sha256: { S: sha256 },
        chunks: { N: String(chunks.length) },
      }),
    },
  };
}
