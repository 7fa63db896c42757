// The `cdktf` package, and the AWS provider classes vigil uses, as one file each for jest (jest.config.js maps `cdktf`,
// its deep paths and those provider paths here).
//
// Jest gives every test file its own module registry, so each file that builds a stack resolved, read, compiled and
// ran cdktf's ~370 modules again (~85 ms a file), and read and compiled the ~40 provider classes framework/aws.ts
// names: 7.9 MB of generated JavaScript, four fifths of it indentation and doc comments. Bundled with esbuild, each is
// one module to load, without the whitespace and comments (minifyWhitespace: names, strings and code are unchanged).
//
// Exactness rests on three things:
// - `constructs` stays outside the bundle, so cdktf's `Construct` is the one our constructs extend (a second copy
//   would break `instanceof` and `Node.of`). cdktf's other dependencies live in its own node_modules, so nothing
//   outside cdktf loads them and they can go inside. The provider bundle leaves `cdktf` outside, so its classes
//   extend the cdktf the test file loaded (the cdktf bundle, through the same mapping).
// - The provider bundle holds exactly the classes framework/aws.ts names (providerLibs), each loaded when first
//   asked for; any other provider path is not mapped and loads from node_modules as before.
// - The deep paths that vigil requires (framework/synth-performance.ts patches two cdktf-private modules, and
//   __tests__/framework.test.ts loads a third) map to shims that return the bundle's own exports objects for those
//   modules, the very objects cdktf's code calls through, so the patches reach it. A deep path not in INTERNALS has
//   no shim: jest fails with "Could not locate module cdktf/lib/…" instead of loading a second, unpatched copy.
// - lib/private/fs.js runs itself as a CLI (`node ${__filename}`) to zip an archive asset; inside the bundle
//   __filename is the bundle, so the bundle names cdktf's real file instead.
//
// The bundles live in node_modules/.cache/vigil-jest-cdktf/<hash>/, the hash over what decides their bytes (cdktf's
// and the provider's version and location, what npm installed, esbuild's version, this file, the provider classes).
// The directory is written under a temporary name and renamed into place, so a directory that exists is complete;
// processes building it at once each rename their own and one wins. Older hashes stay until the next `npm ci` (2.4 MB
// each): another checkout sharing node_modules may use one.
const { createHash } = require('node:crypto');
const { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } =
  require('node:fs');
const { dirname, join, relative } = require('node:path');

/** cdktf-private modules (paths inside the package, without `.js`) that vigil's code or tests require directly. */
const INTERNALS = [
  'lib/tokens/private/stack-trace',
  'lib/validations/validate-binary-version',
  'lib/validations/validate-terraform-version',
];

const ROOT = join(__dirname, '..');

/** The provider modules framework/aws.ts imports (`lib/<resource>`), sorted: what the provider bundle holds. */
function providerLibs() {
  const text = readFileSync(join(ROOT, 'framework', 'aws.ts'), 'utf8');
  return [...new Set([...text.matchAll(/from '@cdktf\/provider-aws\/(lib\/[\w-]+)'/g)].map((m) => m[1]))].sort();
}

/** The directory of a package as node resolves it from the project root (symlinks resolved, as jest does). */
function packageDir(name) {
  return realpathSync(dirname(require.resolve(`${name}/package.json`, { paths: [ROOT] })));
}

/**
 * What npm installed (its record in node_modules/.package-lock.json, rewritten by every install): an update of one of
 * cdktf's own dependencies does not change cdktf's version, but must not leave the bundle with the old copy.
 */
function installed() {
  try {
    return readFileSync(join(ROOT, 'node_modules', '.package-lock.json'));
  } catch {
    return '';
  }
}

/** Where the bundles for the installed cdktf, provider and esbuild are (or would be) written. */
function bundleDir() {
  const version = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  const cdktf = packageDir('cdktf');
  const provider = packageDir('@cdktf/provider-aws');
  const hash = createHash('sha256');
  for (const part of [
    cdktf,
    version(cdktf),
    provider,
    version(provider),
    version(packageDir('esbuild')),
    readFileSync(__filename, 'utf8'),
    installed(),
    providerLibs().join('\n'),
  ]) {
    hash.update(part).update('\0');
  }
  return join(realpathSync(join(ROOT, 'node_modules')), '.cache', 'vigil-jest-cdktf', hash.digest('hex').slice(0, 16));
}

