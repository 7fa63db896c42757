/**
 * The pure parts of the Terraform check (no terraform binary needed): which provider version and
 * which edits, the region placement rule, deploy order, the allow-list of diagnostics, and what
 * the check does on a machine without Terraform.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackIds } from '../../config/naming';
import { unexpectedDiagnostics } from '../../scripts/terraform/check';
import {
  applyEdits,
  chooseProvider,
  compatEdits,
  globalResourcesWithRegion,
  pinnedVersion,
  regionalResourcesWithoutRegion,
} from '../../scripts/terraform/compat';
import { deployWaves, stackDependencies } from '../../scripts/terraform/order';
import { mapLimit } from '../../scripts/terraform/run';
import { compareVersions, mirroredVersions, writeCliConfig } from '../../scripts/terraform/toolchain';
import { main as tfCheck } from '../../scripts/tf-check';

/** A member-like stack: a rule placed per region, a global IAM role, the provider and backend vigil writes. */
const stack = () => ({
  terraform: {
    backend: { s3: { bucket: 'state', key: 'vigil/member.tfstate' } },
    required_providers: { aws: { source: 'aws', version: '6.25.0' } },
  },
  provider: {
    aws: [
      {
        region: 'eu-west-1',
        allowed_account_ids: ['111111111111'],
        assume_role: [{ role_arn: 'arn:aws:iam::111111111111:role/vigil-deploy' }],
      },
    ],
  },
  resource: {
    aws_cloudwatch_event_rule: { rule: { for_each: {}, region: '${each.value.region}', name: 'r' } },
    aws_iam_role: { role: { name: 'vigil-forwarder' } },
  },
});

describe('chooseProvider', () => {
  it('uses the pinned version when the mirror has it', () => {
    expect(chooseProvider('6.25.0', ['6.25.0', '5.100.0'])).toEqual({ pinned: '6.25.0', used: '6.25.0' });
  });

  it('prefers the newest mirrored version of the pinned major', () => {
    expect(chooseProvider('6.25.0', ['7.0.0', '6.30.1', '6.2.0', '5.100.0']).used).toBe('6.30.1');
  });

  it('falls back to the newest mirrored version (this machine: 5.100.0 for a 6.25.0 pin)', () => {
    expect(chooseProvider('6.25.0', ['5.9.0', '5.100.0']).used).toBe('5.100.0');
  });

  it('fails when the mirror is empty', () => {
    expect(() => chooseProvider('6.25.0', [])).toThrow(/mirror holds no AWS provider/);
  });
});

