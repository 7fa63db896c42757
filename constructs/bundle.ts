/**
 * Bundles one Lambda entrypoint with esbuild into a deterministic zip. One bundle per function,
 * tree-shaken, so each carries only the SDK clients it imports.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
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

const codeCache = new Map<string, Buffer>();

/** esbuild output of one entrypoint (memoized per process: synth bundles each function once). */
export function bundleCode(entry: string): Buffer {
  const cached = codeCache.get(entry);
  if (cached) return cached;
  if (!existsSync(entry)) {
    throw new Error(
      `handler entrypoint '${entry}' does not exist; every function needs handlers/entrypoints/<name>.ts`,
    );
  }
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'cjs',
    minify: true,
    // Prefer the SDK's ES modules: they tree-shake far better than its CommonJS builds.
    mainFields: ['module', 'main'],
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const code = Buffer.from(result.outputFiles[0]!.contents);
  codeCache.set(entry, code);
  return code;
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
