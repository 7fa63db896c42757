/**
 * `npm run onboard` and `npm run offboard` against a temp copy of the config, a mocked AWS Organizations
 * and a fake terraform that records its calls (and whether the inventory still listed the account
 * at the time of each call).
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { loadConfig } from '../../config/load';
import { main as offboard } from '../../scripts/offboard';
import { main as onboard } from '../../scripts/onboard';
import { synthesize } from '../../scripts/onboarding/shared';
import { TEST_ALERTING, TEST_REMEDIATION } from '../fixtures/inventory';
import { awsError, fakeOrg, INVENTORY_TEXT, mockOrganization } from '../fixtures/org-sync/organization';

/** Logs `<stack dir> <args>` to CALLS and `<stack dir> <command> listed=<n>` (WATCH in INVENTORY) to WATCHED. */
const FAKE_TERRAFORM = `#!/bin/sh
stack=\${PWD##*/}
echo "$stack $*" >> "$CALLS"
echo "$stack $1 listed=$(grep -c "\\"$WATCH\\"" "$INVENTORY")" >> "$WATCHED"
if [ "$1" = plan ] && [ "$stack" = "$FAIL_PLAN" ]; then
  echo '{"type":"diagnostic","diagnostic":{"severity":"error","summary":"No valid credential sources found"}}'
  exit 1
fi
if [ "$1" = plan ]; then
  echo '{"type":"change_summary","changes":{"add":1,"change":0,"remove":0,"import":0,"operation":"plan"}}'
fi
exit 0
`;

const NEW = '555555555555';
const full = JSON.parse(INVENTORY_TEXT);
/** The fixture inventory without account 555555555555 (it is in AWS Organizations, fakeOrg()). */
const withoutNew = { ...full, accounts: full.accounts.filter((a: { id: string }) => a.id !== NEW) };

const org = mockClient(OrganizationsClient);
let root: string;
const inventory = () => join(root, 'config', 'org.json');
const stacksDir = () => join(root, 'cdktf.out', 'stacks');

/** Writes the config (inventory without 555555555555), the fake terraform and its logs into `dir`. */
function writeRoot(dir: string): void {
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config', 'org.json'), `${JSON.stringify(withoutNew, null, 2)}\n`);
  writeFileSync(join(dir, 'config', 'alerting.json'), JSON.stringify(TEST_ALERTING));
  writeFileSync(join(dir, 'config', 'remediation.json'), JSON.stringify(TEST_REMEDIATION));
  writeFileSync(join(dir, 'terraform'), FAKE_TERRAFORM);
  chmodSync(join(dir, 'terraform'), 0o755);
  writeFileSync(join(dir, 'calls.log'), '');
  writeFileSync(join(dir, 'watched.log'), '');
}

/**
 * `npm run synth` of the config every test starts from, made once for the file: synth output does not depend on the
 * folder it is written to, so {@link synthBefore} copies it rather than synthesizing the same config again.
 */
let synthesizedBefore: string;
let synthDir: string;
beforeAll(() => {
  synthDir = mkdtempSync(join(tmpdir(), 'vigil-onboarding-synth-'));
  writeRoot(synthDir);
  synthesize(configIn(synthDir), join(synthDir, 'cdktf.out'), {
    out: () => {},
    env: {},
    cwd: synthDir,
    ask: async () => '',
  });
  synthesizedBefore = join(synthDir, 'cdktf.out');
});
afterAll(() => rmSync(synthDir, { recursive: true, force: true }));

