/**
 * The remediate function's bundled data files (inventory view, alert routing, remediation config),
 * read and validated once when the handler is built, with the settings' overrides applied.
 */
import { assertValidRemediationConfig, type RemediationConfig } from '../../../config/remediation';
import { type HandlerInventory, parseHandlerInventory } from '../../core/inventory-view';
import type { RemediateSettings } from '../../functions/remediate/spec';
import { readJsonFile } from '../lambda-io';
import { type AlertDestinations, parseAlertDestinations } from './outcome-reporter';

export interface RemediateFiles {
  readonly inventory: HandlerInventory;
  readonly destinations: AlertDestinations;
  /** The validated config, with `FORCE_DRY_RUN` and the kill switch parameter of the settings applied. */
  readonly config: RemediationConfig;
}

/** @throws ConfigurationError naming the file and every problem in it */
export function readRemediateFiles(settings: RemediateSettings): RemediateFiles {
  const inventory = parseHandlerInventory(
    readJsonFile(settings.inventoryFile, 'the inventory view'),
    settings.inventoryFile,
  );
  const destinations = parseAlertDestinations(
    readJsonFile(settings.alertRoutingFile, 'the alert routing'),
    settings.alertRoutingFile,
  );
  const validated = assertValidRemediationConfig(
    readJsonFile(settings.configFile, 'the remediation config'),
    { accountIds: Object.keys(inventory.accounts), ouIds: Object.keys(inventory.organizationalUnits) },
    settings.configFile,
  );
  const config: RemediationConfig = {
    ...validated,
    dryRun: validated.dryRun || settings.forceDryRun,
    killSwitchParameter: settings.killSwitchParameter ?? validated.killSwitchParameter,
  };
  return { inventory, destinations, config };
}
