/**
 * Bundles one Lambda entrypoint with esbuild into a deterministic zip. One bundle per function,
 * tree-shaken, so each carries only the SDK clients it imports.
 *
 * The esbuild run itself is build/bundle-build.mjs: it needs esbuild plugins (to make the SDK's
 * schemas tree-shakable, among others; see that file), which only the asynchronous API supports, while
 * synth is synchronous. So it runs in a child process, once per entrypoint and process (memoized).
 *
 * Bundles are also cached on disk by content (issue #14: a second synth with unchanged code does not
 * rebuild): each cached bundle records the SHA-256 of every file esbuild read for it (its metafile
 * inputs, the project's and node_modules' alike) under a key made of the cache format, the builder script,
 * esbuild's version, the target, package-lock.json, tsconfig.json and the list of the project's source
 * files (a new file could change how an import resolves). A bundle is reused only when the key and every
 * input hash match and its own bytes hash to what was recorded; anything else rebuilds. The cache lives
 * in `node_modules/.cache/vigil-bundles` (gone with `npm ci`); `VIGIL_BUNDLE_CACHE=<dir>` moves it and
 * `VIGIL_BUNDLE_CACHE=off` turns it off. Next to each bundle the cache keeps it deflated for the zip (see
 * {@link deflatedBundle}).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { type Deflated, deflate, zipSync } from './deterministic-zip';

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

/** How the bundles of this process were obtained (tests and the synth summary read it). */
const stats = { built: 0, fromCache: 0 };

/** Bundles built by esbuild and bundles taken from the disk cache, in this process. */
export function bundleStats(): { readonly built: number; readonly fromCache: number } {
  return { ...stats };
}

/** Format of the cache's manifests; bump it when their meaning changes. */
const CACHE_FORMAT = 1;

/** Where cached bundles live, or undefined when the cache is off. Read on every call (tests switch it). */
function cacheDir(): string | undefined {
  const setting = process.env['VIGIL_BUNDLE_CACHE']?.trim();
  if (setting === 'off') return undefined;
  return setting ? resolve(setting) : join(ROOT, 'node_modules', '.cache', 'vigil-bundles');
}

const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * SHA-256 of each input file, for one synth's checks of the cache: the ten bundles share most of their inputs (the
 * SDK's core), so checking them all read ~14,000 files where ~4,400 differ. One map per `prebundle` or `bundleCode`
 * call, so a file that changes between two calls is read again.
 */
type InputHashes = Map<string, string>;
function inputHash(input: string, hashes: InputHashes): string {
  let hash = hashes.get(input);
  if (hash === undefined) {
    hash = sha256Hex(readFileSync(resolve(ROOT, input)));
    hashes.set(input, hash);
  }
  return hash;
}

/** Directories never read by a bundle (and large): left out of the source listing. */
const NOT_SOURCES = new Set(['node_modules', '.git', 'cdktf.out', 'coverage', '.vigil', '__tests__', 'docs']);

/** The project's source file names, sorted (not their contents: those are recorded per bundle). */
function sourceListing(dir = ROOT, prefix = ''): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (d.isDirectory()) {
      if (!NOT_SOURCES.has(d.name)) out.push(...sourceListing(join(dir, d.name), `${prefix}${d.name}/`));
    } else if (/\.(?:[cm]?[jt]s|json)$/.test(d.name)) {
      out.push(`${prefix}${d.name}`);
    }
  }
  return out.sort();
}

let environmentKeyMemo: string | undefined;

/** Everything besides a bundle's own inputs that can change its bytes. Computed once per process. */
function environmentKey(): string {
  if (environmentKeyMemo) return environmentKeyMemo;
  const read = (path: string) => (existsSync(path) ? readFileSync(path) : Buffer.alloc(0));
  const esbuildVersion = (
    JSON.parse(read(join(ROOT, 'node_modules', 'esbuild', 'package.json')).toString() || '{}') as {
      version?: string;
    }
  ).version;
  environmentKeyMemo = sha256Hex(
    JSON.stringify({
      format: CACHE_FORMAT,
      builder: sha256Hex(readFileSync(BUILDER)),
      esbuild: esbuildVersion ?? 'unknown',
      target: BUNDLE_TARGET,
      lock: sha256Hex(read(join(ROOT, 'package-lock.json'))),
      tsconfig: sha256Hex(read(join(ROOT, 'tsconfig.json'))),
      sources: sha256Hex(sourceListing().join('\n')),
    }),
  );
  return environmentKeyMemo;
}

