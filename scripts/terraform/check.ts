/**
 * The offline Terraform check of synthesized stacks: copy each stack to a temporary folder, apply the
 * documented compatibility edits (compat.ts), then `terraform init` (from the mirror), `validate -json`,
 * `plan -json -out` and `show -json`. The temporary folders are always removed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyEdits,
  type CompatEdit,
  chooseProvider,
  compatEdits,
  globalResourcesWithRegion,
  type ProviderChoice,
  pinnedVersion,
  regionalResourcesWithoutRegion,
  type StackJson,
} from './compat';
import {
  type ChangeSummary,
  type Diagnostic,
  failure,
  formatDiagnostic,
  mapLimit,
  planMessages,
  runTerraform,
  validateDiagnostics,
} from './run';
import { type Toolchain, terraformEnv, writeCliConfig } from './toolchain';

/** Synthesized stack file name inside each `cdktf.out/stacks/<id>` folder. */
export const STACK_FILE = 'cdk.tf.json';

/** A diagnostic the check tolerates, and why. Errors are never tolerated. */
export interface AllowedDiagnostic {
  readonly summary: RegExp;
  /** Why it is harmless, for the reader of the check's output. */
  readonly reason: string;
}

/**
 * Warnings tolerated by the check. Empty: with provider 5.100.0 and 6.x, vigil's stacks validate and
 * plan without a single warning. Add an entry only with the reason (e.g. a deprecation in the mirrored
 * version that the pinned version has resolved) and the provider version it concerns.
 */
export const ALLOWED_DIAGNOSTICS: readonly AllowedDiagnostic[] = [];

/** Diagnostics that fail the check: every error, and every warning not in `allowed`. */
export function unexpectedDiagnostics(
  diagnostics: readonly Diagnostic[],
  allowed: readonly AllowedDiagnostic[] = ALLOWED_DIAGNOSTICS,
): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'error' || !allowed.some((a) => a.summary.test(d.summary)));
}

/** One synthesized stack to check. */
export interface StackSource {
  /** Org label, e.g. `example` (output and temp folder names). */
  readonly org: string;
  /** Stack id, e.g. `security`. */
  readonly id: string;
  /** The synthesized stack folder (`…/stacks/<id>`), with its assets. */
  readonly dir: string;
}

/** Planned change of one resource instance (`terraform show -json`'s `resource_changes`). */
export interface ResourceChange {
  readonly address: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  readonly index?: string | number;
  readonly change: {
    readonly actions: readonly string[];
    readonly after: Record<string, any> | null;
    readonly after_unknown: Record<string, any>;
  };
}

/** The parts of `terraform show -json <plan>` the checks read. */
export interface PlanJson {
  readonly format_version: string;
  readonly terraform_version: string;
  readonly resource_changes?: readonly ResourceChange[];
}

/** What the check found for one stack. */
export interface StackCheck {
  readonly source: StackSource;
  readonly provider: ProviderChoice;
  readonly edits: readonly CompatEdit[];
  /** The synthesized stack, as read before any edit. */
  readonly synthesized: StackJson;
  /** Placement problems found on the synthesized JSON before the edits (see compat.ts). */
  readonly placementProblems: readonly string[];
  readonly validate: readonly Diagnostic[];
  /** Absent when init or validate failed. */
  readonly plan?: {
    readonly diagnostics: readonly Diagnostic[];
    readonly summary?: ChangeSummary;
    readonly json?: PlanJson;
  };
  /** Everything that fails the check, one line each; empty when the stack passed. */
  readonly problems: readonly string[];
  readonly seconds: number;
}

export interface CheckOptions {
  readonly toolchain: Toolchain;
  /** Terraform processes at once. @default 2 (each provider process takes ~600 MB and a core) */
  readonly parallelism?: number;
  /** Stop after validate (no plan). @default false */
  readonly validateOnly?: boolean;
  /** @default ALLOWED_DIAGNOSTICS */
  readonly allowed?: readonly AllowedDiagnostic[];
  /** Parent of the temporary folder. @default os.tmpdir() */
  readonly tmpRoot?: string;
  /** Called when a stack is done (progress output). */
  readonly onStack?: (check: StackCheck) => void;
  /** Called for each stack the check cannot run offline (see `uncheckableReason`), which it leaves out. */
  readonly onSkip?: (source: StackSource, reason: string) => void;
}

/**
 * Why a synthesized stack cannot be checked offline, or undefined when it can: the mirror holds only
 * hashicorp/aws, so a stack that needs another provider (the `tfc` stack's hashicorp/tfe, synthesized
 * only with the Terraform Cloud backend) cannot even `init`. It is left out with this reason rather
 * than failing the check for a machine limit.
 */
export function uncheckableReason(stack: StackJson): string | undefined {
  const others = Object.entries(stack['terraform']?.['required_providers'] ?? {}).filter(([name]) => name !== 'aws');
  if (others.length === 0) return undefined;
  const named = others.map(([name, p]) => `${(p as { source?: string }).source ?? name}`).join(', ');
  return (
    `needs ${named}, which the offline provider mirror does not hold (it holds hashicorp/aws only); ` +
    'plan it on a connected machine with npm run deploy -- --plan --stacks <id>'
  );
}

