/**
 * The remediation pipeline's context as the deployed remediate function builds it, from the inventory and
 * remediation config files: what `npm run plan` and `npm run undo` decide with (one engine, handlers/core).
 */
import * as path from 'node:path';
import { loadInventory } from '../../config/load';
import { centralBusArn } from '../../config/naming';
import { loadRemediationConfig } from '../../config/remediation';
import { toHandlerInventory } from '../../handlers/core/inventory-view';
import { makeOrchestratorContext, type OrchestratorContext } from '../../handlers/core/remediation/orchestrate';
import { REMEDIATIONS } from '../../handlers/core/remediation/registry';
import { CATALOG } from '../../rules/catalog';
import { PREDICATES } from '../../rules/predicates';

/** @throws InventoryError (or the remediation config's error) naming the file and every problem */
export function loadRemediationContext(cwd: string, files: { inventory: string; config: string }): OrchestratorContext {
  const inventory = loadInventory(path.resolve(cwd, files.inventory));
  return makeOrchestratorContext({
    config: loadRemediationConfig(path.resolve(cwd, files.config), inventory),
    inventory: toHandlerInventory(inventory),
    catalog: CATALOG,
    predicates: PREDICATES,
    actions: REMEDIATIONS,
    naming: { centralBusArn: centralBusArn(inventory), deployRoleName: inventory.deployRoleName },
  });
}