describe('compatEdits', () => {
  it('with a 5.x mirror: relaxes the pin and drops the region argument, besides the offline edits', () => {
    expect(compatEdits({ pinned: '6.25.0', used: '5.100.0' }).map((e) => e.id)).toEqual([
      'pin',
      'region',
      'newer-arguments',
      'backend',
      'assume-role',
      'allowed-account-ids',
      'credentials',
    ]);
  });

  it('drops an argument only where the mirrored provider predates it (invoked_via_function_url: 6.29.0)', () => {
    const ids = (used: string) => compatEdits({ pinned: '6.29.0', used }).map((e) => e.id);
    expect(ids('6.28.0')).toContain('newer-arguments');
    expect(ids('6.29.0')).not.toContain('newer-arguments');
    expect(
      compatEdits({ pinned: '6.29.0', used: '5.100.0' }).find((e) => e.id === 'newer-arguments')?.description,
    ).toMatch(/`invoked_via_function_url` of aws_lambda_permission \(since 6\.29\.0/);
  });

  it('with a 6.x mirror: keeps the region argument (validated as written)', () => {
    expect(compatEdits({ pinned: '6.25.0', used: '6.30.1' }).map((e) => e.id)).toEqual([
      'pin',
      'backend',
      'assume-role',
      'allowed-account-ids',
      'credentials',
    ]);
  });

  it('with the pinned version mirrored: only the offline edits', () => {
    expect(compatEdits({ pinned: '6.29.0', used: '6.29.0' }).map((e) => e.id)).toEqual([
      'backend',
      'assume-role',
      'allowed-account-ids',
      'credentials',
    ]);
  });
});

describe('applyEdits', () => {
  const choice = { pinned: '6.25.0', used: '5.100.0' };
  const edited = applyEdits(stack(), compatEdits(choice), choice);

  it('relaxes the pin, drops backend, assume_role, allowed_account_ids and every region argument', () => {
    expect(edited['terraform']).toEqual({ required_providers: { aws: { source: 'aws', version: '5.100.0' } } });
    expect(edited['provider'].aws[0]).not.toHaveProperty('assume_role');
    expect(edited['provider'].aws[0]).not.toHaveProperty('allowed_account_ids');
    expect(edited['resource'].aws_cloudwatch_event_rule.rule).not.toHaveProperty('region');
  });

  it('gives the provider fake credentials with every skip flag and one retry', () => {
    expect(edited['provider'].aws[0]).toEqual({
      region: 'eu-west-1',
      access_key: expect.stringMatching(/^AKIA/),
      secret_key: expect.any(String),
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      max_retries: 1,
    });
  });

  it('leaves the synthesized stack untouched', () => {
    const original = stack();
    applyEdits(original, compatEdits(choice), choice);
    expect(original).toEqual(stack());
  });

  it('drops invoked_via_function_url from lambda permissions for a provider before 6.29.0, and only there', () => {
    const withUrl = (): Record<string, any> => ({
      ...stack(),
      resource: { aws_lambda_permission: { url: { action: 'lambda:InvokeFunction', invoked_via_function_url: true } } },
    });
    const old = { pinned: '6.29.0', used: '5.100.0' };
    const current = { pinned: '6.29.0', used: '6.29.0' };
    expect(applyEdits(withUrl(), compatEdits(old), old)['resource'].aws_lambda_permission.url).toEqual({
      action: 'lambda:InvokeFunction',
    });
    expect(
      applyEdits(withUrl(), compatEdits(current), current)['resource'].aws_lambda_permission.url
        .invoked_via_function_url,
    ).toBe(true);
  });

  it('keeps the region argument with a 6.x provider', () => {
    const six = { pinned: '6.25.0', used: '6.25.0' };
    expect(applyEdits(stack(), compatEdits(six), six)['resource'].aws_cloudwatch_event_rule.rule.region).toBe(
      '${each.value.region}',
    );
  });
});

describe('pinnedVersion', () => {
  it('reads the exact AWS provider pin', () => {
    expect(pinnedVersion(stack())).toBe('6.25.0');
  });

  it('fails when the stack pins a range instead of a version', () => {
    const ranged = stack();
    ranged.terraform.required_providers.aws.version = '>= 6.0';
    expect(() => pinnedVersion(ranged)).toThrow(/pins no exact AWS provider version/);
  });
});

describe('region placement', () => {
  it('accepts a per-region stack whose regional resources all set region', () => {
    expect(regionalResourcesWithoutRegion(stack())).toEqual([]);
    expect(globalResourcesWithRegion(stack())).toEqual([]);
  });

  it('finds a regional resource left in the provider region of a per-region stack', () => {
    const s: Record<string, any> = stack();
    s['resource'].aws_cloudwatch_event_target = { target: { rule: 'r' } };
    expect(regionalResourcesWithoutRegion(s)).toEqual(['aws_cloudwatch_event_target.target']);
  });

  it('finds a global-service resource given a region', () => {
    const s: Record<string, any> = stack();
    s['resource'].aws_iam_role.role.region = 'eu-west-1';
    expect(globalResourcesWithRegion(s)).toEqual(['aws_iam_role.role']);
  });

  it('does not ask single-region stacks (no resource sets region) to set one', () => {
    const s: Record<string, any> = stack();
    delete s['resource'].aws_cloudwatch_event_rule.rule.region;
    expect(regionalResourcesWithoutRegion(s)).toEqual([]);
  });
});

describe('deploy order', () => {
  const members = [stackIds.member('222222222222'), stackIds.member('111111111111')];

  it('runs security first (the sweep queue the trail bucket notifies), log-archive, org-trail, then every member in one parallel step', () => {
    expect(deployWaves([...members, stackIds.security, stackIds.orgTrail, stackIds.logArchive])).toEqual([
      ['security'],
      ['log-archive'],
      ['org-trail'],
      ['member-111111111111', 'member-222222222222'],
    ]);
    expect(stackDependencies(stackIds.logArchive)).toEqual(['bootstrap', 'security']);
  });

  it('plans members of a partial output at once (dependencies outside the selection do not count)', () => {
    expect(deployWaves(members)).toEqual([['member-111111111111', 'member-222222222222']]);
  });

  it('makes members depend on security, whose roles their trust policies name', () => {
    expect(stackDependencies(stackIds.member('111111111111'))).toEqual(['security']);
  });

  it('fails on a folder that is not a vigil stack, with the fix', () => {
    expect(() => deployWaves(['member-12'])).toThrow(/unknown stack 'member-12'.*npm run synth/s);
  });
});

describe('unexpectedDiagnostics', () => {
  const warning = { severity: 'warning' as const, summary: 'Argument is deprecated' };
  const error = { severity: 'error' as const, summary: 'Argument is deprecated' };

  it('fails on any warning that is not listed with a reason', () => {
    expect(unexpectedDiagnostics([warning], [])).toEqual([warning]);
  });

  it('tolerates a listed warning, never a listed error', () => {
    const allowed = [{ summary: /deprecated/, reason: 'test' }];
    expect(unexpectedDiagnostics([warning, error], allowed)).toEqual([error]);
  });
});

describe('toolchain helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tf-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compares versions numerically', () => {
    expect(['5.9.0', '6.25.0', '5.100.0'].sort(compareVersions)).toEqual(['5.9.0', '5.100.0', '6.25.0']);
  });

  it('finds no provider in an empty mirror', () => {
    expect(mirroredVersions(dir)).toEqual([]);
  });

  it('writes a CLI config that installs from the mirror only', () => {
    const text = readFileSync(writeCliConfig(dir, '/opt/tf-plugins'), 'utf8');
    expect(text).toContain('path    = "/opt/tf-plugins"');
    expect(text).toContain('exclude = ["registry.terraform.io/*/*"]');
  });

  it('runs at most `limit` tasks at once and keeps the order of results', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapLimit([1, 2, 3, 4, 5], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return n * 10;
    });
    expect({ results, peak }).toEqual({ results: [10, 20, 30, 40, 50], peak: 2 });
  });
});

describe('npm run tf:check on a machine without terraform', () => {
  const run = async (env: NodeJS.ProcessEnv) => {
    const lines: string[] = [];
    const code = await tfCheck([], { ...env, PATH: '' }, (l) => lines.push(l));
    return { code, text: lines.join('\n') };
  };

  it('fails in CI, naming what is missing and how to fix it', async () => {
    const { code, text } = await run({ CI: 'true' });
    expect(code).toBe(1);
    expect(text).toMatch(/terraform check FAILED.*no `terraform` binary on PATH: install Terraform/s);
  });

  it('skips locally with a visible message', async () => {
    const { code, text } = await run({});
    expect(code).toBe(0);
    expect(text).toMatch(/terraform check skipped.*no `terraform` binary on PATH/s);
  });

  it('rejects an unknown org with usage', async () => {
    const lines: string[] = [];
    expect(await tfCheck(['--org', 'prod'], {}, (l) => lines.push(l))).toBe(2);
    expect(lines.join('\n')).toMatch(/--org expects 'example' or 'generated', got "prod"/);
  });
});