beforeEach(() => {
  org.reset();
  mockOrganization(org, fakeOrg());
  root = mkdtempSync(join(tmpdir(), 'vigil-onboarding-'));
  writeRoot(root);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

type Command = typeof onboard | typeof offboard;

/** Runs a command in the temp root; returns its exit code, output, questions and terraform calls. */
async function run(command: Command, args: string[], options: { failPlan?: string; watch?: string } = {}) {
  const lines: string[] = [];
  const asked: string[] = [];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CALLS: join(root, 'calls.log'),
    WATCHED: join(root, 'watched.log'),
    WATCH: options.watch ?? NEW,
    INVENTORY: inventory(),
    FAIL_PLAN: options.failPlan ?? '',
    TMPDIR: root,
  };
  for (const key of ['VIGIL_INVENTORY', 'VIGIL_ALERTING', 'VIGIL_REMEDIATION']) delete env[key];
  const code = await command(['--bin', join(root, 'terraform'), ...args], {
    out: (l) => lines.push(l),
    env,
    cwd: root,
    ask: async (q) => {
      asked.push(q);
      return q.includes("'destroy'") ? 'destroy' : 'apply';
    },
  });
  const log = (file: string) => readFileSync(join(root, file), 'utf8').trim().split('\n').filter(Boolean);
  return { code, out: lines.join('\n'), lines, asked, calls: log('calls.log'), watched: log('watched.log') };
}

const called = (calls: string[], command: string) =>
  calls.filter((c) => c.split(' ')[1] === command).map((c) => c.split(' ')[0]);

/** The config files of `dir`, loaded as `npm run synth` loads them. */
function configIn(dir: string) {
  return loadConfig({
    inventory: join(dir, 'config', 'org.json'),
    alerting: join(dir, 'config', 'alerting.json'),
    remediation: join(dir, 'config', 'remediation.json'),
  });
}

/** The temp config as `npm run synth` would have left it, so the next synth has something to compare with. */
function synthBefore(): void {
  expect(readFileSync(inventory(), 'utf8')).toBe(`${JSON.stringify(withoutNew, null, 2)}\n`);
  cpSync(synthesizedBefore, join(root, 'cdktf.out'), { recursive: true });
}

describe('npm run onboard', () => {
  it('adds exactly that account from AWS Organizations, synthesizes and plans exactly the stacks that changed', async () => {
    synthBefore();
    const { code, out, calls } = await run(onboard, [NEW]);

    expect(code).toBe(0);
    // Adding the one account back gives the inventory the organization describes, byte for byte.
    expect(readFileSync(inventory(), 'utf8')).toBe(INVENTORY_TEXT);
    expect(out).toContain(`account ${NEW}`);
    const planned = called(calls, 'plan');
    expect(planned).toEqual(expect.arrayContaining(['security', `member-${NEW}`]));
    expect(planned).not.toContain('member-444444444444');
    // The stacks planned are the ones the synth summary reports as changed, and the command says so.
    const summary = out.split('\n').find((l) => l.includes('since the last synth'))!;
    for (const id of planned) expect(summary).toContain(id);
    expect(out).toContain(`$ npm run deploy -- --plan --stacks ${planned.join(',')}`);
    expect(out).toContain(`next, after reviewing the plan: npm run deploy -- --apply --stacks ${planned.join(',')}`);
    expect(called(calls, 'apply')).toEqual([]);
  });

  it('applies them with --apply --yes, taking the account from --from-file, security before the member', async () => {
    synthBefore();
    writeFileSync(join(root, 'synced.json'), INVENTORY_TEXT);
    const { code, calls, asked } = await run(onboard, [NEW, '--apply', '--yes', '--from-file', 'synced.json']);
    expect(code).toBe(0);
    expect(asked).toEqual([]);
    expect(org.calls()).toHaveLength(0);
    const applied = called(calls, 'apply');
    expect(applied).toEqual(expect.arrayContaining(['security', `member-${NEW}`]));
    expect(applied.indexOf('security')).toBeLessThan(applied.indexOf(`member-${NEW}`));
    const record = JSON.parse(readFileSync(join(root, '.vigil', 'applied.json'), 'utf8'));
    expect(Object.keys(record.stacks)).toEqual(expect.arrayContaining(['security', `member-${NEW}`]));
  });

  it('falls back to --only-changed when synth cannot tell what changed (first synth in the folder)', async () => {
    const { code, out, calls } = await run(onboard, ['444444444444']);
    expect(code).toBe(0);
    expect(out).toContain('held no stacks before');
    expect(out).toContain('$ npm run deploy -- --plan --only-changed');
    expect(called(calls, 'plan')).toContain('log-archive');
  });

  it('says precisely when the account is not in the organization, and changes nothing', async () => {
    const { code, out, calls } = await run(onboard, ['666666666666']);
    expect(code).toBe(2);
    expect(out).toMatch(/666666666666 is not an active account of AWS Organizations \(o-a1b2c3d4e5\): check the id/);
    expect(readFileSync(inventory(), 'utf8')).toBe(`${JSON.stringify(withoutNew, null, 2)}\n`);
    expect(calls).toEqual([]);
    expect(existsSync(stacksDir())).toBe(false);
  });

  it('names the fixes when AWS Organizations cannot be read', async () => {
    org.on(DescribeOrganizationCommand).rejects(awsError('AccessDeniedException', 'not allowed'));
    const { code, out } = await run(onboard, [NEW]);
    expect(code).toBe(2);
    expect(out).toContain('AWS Organizations could not be read');
    expect(out).toContain(`AWS_PROFILE=<management profile> npm run onboard -- ${NEW}`);
    expect(out).toContain('--from-file <org.json>');
  });

  it('adds the OUs of the account missing from the file, writes it, and stops on what must be hand-set', async () => {
    writeFileSync(
      inventory(),
      JSON.stringify({
        ...withoutNew,
        organizationalUnits: withoutNew.organizationalUnits.filter((o: { id: string }) => o.id !== 'ou-a1b2-n0npr0d1'),
      }),
    );
    const { code, out, calls } = await run(onboard, [NEW]);
    expect(code).toBe(1);
    const written = JSON.parse(readFileSync(inventory(), 'utf8'));
    expect(written.organizationalUnits.map((o: { id: string }) => o.id)).toContain('ou-a1b2-n0npr0d1');
    expect(written.accounts.map((a: { id: string }) => a.id)).toContain(NEW);
    expect(out).toMatch(/problem\(s\); hand-set these, then run npm run onboard -- 555555555555 again/);
    expect(calls).toEqual([]);
  });

  it.each([
    [[], /name the account/],
    [['12345'], /'12345' is not an account id/],
    [[NEW, '--yes'], /--yes only goes with --apply/],
    [[NEW, '--frobnicate'], /unknown argument '--frobnicate'/],
  ])('fails with usage for %j', async (args, message) => {
    const { code, out, calls } = await run(onboard, args);
    expect(code).toBe(2);
    expect(out).toMatch(message);
    expect(calls).toEqual([]);
  });

  it('prints its usage with --help', async () => {
    const { code, out } = await run(onboard, ['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^usage: npm run onboard -- <account-id>/);
  });
});

describe('npm run offboard', () => {
  const GONE = '444444444444';
  const member = `member-${GONE}`;

  it('plans the destruction of the member only, changes nothing and prints the remaining steps', async () => {
    const { code, out, calls } = await run(offboard, [GONE], { watch: GONE });
    expect(code).toBe(0);
    expect(calls).toEqual([
      `${member} init -input=false -no-color`,
      `${member} plan -destroy -input=false -json -out=tfplan`,
    ]);
    expect(readFileSync(inventory(), 'utf8')).toContain(`"${GONE}"`);
    expect(out).toContain(`$ npm run deploy -- --plan --destroy --stacks ${member}`);
    expect(out).toContain(`to do all three: npm run offboard -- ${GONE} --apply`);
  });

  it('destroys the member while the inventory still lists it, then removes it, synthesizes and applies security', async () => {
    const { code, calls, watched, asked, out } = await run(offboard, [GONE, '--apply'], { watch: GONE });
    expect(code).toBe(0);
    expect(out).toContain(`1 removed (${member}: stale folders deleted)`);
    expect(out).not.toContain('a removed stack still exists in AWS');
    expect(asked[0]).toBe(`destroy ${member}? type 'destroy' to continue: `);
    expect(watched).toContain(`${member} apply listed=1`);
    expect(called(calls, 'apply')[0]).toBe(member);
    expect(called(calls, 'apply')).toContain('security');
    expect(watched).toContain('security apply listed=0');
    expect(called(calls, 'apply')).not.toContain('member-555555555555');
    expect(JSON.parse(readFileSync(inventory(), 'utf8')).accounts.map((a: { id: string }) => a.id)).not.toContain(GONE);
    expect(existsSync(join(stacksDir(), member))).toBe(false);
  });

  it('stops before touching the inventory when the destroy plan fails', async () => {
    const { code, out, calls } = await run(offboard, [GONE, '--apply', '--yes'], { watch: GONE, failPlan: member });
    expect(code).toBe(1);
    expect(called(calls, 'apply')).toEqual([]);
    expect(readFileSync(inventory(), 'utf8')).toContain(`"${GONE}"`);
    expect(out).toContain('stopped at step 1');
  });

  it('refuses before destroying anything when the config names the account elsewhere', async () => {
    writeFileSync(
      join(root, 'config', 'remediation.json'),
      JSON.stringify({ ...TEST_REMEDIATION, modes: [...TEST_REMEDIATION.modes, { account: GONE, mode: 'notify' }] }),
    );
    const { code, out, calls } = await run(offboard, [GONE, '--apply', '--yes'], { watch: GONE });
    expect(code).toBe(1);
    expect(out).toMatch(/without 444444444444 the config would have \d+ problem\(s\); fix them first/);
    expect(calls).toEqual([]);
  });

  it.each([
    ['111111111111', /the management account/],
    ['222222222222', /the log-archive account/],
    ['333333333333', /the security account/],
  ])('refuses to offboard %s (%s)', async (id, role) => {
    const { code, out, calls } = await run(offboard, [id, '--apply', '--yes']);
    expect(code).toBe(2);
    expect(out).toMatch(role);
    expect(out).toContain('cannot be offboarded like a member');
    expect(calls).toEqual([]);
  });

  it('explains an account that is no longer in the inventory', async () => {
    const { code, out } = await run(offboard, [NEW]);
    expect(code).toBe(2);
    expect(out).toMatch(/is not in config\/org\.json.*put it back \(git checkout/);
  });
});
