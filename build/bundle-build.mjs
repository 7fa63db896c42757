// @ts-check
/**
 * The esbuild run behind build/bundle.ts. Synth is synchronous, but esbuild plugins only work with
 * its asynchronous `build` API, so bundle.ts runs this file in a child process (`spawnSync`):
 *
 *   stdin:  JSON `{ "root": "<repo>", "entry": "<path relative to root>", "target": "node20" }`, and
 *           optionally `"metafile": "<path>"` to also write esbuild's metafile there (size analysis)
 *   stdout: the minified bundle (CommonJS), nothing else
 *   stderr: esbuild's messages; exit code 1 when the build fails
 *
 * Batch mode (synth bundles every function at once, concurrently in one esbuild service):
 *   stdin:  JSON `{ "root", "target", "entries": ["<path>", ...], "outDir": "<dir>" }`, and optionally
 *           `"metafiles": true` to also write esbuild's metafile of `entries[i]` to `<outDir>/<i>.meta.json`
 *           (bundle.ts's cache records each bundle's inputs from it)
 *   effect: writes the bundle of `entries[i]` to `<outDir>/<i>.js`; stderr names every entry that failed
 *           (exit code 1), the others are still written
 *
 * Besides the plain bundle (minified, tree-shaken, the SDK's ES modules), it applies three
 * transformations, each behaviour-preserving for the code that ends up in the bundle (see each one):
 *
 * 1. SDK schema modules become tree-shakable (computed keys → string keys), and the registration of a
 *    modelled error is dropped when deserializing that error as "unmodelled" gives the same `name`,
 *    `$fault` and retry behaviour and no bundled code refers to its class.
 * 2. `@aws-sdk/<pkg>/package.json` shrinks to `{ name, version }`: the SDK reads only `version`.
 * 3. `@aws-sdk/credential-provider-node` (the default credential chain) becomes the environment-only
 *    provider of handlers/runtime/env-credentials.ts: in Lambda, credentials are in the environment.
 *
 * Output is deterministic: same sources → same bytes (esbuild is deterministic, every transformation
 * is a pure function of file contents, and paths are relative to `root`, which the output never names).
 */
import { realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';

/** @typedef {import('esbuild').Plugin} Plugin */
/** @typedef {{ root: string, entry: string, target: string, metafile?: string }} Request */
/** SDK package → the names bundled project code imports from it, or `'all'` when that is unknown. */
/** @typedef {Map<string, Set<string> | 'all'>} SdkImports */

const ENV_CREDENTIALS = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'handlers',
  'runtime',
  'env-credentials.ts',
);

/**
 * The settings of the real bundle and of the import scan; `treeShaking` is implied by `bundle` but
 * spelled out because the size budget depends on it.
 * @param {Request} request
 * @returns {import('esbuild').BuildOptions}
 */
const common = (request) => ({
  absWorkingDir: request.root,
  entryPoints: [request.entry],
  bundle: true,
  treeShaking: true,
  platform: 'node',
  target: request.target,
  write: false,
  logLevel: 'silent',
});

/**
 * Which SDK exports the bundled code outside the SDK uses (the project's, and any other package's): a
 * quick build with `@aws-sdk/*` left external, whose ESM output lists them in `import { ... } from
 * "@aws-sdk/..."` lines. Any other form (namespace import, `require`, `export *`) marks the package
 * `all`. The SDK's own packages never refer to a client's error classes (only the client's schemas
 * do), so what this finds is every reference to them.
 * @param {Request} request
 * @returns {Promise<SdkImports>}
 */