/** Bundles cdktf into `tmp`/bundle.js and the provider classes into `tmp`/provider-aws.js, with the shims. */
function build(tmp, cdktf, provider) {
  const esbuild = require('esbuild');
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    minifyWhitespace: true,
    logLevel: 'error',
  };
  const fsModule = join(cdktf, 'lib', 'private', 'fs.js');
  const entry = [
    `exports.cdktf = require(${JSON.stringify(cdktf)});`,
    'exports.internals = {',
    ...INTERNALS.map((path) => `  ${JSON.stringify(path)}: require(${JSON.stringify(join(cdktf, path))}),`),
    '};',
  ].join('\n');
  esbuild.buildSync({
    stdin: { contents: entry, resolveDir: cdktf, sourcefile: 'vigil-jest-cdktf-entry.js', loader: 'js' },
    absWorkingDir: cdktf,
    ...common,
    external: ['constructs'],
    outfile: join(tmp, 'bundle.js'),
  });
  // lib/private/fs.js zips an archive asset by running itself: in the bundle, name cdktf's file instead.
  const out = readFileSync(join(tmp, 'bundle.js'), 'utf8');
  const cli = 'node ${__filename}';
  if (out.split(cli).length !== 2) throw new Error(`expected one \`${cli}\` in the bundle (lib/private/fs.js)`);
  writeFileSync(
    join(tmp, 'bundle.js'),
    out.replace(cli, () => `node ${fsModule.replace(/[\\`$]/g, '\\$&')}`),
  );
  const shim = (file, expression) => {
    mkdirSync(dirname(join(tmp, file)), { recursive: true });
    const bundle = relative(dirname(join(tmp, file)), join(tmp, 'bundle.js'));
    writeFileSync(join(tmp, file), `module.exports = require(${JSON.stringify(`./${bundle}`)})${expression};\n`);
  };
  shim('index.js', '.cdktf');
  for (const path of INTERNALS) shim(`${path}.js`, `.internals[${JSON.stringify(path)}]`);

  // Each class behind a getter, so a file that needs one loads one (esbuild keeps each module's code in a function
  // that runs on its first require).
  const libs = providerLibs();
  esbuild.buildSync({
    stdin: {
      contents: [
        'module.exports = {',
        ...libs.map(
          (lib) => `  get ${JSON.stringify(lib)}() { return require(${JSON.stringify(join(provider, lib))}); },`,
        ),
        '};',
      ].join('\n'),
      resolveDir: provider,
      sourcefile: 'vigil-jest-provider-aws-entry.js',
      loader: 'js',
    },
    absWorkingDir: provider,
    ...common,
    external: ['cdktf'],
    outfile: join(tmp, 'provider-aws.js'),
  });
  const providerShim = (lib) => {
    const file = join(tmp, 'provider-aws', `${lib}.js`);
    mkdirSync(dirname(file), { recursive: true });
    const bundle = relative(dirname(file), join(tmp, 'provider-aws.js'));
    writeFileSync(file, `module.exports = require(${JSON.stringify(`./${bundle}`)})[${JSON.stringify(lib)}];\n`);
  };
  for (const lib of libs) providerShim(lib);
}

/** The bundle's directory, built first if missing. */
function ensureCdktfBundle() {
  const dir = bundleDir();
  if (existsSync(dir)) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = mkdtempSync(`${dir}.tmp-`);
  try {
    build(tmp, packageDir('cdktf'), packageDir('@cdktf/provider-aws'));
    chmodSync(tmp, 0o755); // mkdtemp makes it private
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) {
      throw new Error(`building the cdktf bundle for jest failed (VIGIL_JEST_CDKTF_BUNDLE=off skips it): ${err}`);
    }
  }
  return dir;
}

/**
 * jest `moduleNameMapper` entries that load cdktf and the provider classes from the bundles: `cdktf`, each of
 * INTERNALS and each provider path framework/aws.ts names. None when `VIGIL_JEST_CDKTF_BUNDLE=off` (jest then loads
 * their files one by one, as node does).
 */
function cdktfModuleNameMapper(env = process.env) {
  if (env.VIGIL_JEST_CDKTF_BUNDLE === 'off') return {};
  const dir = ensureCdktfBundle();
  const libs = providerLibs().map((lib) => lib.replace(/[-/]/g, '\\$&'));
  return {
    '^cdktf$': join(dir, 'index.js'),
    '^cdktf/(lib/.*?)(\\.js)?$': join(dir, '$1.js'),
    [`^@cdktf/provider-aws/(${libs.join('|')})(\\.js|/index\\.js)?$`]: join(dir, 'provider-aws', '$1.js'),
  };
}

module.exports = { INTERNALS, bundleDir, cdktfModuleNameMapper, ensureCdktfBundle, providerLibs };
