/**
 * What Powertools for AWS Lambda (TypeScript) would add to a vigil bundle (#8's evaluation, figures in
 * BENCHMARKS.md). Each probe is a one-line handler using one package, bundled with the handler bundles'
 * esbuild settings; the figure is its size minus the same probe without the package (SDK clients the
 * package needs are in both). Powertools is not a dependency of vigil, so the packages are installed
 * into a scratch folder first (`npm install` from the registry; the bench says so and skips otherwise).
 *
 *   npx tsx bench/powertools.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const VERSIONS = {
  '@aws-lambda-powertools/logger': '2.36.0',
  '@aws-lambda-powertools/metrics': '2.36.0',
  '@aws-lambda-powertools/batch': '2.35.0',
  '@aws-lambda-powertools/idempotency': '2.35.0',
  '@aws-lambda-powertools/parameters': '2.35.0',
  '@aws-sdk/client-dynamodb': '3.1169.0',
  '@aws-sdk/lib-dynamodb': '3.1169.0',
  '@aws-sdk/client-secrets-manager': '3.1164.0',
  '@aws-sdk/client-ssm': '3.1169.0',
};

const PROBES: Record<string, { readonly code: string; readonly baseline: string }> = {
  logger: {
    code: "import { Logger } from '@aws-lambda-powertools/logger'; const l = new Logger({ serviceName: 'vigil' }); export const handler = async (e: unknown) => { l.info('x', { e }); };",
    baseline: 'empty',
  },
  metrics: {
    code: "import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'; const m = new Metrics({ namespace: 'vigil' }); export const handler = async () => { m.addMetric('x', MetricUnit.Count, 1); m.publishStoredMetrics(); };",
    baseline: 'empty',
  },
  batch: {
    code: "import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'; const p = new BatchProcessor(EventType.SQS); export const handler = async (e: any, c: any) => processPartialResponse(e, async (r: any) => r.body, p, { context: c });",
    baseline: 'empty',
  },
  'logger + metrics + batch': {
    code: "import { Logger } from '@aws-lambda-powertools/logger'; import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'; import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'; const l = new Logger(); const m = new Metrics({ namespace: 'vigil' }); const p = new BatchProcessor(EventType.SQS); export const handler = async (e: any, c: any) => { l.info('x'); m.addMetric('x', MetricUnit.Count, 1); m.publishStoredMetrics(); return processPartialResponse(e, async (r: any) => r.body, p, { context: c }); };",
    baseline: 'empty',
  },
  idempotency: {
    code: "import { makeIdempotent } from '@aws-lambda-powertools/idempotency'; import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb'; const persistenceStore = new DynamoDBPersistenceLayer({ tableName: 't' }); export const handler = makeIdempotent(async (e: unknown) => ({ e }), { persistenceStore });",
    baseline: 'dynamodb',
  },
  'parameters (Secrets Manager + SSM)': {
    code: "import { getSecret } from '@aws-lambda-powertools/parameters/secrets'; import { getParameter } from '@aws-lambda-powertools/parameters/ssm'; export const handler = async () => [await getSecret('x', { maxAge: 300 }), await getParameter('y', { decrypt: true, maxAge: 300 })];",
    baseline: 'secrets',
  },
};

const BASELINES: Record<string, string> = {
  empty: 'export const handler = async (e: unknown) => ({ e });',
  dynamodb:
    "import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'; const c = new DynamoDBClient({}); export const handler = async () => c.send(new GetItemCommand({ TableName: 't', Key: {} }));",
  secrets:
    "import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager'; import { SSMClient, GetParameterCommand } from '@aws-sdk/client-ssm'; const a = new SecretsManagerClient({}); const b = new SSMClient({}); export const handler = async () => [await a.send(new GetSecretValueCommand({ SecretId: 'x' })), await b.send(new GetParameterCommand({ Name: 'y' }))];",
};

async function size(dir: string, name: string, code: string): Promise<number> {
  const entry = join(dir, `${name.replace(/\W+/g, '-')}.ts`);
  writeFileSync(entry, code);
  const outfile = `${entry}.js`;
  // The handler bundles' settings (build/bundle-build.mjs): minified CommonJS for Node 22, module fields first.
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    mainFields: ['module', 'main'],
    outfile,
    logLevel: 'error',
    absWorkingDir: dir,
  });
  return statSync(outfile).size;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-powertools-'));
  try {
    writeFileSync(join(dir, 'package.json'), '{"private": true}');
    const pkgs = Object.entries(VERSIONS).map(([n, v]) => `${n}@${v}`);
    console.log(`installing ${pkgs.length} packages into a scratch folder (registry access needed)…`);
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...pkgs], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (install.status !== 0) {
      console.log(`skipped: npm install failed (${install.stderr.trim().split('\n').pop()})`);
      return;
    }
    const base: Record<string, number> = {};
    for (const [name, code] of Object.entries(BASELINES)) base[name] = await size(dir, `base-${name}`, code);
    console.log('| package | adds per bundle (KB) |\n|---|---:|');
    for (const [name, probe] of Object.entries(PROBES)) {
      const added = (await size(dir, name, probe.code)) - base[probe.baseline]!;
      console.log(`| ${name} | ${(added / 1024).toFixed(1)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