async function scanSdkImports(request) {
  // Only the SDK is left out, so imports from any other bundled package count too.
  const result = await build({ ...common(request), external: ['@aws-sdk/*'], format: 'esm', minify: false });
  const code = result.outputFiles?.[0]?.text ?? '';
  /** @type {SdkImports} */
  const imports = new Map();
  /** @type {Map<string, number>} */
  const namedStatements = new Map();
  for (const m of code.matchAll(/\b(?:import|export)\s*\{([^}]*)\}\s*from\s*"(@aws-sdk\/[^"]+)"/g)) {
    const pkg = packageName(m[2] ?? '');
    namedStatements.set(pkg, (namedStatements.get(pkg) ?? 0) + 1);
    const names = imports.get(pkg) ?? new Set();
    for (const spec of (m[1] ?? '').split(',')) {
      const name = spec.trim().split(/\s+as\s+/)[0];
      if (name && names !== 'all') names.add(name);
    }
    imports.set(pkg, names);
  }
  // A package named anywhere else (namespace import, `require`, `export *`, a string) is used in a way
  // the scan cannot list: all of its errors stay registered.
  /** @type {Map<string, number>} */
  const mentions = new Map();
  for (const m of code.matchAll(/["'`](@aws-sdk\/[^"'`]+)["'`]/g)) {
    const pkg = packageName(m[1] ?? '');
    mentions.set(pkg, (mentions.get(pkg) ?? 0) + 1);
  }
  for (const [pkg, count] of mentions) if (count > (namedStatements.get(pkg) ?? 0)) imports.set(pkg, 'all');
  return imports;
}

/** `@aws-sdk/client-ssm/dist-es/x` → `@aws-sdk/client-ssm`. */
const packageName = (/** @type {string} */ specifier) => specifier.split('/').slice(0, 2).join('/');

/** Package of a file under node_modules, e.g. `@aws-sdk/client-ssm`. */
const packageOf = (/** @type {string} */ path) => {
  const parts = path.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  return parts.slice(at + 1, at + 3).join('/');
};

/**
 * SDK schema modules (`schemas/schemas_0.js` of every client and nested client).
 *
 * Tree-shaking: schema arrays hold trait objects with computed keys, `{ [_eQN]: "x" }`. esbuild cannot
 * prove a computed key free of side effects (it could call `toString`), so it keeps every schema of
 * the service (EC2: 540 KB). Each key is a `const _eQN = "..."` string declared at the top of the same
 * file; writing the string itself (`{ "ec2QueryName": "x" }`) is the same object, except for the key
 * `__proto__`, which would set the prototype instead and is therefore left alone.
 *
 * Error registrations: `n0_registry.registerError(Foo$, Foo)` at module level keeps every modelled
 * error of the service (class and schema; SSM: 140 of them, 60 KB). When a service answers with an
 * error that is not registered, the SDK throws its `<Service>ServiceException` with `name` = the error
 * code of the response, `$fault` from the HTTP status, and the response's fields copied on it. A
 * registration is dropped only when that is indistinguishable for callers:
 * - the class is not imported by bundled code outside the SDK (so `instanceof Foo` keeps working);
 * - the class has no `$retryable` (the SDK's retry strategy reads it; e.g. DynamoDB's
 *   ReplicatedWriteConflictException, STS's IDPCommunicationErrorException);
 * - `error.name` is the same. The SDK names an unregistered error by the code in the response; a
 *   registered one by its shape, found by that code. They differ only where the protocol looks errors
 *   up by their `awsQueryError` code (awsQuery, ec2Query, and JSON with `awsQueryCompatible`) and that
 *   code is not the shape name: IAM answers `NoSuchEntity` for `NoSuchEntityException`, SQS
 *   `AWS.SimpleQueueService.NonExistentQueue` for `QueueDoesNotExist`. Those stay registered;
 * - its `error` trait agrees with its HTTP status (client < 500 ≤ server), so `$fault` is the same.
 * What differs for a dropped error: it is not `instanceof` its own (unbundled, unreferenced) class, and
 * its extra fields are raw response values (e.g. a timestamp stays a string). Nothing else changes.
 * @param {Promise<SdkImports>} sdkImports
 * @returns {Plugin}
 */
function sdkSchemas(sdkImports) {
  return {
    name: 'vigil-sdk-schemas',
    setup(b) {
      b.onLoad(
        { filter: /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/].*schemas[\\/]schemas_\d+\.js$/ },
        async (args) => {
          const text = await readFile(args.path, 'utf8');
          const used = (await sdkImports).get(packageOf(args.path));
          const contents = await dropEquivalentErrorRegistrations(inlineComputedKeys(text), text, args.path, used);
          return { contents, loader: 'js' };
        },
      );
    },
  };
}

/** `const _x = "..."` declarations (column 0) of a schema module: name → string value. */
function stringConsts(/** @type {string} */ text) {
  /** @type {Map<string, string>} */
  const consts = new Map();
  /** @type {Set<string>} */
  const twice = new Set();
  for (const m of text.matchAll(/^const ([A-Za-z_$][\w$]*) = ("(?:[^"\\\n]|\\.)*");$/gm)) {
    const [name, literal] = [m[1] ?? '', m[2] ?? '""'];
    if (consts.has(name)) twice.add(name);
    consts.set(name, JSON.parse(literal));
  }
  // A name declared twice cannot be resolved by text alone (it would not parse anyway): leave it.
  for (const name of twice) consts.delete(name);
  return consts;
}

/** `{ [_eQN]: v }` → `{ "ec2QueryName": v }` for keys that are file-level string consts. */
function inlineComputedKeys(/** @type {string} */ text) {
  const consts = stringConsts(text);
  return text.replace(/\[([A-Za-z_$][\w$]*)\]:/g, (all, /** @type {string} */ name) => {
    const value = consts.get(name);
    return value === undefined || value === '__proto__' ? all : `${JSON.stringify(value)}:`;
  });
}

/**
 * Removes the `registerError` lines whose error deserializes the same without them (see sdkSchemas).
 * The schemas are read from the original text (`original`), the edit is applied to `text`.
 * @param {string} text
 * @param {string} original
 * @param {string} path
 * @param {Set<string> | 'all' | undefined} used
 */
async function dropEquivalentErrorRegistrations(text, original, path, used) {
  if (used === 'all') return text;
  const consts = Object.fromEntries(stringConsts(original));
  // One context for the file: trait objects only read these string consts (creating one per schema
  // would cost about a millisecond each, for hundreds of errors).
  const context = createContext({ ...consts });
  const errorsFile = /from "(\.\.\/models\/errors)"/.exec(original)?.[1];
  if (!errorsFile) return text;
  const retryable = retryableErrors(await readFile(join(dirname(path), `${errorsFile}.js`), 'utf8'));
  if (retryable === 'all') return text;
  const queryCodes = await looksUpQueryCodes(join(dirname(path), '..', 'runtimeConfig.shared.js'));
  /** @type {Map<string, { name: string, traits: Record<string, unknown> }>} */
  const schemas = new Map();
  for (const m of original.matchAll(/^export var ([\w$]+)\$ = \[-3, ([\w$]+), ([\w$]+),\n[ \t]+(\{[^\n]*\}),\n/gm)) {
    const name = consts[m[3] ?? ''];
    if (typeof name !== 'string') continue;
    try {
      const traits = runInContext(`(${m[4]})`, context);
      schemas.set(m[1] ?? '', { name, traits });
    } catch {
      // Not a literal we understand: the registration stays.
    }
  }
  return text.replace(
    /^n\d+_registry\.registerError\(([\w$]+)\$, ([\w$]+)\);$/gm,
    (line, /** @type {string} */ schemaName, /** @type {string} */ className) => {
      const schema = schemas.get(schemaName);
      const droppable =
        schema !== undefined &&
        schemaName === className &&
        !used?.has(className) &&
        !retryable.has(className) &&
        sameNameAndFault(schema.name, schema.traits, queryCodes);
      return droppable ? '' : line;
    },
  );
}

/**
 * True when an unregistered error gets the same `name` and `$fault` as the registered one.
 * @param {string} name
 * @param {Record<string, unknown>} traits
 * @param {boolean} queryCodes whether the client's protocol finds errors by their `awsQueryError` code
 */
function sameNameAndFault(name, traits, queryCodes) {
  const known = new Set(['error', 'httpError', 'awsQueryError']);
  if (!Object.keys(traits).every((k) => known.has(k))) return false;
  const query = traits['awsQueryError'];
  if (queryCodes && query !== undefined && !(Array.isArray(query) && query[0] === name)) return false;
  const status = traits['httpError'];
  if (status !== undefined && typeof status !== 'number') return false;
  if (traits['error'] === 'client') return status === undefined || status < 500;
  if (traits['error'] === 'server') return status === undefined || status >= 500;
  return false;
}

/**
 * Whether a client's protocol looks errors up by their `awsQueryError` code (ProtocolLib's
 * `findQueryCompatibleError`): every protocol but the JSON and REST ones without `awsQueryCompatible`.
 * Unknown or unreadable configuration counts as yes (keeps more registrations).
 * @param {string} runtimeConfig path of the client's `runtimeConfig.shared.js`
 */
async function looksUpQueryCodes(runtimeConfig) {
  const text = await readFile(runtimeConfig, 'utf8').catch(() => '');
  const protocol = /\bprotocol: config\?\.protocol \?\? ([\w$]+)/.exec(text)?.[1];
  const byName = [
    'AwsJson1_0Protocol',
    'AwsJson1_1Protocol',
    'AwsRestJsonProtocol',
    'AwsRestXmlProtocol',
    'S3RestXmlProtocol',
  ];
  return !(protocol && byName.includes(protocol) && !/\bawsQueryCompatible: true\b/.test(text));
}

/**
 * Classes of a `models/errors.js` that mention `$retryable` (the `@retryable` trait), found per
 * `export class` section so that a change of style (a field, an assignment) is still seen. A mention
 * outside any class makes every class count (`'all'`): nothing is dropped then.
 * @param {string} errorsJs
 * @returns {Set<string> | 'all'}
 */
function retryableErrors(errorsJs) {
  /** @type {Set<string>} */
  const names = new Set();
  const sections = errorsJs.split(/^(?=export class )/m);
  if (sections[0]?.includes('$retryable')) return 'all';
  for (const section of sections.slice(1)) {
    const name = /^export class ([\w$]+)/.exec(section)?.[1];
    if (!name) return 'all';
    if (section.includes('$retryable')) names.add(name);
  }
  return names;
}

/**
 * The SDK imports each client's package.json for one field, `version` (its user agent), which makes
 * esbuild embed the whole manifest (2–3 KB per package). Only `name` and `version` are kept;
 * __tests__/build/bundle.test.ts checks that the SDK still reads nothing else.
 * @type {Plugin}
 */
const sdkPackageJson = {
  name: 'vigil-sdk-package-json',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]package\.json$/ }, async (args) => {
      const { name, version } = JSON.parse(await readFile(args.path, 'utf8'));
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
  },
};

/**
 * The default credential chain (env, SSO, ini files, process, web identity, container, IMDS; 60–90 KB
 * with the nested SSO/OIDC/sign-in clients) → environment only. See handlers/runtime/env-credentials.ts.
 * @type {Plugin}
 */
const envCredentials = {
  name: 'vigil-env-credentials',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: ENV_CREDENTIALS }));
  },
};

/** @param {Request} request */
export async function bundle(request) {
  const sdkImports = scanSdkImports(request);
  // The scan's failure is reported by the build below (same sources); keep it from going unhandled.
  sdkImports.catch(() => undefined);
  const result = await build({
    ...common(request),
    format: 'cjs',
    minify: true,
    // Prefer the SDK's ES modules: they tree-shake far better than its CommonJS builds.
    mainFields: ['module', 'main'],
    legalComments: 'none',
    plugins: [sdkSchemas(sdkImports), sdkPackageJson, envCredentials],
    metafile: request.metafile !== undefined,
  });
  if (request.metafile) await writeFile(request.metafile, JSON.stringify(result.metafile));
  const output = result.outputFiles?.[0];
  if (!output) throw new Error(`esbuild produced no output for ${request.entry}`);
  return output.contents;
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (Array.isArray(parsed.entries)) {
    await bundleAll(parsed);
    return;
  }
  /** @type {Request} */
  const request = parsed;
  try {
    const code = await bundle(request);
    await new Promise((resolve, reject) => process.stdout.write(code, (err) => (err ? reject(err) : resolve(null))));
  } catch (err) {
    process.stderr.write(describe(err));
    process.exitCode = 1;
  }
}

/**
 * Batch mode: every entry at once (esbuild runs the builds in parallel); each bundle to `<outDir>/<i>.js`.
 * @param {{ root: string, target: string, entries: string[], outDir: string, metafiles?: boolean }} batch
 */
async function bundleAll(batch) {
  const results = await Promise.allSettled(
    batch.entries.map(async (entry, i) => {
      const metafile = batch.metafiles ? { metafile: join(batch.outDir, `${i}.meta.json`) } : {};
      const code = await bundle({ root: batch.root, entry, target: batch.target, ...metafile });
      await writeFile(join(batch.outDir, `${i}.js`), code);
    }),
  );
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${batch.entries[i]}: ${describe(r.reason)}`] : [],
  );
  if (failures.length > 0) {
    process.stderr.write(failures.join('\n'));
    process.exitCode = 1;
  }
}

/** esbuild's messages of a failed build (file:line: text), or the error's stack. */
function describe(/** @type {unknown} */ err) {
  const errors = /** @type {{ errors?: import('esbuild').Message[] }} */ (err).errors;
  return errors?.length
    ? errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`).join('\n')
    : String(/** @type {Error} */ (err)?.stack ?? err);
}

// Run as a script (bundle.ts); importing it (to analyse bundles by hand) runs nothing. Real paths on both
// sides, or a symlinked checkout would silently skip main().
if (process.argv[1] && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1])) await main();
