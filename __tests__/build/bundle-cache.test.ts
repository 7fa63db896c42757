/**
 * The bundles' disk cache (issue #14): a second synth with unchanged code does not run esbuild; any change
 * to an input, a damaged cache entry or the switch `VIGIL_BUNDLE_CACHE=off` rebuilds; cached bytes are the
 * bytes a build gives.
 */
import childProcess = require('node:child_process');
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import zlib = require('node:zlib');
import type * as bundleModule from '../../build/bundle';
import { zipSync } from '../../build/deterministic-zip';

/** A fresh copy of build/bundle.ts: nothing memoized, as in a new synth process. */
const fresh = (): typeof bundleModule => {
  let mod: typeof bundleModule | undefined;
  jest.isolateModules(() => {
    mod = require('../../build/bundle');
  });
  return mod!;
};

const runCache = process.env['VIGIL_BUNDLE_CACHE'];
/**
 * Every test starts from the same folder (`root`: entry.ts importing greeting.ts, nothing else) and an empty cache;
 * the folder is the same path in every test, so a cache built from it in one test is valid in another.
 */
let root: string;
let cache: string;
let entry: string;
/** A cache holding entry.ts's bundle as the sources are when a test starts (no deflated copy), built once. */
let built: string;
const startingSources = () => {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root);
  writeFileSync(join(root, 'greeting.ts'), "export const greeting = 'one';\n");
  writeFileSync(entry, "import { greeting } from './greeting';\nexport const handler = async () => greeting;\n");
};
beforeAll(() => {
  root = join(mkdtempSync(join(tmpdir(), 'bundle-cache-test-')), 'project');
  entry = join(root, 'entry.ts');
  built = join(dirname(root), 'built');
  startingSources();
  process.env['VIGIL_BUNDLE_CACHE'] = built;
  fresh().bundleCode(entry);
});
beforeEach(() => {
  startingSources();
  cache = join(root, 'cache');
  process.env['VIGIL_BUNDLE_CACHE'] = cache;
});
/**
 * Starts the test's cache with entry.ts already built (a copy of `built`): for the tests whose first bundle only sets
 * the scene, each builder run being a new node process with esbuild (~0.2 s).
 */
const cacheBuilt = () => cpSync(built, cache, { recursive: true });
afterEach(() => {
  if (runCache === undefined) delete process.env['VIGIL_BUNDLE_CACHE'];
  else process.env['VIGIL_BUNDLE_CACHE'] = runCache;
});

/** Bundles `entry` in a fresh module, counting builder processes. */
function synthOnce(how: 'bundleCode' | 'prebundle' = 'bundleCode') {
  const b = fresh();
  const spawn = jest.spyOn(childProcess, 'spawnSync');
  try {
    if (how === 'prebundle') b.prebundle([entry]);
    const code = b.bundleCode(entry);
    return { code, spawns: spawn.mock.calls.length, stats: b.bundleStats() };
  } finally {
    spawn.mockRestore();
  }
}

