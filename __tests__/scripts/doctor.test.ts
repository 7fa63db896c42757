import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AccessDeniedException,
  AWSOrganizationsNotInUseException,
  DescribeOrganizationCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { ExpiredTokenException, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { type Check, main, runChecks } from '../../scripts/doctor';
import { currentPlatform } from '../../scripts/terraform/toolchain';
import 'aws-sdk-client-mock-jest';

const ROOT = resolve(__dirname, '../..');
const organizations = mockClient(OrganizationsClient);
const sts = mockClient(STSClient);

/** The example org (config/org.json) as AWS would describe it when it is ready for vigil. */
function readyOrganization() {
  organizations.reset();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({
    Account: '110000000001',
    Arn: 'arn:aws:sts::110000000001:assumed-role/Admin/me',
  });
  organizations.on(DescribeOrganizationCommand).resolves({
    Organization: { Id: 'o-k3m9x2p7qa', MasterAccountId: '110000000001', FeatureSet: 'ALL' },
  });
  organizations.on(ListRootsCommand).resolves({
    Roots: [{ Id: 'r-k3m9', PolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }] }],
  });
  organizations
    .on(ListAWSServiceAccessForOrganizationCommand)
    .resolvesOnce({ EnabledServicePrincipals: [{ ServicePrincipal: 'cloudtrail.amazonaws.com' }], NextToken: 'p2' })
    .resolves({
      EnabledServicePrincipals: [
        { ServicePrincipal: 'member.org.stacksets.cloudformation.amazonaws.com' },
        { ServicePrincipal: 'account.amazonaws.com' },
      ],
    });
  organizations.on(ListDelegatedAdministratorsCommand).resolves({ DelegatedAdministrators: [] });
}
const clients = () => ({ organizations: new OrganizationsClient({}), sts: new STSClient({}) });

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doctor-test-'));
  mkdirSync(join(dir, 'project', 'config'), { recursive: true });
  for (const f of ['org.json', 'alerting.json', 'remediation.json']) {
    copyFileSync(join(ROOT, 'config', f), join(dir, 'project', 'config', f));
  }
  mkdirSync(join(dir, 'project', 'node_modules', 'cdktf'), { recursive: true });
  // A terraform binary on PATH and a provider mirror, both fake.
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'terraform'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(dir, 'bin', 'terraform'), 0o755);
  const provider = join(dir, 'mirror', 'registry.terraform.io', 'hashicorp', 'aws', '5.100.0', currentPlatform());
  mkdirSync(provider, { recursive: true });
  writeFileSync(join(provider, 'terraform-provider-aws_v5.100.0_x5'), '');
  env = { PATH: join(dir, 'bin'), VIGIL_TF_PLUGIN_DIR: join(dir, 'mirror'), AWS_PROFILE: 'deploy' };
});
beforeEach(readyOrganization);
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cwd = () => join(dir, 'project');
const verdicts = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.name, c.verdict]));

function synthAt(seconds: number) {
  mkdirSync(join(cwd(), 'cdktf.out'), { recursive: true });
  writeFileSync(join(cwd(), 'cdktf.out', 'manifest.json'), '{}');
  utimesSync(join(cwd(), 'cdktf.out', 'manifest.json'), seconds, seconds);
}

describe('npm run doctor', () => {
  it('passes a ready checkout, and says what to run', async () => {
    synthAt(Date.now() / 1000 + 60);
    const out: string[] = [];

    const code = await main([], { cwd: cwd(), env, nodeVersion: 'v22.12.0', stdout: (l) => out.push(l), aws: clients });

    expect(code).toBe(0);
    expect(out.filter((l) => /^[✓!✗-]/.test(l)).map((l) => l[0])).toEqual(Array(12).fill('✓'));
    expect(out.at(-1)).toBe('ready: npm run synth, npm test, npm run deploy -- --plan');
  });

  it.each([
    ['v18.19.0', 'fail'],
    ['v20.20.2', 'warn'],
    ['v22.12.0', 'ok'],
  ])('judges Node.js %s as %s', (nodeVersion, verdict) => {
    expect(verdicts(runChecks({ cwd: cwd(), env, nodeVersion }))['Node.js']).toBe(verdict);
  });

  it('fails on missing dependencies and an invalid config, naming every problem, and exits 1', async () => {
    rmSync(join(cwd(), 'node_modules'), { recursive: true });
    writeFileSync(join(cwd(), 'config', 'alerting.json'), JSON.stringify({ repeatWindowSeconds: -1 }));
    const out: string[] = [];

    const code = await main(['--offline'], { cwd: cwd(), env, nodeVersion: 'v22.12.0', stdout: (l) => out.push(l) });

    expect(code).toBe(1);
    const text = out.join('\n');
    expect(text).toMatch(/✗ dependencies +not installed: run `npm ci`/);
    expect(text).toMatch(/✗ config[\s\S]*alerting\.json: repeatWindowSeconds/);
    expect(out.at(-1)).toBe('2 problem(s) block vigil here; fix the ✗ lines.');
  });

  it('notes what only deploying needs: terraform, the mirror, a fresh synth, credentials', () => {
    synthAt(1);

    const bare = { PATH: join(dir, 'nothing'), VIGIL_TF_PLUGIN_DIR: join(dir, 'no-mirror') };
    const checks = runChecks({ cwd: cwd(), env: bare, nodeVersion: 'v22.12.0' });

    expect(verdicts(checks)).toMatchObject({
      terraform: 'warn',
      'provider mirror': 'warn',
      'synth output': 'warn',
      'AWS credentials': 'warn',
    });
    expect(checks.find((c) => c.name === 'synth output')!.detail).toMatch(/older than the config: run `npm run synth`/);
  });
});

