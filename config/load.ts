import { readFileSync } from 'node:fs';
import { type AlertingConfig, alertingProblems } from './alerting';
import { InventoryError, type InventoryProblem, inventoryProblems, type OrgInventory } from './inventory';
import { type RemediationConfig, remediationConfigProblems } from './remediation';
import { tfcBackendProblems } from './tfc';

/** The inventory's problems, the Terraform Cloud settings' included (config/tfc.ts says why they live there). */
const allInventoryProblems = (raw: unknown): InventoryProblem[] => [
  ...inventoryProblems(raw),
  ...tfcBackendProblems(raw),
];

/** Everything synth reads from `config/`. */
export interface VigilConfig {
  readonly inventory: OrgInventory;
  readonly alerting: AlertingConfig;
  readonly remediation: RemediationConfig;
}

export interface ConfigFiles {
  /** @default process.env.VIGIL_INVENTORY ?? 'config/org.json' */
  readonly inventory?: string;
  /** @default process.env.VIGIL_ALERTING ?? 'config/alerting.json' */
  readonly alerting?: string;
  /** @default process.env.VIGIL_REMEDIATION ?? 'config/remediation.json' */
  readonly remediation?: string;
}

type Parsed = { raw?: unknown; problems: InventoryProblem[] };

function readJson(file: string, envVar: string): Parsed {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      problems: [
        {
          path: '(file)',
          message: `cannot read it (${(err as Error).message}); run from the project root or set ${envVar}`,
        },
      ],
    };
  }
  try {
    return { raw: JSON.parse(text), problems: [] };
  } catch (err) {
    return { problems: [{ path: '(file)', message: `is not valid JSON: ${(err as Error).message}` }] };
  }
}

/** Reads and validates an inventory file; every problem (including unreadable JSON) is an InventoryError. */
export function loadInventory(file: string): OrgInventory {
  const { raw, problems } = readJson(file, 'VIGIL_INVENTORY');
  const all = problems.length > 0 ? problems : allInventoryProblems(raw);
  if (all.length > 0) throw new InventoryError(file, all);
  return raw as OrgInventory;
}

/** Reads and validates an alerting config file; every problem (including unreadable JSON) is an InventoryError. */
export function loadAlerting(file: string): AlertingConfig {
  const { raw, problems } = readJson(file, 'VIGIL_ALERTING');
  const all = problems.length > 0 ? problems : alertingProblems(raw);
  if (all.length > 0) throw new InventoryError(file, all);
  return raw as AlertingConfig;
}

/**
 * Reads and validates every config file; a mistake anywhere stops synth with every problem of every
 * file listed (paths prefixed with the file name), before anything is written.
 */
export function loadConfig(files: ConfigFiles = {}, env: NodeJS.ProcessEnv = process.env): VigilConfig {
  const inventoryFile = files.inventory ?? env['VIGIL_INVENTORY'] ?? 'config/org.json';
  const alertingFile = files.alerting ?? env['VIGIL_ALERTING'] ?? 'config/alerting.json';
  const remediationFile = files.remediation ?? env['VIGIL_REMEDIATION'] ?? 'config/remediation.json';
  const inv = readJson(inventoryFile, 'VIGIL_INVENTORY');
  const alerting = readJson(alertingFile, 'VIGIL_ALERTING');
  const remediation = readJson(remediationFile, 'VIGIL_REMEDIATION');
  const inventoryProblemList = inv.problems.length > 0 ? inv.problems : allInventoryProblems(inv.raw);
  // Remediation config names accounts and OUs: check it against the inventory only once that is sound.
  const remediationProblemList =
    remediation.problems.length > 0
      ? remediation.problems
      : inventoryProblemList.length > 0
        ? []
        : remediationConfigProblems(remediation.raw, inv.raw as OrgInventory);
  const problems = [
    ...inventoryProblemList.map((p) => ({
      ...p,
      path: `${inventoryFile}: ${p.path}`,
    })),
    ...(alerting.problems.length > 0 ? alerting.problems : alertingProblems(alerting.raw)).map((p) => ({
      ...p,
      path: `${alertingFile}: ${p.path}`,
    })),
    ...remediationProblemList.map((p) => ({ ...p, path: `${remediationFile}: ${p.path}` })),
  ];
  if (problems.length > 0) throw new InventoryError('the configuration', problems);
  return {
    inventory: inv.raw as OrgInventory,
    alerting: alerting.raw as AlertingConfig,
    remediation: remediation.raw as RemediationConfig,
  };
}