describe('the bundle cache', () => {
  it('builds once, then serves the same bytes to a new process without running the builder', () => {
    const first = synthOnce();
    expect(first).toMatchObject({ spawns: 1, stats: { built: 1, fromCache: 0 } });
    const second = synthOnce();
    expect(second).toMatchObject({ spawns: 0, stats: { built: 0, fromCache: 1 } });
    expect(second.code.equals(first.code)).toBe(true);
    // prebundle (what synth calls) uses the same cache.
    expect(synthOnce('prebundle')).toMatchObject({ spawns: 0, stats: { built: 0, fromCache: 1 } });
  });

  it('rebuilds when any file the bundle read changes, and caches the new bytes', () => {
    cacheBuilt();
    const first = synthOnce('prebundle');
    expect(first).toMatchObject({ spawns: 0, stats: { fromCache: 1 } });
    writeFileSync(join(root, 'greeting.ts'), "export const greeting = 'two';\n");
    const changed = synthOnce('prebundle');
    expect(changed).toMatchObject({ spawns: 1, stats: { built: 1, fromCache: 0 } });
    expect(changed.code.equals(first.code)).toBe(false);
    expect(changed.code.toString()).toContain('two');
    expect(synthOnce()).toMatchObject({ spawns: 0, stats: { fromCache: 1 } });
    // The old bytes are dropped with the manifest that named them: one bundle per function, however often it changed.
    expect(readdirSync(cache).filter((f) => f.endsWith('.js'))).toHaveLength(1);
  });

  it('sees an input change between two bundles of one process (input hashes are remembered only within one call)', () => {
    const other = join(root, 'other.ts');
    writeFileSync(
      other,
      "import { greeting } from './greeting';\nexport const handler = async () => `${greeting}!`;\n",
    );
    cacheBuilt();
    const cold = fresh();
    cold.bundleCode(entry);
    cold.bundleCode(other);
    // A new process: `entry` comes from the cache (reading greeting.ts), then greeting.ts changes before `other`.
    const b = fresh();
    expect(b.bundleCode(entry).toString()).toContain('one');
    writeFileSync(join(root, 'greeting.ts'), "export const greeting = 'three, longer';\n");
    const code = b.bundleCode(other);

    expect(b.bundleStats()).toEqual({ built: 1, fromCache: 1 });
    expect(code.toString()).toContain('three, longer');
  });

  it('rebuilds when the cached bytes were damaged, never serving them', () => {
    cacheBuilt();
    const first = synthOnce();
    const stored = readdirSync(cache).filter((f) => f.endsWith('.js'));
    expect(stored).toHaveLength(1);
    writeFileSync(join(cache, stored[0]!), 'module.exports = "tampered";');
    const again = synthOnce();
    expect(again).toMatchObject({ spawns: 1, stats: { built: 1, fromCache: 0 } });
    expect(again.code.equals(first.code)).toBe(true);
  });

  it('rebuilds when the manifest is unreadable', () => {
    cacheBuilt();
    for (const f of readdirSync(cache).filter((n) => n.endsWith('.json'))) writeFileSync(join(cache, f), '{');
    expect(synthOnce()).toMatchObject({ spawns: 1, stats: { built: 1 } });
  });

  it('is off with VIGIL_BUNDLE_CACHE=off: every process builds, nothing is written', () => {
    process.env['VIGIL_BUNDLE_CACHE'] = 'off';
    expect(synthOnce()).toMatchObject({ spawns: 1, stats: { built: 1 } });
    expect(synthOnce()).toMatchObject({ spawns: 1, stats: { built: 1 } });
    expect(existsSync(cache)).toBe(false);
  });

  it('records every input of a real function, node_modules included', () => {
    // The run's own cache (built by `npm run bundle`, or here when it is cold): a real function's manifest.
    process.env['VIGIL_BUNDLE_CACHE'] = runCache;
    fresh().bundleCode(join(__dirname, '..', '..', 'handlers', 'entrypoints', 'digest.ts'));
    const manifests = readdirSync(runCache!)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(runCache!, f), 'utf8')) as { inputs: Record<string, string> })
      .filter((m) => 'handlers/entrypoints/digest.ts' in m.inputs);
    expect(manifests).toHaveLength(1);
    const inputs = Object.keys(manifests[0]!.inputs);
    expect(inputs.some((i) => i.startsWith('node_modules/@aws-sdk/client-dynamodb/'))).toBe(true);
    expect(Object.values(manifests[0]!.inputs).every((hash) => /^[0-9a-f]{64}$/.test(hash))).toBe(true);
  });
});

/** Zips `entry`'s function in a fresh module, counting deflates and inflates. */
const zipOnce = () => {
  const b = fresh();
  const deflate = jest.spyOn(zlib, 'deflateRawSync');
  const inflate = jest.spyOn(zlib, 'inflateRawSync');
  try {
    const { code, zip } = b.bundleFunction('vigil-test', entry);
    return { code, zip, deflates: deflate.mock.calls.length, inflates: inflate.mock.calls.length };
  } finally {
    deflate.mockRestore();
    inflate.mockRestore();
  }
};
const stored = () => readdirSync(cache).filter((f) => f.endsWith('.deflate'));

describe('bundles deflated for their zip', () => {
  it('are kept with the bundle: a new process zips without deflating, into the bytes deflating gives', () => {
    cacheBuilt();
    const first = zipOnce();
    expect(first.deflates).toBe(1);
    expect(stored()).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.zlib-[\w.-]+\.deflate$/)]);
    const second = zipOnce();
    expect(second.deflates).toBe(0);
    expect(second.zip.equals(first.zip)).toBe(true);
    expect(first.zip.equals(zipSync([{ name: 'index.js', data: first.code }]))).toBe(true);

    // What is stored but does not inflate to the bundle is deflated again.
    for (const f of stored()) writeFileSync(join(cache, f), zlib.deflateRawSync(Buffer.from('something else')));
    const again = zipOnce();
    expect(again.deflates).toBe(1);
    expect(again.zip.equals(first.zip)).toBe(true);
    expect(zipOnce().deflates).toBe(0);
  });

  it("go with their bundle when it is replaced, and a run's cache starts with them", () => {
    cacheBuilt();
    const first = zipOnce();
    writeFileSync(join(root, 'greeting.ts'), "export const greeting = 'two';\n");
    const second = zipOnce();
    expect(second.deflates).toBe(1);
    expect(stored()).toEqual([
      expect.stringMatching(new RegExp(`^${createHash('sha256').update(second.code).digest('hex')}\\.`)),
    ]);
    expect(second.zip.equals(first.zip)).toBe(false);

    const { seed } = require('../global-setup') as { seed: (from: string, to: string) => number };
    const run = join(root, 'run');
    mkdirSync(run);
    expect(seed(cache, run)).toBe(1);
    process.env['VIGIL_BUNDLE_CACHE'] = run;
    expect(zipOnce()).toMatchObject({ deflates: 0 });
  });
});