/** Reads a synthesized stack file. */
export function readStack(dir: string): StackJson {
  return JSON.parse(readFileSync(join(dir, STACK_FILE), 'utf8'));
}

/** Copies a stack folder to `dest` and applies the edits for `mirrored`; returns the choice and edits. */
export function prepareStack(
  synthesized: StackJson,
  sourceDir: string,
  dest: string,
  mirrored: readonly string[],
): { provider: ProviderChoice; edits: CompatEdit[] } {
  const provider = chooseProvider(pinnedVersion(synthesized), mirrored);
  const edits = compatEdits(provider);
  cpSync(sourceDir, dest, { recursive: true });
  writeFileSync(join(dest, STACK_FILE), JSON.stringify(applyEdits(synthesized, edits, provider), null, 2));
  return { provider, edits };
}

/** Placement problems of a synthesized stack, phrased with the address. */
export function placementProblems(stack: StackJson): string[] {
  return [
    ...regionalResourcesWithoutRegion(stack).map(
      (a) => `${a}: regional resource without \`region\` in a stack that places resources per region`,
    ),
    ...globalResourcesWithRegion(stack).map((a) => `${a}: global-service resource with a \`region\` argument`),
  ];
}

/**
 * Checks every stack (init, validate, plan, show) with at most `parallelism` terraform processes,
 * in a temporary folder that is removed afterwards, whatever happens.
 */
export async function checkStacks(sources: readonly StackSource[], options: CheckOptions): Promise<StackCheck[]> {
  const work = mkdtempSync(join(options.tmpRoot ?? tmpdir(), 'vigil-tf-check-'));
  try {
    const env = terraformEnv(writeCliConfig(work, options.toolchain.pluginDir));
    const tf = (args: string[], cwd: string) => runTerraform(options.toolchain.terraform, args, cwd, env);
    // `init` links the provider from the shared plugin cache, which is not safe for concurrent use:
    // concurrent inits race on it even when it is warm ("failed to create directory … file exists"), and
    // an init running while another stack plans can leave that plan without its provider ("Required
    // plugins are not installed"). So every stack is prepared and initialized first, one at a time
    // (~2 s each); validate, plan and show then run in parallel.
    const prepared = [];
    for (const [i, source] of sources.entries()) {
      const started = Date.now();
      const synthesized = readStack(source.dir);
      const skip = uncheckableReason(synthesized);
      if (skip) {
        options.onSkip?.(source, skip);
        continue;
      }
      const dir = join(work, `${i}-${source.org}-${source.id}`);
      const { provider, edits } = prepareStack(synthesized, source.dir, dir, options.toolchain.mirrored);
      const placement = placementProblems(synthesized);
      const initRun = await tf(['init', '-input=false', '-no-color'], dir);
      const initSeconds = (Date.now() - started) / 1000;
      prepared.push({ source, initSeconds, synthesized, dir, provider, edits, placement, initRun });
    }
    return await mapLimit(
      prepared,
      options.parallelism ?? 2,
      async ({ source, initSeconds, synthesized, dir, provider, edits, placement, initRun }) => {
        const started = Date.now();
        let validate: Diagnostic[] = [];
        let plan: StackCheck['plan'];
        if (initRun.code !== 0) {
          validate = [failure(initRun)];
        } else {
          validate = validateDiagnostics(await tf(['validate', '-json', '-no-color'], dir));
          if (!options.validateOnly && !validate.some((d) => d.severity === 'error')) {
            const planned = planMessages(await tf(['plan', '-input=false', '-json', '-out=tfplan'], dir));
            let json: PlanJson | undefined;
            if (!planned.diagnostics.some((d) => d.severity === 'error')) {
              const shown = await tf(['show', '-json', 'tfplan'], dir);
              if (shown.code === 0) json = JSON.parse(shown.stdout) as PlanJson;
              else planned.diagnostics.push(failure(shown));
            }
            plan = json ? { ...planned, json } : planned;
          }
        }
        rmSync(dir, { recursive: true, force: true });
        const allowed = options.allowed ?? ALLOWED_DIAGNOSTICS;
        const problems = [
          ...placement,
          ...unexpectedDiagnostics(validate, allowed).map((d) => `validate: ${formatDiagnostic(d)}`),
          ...unexpectedDiagnostics(plan?.diagnostics ?? [], allowed).map((d) => `plan: ${formatDiagnostic(d)}`),
        ];
        const check: StackCheck = {
          source,
          provider,
          edits,
          synthesized,
          placementProblems: placement,
          validate,
          ...(plan ? { plan } : {}),
          problems,
          seconds: initSeconds + (Date.now() - started) / 1000,
        };
        options.onStack?.(check);
        return check;
      },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Instances of managed resources a plan creates, updates or replaces (data sources excluded). */
export function plannedResources(plan: PlanJson): ResourceChange[] {
  return (plan.resource_changes ?? []).filter((c) => c.mode === 'managed' && !c.change.actions.includes('no-op'));
}
