/**
 * The layering rules of ARCHITECTURE.md are lint rules (biome.json overrides and lint/*.grit): this suite
 * proves each one fires on a deliberate violation and stays quiet on allowed code. It lints probe files
 * laid out like the repository in a temp project that carries the repository's own biome.json and
 * plugins, so the rules under test are exactly the ones `npm run lint` applies.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..');

interface Diagnostic {
  readonly file: string;
  readonly rule: string;
}

/** Lints `files` (path → source) in a fresh copy of the lint configuration; returns every diagnostic. */
function lint(files: Readonly<Record<string, string>>): Diagnostic[] {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-layering-'));
  // The VCS integration (which reads .gitignore) is not under test: the probe project has no repository.
  const config = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8'));
  writeFileSync(join(dir, 'biome.json'), JSON.stringify({ ...config, vcs: { enabled: false } }));
  cpSync(join(ROOT, 'lint'), join(dir, 'lint'), { recursive: true });
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  const run = spawnSync(
    process.execPath,
    [
      require.resolve('@biomejs/biome/bin/biome'),
      'lint',
      '--reporter=json',
      '--max-diagnostics=200',
      ...Object.keys(files),
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  if (run.stdout.trim() === '') throw new Error(`biome printed no report: ${run.stderr}`);
  const report = JSON.parse(run.stdout) as {
    diagnostics: Array<{ category: string; location: { path: string } }>;
  };
  return report.diagnostics.map((d) => ({ file: d.location.path, rule: d.category }));
}

const IMPORTS_ONLY = (specifier: string) => `import * as m from '${specifier}';\nexport const used = m;\n`;

describe('layering rules', () => {
  const violations: ReadonlyArray<readonly [string, string, string]> = [
    // [probe path, source, expected rule]
    ['handlers/core/sdk.ts', IMPORTS_ONLY('@aws-sdk/client-s3'), 'lint/style/noRestrictedImports'],
    ['handlers/core/fs.ts', IMPORTS_ONLY('node:fs'), 'lint/style/noRestrictedImports'],
    ['handlers/core/adapter.ts', IMPORTS_ONLY('../adapters/secrets'), 'lint/style/noRestrictedImports'],
    ['handlers/core/deep/entry.ts', IMPORTS_ONLY('../../entrypoints/triage'), 'lint/style/noRestrictedImports'],
    ['handlers/core/env.ts', 'export const region = process.env.AWS_REGION;\n', 'lint/style/noProcessEnv'],
    ['handlers/core/clock.ts', 'export const now = () => Date.now();\n', 'plugin'],
    ['handlers/core/new-date.ts', 'export const now = () => new Date();\n', 'plugin'],
    ['handlers/adapters/stack.ts', IMPORTS_ONLY('../../stacks/security-stack'), 'lint/style/noRestrictedImports'],
    ['handlers/entrypoints/cdktf.ts', IMPORTS_ONLY('cdktf'), 'lint/style/noRestrictedImports'],
    ['rules/handler.ts', IMPORTS_ONLY('../handlers/core/triage'), 'lint/style/noRestrictedImports'],
    ['config/sdk.ts', IMPORTS_ONLY('@aws-sdk/client-organizations'), 'lint/style/noRestrictedImports'],
    ['config/script.ts', IMPORTS_ONLY('../scripts/replay'), 'lint/style/noRestrictedImports'],
    ['stacks/core.ts', IMPORTS_ONLY('../handlers/core/metrics'), 'lint/style/noRestrictedImports'],
    [
      'constructs/security/adapter.ts',
      IMPORTS_ONLY('../../handlers/adapters/secrets'),
      'lint/style/noRestrictedImports',
    ],
    ['main.ts', IMPORTS_ONLY('./handlers/entrypoints/triage'), 'lint/style/noRestrictedImports'],
    ['app.ts', IMPORTS_ONLY('./handlers/entrypoints/triage'), 'lint/style/noRestrictedImports'],
    ['derive/entry.ts', IMPORTS_ONLY('../handlers/entrypoints/remediate'), 'lint/style/noRestrictedImports'],
    // The framework and the provider only through framework/ (one place to change for CDK Terrain).
    ['stacks/direct.ts', IMPORTS_ONLY('cdktf'), 'lint/style/noRestrictedImports'],
    ['constructs/provider.ts', IMPORTS_ONLY('@cdktf/provider-aws/lib/kms-key'), 'lint/style/noRestrictedImports'],
    ['stacks/tfe.ts', IMPORTS_ONLY('@cdktf/provider-tfe/lib/workspace'), 'lint/style/noRestrictedImports'],
    ['scripts/tool.ts', IMPORTS_ONLY('cdktf'), 'lint/style/noRestrictedImports'],
    ['__tests__/stack.test.ts', IMPORTS_ONLY('@cdktf/provider-aws/lib/s3-bucket'), 'lint/style/noRestrictedImports'],
    ['handlers/entrypoints/framework.ts', IMPORTS_ONLY('../../framework/cdktf'), 'lint/style/noRestrictedImports'],
  ];
  const allowed: Readonly<Record<string, string>> = {
    'handlers/core/pure.ts':
      "import { createHash } from 'node:crypto';\nimport * as t from '../../rules/types';\n" +
      'export const at = (now: () => Date) => [new Date(now().getTime() + 1), createHash, t];\n',
    'handlers/adapters/io.ts':
      "import * as s3 from '@aws-sdk/client-s3';\nimport * as core from '../core/triage';\n" +
      'export const region = process.env.AWS_REGION;\nexport const used = [s3, core, Date.now()];\n',
    'stacks/any.ts': "import * as cdktf from '../framework/cdktf';\nexport const used = cdktf;\n",
    'framework/cdktf.ts': "import * as cdktf from 'cdktf';\nexport const used = cdktf;\n",
    'framework/aws.ts': "import * as kms from '@cdktf/provider-aws/lib/kms-key';\nexport const used = kms;\n",
    'framework/tfe.ts': "import * as ws from '@cdktf/provider-tfe/lib/workspace';\nexport const used = ws;\n",
    'framework/synth-performance.ts':
      "import * as trace from 'cdktf/lib/tokens/private/stack-trace';\nexport const used = trace;\n",
    'constructs/spec.ts':
      "import * as spec from '../handlers/functions/triage/spec';\nimport * as rules from '../rules/catalog';\n" +
      'export const used = [spec, rules];\n',
    'derive/registry.ts': "import * as r from '../handlers/core/remediation/registry';\nexport const used = r;\n",
  };

  let diagnostics: Diagnostic[];
  beforeAll(() => {
    diagnostics = lint({ ...Object.fromEntries(violations.map(([path, source]) => [path, source])), ...allowed });
  }, 30_000);

  it.each(violations)('%s is rejected', (path, _source, rule) => {
    expect(diagnostics.filter((d) => d.file === path).map((d) => d.rule)).toEqual([rule]);
  });

  it('allowed imports and calls pass', () => {
    expect(diagnostics.filter((d) => d.file in allowed)).toEqual([]);
  });
});
