/**
 * `npm run deploy` with a fake terraform that records its calls: order, working directories,
 * failure handling and the apply confirmation. (The real binary runs it in plan.test.ts.)
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { main as deploy } from '../../scripts/deploy';

const STACKS = ['log-archive', 'member-111111111111', 'member-222222222222', 'org-trail', 'security'];

/** A terraform that logs `<stack dir> <args>` and fails `plan` in the stack named by FAIL_PLAN. */
const FAKE_TERRAFORM = `#!/bin/sh
echo "$(basename "$PWD") $*" >> "$CALLS"
if [ "$1" = plan ] && [ "$(basename "$PWD")" = "$FAIL_PLAN" ]; then
  echo '{"type":"diagnostic","diagnostic":{"severity":"error","summary":"Invalid provider configuration"}}'
  exit 1
fi
if [ "$1" = plan ]; then
  echo '{"type":"change_summary","changes":{"add":2,"change":1,"remove":0,"import":0,"operation":"plan"}}'
fi
exit 0
`;

describe('npm run deploy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-fake-terraform-'));
  const bin = join(dir, 'terraform');
  const calls = join(dir, 'calls.log');
  writeFileSync(bin, FAKE_TERRAFORM);
  chmodSync(bin, 0o755);
  for (const id of STACKS) {
    mkdirSync(join(dir, 'out', 'stacks', id), { recursive: true });
    writeFileSync(join(dir, 'out', 'stacks', id, 'cdk.tf.json'), '{}');
  }
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => writeFileSync(calls, ''));

  const run = async (args: string[], options: { failPlan?: string; answer?: string } = {}) => {
    const lines: string[] = [];
    const asked: string[] = [];
    const code = await deploy(['--bin', bin, '--dir', join(dir, 'out'), ...args], {
      out: (l) => lines.push(l),
      env: { ...process.env, CALLS: calls, FAIL_PLAN: options.failPlan ?? '', TMPDIR: dir },
      ask: async (q) => {
        asked.push(q);
        return options.answer ?? '';
      },
    });
    const recorded = readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean);
    return { code, lines, asked, recorded };
  };
  const stacksCalled = (recorded: string[], command: string) =>
    recorded.filter((c) => c.split(' ')[1] === command).map((c) => c.split(' ')[0]);

  it('inits and plans each stack in its own folder: log-archive, org-trail, security, then the members', async () => {
    const { code, recorded, lines } = await run(['--plan', '--parallelism', '1']);
    expect(code).toBe(0);
    expect(stacksCalled(recorded, 'plan')).toEqual([
      'log-archive',
      'org-trail',
      'security',
      'member-111111111111',
      'member-222222222222',
    ]);
    expect(recorded.slice(0, 2)).toEqual([
      'log-archive init -input=false -no-color',
      expect.stringMatching(/^log-archive plan .*-out=tfplan/),
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^security +planned +2 +1 +0 /));
  });

  it('stops the members when security fails, and fails', async () => {
    const { code, recorded, lines } = await run(['--plan'], { failPlan: 'security' });
    expect(code).toBe(1);
    expect(stacksCalled(recorded, 'init').map((s) => basename(s))).not.toContain('member-111111111111');
    expect(lines).toContainEqual(expect.stringMatching(/^member-111111111111 +skipped .*security failed/));
    expect(lines).toContainEqual(expect.stringContaining('security: error: Invalid provider configuration'));
  });

  it('plans the other members when one member fails', async () => {
    const { code, lines } = await run(['--plan'], { failPlan: 'member-111111111111' });
    expect(code).toBe(1);
    expect(lines).toContainEqual(expect.stringMatching(/^member-111111111111 +failed /));
    expect(lines).toContainEqual(expect.stringMatching(/^member-222222222222 +planned /));
  });

  it('applies nothing unless the confirmation is typed', async () => {
    const { code, recorded, asked } = await run(['--apply'], { answer: 'yes' });
    expect(code).toBe(1);
    expect(asked).toEqual(["apply log-archive? type 'apply' to continue: "]);
    expect(stacksCalled(recorded, 'apply')).toEqual([]);
  });

  it('applies the saved plans wave by wave once confirmed', async () => {
    const { code, recorded } = await run(['--apply', '--parallelism', '1'], { answer: 'apply' });
    expect(code).toBe(0);
    expect(stacksCalled(recorded, 'apply')).toEqual([
      'log-archive',
      'org-trail',
      'security',
      'member-111111111111',
      'member-222222222222',
    ]);
    expect(recorded).toContain('security apply -input=false -no-color tfplan');
  });

  it.each([
    [
      ['--plan', '--stacks', 'member-333333333333'],
      /--stacks names stacks that were not synthesized: member-333333333333/,
    ],
    [['--apply', '--offline-check'], /--offline-check .* cannot be applied/],
    [[], /say what to do: --plan or --apply/],
  ])('fails with usage for %j', async (args, message) => {
    const { code, lines, recorded } = await run(args);
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(message);
    expect(recorded).toEqual([]);
  });
});