describe('a cache checked when the test run started (VIGIL_BUNDLE_CACHE_VERIFIED)', () => {
  const verified = process.env['VIGIL_BUNDLE_CACHE_VERIFIED'];
  afterEach(() => {
    if (verified === undefined) delete process.env['VIGIL_BUNDLE_CACHE_VERIFIED'];
    else process.env['VIGIL_BUNDLE_CACHE_VERIFIED'] = verified;
  });

  it("is the run's own cache, set by the global setup", () => {
    expect(verified).toBe(runCache);
  });

  it('serves its entries without checking their inputs, but checks the bundle against its own hash', () => {
    cacheBuilt();
    const first = synthOnce();
    writeFileSync(join(root, 'greeting.ts'), "export const greeting = 'two';\n");

    process.env['VIGIL_BUNDLE_CACHE_VERIFIED'] = cache;
    const trusted = synthOnce();
    expect(trusted).toMatchObject({ spawns: 0, stats: { built: 0, fromCache: 1 } });
    expect(trusted.code.equals(first.code)).toBe(true);

    // Damaged bytes are rebuilt, whatever the setting.
    const manifest = readdirSync(cache).find((f) => f.endsWith('.json'))!;
    const { code } = JSON.parse(readFileSync(join(cache, manifest), 'utf8')) as { code: string };
    writeFileSync(join(cache, `${code}.js`), 'tampered');
    const rebuilt = synthOnce();
    expect(rebuilt).toMatchObject({ spawns: 1, stats: { built: 1, fromCache: 0 } });
    expect(rebuilt.code.toString()).toContain('two');
  });

  it('serves its deflated bundles without inflating them again; any other cache inflates each before use', () => {
    cacheBuilt();
    const first = zipOnce();
    expect(first).toMatchObject({ deflates: 1, inflates: 0 });
    expect(zipOnce()).toMatchObject({ deflates: 0, inflates: 1 });

    process.env['VIGIL_BUNDLE_CACHE_VERIFIED'] = cache;
    const trusted = zipOnce();
    expect(trusted).toMatchObject({ deflates: 0, inflates: 0 });
    expect(trusted.zip.equals(first.zip)).toBe(true);
  });

  it('is checked by predeflate before the run trusts it: what does not inflate back is deflated again', () => {
    cacheBuilt();
    const first = zipOnce();
    for (const f of stored()) writeFileSync(join(cache, f), zlib.deflateRawSync(Buffer.from('something else')));
    const b = fresh();
    const deflate = jest.spyOn(zlib, 'deflateRawSync');
    try {
      b.predeflate([entry]);
      expect(deflate).toHaveBeenCalledTimes(1);
    } finally {
      deflate.mockRestore();
    }
    expect(stored().map((f) => zlib.inflateRawSync(readFileSync(join(cache, f))).equals(first.code))).toEqual([true]);
  });

  it("holds every function deflated, as its bundle inflates, in the run's own cache", () => {
    process.env['VIGIL_BUNDLE_CACHE'] = runCache;
    const b = fresh();
    const codes = b.functionEntrypoints().map((e) => b.bundleCode(e));
    expect(codes).toHaveLength(10);
    const deflated = (code: Buffer) => {
      const file = join(
        runCache!,
        `${createHash('sha256').update(code).digest('hex')}.zlib-${process.versions.zlib}.deflate`,
      );
      return existsSync(file) && zlib.inflateRawSync(readFileSync(file)).equals(code);
    };
    expect(codes.map(deflated)).toEqual(codes.map(() => true));
  });

  it('checks any other cache in full', () => {
    cacheBuilt();
    writeFileSync(join(root, 'greeting.ts'), "export const greeting = 'two';\n");
    process.env['VIGIL_BUNDLE_CACHE_VERIFIED'] = join(root, 'another');
    const checked = synthOnce();
    expect(checked).toMatchObject({ spawns: 1, stats: { built: 1, fromCache: 0 } });
    expect(checked.code.toString()).toContain('two');
  });
});

describe("the test run's cache (__tests__/global-setup.js)", () => {
  const { seed } = require('../global-setup') as { seed: (from: string, to: string) => number };

  it("starts from the project cache's current entries and skips what it cannot read", () => {
    cacheBuilt();
    const first = synthOnce();
    writeFileSync(join(cache, `${'0'.repeat(64)}.json`), '{');
    const run = join(root, 'run');
    mkdirSync(run);

    expect(seed(cache, run)).toBe(1);
    expect(seed(join(root, 'missing'), run)).toBe(0);
    process.env['VIGIL_BUNDLE_CACHE'] = run;
    const warm = synthOnce();
    expect(warm).toMatchObject({ spawns: 0, stats: { built: 0, fromCache: 1 } });
    expect(warm.code.equals(first.code)).toBe(true);
  });
});