interface CacheManifest {
  readonly format: typeof CACHE_FORMAT;
  readonly key: string;
  /** Input path (relative to the repository) → SHA-256 hex of its content when the bundle was built. */
  readonly inputs: Readonly<Record<string, string>>;
  /** SHA-256 hex of the bundle; its bytes are stored in `<code>.js`. */
  readonly code: string;
}

const manifestPath = (dir: string, path: string) => join(dir, `${sha256Hex(relative(ROOT, path))}.json`);

/** The manifest of `path` in `dir`, if there is a readable one. */
function readManifest(dir: string, path: string): CacheManifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(manifestPath(dir, path), 'utf8')) as CacheManifest;
    return typeof manifest.code === 'string' && /^[0-9a-f]{64}$/.test(manifest.code) ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `dir` is a test run's own cache whose every entry was checked against its inputs when the run started:
 * jest's global setup (`__tests__/global-setup.js`) runs {@link prebundle} and {@link predeflate} over every function
 * into the run's cache and then names that directory in `VIGIL_BUNDLE_CACHE_VERIFIED`. Sources do not change while
 * the tests run, and an entry written later in the run comes from a build of the same sources, so the test files use
 * its entries without hashing their ~4,400 inputs again, once per file (~5 s of a run's CPU), and its deflated bundles
 * without inflating them again for every zip (~2 s). The format, the build environment and the bundle's own hash are
 * still checked; any other directory (a test's own cache, the project's) is checked in full.
 */
function verifiedAtStart(dir: string): boolean {
  const verified = process.env['VIGIL_BUNDLE_CACHE_VERIFIED'];
  return verified !== undefined && verified !== '' && resolve(verified) === dir;
}

/** The cached bundle of `path` when it is still valid, else undefined. Never throws: a bad cache rebuilds. */
function fromDiskCache(path: string, hashes: InputHashes): Buffer | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  const manifest = readManifest(dir, path);
  if (!manifest) return undefined;
  try {
    if (manifest.format !== CACHE_FORMAT || manifest.key !== environmentKey()) return undefined;
    if (!verifiedAtStart(dir)) {
      for (const [input, hash] of Object.entries(manifest.inputs)) {
        if (inputHash(input, hashes) !== hash) return undefined;
      }
    }
    const code = readFileSync(join(dir, `${manifest.code}.js`));
    return sha256Hex(code) === manifest.code ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Write-then-rename: parallel synths (and test workers) never read half a file. */
function atomic(target: string, data: Buffer | string): void {
  const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, target);
}

/** Cache file name of a bundle deflated by this process's zlib. */
const deflatedName = (codeHash: string) => `${codeHash}.zlib-${process.versions.zlib}.deflate`;

/**
 * `code` deflated for its zip entry. Deflating a bundle at level 9 costs ~100 ms, and every synth process (and
 * every test file that builds a stack) zips the ten bundles, so the cache keeps each bundle's deflated bytes next to
 * it, named by the bundle's hash and the zlib version (the same zlib gives the same bytes, so the zip is the one
 * deflating now would give). A stored stream is used only when it inflates back to exactly `code`; otherwise, or
 * with the cache off, this deflates and stores (best effort).
 */
function deflatedBundle(code: Buffer): Deflated {
  const dir = cacheDir();
  if (!dir) return deflate(code);
  const file = join(dir, deflatedName(sha256Hex(code)));
  try {
    const compressed = readFileSync(file);
    if (verifiedAtStart(dir) || inflateRawSync(compressed).equals(code)) return { compressed, crc: crc32(code) >>> 0 };
  } catch {
    // Not stored yet, or unreadable: deflate below.
  }
  const fresh = deflate(code);
  try {
    mkdirSync(dir, { recursive: true });
    atomic(file, fresh.compressed);
  } catch {
    // A cache that cannot be written only costs the next process a deflate.
  }
  return fresh;
}

/** Records a freshly built bundle and the inputs esbuild read for it (its metafile). Best effort. */
function toDiskCache(path: string, code: Buffer, metafile: string, hashes: InputHashes): void {
  const dir = cacheDir();
  if (!dir) return;
  try {
    const meta = JSON.parse(readFileSync(metafile, 'utf8')) as { inputs: Record<string, unknown> };
    const inputs: Record<string, string> = {};
    for (const input of Object.keys(meta.inputs).sort()) {
      inputs[input] = inputHash(input, hashes);
    }
    mkdirSync(dir, { recursive: true });
    const codeHash = sha256Hex(code);
    const manifest: CacheManifest = { format: CACHE_FORMAT, key: environmentKey(), inputs, code: codeHash };
    const previous = readManifest(dir, path);
    atomic(join(dir, `${codeHash}.js`), code);
    atomic(manifestPath(dir, path), JSON.stringify(manifest));
    // The bundle this function's manifest named before is nobody's now (one manifest per entrypoint): without
    // this the cache grew by a bundle per function per code change. A reader that still held the old manifest
    // finds no code and rebuilds.
    if (previous && previous.code !== codeHash) {
      rmSync(join(dir, `${previous.code}.js`), { force: true });
      rmSync(join(dir, deflatedName(previous.code)), { force: true });
    }
  } catch {
    // A cache that cannot be written only costs the next synth a rebuild.
  }
}

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
  const onDisk = fromDiskCache(path, new Map());
  if (onDisk) {
    stats.fromCache++;
    codeCache.set(path, onDisk);
    return onDisk;
  }
  const dir = cacheDir() ? mkdtempSync(join(tmpdir(), 'vigil-bundle-')) : undefined;
  try {
    const metafile = dir ? join(dir, 'meta.json') : undefined;
    const code = runBuilder(path, metafile);
    stats.built++;
    if (metafile) toDiskCache(path, code, metafile, new Map());
    codeCache.set(path, code);
    return code;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
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

/** Every function's entrypoint (`<dir>/*.ts`, sorted): what synth bundles. */
export function functionEntrypoints(dir = join(ROOT, 'handlers', 'entrypoints')): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Bundles every entry not bundled yet in one builder process, concurrently (esbuild runs the builds in
 * parallel), and keeps the results for {@link bundleCode}: synth calls this once with every function's
 * entrypoint before the stacks ask for them one by one. Same bytes as bundling them one at a time.
 * @throws Error naming every entry that failed
 */
export function prebundle(entries: readonly string[]): void {
  const wanted = [...new Set(entries.map((e) => resolve(e)))].filter((p) => !codeCache.has(p));
  const missing = wanted.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `handler entrypoints do not exist: ${missing.join(', ')}; every function needs handlers/entrypoints/<name>.ts`,
    );
  }
  const checked: InputHashes = new Map();
  const paths = wanted.filter((p) => {
    const cached = fromDiskCache(p, checked);
    if (cached) {
      stats.fromCache++;
      codeCache.set(p, cached);
    }
    return !cached;
  });
  if (paths.length === 0) return;
  const outDir = mkdtempSync(join(tmpdir(), 'vigil-prebundle-'));
  try {
    const metafiles = cacheDir() !== undefined;
    const entries = paths.map((p) => relative(ROOT, p));
    const request = { root: ROOT, target: BUNDLE_TARGET, entries, outDir, ...(metafiles ? { metafiles } : {}) };
    const { NODE_OPTIONS: _ignored, ...env } = process.env;
    const run = spawnSync(process.execPath, [BUILDER], { cwd: ROOT, env, input: JSON.stringify(request) });
    if (run.error) throw new Error(`bundling: cannot run ${BUILDER}: ${run.error.message}`);
    if (run.status !== 0)
      throw new Error(`bundling failed (exit ${run.status ?? run.signal}):\n${run.stderr.toString('utf8').trim()}`);
    // Inputs are hashed again after the build (a file edited meanwhile is recorded as esbuild read it).
    const built: InputHashes = new Map();
    paths.forEach((p, i) => {
      const code = readFileSync(join(outDir, `${i}.js`));
      if (code.length === 0) throw new Error(`bundling '${p}': ${BUILDER} wrote an empty bundle`);
      stats.built++;
      if (metafiles) toDiskCache(p, code, join(outDir, `${i}.meta.json`), built);
      codeCache.set(p, code);
    });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/**
 * Makes sure the cache holds the bundle of each entry deflated for its zip, checked now (it inflates back to the
 * bundle's bytes) or written now: what jest's global setup runs after {@link prebundle}, before it names the run's
 * cache in `VIGIL_BUNDLE_CACHE_VERIFIED`.
 */
export function predeflate(entries: readonly string[]): void {
  for (const entry of entries) deflatedBundle(bundleCode(entry));
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
    { name: 'index.js', data: code, deflated: deflatedBundle(code) },
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
