import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// __tests__/jest-runtime.js, the module runtime jest.config.js names: installed packages' sources and modules'
// wrapper texts are kept for the worker's run; everything else is jest's own.
const ROOT = resolve(__dirname, '..');
type Stats = { sourcesRead: number; sourcesReused: number; wrapped: number; wrappersReused: number };
const VigilRuntime: any = jest.requireActual('./jest-runtime.js');
const STATS: symbol = VigilRuntime.STATS;
const JestRuntime: any = jest.requireActual('jest-runtime').default;

/** A runtime as jest makes one per test file, with only what readFile and the wrapper use. */
function runtimeFor(rootDir: string, sandboxInjectedGlobals: string[] = []) {
  const runtime = Object.create(VigilRuntime.prototype);
  runtime._cacheFS = new Map();
  runtime._cacheFSBuffer = new Map();
  runtime._config = { rootDir, injectGlobals: true, sandboxInjectedGlobals };
  return runtime;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jest-runtime-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the jest runtime', () => {
  it('is the one this file runs in', () => {
    const stats = (globalThis as unknown as Record<symbol, () => Stats>)[STATS]!;
    const before = stats();
    // A second registry loads a package again (fast-check, a direct dependency): its source from memory, its wrapper the
    // same text.
    jest.isolateModules(() => require('fast-check'));
    jest.isolateModules(() => require('fast-check'));
    const after = stats();
    expect(after.sourcesReused).toBeGreaterThan(before.sourcesReused);
    expect(after.wrappersReused).toBeGreaterThan(before.wrappersReused);
  });

  it("reads an installed package's file once for every test file of the worker, and any other file as jest does", () => {
    writeFileSync(join(dir, 'own.js'), 'one');
    const packages = join(dir, 'node_modules');
    mkdirSync(packages);
    writeFileSync(join(packages, 'pkg.js'), 'one');
    const first = runtimeFor(dir);
    expect([first.readFile(join(packages, 'pkg.js')), first.readFile(join(dir, 'own.js'))]).toEqual(['one', 'one']);
    writeFileSync(join(dir, 'own.js'), 'two');
    writeFileSync(join(packages, 'pkg.js'), 'two');
    // The next test file's runtime: the package file as first read, the project's own file as it is now.
    const next = runtimeFor(dir);
    expect([next.readFile(join(packages, 'pkg.js')), next.readFile(join(dir, 'own.js'))]).toEqual(['one', 'two']);
  });

  it("wraps each source once, in jest's own wrapper, for each set of injected parameters", () => {
    const source = `module.exports = ${JSON.stringify(ROOT)};`;
    const before: Stats = VigilRuntime.stats();
    const a = runtimeFor(ROOT).wrapCodeInModuleWrapper(source);
    const b = runtimeFor(ROOT).wrapCodeInModuleWrapper(source.slice(0));
    expect(b).toBe(a);
    const after: Stats = VigilRuntime.stats();
    expect([after.wrapped - before.wrapped, after.wrappersReused - before.wrappersReused]).toEqual([1, 1]);
    const stock = Object.create(JestRuntime.prototype);
    stock._config = { injectGlobals: true, sandboxInjectedGlobals: [] };
    expect(a).toBe(stock.wrapCodeInModuleWrapper(source));
    const withGlobals = runtimeFor(ROOT, ['Math']).wrapCodeInModuleWrapper(source);
    stock._config = { injectGlobals: true, sandboxInjectedGlobals: ['Math'] };
    expect(withGlobals).toBe(stock.wrapCodeInModuleWrapper(source));
    expect(withGlobals).not.toBe(a);
  });
});
