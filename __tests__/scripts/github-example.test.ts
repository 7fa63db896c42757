/**
 * The GitHub Actions example (examples/github/vigil.yml) cannot rot: every npm script it runs or names
 * exists, and the arguments it passes to deploy and org:sync parse. A minimal reader of the file's
 * `run:` steps, no YAML dependency: it understands the subset the example uses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDeployArgs } from '../../scripts/deploy';
import { parseArgs as parseOrgSyncArgs } from '../../scripts/org-sync';

const ROOT = join(__dirname, '..', '..');
const WORKFLOW = readFileSync(join(ROOT, 'examples', 'github', 'vigil.yml'), 'utf8');
const SCRIPTS = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as object);

/** Jobs by name: the lines of each (two-space keys under `jobs:`). */
function jobs(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const lines = text.split('\n');
  let current: string[] | undefined;
  for (const line of lines.slice(lines.indexOf('jobs:') + 1)) {
    const name = /^ {2}([\w-]+):\s*$/.exec(line);
    if (name) {
      current = [];
      out.set(name[1]!, current);
    } else current?.push(line);
  }
  return out;
}

/** Shell commands of a job's `run:` steps (one-line and `|` blocks, `\` continuations joined). */
function commands(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(- )?run: (.*)$/.exec(lines[i]!);
    if (!m) continue;
    if (m[3] !== '|') {
      out.push(m[3]!.trim());
      continue;
    }
    // A block scalar holds every following line indented deeper than its key.
    const keyIndent = m[1]!.length + (m[2] ? 2 : 0);
    const indent = (line: string) => line.length - line.trimStart().length;
    const block: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1]!.trim() === '' || indent(lines[i + 1]!) > keyIndent)) {
      block.push(lines[++i]!.trim());
    }
    out.push(
      ...block
        .join('\n')
        .replace(/\s*\\\n/g, ' ')
        .split('\n')
        .filter(Boolean),
    );
  }
  return out;
}

const JOBS = jobs(WORKFLOW);
const npmCommands = [...JOBS.values()].flatMap(commands).filter((c) => c.startsWith('npm '));

describe('examples/github/vigil.yml', () => {
  it('has the pull-request, schedule and push jobs, each running what it is there for', () => {
    expect([...JOBS.keys()]).toEqual(['test', 'org-drift', 'deploy']);
    expect(commands(JOBS.get('test')!)).toEqual(
      expect.arrayContaining([
        'npm ci',
        'npm run synth',
        'npm run test:all',
        'npm run deploy -- --plan --offline-check',
      ]),
    );
    expect(commands(JOBS.get('org-drift')!)).toContainEqual(expect.stringMatching(/^gh issue create --title /));
    expect(commands(JOBS.get('org-drift')!)).toContain('npm run org:sync -- --check');
    expect(commands(JOBS.get('deploy')!)).toContain('npm run deploy -- --apply --yes --only-changed');
  });

  it('runs only npm scripts that exist', () => {
    expect(npmCommands.length).toBeGreaterThanOrEqual(6);
    for (const command of npmCommands) {
      const [, verb, script] = command.split(' ');
      if (verb === 'run') expect(SCRIPTS).toContain(script);
      else expect(['ci', 'test']).toContain(verb);
      if (verb === 'test') expect(SCRIPTS).toContain('test');
    }
  });

  it('names only npm scripts that exist, in comments and messages too', () => {
    const named = [...WORKFLOW.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);
    expect(named).toEqual(expect.arrayContaining(['deploy', 'org:sync', 'onboard', 'offboard']));
    for (const script of named) expect(SCRIPTS).toContain(script);
  });

  it('passes arguments that deploy and org:sync accept', () => {
    const argsOf = (script: string) =>
      npmCommands.filter((c) => c.startsWith(`npm run ${script} -- `)).map((c) => c.split(' -- ')[1]!.split(' '));
    expect(argsOf('deploy')).toHaveLength(2);
    for (const args of argsOf('deploy')) expect(() => parseDeployArgs(args)).not.toThrow();
    expect(argsOf('org:sync')).toEqual([['--check']]);
    expect(parseOrgSyncArgs(['--check']).check).toBe(true);
  });

  it('lets exactly the jobs that assume an AWS role ask for an OIDC token', () => {
    for (const [name, lines] of JOBS) {
      const text = lines.join('\n');
      expect([name, text.includes('id-token: write')]).toEqual([
        name,
        text.includes('aws-actions/configure-aws-credentials'),
      ]);
    }
  });
});
