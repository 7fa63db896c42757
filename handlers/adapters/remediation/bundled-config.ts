/**
 * The remediate function's bundled data files (alert routing, remediation config), read once when the
 * handler is built, and the config checked against the account view it is used with (the view comes
 * from the inventory table at run time, handlers/adapters/inventory-source.ts).
 */
import { assertValidRemediationConfig, type RemediationConfig } from '../../../config/remediation';
import type { HandlerInventory } from '../../core/inventory-view';
import type { RemediateSettings } from '../../functions/remediate/spec';
import { readJsonFile } from '../lambda-io';
import { type AlertDestinations, parseAlertDestinations } from './outcome-reporter';

export interface RemediateFiles {
  readonly destinations: AlertDestinations;
  /**
   * The validated config for a view, with `FORCE_DRY_RUN` and the kill switch parameter of the settings
   * applied. Exemptions and rollout rules must name accounts and OUs of that view.
   * @throws ConfigurationError naming the file and every problem in it
   */
  configFor(inventory: HandlerInventory): RemediationConfig;
}

/** @throws ConfigurationError naming the file when one is missing or not JSON */
export function readRemediateFiles(settings: RemediateSettings): RemediateFiles {
  const destinations = parseAlertDestinations(
    readJsonFile(settings.alertRoutingFile, 'the alert routing'),
    settings.alertRoutingFile,
  );
  const raw = readJsonFile(settings.configFile, 'the remediation config');
  return {
    destinations,
    configFor(inventory) {
      const validated = assertValidRemediationConfig(
        raw,
        { accountIds: Object.keys(inventory.accounts), ouIds: Object.keys(inventory.organizationalUnits) },
        settings.configFile,
      );
      return {
        ...validated,
        dryRun: validated.dryRun || settings.forceDryRun,
        killSwitchParameter: settings.killSwitchParameter ?? validated.killSwitchParameter,
      };
    },
  };
}
