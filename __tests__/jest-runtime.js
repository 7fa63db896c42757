// The module runtime of jest's workers (jest.config.js `runtime`): jest's own, keeping two things for the whole run
// in each worker instead of once per test file. Measured in BENCHMARKS.md ("The test suite", session 16).
//
// Each test file gets a fresh module registry, so a worker loads the same ~1,100 files again and again: one run
// loads 60,000 modules, 630 MB of source text, from 1,100 files of 31 MB. For every load jest
//  - reads the file again (its file cache is per test file), although it already keeps transformed sources (our
//    TypeScript) for the run; here installed packages (`node_modules/`) are read once per worker as well;
//  - builds the module's wrapper text again (`({"…":function(module,exports,require,…){` + source + `}});`), a new
//    string each time: V8 then flattens, hashes and compares all of it against its compilation cache, which holds
//    the compiled script since the first load (~4 ms per MB, and the copies are garbage to collect). Here the
//    wrapper of each source is built once, so V8 finds the same string again and compiles nothing.
// Modules still run afresh in each test file's own context: nothing of a module's state is shared between files.
const Runtime = require('jest-runtime').default;

const STATS = Symbol.for('vigil.jestRuntime');

/**
 * Installed packages' sources by path, for the process's lifetime: a worker lives for one run, which does not change
 * node_modules (`jest -i --watch` runs in one process: a package edited in node_modules needs a restart).
 */
const packageSources = new Map();
/** Wrapped module text by the wrapper's start (the injected parameters) and the module's source. */
const wrappers = new Map();
/** What this worker read and wrapped, and served again from memory. */
const stats = { sourcesRead: 0, sourcesReused: 0, wrapped: 0, wrappersReused: 0 };

class VigilRuntime extends Runtime {
  constructor(config, environment, ...rest) {
    super(config, environment, ...rest);
    // For tests (__tests__/jest-runtime.test.ts): the counts so far, through the file's global.
    if (environment?.global) Object.defineProperty(environment.global, STATS, { value: () => ({ ...stats }) });
  }

  readFile(filename) {
    this._packagesDir ??= `${this._config.rootDir.replace(/\/+$/, '')}/node_modules/`;
    if (!filename.startsWith(this._packagesDir)) return super.readFile(filename);
    let source = packageSources.get(filename);
    if (source === undefined) {
      source = super.readFile(filename);
      packageSources.set(filename, source);
      stats.sourcesRead++;
    } else {
      stats.sourcesReused++;
    }
    return source;
  }

  wrapCodeInModuleWrapper(content) {
    const start = this.constructModuleWrapperStart();
    let byContent = wrappers.get(start);
    if (byContent === undefined) {
      byContent = new Map();
      wrappers.set(start, byContent);
    }
    let wrapped = byContent.get(content);
    if (wrapped === undefined) {
      wrapped = super.wrapCodeInModuleWrapper(content);
      byContent.set(content, wrapped);
      stats.wrapped++;
    } else {
      stats.wrappersReused++;
    }
    return wrapped;
  }
}

module.exports = VigilRuntime;
module.exports.STATS = STATS;
/** This copy of the module's counts. */
module.exports.stats = () => ({ ...stats });
