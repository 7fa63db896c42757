/**
 * `npm run deploy` with a fake terraform that records its calls: order, working directories,
 * failure handling, the apply confirmation, --only-changed and --destroy. (The real binary runs it in
 * plan.test.ts.)
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { main as deploy } from '../../scripts/deploy';

const STACKS = ['bootstrap', 'log-archive', 'member-111111111111', 'member-222222222222', 'org-trail', 'security'];

/**
 * A terraform that logs `<stack dir> <args>`, fails `plan` in the stack named by FAIL_PLAN and `apply`
 * in the one named by FAIL_APPLY.
 */
const FAKE_TERRAFORM = `#!/bin/sh
echo "$(basename "$PWD") $*" >> "$CALLS"
if [ "$1" = plan ] && [ "$(basename "$PWD")" = "$FAIL_PLAN" ]; then
  echo '{"type":"diagnostic","diagnostic":{"severity":"error","summary":"Invalid provider configuration"}}'
  exit 1
fi
if [ "$1" = apply ] && [ "$(basename "$PWD")" = "$FAIL_APPLY" ]; then
  echo 'Error: AccessDenied' >&2
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
  const stackFile = (id: string) => join(dir, 'out', 'stacks', id, 'cdk.tf.json');
  // --only-changed's record: next to the output folder, as `.vigil/applied.json` is next to cdktf.out.
  const record = join(dir, '.vigil', 'applied.json');
  const recorded = (): Record<string, { hash: string }> => JSON.parse(readFileSync(record, 'utf8')).stacks;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    writeFileSync(calls, '');
    rmSync(join(dir, '.vigil'), { recursive: true, force: true });
    for (const id of STACKS) {
      mkdirSync(join(dir, 'out', 'stacks', id), { recursive: true });
      writeFileSync(stackFile(id), `{"stack":"${id}"}`);
    }
  });

  const run = async (args: string[], options: { failPlan?: string; failApply?: string; answer?: string } = {}) => {
    const lines: string[] = [];
    const asked: string[] = [];
    const code = await deploy(['--bin', bin, '--dir', join(dir, 'out'), ...args], {
      out: (l) => lines.push(l),
      env: {
        ...process.env,
        CALLS: calls,
        FAIL_PLAN: options.failPlan ?? '',
        FAIL_APPLY: options.failApply ?? '',
        TMPDIR: dir,
      },
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

  it('inits and plans each stack in its own folder: security, log-archive, org-trail, then the members', async () => {
    const { code, recorded, lines } = await run(['--plan', '--parallelism', '1']);
    expect(code).toBe(0);
    expect(stacksCalled(recorded, 'plan')).toEqual([
      'security',
      'log-archive',
      'org-trail',
      'member-111111111111',
      'member-222222222222',
    ]);
    expect(recorded.slice(0, 2)).toEqual([
      'security init -input=false -no-color',
      expect.stringMatching(/^security plan .*-out=tfplan/),
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^security +planned +2 +1 +0 /));
  });

  it('leaves bootstrap out unless named: it is applied alone, with management-account administrator credentials', async () => {
    const all = await run(['--plan']);
    expect(stacksCalled(all.recorded, 'plan')).not.toContain('bootstrap');
    expect(all.lines).toContainEqual(expect.stringMatching(/^not included: bootstrap: .*--stacks bootstrap/));
    writeFileSync(calls, '');
    const alone = await run(['--plan', '--stacks', 'bootstrap']);
    expect(alone.code).toBe(0);
    expect(stacksCalled(alone.recorded, 'plan')).toEqual(['bootstrap']);
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
    expect(asked).toEqual(["apply security? type 'apply' to continue: "]);
    expect(stacksCalled(recorded, 'apply')).toEqual([]);
  });

  it('applies the saved plans wave by wave once confirmed', async () => {
    const { code, recorded } = await run(['--apply', '--parallelism', '1'], { answer: 'apply' });
    expect(code).toBe(0);
    expect(stacksCalled(recorded, 'apply')).toEqual([
      'security',
      'log-archive',
      'org-trail',
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
    [['--apply', '--destroy'], /--destroy needs --stacks/],
    [['--plan', '--destroy', '--stacks', 'security'], /--destroy refuses central stacks \(security\).*--allow-central/],
    [['--plan', '--destroy', '--stacks', 'member-111111111111', '--only-changed'], /--only-changed does not apply/],
    [['--plan', '--allow-central'], /--allow-central only goes with --destroy/],
  ])('fails with usage for %j', async (args, message) => {
    const { code, lines, recorded } = await run(args);
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(message);
    expect(recorded).toEqual([]);
  });

  describe("apply in the members' wave", () => {
    it("applies every member that planned when another member's plan failed, and fails", async () => {
      const {
        code,
        recorded: calls,
        lines,
        asked,
      } = await run(['--apply'], {
        failPlan: 'member-111111111111',
        answer: 'apply',
      });
      expect(code).toBe(1);
      expect(stacksCalled(calls, 'apply')).toEqual(['security', 'log-archive', 'org-trail', 'member-222222222222']);
      expect(asked).toContain(
        "apply member-222222222222 (not member-111111111111: plan failed)? type 'apply' to continue: ",
      );
      expect(lines).toContainEqual(expect.stringMatching(/^member-111111111111 +failed +.*plan failed/));
      expect(lines).toContainEqual(expect.stringMatching(/^member-222222222222 +applied /));
      expect(Object.keys(recorded())).toEqual(['log-archive', 'member-222222222222', 'org-trail', 'security']);
    });

    it("applies the other members when one member's apply fails", async () => {
      const {
        code,
        recorded: calls,
        lines,
      } = await run(['--apply', '--yes', '--parallelism', '1'], {
        failApply: 'member-111111111111',
      });
      expect(code).toBe(1);
      expect(stacksCalled(calls, 'apply')).toEqual([
        'security',
        'log-archive',
        'org-trail',
        'member-111111111111',
        'member-222222222222',
      ]);
      expect(lines).toContainEqual(expect.stringMatching(/^member-111111111111 +failed .*apply failed/));
      expect(lines).toContainEqual(expect.stringMatching(/^member-222222222222 +applied /));
      expect(recorded()).not.toHaveProperty('member-111111111111');
    });

    it('applies nothing of a central wave with a failed plan, nor any later wave', async () => {
      const { code, recorded: calls, lines } = await run(['--apply', '--yes'], { failPlan: 'org-trail' });
      expect(code).toBe(1);
      expect(stacksCalled(calls, 'apply')).toEqual(['security', 'log-archive']);
      expect(stacksCalled(calls, 'plan')).toEqual(['security', 'log-archive', 'org-trail']);
      expect(lines).toContainEqual(expect.stringMatching(/^member-111111111111 +skipped .*org-trail failed/));
      expect(lines).toContainEqual(expect.stringMatching(/^member-222222222222 +skipped .*org-trail failed/));
    });

    it("stops the members when the security stack's apply fails", async () => {
      const { code, recorded: calls, lines } = await run(['--apply', '--yes'], { failApply: 'security' });
      expect(code).toBe(1);
      expect(stacksCalled(calls, 'plan')).not.toContain('member-111111111111');
      expect(lines).toContainEqual(expect.stringMatching(/^member-111111111111 +skipped .*security failed/));
    });
  });

  describe('--only-changed', () => {
    it("records each applied stack's hash next to the output folder", async () => {
      const { code } = await run(['--apply', '--yes']);
      expect(code).toBe(0);
      expect(Object.keys(recorded())).toEqual(STACKS.filter((s) => s !== 'bootstrap').sort());
      expect(recorded()['security']!.hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('runs every stack when nothing was applied from here yet', async () => {
      const { code, recorded: calls, lines } = await run(['--plan', '--only-changed']);
      expect(code).toBe(0);
      expect(stacksCalled(calls, 'plan')).toHaveLength(5);
      expect(lines).toContainEqual(expect.stringMatching(/^every stack changed since its last apply/));
    });

    it('skips the stacks unchanged since their last apply; later changed stacks still run, in order', async () => {
      expect((await run(['--apply', '--yes'])).code).toBe(0);
      writeFileSync(stackFile('security'), '{"stack":"security","changed":true}');
      writeFileSync(stackFile('member-222222222222'), '{"stack":"member-222222222222","changed":true}');
      writeFileSync(calls, '');

      const { code, recorded: calls2, lines } = await run(['--apply', '--yes', '--only-changed']);
      expect(code).toBe(0);
      expect(stacksCalled(calls2, 'plan')).toEqual(['security', 'member-222222222222']);
      expect(stacksCalled(calls2, 'apply')).toEqual(['security', 'member-222222222222']);
      expect(lines).toContain(
        `unchanged since their last apply (${record}), skipped: log-archive, org-trail, member-111111111111`,
      );
      expect(lines).toContainEqual(expect.stringMatching(/^org-trail +unchanged +- +- +- +0\.0 s$/));
      expect(lines).toContainEqual(expect.stringMatching(/^member-222222222222 +applied /));

      writeFileSync(calls, '');
      const again = await run(['--apply', '--yes', '--only-changed']);
      expect(again.code).toBe(0);
      expect(again.recorded).toEqual([]);
    });

    it('counts a stack whose apply failed as changed next time', async () => {
      await run(['--apply', '--yes'], { failApply: 'member-111111111111' });
      writeFileSync(calls, '');
      const { recorded: calls2 } = await run(['--plan', '--only-changed']);
      expect(stacksCalled(calls2, 'plan')).toEqual(['member-111111111111']);
    });

    it('names the fix for a corrupt record', async () => {
      mkdirSync(join(dir, '.vigil'), { recursive: true });
      writeFileSync(record, 'not json');
      const { code, lines, recorded: calls2 } = await run(['--plan', '--only-changed']);
      expect(code).toBe(2);
      expect(lines.join('\n')).toMatch(/applied\.json is not valid JSON .*delete it/);
      expect(calls2).toEqual([]);
    });
  });

  describe('--destroy', () => {
    it('plans the destruction of the named member only', async () => {
      const { code, recorded: calls } = await run(['--plan', '--destroy', '--stacks', 'member-222222222222']);
      expect(code).toBe(0);
      expect(calls).toEqual([
        'member-222222222222 init -input=false -no-color',
        'member-222222222222 plan -destroy -input=false -json -out=tfplan',
      ]);
    });

    it("destroys after a typed destroy, forgets the stack's record and says destroyed", async () => {
      await run(['--apply', '--yes']);
      writeFileSync(calls, '');
      const {
        code,
        recorded: calls2,
        asked,
        lines,
      } = await run(['--apply', '--destroy', '--stacks', 'member-222222222222'], { answer: 'destroy' });
      expect(code).toBe(0);
      expect(asked).toEqual(["destroy member-222222222222? type 'destroy' to continue: "]);
      expect(calls2).toContain('member-222222222222 apply -input=false -no-color tfplan');
      expect(lines).toContainEqual(expect.stringMatching(/^member-222222222222 +destroyed +2 +1 +0 /));
      expect(recorded()).not.toHaveProperty('member-222222222222');
      expect(recorded()).toHaveProperty('member-111111111111');
    });

    it('does not destroy when apply is typed instead of destroy', async () => {
      const { code, recorded: calls } = await run(['--apply', '--destroy', '--stacks', 'member-222222222222'], {
        answer: 'apply',
      });
      expect(code).toBe(1);
      expect(stacksCalled(calls, 'apply')).toEqual([]);
    });

    it('destroys in reverse dependency order: members before central stacks (with --allow-central)', async () => {
      const { code, recorded: calls } = await run([
        '--plan',
        '--destroy',
        '--allow-central',
        '--stacks',
        'security,member-111111111111,log-archive',
      ]);
      expect(code).toBe(0);
      expect(stacksCalled(calls, 'plan')).toEqual(['member-111111111111', 'log-archive', 'security']);
    });

    it('explains a member stack whose folder synth already removed', async () => {
      const { code, lines } = await run(['--plan', '--destroy', '--stacks', 'member-999999999999']);
      expect(code).toBe(2);
      expect(lines.join('\n')).toMatch(/put the account back, `npm run synth`, destroy/);
      expect(existsSync(record)).toBe(false);
    });
  });
});
