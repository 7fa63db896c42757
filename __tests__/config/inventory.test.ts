import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  accountEnvironment,
  accountRegions,
  assertValidInventory,
  InventoryError,
  inventoryProblems,
  optInRegionCheck,
} from '../../config/inventory';
import { loadInventory } from '../../config/load';
import org from '../../config/org.json';
import { inventoryWith, TEST_INVENTORY } from '../fixtures/inventory';

const problemsOf = (edit: (inv: any) => void) => inventoryProblems(inventoryWith(edit));

describe('inventoryProblems', () => {
  it('accepts the test org and the bundled example org', () => {
    expect(inventoryProblems(TEST_INVENTORY)).toEqual([]);
    expect(inventoryProblems(org)).toEqual([]);
  });

  it('the bundled example is a realistic org: ≥ 3 OUs, ≥ 8 accounts, ≥ 4 regions including us-east-1', () => {
    expect(org.organizationalUnits.length).toBeGreaterThanOrEqual(3);
    expect(org.accounts.length).toBeGreaterThanOrEqual(8);
    expect(org.regions.length).toBeGreaterThanOrEqual(4);
    expect(org.regions).toContain('us-east-1');
  });

  it.each<[string, (inv: any) => void, string, RegExp]>([
    ['a bad account id', (i) => (i.accounts[3].id = '12345'), 'accounts[3].id', /12-digit account id, got "12345"/],
    [
      'duplicate account ids',
      (i) => (i.accounts[4].id = '444444444444'),
      'accounts[4].id',
      /already used by accounts\[3\]/,
    ],
    ['an unknown region', (i) => i.regions.push('eu-west-9'), 'regions[3]', /unknown region "eu-west-9"/],
    [
      'an unknown per-account region',
      (i) => (i.accounts[4].regions = ['us-east-1', 'mars-1']),
      'accounts[4].regions[1]',
      /unknown region/,
    ],
    [
      'a missing security account',
      (i) => (i.securityAccountId = '999999999999'),
      'securityAccountId',
      /not listed in accounts/,
    ],
    [
      'a home region that is not enabled',
      (i) => (i.homeRegion = 'eu-central-1'),
      'homeRegion',
      /not an enabled region/,
    ],
    ['regions without us-east-1', (i) => (i.regions = ['eu-west-1']), 'regions', /must include us-east-1/],
    [
      'an account override without us-east-1',
      (i) => (i.accounts[4].regions = ['eu-west-1']),
      'accounts[4].regions',
      /must include us-east-1/,
    ],
    ['a bad organization id', (i) => (i.organizationId = 'org-1'), 'organizationId', /o-a1b2c3d4e5/],
    [
      'an unknown OU',
      (i) => (i.accounts[3].ou = 'ou-ab12-nothere1'),
      'accounts[3].ou',
      /neither the root id nor a listed OU/,
    ],
    [
      'an OU without environment class',
      (i) => delete i.organizationalUnits[1].environment,
      'accounts[3].environment',
      /no environment class/,
    ],
    [
      'a bad environment class',
      (i) => (i.organizationalUnits[0].environment = 'production'),
      'organizationalUnits[0].environment',
      /prod \| non-prod \| sandbox/,
    ],
    [
      'an OU parent cycle',
      (i) => {
        i.organizationalUnits[0].parentId = 'ou-ab12-workload';
        i.organizationalUnits[1].parentId = 'ou-ab12-security';
      },
      'organizationalUnits[ou-ab12-security].parentId',
      /cycle/,
    ],
    [
      'a security account shared with log archive',
      (i) => (i.securityAccountId = '222222222222'),
      'securityAccountId',
      /dedicated account/,
    ],
    ['an unknown backend', (i) => (i.backend = { type: 'consul' }), 'backend.type', /"local", "s3" or "tfc"/],
    [
      'an S3 backend without bucket',
      (i) => (i.backend = { type: 's3', region: 'eu-west-1' }),
      'backend.bucket',
      /S3 bucket name/,
    ],
    [
      'a TFC workspace pattern without {stack}',
      (i) => (i.backend = { type: 'tfc', organization: 'acme', workspacePattern: 'vigil' }),
      'backend.workspacePattern',
      /\{stack\}/,
    ],
    ['a bad name prefix', (i) => (i.namePrefix = 'Vigil_Prod_Security'), 'namePrefix', /lowercase prefix/],
    [
      'an SCP target that is not root or OU',
      (i) => (i.scpTargets = ['ou-ab12-unknown1']),
      'scpTargets[0]',
      /neither the root id nor a listed OU/,
    ],
    [
      'too short a log retention',
      (i) => (i.trail = { expireAfterDays: 30, transitionToGlacierDays: 10 }),
      'trail.expireAfterDays',
      /at least 365/,
    ],
    ['a non-string tag', (i) => (i.accounts[3].tags = { owner: 42 }), 'accounts[3].tags.owner', /string/],
    [
      'deploy admins that are not a list',
      (i) => (i.deployAdminPrincipalArns = 'arn:aws:iam::111111111111:role/ci'),
      'deployAdminPrincipalArns',
      /array of IAM role or user ARNs/,
    ],
    [
      'a wildcard deploy admin',
      (i) => (i.deployAdminPrincipalArns = ['arn:aws:iam::*:role/ci']),
      'deployAdminPrincipalArns[0]',
      /exact ARN of an IAM role or user .*no wildcards/,
    ],
    [
      'a session ARN as deploy admin',
      (i) => (i.deployAdminPrincipalArns = ['arn:aws:sts::111111111111:assumed-role/ci/run-1']),
      'deployAdminPrincipalArns[0]',
      /session ARN; .* use arn:aws:iam::<account>:role\/<name>/,
    ],
  ])('fails when the inventory has %s', (_case, edit, path, message) => {
    const problems = problemsOf(edit);
    expect(problems).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it.each<[string, (inv: any) => void, string, RegExp]>([
    [
      'an unknown deployTrust type',
      (i) => (i.deployTrust = { type: 'gitlab' }),
      'deployTrust.type',
      /expected one of "management-account", "tfc", "github", "role", got "gitlab"/,
    ],
    [
      'a deployTrust that is not an object',
      (i) => (i.deployTrust = 'tfc'),
      'deployTrust',
      /expected \{"type": "management-account" \| "tfc"/,
    ],
    [
      'tfc trust without the tfc backend',
      (i) => (i.deployTrust = { type: 'tfc' }),
      'deployTrust.type',
      /needs the Terraform Cloud backend.*set backend to \{"type": "tfc"/,
    ],
    [
      'a wildcard tfc project',
      (i) => {
        i.backend = { type: 'tfc', organization: 'acme', workspacePattern: 'vigil-{stack}' };
        i.deployTrust = { type: 'tfc', project: '*' };
      },
      'deployTrust.project',
      /without \*, \? or :/,
    ],
    [
      'a github repository without owner',
      (i) => (i.deployTrust = { type: 'github', repository: 'vigil' }),
      'deployTrust.repository',
      /"owner\/repository"/,
    ],
    [
      'a wildcard github repository',
      (i) => (i.deployTrust = { type: 'github', repository: 'acme/*' }),
      'deployTrust.repository',
      /no wildcards/,
    ],
    [
      'a short github ref',
      (i) => (i.deployTrust = { type: 'github', repository: 'acme/vigil', ref: 'main' }),
      'deployTrust.ref',
      /full ref like "refs\/heads\/main"/,
    ],
    [
      'a wildcard github ref',
      (i) => (i.deployTrust = { type: 'github', repository: 'acme/vigil', ref: 'refs/heads/*' }),
      'deployTrust.ref',
      /no wildcards/,
    ],
    [
      'both a github ref and an environment',
      (i) =>
        (i.deployTrust = { type: 'github', repository: 'acme/vigil', ref: 'refs/heads/main', environment: 'prod' }),
      'deployTrust',
      /set ref or environment, not both/,
    ],
    [
      'the deploy role trusting itself',
      (i) => (i.deployTrust = { type: 'role', arn: 'arn:aws:iam::111111111111:role/vigil-deploy' }),
      'deployTrust.arn',
      /names the deploy role \(vigil-deploy\) itself/,
    ],
    [
      'a wildcard role to trust',
      (i) => (i.deployTrust = { type: 'role', arn: 'arn:aws:iam::*:role/ci' }),
      'deployTrust.arn',
      /exact ARN of an IAM role.*no wildcards/,
    ],
    [
      'a session ARN to trust',
      (i) => (i.deployTrust = { type: 'role', arn: 'arn:aws:sts::111111111111:assumed-role/ci/x' }),
      'deployTrust.arn',
      /not a session ARN/,
    ],
    [
      'empty deployRoleTargets',
      (i) => (i.deployRoleTargets = []),
      'deployRoleTargets',
      /non-empty array of root\/OU ids/,
    ],
    [
      'an unknown deployRoleTargets OU',
      (i) => (i.deployRoleTargets = ['ou-ab12-nothere1']),
      'deployRoleTargets[0]',
      /neither the root id nor a listed OU/,
    ],
    [
      'deployRoleTargets that miss an account',
      (i) => (i.deployRoleTargets = ['ou-ab12-workload', 'ou-ab12-security']),
      'deployRoleTargets',
      /account "sandbox" \("555555555555", accounts\[4\]\) is under none of them.*add its OU "ou-ab12-sandbox1"/,
    ],
  ])('fails when the deploy settings have %s', (_case, edit, path, message) => {
    expect(problemsOf(edit)).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it.each<[string, (inv: any) => void]>([
    ['no deployTrust (the management account)', () => undefined],
    ['management-account trust', (i) => (i.deployTrust = { type: 'management-account' })],
    [
      'tfc trust with the tfc backend',
      (i) => {
        i.backend = { type: 'tfc', organization: 'acme', workspacePattern: 'vigil-{stack}' };
        i.deployTrust = { type: 'tfc', project: 'security' };
      },
    ],
    [
      'github trust of an environment',
      (i) => (i.deployTrust = { type: 'github', repository: 'acme/vigil.infra', environment: 'production' }),
    ],
    [
      'github trust of a tag',
      (i) => (i.deployTrust = { type: 'github', repository: 'acme/vigil', ref: 'refs/tags/v1' }),
    ],
    [
      'a named role on a path',
      (i) => (i.deployTrust = { type: 'role', arn: 'arn:aws:iam::111111111111:role/ci/runner' }),
    ],
    // The management account is never a StackSet target: it need not be under one.
    [
      'targets covering every account but management',
      (i) => (i.deployRoleTargets = ['ou-ab12-workload', 'ou-ab12-security', 'ou-ab12-sandbox1']),
    ],
  ])('accepts %s', (_case, edit) => {
    expect(problemsOf(edit)).toEqual([]);
  });

  it('accepts exact role and user ARNs (paths included) as deploy admins', () => {
    const problems = problemsOf(
      (i) =>
        (i.deployAdminPrincipalArns = [
          'arn:aws:iam::111111111111:role/github-actions-vigil',
          'arn:aws:iam::111111111111:role/ci/terraform',
          'arn:aws:iam::111111111111:user/break-glass',
        ]),
    );
    expect(problems).toEqual([]);
  });

  it('takes optInRegionCheck as a boolean, on by default', () => {
    expect(optInRegionCheck(TEST_INVENTORY)).toBe(true);
    expect(optInRegionCheck({ ...TEST_INVENTORY, optInRegionCheck: false })).toBe(false);
    expect(problemsOf((i) => (i.optInRegionCheck = false))).toEqual([]);
    expect(problemsOf((i) => (i.optInRegionCheck = 'yes'))).toEqual([
      { path: 'optInRegionCheck', message: expect.stringContaining('expected true or false') },
    ]);
  });

  it('lists every problem at once, not just the first', () => {
    const problems = problemsOf((i) => {
      i.accounts[3].id = 'abc';
      i.homeRegion = 'ap-south-1';
      i.regions.push('nowhere-1');
      i.securityAccountId = '000000000000';
    });
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['accounts[3].id', 'homeRegion', 'regions[3]', 'securityAccountId']),
    );
  });

  it('fails on a wrong shape without throwing', () => {
    expect(inventoryProblems(null)).toEqual([{ path: '(root)', message: 'expected a JSON object, got null' }]);
    expect(inventoryProblems({ accounts: 'x' }).length).toBeGreaterThan(5);
  });
});

describe('assertValidInventory', () => {
  it('throws an InventoryError naming the file, the count, and each path and problem', () => {
    const bad = inventoryWith((i) => {
      i.accounts[3].id = '12';
      i.homeRegion = 'us-west-1';
    });
    expect(() => assertValidInventory(bad, 'config/org.json')).toThrow(InventoryError);
    expect(() => assertValidInventory(bad, 'config/org.json')).toThrow(
      /config\/org.json has 2 problem\(s\)[\s\S]*- homeRegion: 'us-west-1' is not an enabled region[\s\S]*- accounts\[3\]\.id: expected a 12-digit/,
    );
  });
});

describe('derived account facts', () => {
  it('uses the account override of regions, else the org regions, sorted', () => {
    expect(accountRegions(TEST_INVENTORY, TEST_INVENTORY.accounts[3]!)).toEqual([
      'eu-west-1',
      'us-east-1',
      'us-west-2',
    ]);
    expect(accountRegions(TEST_INVENTORY, TEST_INVENTORY.accounts[4]!)).toEqual(['us-east-1']);
  });

  it('inherits the environment class from the OU chain unless the account overrides it', () => {
    const nested = inventoryWith((i) => {
      i.organizationalUnits.push({ id: 'ou-ab12-teamaaaa', name: 'Team', parentId: 'ou-ab12-sandbox1' });
      i.accounts[3].ou = 'ou-ab12-teamaaaa';
    });
    expect(inventoryProblems(nested)).toEqual([]);
    expect(accountEnvironment(nested, nested.accounts[3])).toBe('sandbox');
    expect(accountEnvironment(TEST_INVENTORY, TEST_INVENTORY.accounts[0]!)).toBe('prod');
  });
});

describe('loadInventory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-inv-'));

  it('reports unreadable files and invalid JSON as inventory problems', () => {
    expect(() => loadInventory(join(dir, 'missing.json'))).toThrow(/cannot read it/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "organizationId": ');
    expect(() => loadInventory(broken)).toThrow(/is not valid JSON/);
  });
});

describe('synth with an invalid inventory', () => {
  it('exits non-zero, lists every problem and writes no output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-synth-'));
    const file = join(dir, 'org.json');
    const outdir = join(dir, 'out');
    writeFileSync(
      file,
      JSON.stringify(
        inventoryWith((i) => {
          i.accounts[1].id = '2222';
          i.accounts[2].id = '444444444444';
          i.homeRegion = 'sa-east-1';
        }),
      ),
    );
    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'main.ts'], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, VIGIL_INVENTORY: file, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: '1' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/has \d+ problem\(s\)/);
    expect(run.stderr).toMatch(/accounts\[1\]\.id/);
    expect(run.stderr).toMatch(/accounts\[3\]\.id: account id 444444444444 is already used by accounts\[2\]/);
    expect(run.stderr).toMatch(/homeRegion/);
    expect(existsSync(outdir)).toBe(false);
  });
});
