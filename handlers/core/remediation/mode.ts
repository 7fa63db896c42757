/**
 * Which mode a detection's remediation runs in for one account: the phased-rollout table of
 * `config/remediation.json` over the catalog's default. Pure: no SDK, no environment, no clock.
 */
import type { EnvironmentClass } from '../../../config/inventory';
import type { ModeRule, RemediationConfig } from '../../../config/remediation';
import type { Detection, RemediationMode } from '../../../rules/types';
import { findAccount, type HandlerInventory, ouChain } from '../inventory-view';

/** What the mode decision needs to know about the account the event happened in. */
export interface AccountFacts {
  readonly id: string;
  /** The account's OU first, then its parent, … up to (not including) the root. Empty under the root. */
  readonly ouChain: readonly string[];
  readonly environment: EnvironmentClass;
  /**
   * The management account without the inventory's `remediateManagementAccount` opt-in: vigil deploys
   * no remediation or undo role there (SCPs cannot protect them), so nothing may be planned. @default false
   */
  readonly unremediatedManagement?: boolean;
}

/**
 * Where a mode came from, most specific first; `management-account` is the rule that caps the mode in
 * the management account without the opt-in.
 */
export type ModeSource = 'account' | 'ou' | 'environment' | 'organization' | 'catalog' | 'management-account';

export interface ModeDecision {
  readonly mode: RemediationMode;
  /** One sentence for alerts, audit and `npm run plan`, naming the config entry that decided. */
  readonly reason: string;
  readonly source: ModeSource;
}

/**
 * The facts of an account from the handlers' inventory view (`toHandlerInventory`), or undefined when
 * the account is not in the inventory.
 */
export function accountFacts(inventory: HandlerInventory, accountId: string): AccountFacts | undefined {
  const account = findAccount(inventory, accountId);
  if (!account) return undefined;
  return {
    id: accountId,
    ouChain: ouChain(inventory, account.ouId).map((o) => o.id),
    environment: account.environment,
    ...(accountId === inventory.managementAccountId && !inventory.remediateManagementAccount
      ? { unremediatedManagement: true }
      : {}),
  };
}

interface Level {
  readonly source: ModeSource;
  readonly label: string;
  readonly applies: (rule: ModeRule) => boolean;
}

/**
 * Resolves the mode of `detection`'s remediation in `account`. The most specific entry wins:
 *
 *   account  >  OU (the account's own OU, then its parent, …)  >  environment class  >  organization-wide
 *   entry (no scope)  >  the catalog's `defaultMode`
 *
 * and at each level an entry that names the detection beats one that does not. Nearest OU beats a
 * farther OU even when only the farther one names the detection: the team closest to the account
 * decides for it. A detection without a remediation action is always `notify`, whatever the table
 * says (there is nothing to run); `off` turns remediation off for that scope, including the
 * "would have done" report.
 */
export function resolveMode(
  detection: Pick<Detection, 'id' | 'remediation'>,
  account: AccountFacts,
  config: Pick<RemediationConfig, 'modes'>,
): ModeDecision {
  const decision = configuredMode(detection, account, config);
  if (account.unremediatedManagement && weakerMode(decision.mode, 'notify') !== decision.mode) {
    return {
      mode: 'notify',
      source: 'management-account',
      reason:
        `notify: ${account.id} is the management account, where SCPs cannot protect vigil's roles, so vigil ` +
        `deploys no remediation role there (set remediateManagementAccount in config/org.json to opt in); ` +
        `the config would have chosen ${decision.reason}`,
    };
  }
  return decision;
}

/** The mode `config/remediation.json` and the catalog choose, before the management-account cap. */
function configuredMode(
  detection: Pick<Detection, 'id' | 'remediation'>,
  account: AccountFacts,
  config: Pick<RemediationConfig, 'modes'>,
): ModeDecision {
  if (!detection.remediation) {
    return { mode: 'notify', source: 'catalog', reason: `detection ${detection.id} has no remediation action` };
  }
  const levels: Level[] = [
    { source: 'account', label: `account ${account.id}`, applies: (r) => r.account === account.id },
    ...account.ouChain.map(
      (ou): Level => ({ source: 'ou', label: `OU ${ou}`, applies: (r) => r.ou !== undefined && r.ou === ou }),
    ),
    {
      source: 'environment',
      label: `environment ${account.environment}`,
      applies: (r) => r.environment === account.environment,
    },
    {
      source: 'organization',
      label: 'the organization-wide entry',
      applies: (r) => r.account === undefined && r.ou === undefined && r.environment === undefined,
    },
  ];
  for (const level of levels) {
    const here = config.modes.filter(level.applies);
    const scoped = here.find((r) => r.detections?.includes(detection.id));
    const unscoped = here.find((r) => r.detections === undefined);
    const rule = scoped ?? unscoped;
    if (rule) {
      const what = scoped ? `the ${detection.id} entry for ${level.label}` : `the entry for ${level.label}`;
      const note = rule.note ? ` (${rule.note})` : '';
      return {
        mode: rule.mode,
        source: level.source,
        reason: `${rule.mode} by ${what} in config/remediation.json${note}`,
      };
    }
  }
  const mode = detection.remediation.defaultMode;
  return { mode, source: 'catalog', reason: `${mode} by the catalog default of ${detection.id}` };
}

/** Modes weakest first; `weaker(a, b)` is the one that does less. */
const STRENGTH: Readonly<Record<RemediationMode, number>> = { off: 0, notify: 1, approve: 2, auto: 3 };

/** The weaker of two modes: safety rails only ever lower a mode, never raise it. */
export function weakerMode(a: RemediationMode, b: RemediationMode): RemediationMode {
  return STRENGTH[a] <= STRENGTH[b] ? a : b;
}
