/**
 * Running the terraform binary: one child process per call, machine-readable output (`-json`)
 * parsed into diagnostics and change summaries, and a small pool that bounds how many run at once
 * (each AWS provider process takes ~600 MB and most of a core).
 */
import { spawn } from 'node:child_process';

/** Exit code and output of one terraform call. */
export interface TerraformRun {
  readonly args: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One diagnostic as terraform prints it with `-json` (validate and plan). */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail?: string;
  /** Resource address, when terraform names one. */
  readonly address?: string;
  readonly range?: { readonly filename: string; readonly start: { readonly line: number; readonly column: number } };
}

/** `terraform plan`'s change summary. */
export interface ChangeSummary {
  readonly add: number;
  readonly change: number;
  readonly remove: number;
  readonly import: number;
  /** `plan`, or `apply` / `destroy` for the summaries of those commands. */
  readonly operation?: string;
}

/** Runs `terraform <args>` in `cwd`; never rejects for a non-zero exit (the caller reads `code`). */
export function runTerraform(
  bin: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<TerraformRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        args,
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `\nterraform killed by ${signal}` : ''),
      }),
    );
  });
}

/** Diagnostics of `terraform validate -json` (one JSON document). */
export function validateDiagnostics(run: TerraformRun): Diagnostic[] {
  try {
    return (JSON.parse(run.stdout) as { diagnostics: Diagnostic[] }).diagnostics;
  } catch {
    return [failure(run)];
  }
}

/** Diagnostics and change summary of `terraform plan -json` (one JSON message per line). */
export function planMessages(run: TerraformRun): { diagnostics: Diagnostic[]; summary?: ChangeSummary } {
  const diagnostics: Diagnostic[] = [];
  let summary: ChangeSummary | undefined;
  for (const line of run.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const message = JSON.parse(line) as { type: string; diagnostic?: Diagnostic; changes?: ChangeSummary };
    if (message.type === 'diagnostic' && message.diagnostic) diagnostics.push(message.diagnostic);
    if (message.type === 'change_summary' && message.changes) summary = message.changes;
  }
  // A crash or a usage error prints no JSON diagnostic: keep the failure visible anyway.
  if (run.code !== 0 && !diagnostics.some((d) => d.severity === 'error')) diagnostics.push(failure(run));
  return summary ? { diagnostics, summary } : { diagnostics };
}

/** A failed terraform call as an error diagnostic, with what it printed. */
export function failure(run: TerraformRun): Diagnostic {
  const printed = (run.stderr || run.stdout).trim();
  return {
    severity: 'error',
    summary: `terraform ${run.args.join(' ')} exited with ${run.code}`,
    detail: printed.slice(-4000),
  };
}

/** Provider messages quote the offending value (a 4 KB event pattern): keep lines readable. */
const clip = (text: string, max = 400): string => (text.length > max ? `${text.slice(0, max)}…` : text);

/** One line per diagnostic: severity, summary, detail and where. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.address ?? (d.range ? `${d.range.filename}:${d.range.start.line}` : undefined);
  const detail = d.detail ? `: ${clip(d.detail.replace(/\s+/g, ' ').trim())}` : '';
  return `${d.severity}: ${clip(d.summary)}${detail}${where ? ` (${where})` : ''}`;
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results keep the input order.
 * Every item runs even when some reject; the first rejection is rethrown at the end.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length > 0) throw errors[0];
  return results;
}
