/**
 * What the functions publish and bundle that infrastructure code must name the same way: the metric
 * namespace and names (the dashboard and alarms read them) and the bundled account view (the files
 * next to index.js). stacks/ and constructs/ import these from here, never from handlers/core.
 */
import type { OrgInventory } from '../../config/inventory';
import { toHandlerInventory } from '../core/inventory-view';

export { MALFORMED_APPROVAL_RECORDS_METRIC, METRIC_NAMESPACE } from '../core/metrics';

/** `inventory.json`, the account view triage, remediate and remediate-member read at run time. */
export function inventoryFile(inv: OrgInventory): string {
  return `${JSON.stringify(toHandlerInventory(inv))}\n`;
}
