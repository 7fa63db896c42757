/**
 * Bundles one Lambda entrypoint with esbuild into a deterministic zip. One bundle per function,
 * tree-shaken, so each carries only the SDK clients it imports.
 *
 * The esbuild run itself is build/bundle-build.mjs: it needs esbuild plugins (to make the SDK's
 * schemas tree-shakable, among others; see that file), which only the asynchronous API supports, while
 * synth is synchronous. So it runs in a child process, once per entrypoint and process (memoized).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { zipSync } from './deterministic-zip';

export interface Bundle {
  /** Minified `index.js`. */
  readonly code: Buffer;
  /** The zip Lambda receives (index.js + extra files). */
  readonly zip: Buffer;
  /** Path of the zip on disk (content-addressed, so identical inputs give the same path). */
  readonly zipPath: string;
  /** Base64 SHA-256 of the zip, as Lambda's `source_code_hash` expects. */
  readonly sha256: string;
}

/** Node.js version the bundles target; keep in step with the Lambda runtime (nodejs22.x runs node20 code). */
export const BUNDLE_TARGET = 'node20';

/** The repository: esbuild resolves and names every file relative to it, so no machine path leaks in. */
const ROOT = resolve(__dirname, '..');
const BUILDER = join(__dirname, 'bundle-build.mjs');

const codeCache = new Map<string, Buffer>();

/** esbuild output of one entrypoint (memoized per process: synth bundles each function once). */
export function bundleCode(entry: string): Buffer {
  const path = resolve(entry);
  const cached = codeCache.get(path);
  if (cached) return cached;
  if (!existsSync(path)) {
    throw new Error(
      `handler entrypoint '${entry}' does not exist; every function needs handlers/entrypoints/<name>.ts`,
    );
  }
  const code = runBuilder(path);
  codeCache.set(path, code);
  return code;
}

/**
 * Minified bytes each package (or project directory) contributes to the bundle of `entry`, largest
 * first: what to look at when a bundle is over budget. Not memoized (benchmarks and diagnostics only).
 */
export function bundleComposition(entry: string): ReadonlyMap<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bundle-meta-'));
  try {
    const metafile = join(dir, 'meta.json');
    runBuilder(resolve(entry), metafile);
    const meta = JSON.parse(readFileSync(metafile, 'utf8')) as {
      outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
    };
    const sizes = new Map<string, number>();
    for (const output of Object.values(meta.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        const key = compositionKey(input);
        sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
      }
    }
    return new Map([...sizes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Groups a metafile input: `node_modules/@smithy/core/dist-es/submodules/serde/x.js` → `@smithy/core/serde`,
 * `rules/catalog/x.ts` → `rules/catalog`.
 */
function compositionKey(input: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)(?:\/dist-es\/submodules\/([^/]+))?/.exec(input);
  if (pkg) return pkg[2] ? `${pkg[1]}/${pkg[2]}` : pkg[1]!;
  const parts = input.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : input;
}

/**
 * Bundles every entry not bundled yet in one builder process, concurrently (esbuild runs the builds in
 * parallel), and keeps the results for {@link bundleCode}: synth calls this once with every function's
 * entrypoint before the stacks ask for them one by one. Same bytes as bundling them one at a time.
 * @throws Error naming every entry that failed
 */
export function prebundle(entries: readonly string[]): void {
  const paths = [...new Set(entries.map((e) => resolve(e)))].filter((p) => !codeCache.has(p));
  if (paths.length === 0) return;
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `handler entrypoints do not exist: ${missing.join(', ')}; every function needs handlers/entrypoints/<name>.ts`,
    );
  }
  const outDir = mkdtempSync(join(tmpdir(), 'vigil-prebundle-'));
  try {
    const request = { root: ROOT, target: BUNDLE_TARGET, entries: paths.map((p) => relative(ROOT, p)), outDir };
    const { NODE_OPTIONS: _ignored, ...env } = process.env;
    const run = spawnSync(process.execPath, [BUILDER], { cwd: ROOT, env, input: JSON.stringify(request) });
    if (run.error) throw new Error(`bundling: cannot run ${BUILDER}: ${run.error.message}`);
    if (run.status !== 0)
      throw new Error(`bundling failed (exit ${run.status ?? run.signal}):\n${run.stderr.toString('utf8').trim()}`);
    paths.forEach((p, i) => {
      const code = readFileSync(join(outDir, `${i}.js`));
      if (code.length === 0) throw new Error(`bundling '${p}': ${BUILDER} wrote an empty bundle`);
      codeCache.set(p, code);
    });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Runs bundle-build.mjs for one entry (absolute path) and returns the bundle. */
function runBuilder(path: string, metafile?: string): Buffer {
  const request = { root: ROOT, entry: relative(ROOT, path), target: BUNDLE_TARGET, ...(metafile ? { metafile } : {}) };
  // NODE_OPTIONS could carry the parent's loaders (tsx, a debugger); the builder is plain ESM and needs none.
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const run = spawnSync(process.execPath, [BUILDER], {
    cwd: ROOT,
    env,
    input: JSON.stringify(request),
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.error) throw new Error(`bundling '${path}': cannot run ${BUILDER}: ${run.error.message}`);
  if (run.status !== 0) {
    throw new Error(
      `bundling '${path}' failed (exit ${run.status ?? run.signal}):\n${run.stderr.toString('utf8').trim()}`,
    );
  }
  // A builder that exits 0 without output would otherwise ship an empty Lambda.
  if (run.stdout.length === 0) throw new Error(`bundling '${path}': ${BUILDER} wrote no bundle`);
  return run.stdout;
}

/** Bundles `entry` and zips it with `extraFiles` (name → content) next to `index.js`. */
export function bundleFunction(name: string, entry: string, extraFiles: Readonly<Record<string, string>> = {}): Bundle {
  const code = bundleCode(entry);
  const zip = zipSync([
    { name: 'index.js', data: code },
    ...Object.entries(extraFiles).map(([file, text]) => ({ name: file, data: Buffer.from(text, 'utf8') })),
  ]);
  const digest = createHash('sha256').update(zip);
  const sha256 = digest.copy().digest('base64');
  const dir = join(tmpdir(), 'vigil-assets', digest.digest('hex').slice(0, 32));
  mkdirSync(dir, { recursive: true });
  const zipPath = join(dir, `${name}.zip`);
  if (!existsSync(zipPath)) writeFileSync(zipPath, zip);
  return { code, zip, zipPath, sha256 };
}