describe('npm run doctor: the AWS preflight', () => {
  const run = async (argv: string[] = [], extraEnv: NodeJS.ProcessEnv = {}) => {
    const out: string[] = [];
    const code = await main(argv, {
      cwd: cwd(),
      env: { ...env, ...extraEnv },
      nodeVersion: 'v22.12.0',
      stdout: (l) => out.push(l),
      aws: clients,
    });
    return { code, out, line: (name: string) => out.find((l) => l.slice(2).startsWith(name)) ?? `(no ${name} line)` };
  };
  const denied = (action: string) =>
    new AccessDeniedException({ message: `not authorized to ${action}`, $metadata: {} });

  it('checks the organization read-only with the credentials it finds, and passes a ready one', async () => {
    const { out } = await run();

    expect(out.slice(7, 12)).toEqual([
      expect.stringMatching(
        /^✓ AWS identity +arn:aws:sts::110000000001:assumed-role\/Admin\/me \(the management account\)$/,
      ),
      expect.stringMatching(/^✓ organization +o-k3m9x2p7qa, all features, management account 110000000001$/),
      expect.stringMatching(/^✓ organization root +r-k3m9: SCP policy type enabled$/),
      expect.stringMatching(
        /^✓ trusted access +enabled for cloudtrail\.amazonaws\.com, member\.org\.stacksets\.cloudformation\.amazonaws\.com, account\.amazonaws\.com$/,
      ),
      expect.stringMatching(/^✓ CloudTrail delegated admin +none; none needed/),
    ]);
    expect(organizations).toHaveReceivedCommandTimes(ListAWSServiceAccessForOrganizationCommand, 2);
    expect(organizations).toHaveReceivedNthCommandWith(4, ListAWSServiceAccessForOrganizationCommand, {
      NextToken: 'p2',
    });
    expect(organizations).toHaveReceivedCommandWith(ListDelegatedAdministratorsCommand, {
      ServicePrincipal: 'cloudtrail.amazonaws.com',
    });
  });

  it('without credentials says in one line that it skipped the preflight and how to run it, calling nothing', async () => {
    const { code, out } = await run([], { AWS_PROFILE: undefined });

    expect(code).toBe(0);
    expect(out.filter((l) => l.slice(2).startsWith('AWS preflight'))).toEqual([
      expect.stringMatching(
        /^- AWS preflight +skipped: no AWS credentials .*run `npm run doctor -- --aws` with management-account credentials/,
      ),
    ]);
    expect(organizations.calls()).toHaveLength(0);
    expect(sts.calls()).toHaveLength(0);
  });

  it('runs with --aws even without credentials in the environment, and never with --offline', async () => {
    expect((await run(['--aws'], { AWS_PROFILE: undefined })).line('organization root')).toMatch(/^✓/);
    organizations.resetHistory();

    expect((await run(['--offline'])).line('AWS preflight')).toMatch(/^- AWS preflight +skipped \(--offline\)$/);
    expect(organizations.calls()).toHaveLength(0);
  });

  it('names every missing prerequisite with the exact command that fixes it, and exits 1', async () => {
    organizations.on(DescribeOrganizationCommand).resolves({
      Organization: { Id: 'o-k3m9x2p7qa', MasterAccountId: '110000000001', FeatureSet: 'CONSOLIDATED_BILLING' },
    });
    organizations.on(ListRootsCommand).resolves({ Roots: [{ Id: 'r-k3m9', PolicyTypes: [] }] });
    organizations.on(ListAWSServiceAccessForOrganizationCommand).resolves({ EnabledServicePrincipals: [] });

    const { code, line } = await run();

    expect(code).toBe(1);
    expect(line('organization ')).toMatch(
      /^✗ .*feature set CONSOLIDATED_BILLING.*`aws organizations enable-all-features`/,
    );
    expect(line('organization root')).toMatch(
      /^✗ .*SCP policy type is not enabled.*`aws organizations enable-policy-type --root-id r-k3m9 --policy-type SERVICE_CONTROL_POLICY`/,
    );
    expect(line('trusted access')).toMatch(
      /^✗ .*cloudtrail\.amazonaws\.com.*`aws organizations enable-aws-service-access --service-principal cloudtrail\.amazonaws\.com`.*member\.org\.stacksets\.cloudformation\.amazonaws\.com.*`aws cloudformation activate-organizations-access`/,
    );
  });

  it('needs trusted access for Account Management only while the opt-in region check is on', async () => {
    organizations.on(ListAWSServiceAccessForOrganizationCommand).resolves({
      EnabledServicePrincipals: [
        { ServicePrincipal: 'cloudtrail.amazonaws.com' },
        { ServicePrincipal: 'member.org.stacksets.cloudformation.amazonaws.com' },
      ],
    });
    expect((await run()).line('trusted access')).toMatch(
      /^✗ .*not enabled for account\.amazonaws\.com, which the coverage function's opt-in region check .*needs: `aws organizations enable-aws-service-access --service-principal account\.amazonaws\.com \(or set "optInRegionCheck": false in config\/org\.json\)`$/,
    );

    const orgFile = join(dir, 'project', 'config', 'org.json');
    writeFileSync(orgFile, JSON.stringify({ ...JSON.parse(readFileSync(orgFile, 'utf8')), optInRegionCheck: false }));
    expect((await run()).line('trusted access')).toMatch(
      /^✓ trusted access +enabled for cloudtrail\.amazonaws\.com, member\.org\.stacksets\.cloudformation\.amazonaws\.com$/,
    );
  });

  it('fails when the organization is not the one config/org.json describes', async () => {
    organizations.on(DescribeOrganizationCommand).resolves({
      Organization: { Id: 'o-other00000', MasterAccountId: '999999999999', FeatureSet: 'ALL' },
    });
    organizations.on(ListRootsCommand).resolves({ Roots: [{ Id: 'r-zz99', PolicyTypes: [] }] });

    const { line } = await run();

    expect(line('organization ')).toMatch(
      /^✗ .*its id is o-other00000, but config\/org\.json says o-k3m9x2p7qa: check AWS_PROFILE.*management account is 999999999999/,
    );
    expect(line('organization root')).toMatch(
      /^✗ .*root r-k3m9 of config\/org\.json is not this organization's \(r-zz99\)/,
    );
  });

  it('turns a denied call into a note naming the permission, and still runs the other checks', async () => {
    organizations.on(ListRootsCommand).rejects(denied('ListRoots'));
    organizations.on(ListAWSServiceAccessForOrganizationCommand).rejects(denied('ListAWSServiceAccessForOrganization'));

    const { code, line } = await run();

    expect(code).toBe(0);
    expect(line('organization root')).toMatch(/^! .*access denied; these credentials need organizations:ListRoots/);
    expect(line('trusted access')).toMatch(/^! .*need organizations:ListAWSServiceAccessForOrganization/);
    expect(line('CloudTrail delegated admin')).toMatch(/^✓/);
  });

  it('warns when the credentials are not the management account', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: '110000000003', Arn: 'arn:aws:sts::110000000003:assumed-role/Admin/me' });

    expect((await run()).line('AWS identity')).toMatch(
      /^! .*in account 110000000003, not the management account 110000000001/,
    );
  });

  it('stops at credentials that do not work, in one line, without calling Organizations', async () => {
    sts.on(GetCallerIdentityCommand).rejects(new ExpiredTokenException({ message: 'token expired', $metadata: {} }));

    const { code, out } = await run();

    expect(code).toBe(1);
    expect(out.filter((l) => l.slice(2).startsWith('AWS preflight'))).toEqual([
      expect.stringMatching(
        /^✗ AWS preflight +the credentials do not work \(ExpiredTokenException: token expired\); refresh them/,
      ),
    ]);
    expect(organizations.calls()).toHaveLength(0);
  });

  it('says when the account belongs to no organization', async () => {
    organizations
      .on(DescribeOrganizationCommand)
      .rejects(new AWSOrganizationsNotInUseException({ message: 'not in use', $metadata: {} }));

    expect((await run()).line('organization ')).toMatch(
      /^✗ .*in no organization: .*create-organization --feature-set ALL/,
    );
    expect(organizations).not.toHaveReceivedCommand(ListRootsCommand);
  });

  it('answers --help with the usage and what it checks, checking nothing', async () => {
    const { code, out } = await run(['--help']);

    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^usage: npm run doctor \[-- --aws \| --offline\]\n\nChecks this checkout/);
  });

  it('rejects an unknown argument with the usage line', async () => {
    const { code, out } = await run(['--bogus']);

    expect(code).toBe(2);
    expect(out).toEqual(["unknown argument '--bogus'\nusage: npm run doctor [-- --aws | --offline]"]);
  });
});
