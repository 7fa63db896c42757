import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccessDeniedException,
  AWSOrganizationsNotInUseException,
  DescribeOrganizationCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  OrganizationsClient,
  TooManyRequestsException,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { type CliDeps, main } from '../../scripts/org-sync';
import { readOrganization } from '../../scripts/org-sync/read-organization';
import { backoffDelay, withRetry } from '../../scripts/org-sync/retry';
import { awsError, type FakeOrg, fakeOrg, INVENTORY_TEXT, mockOrganization } from '../fixtures/org-sync/organization';
import 'aws-sdk-client-mock-jest';

const org = mockClient(OrganizationsClient);
const client = () => new OrganizationsClient({ region: 'us-east-1' });
const noWait = { sleep: () => Promise.resolve(), random: () => 0.5 };

let dir: string;
let file: string;

beforeEach(() => {
  org.reset();
  dir = mkdtempSync(join(tmpdir(), 'org-sync-'));
  mkdirSync(join(dir, 'config'));
  file = join(dir, 'config', 'org.json');
  writeFileSync(file, INVENTORY_TEXT);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI against the temp inventory and the mocked client; captures output and sleeps. */
async function run(argv: string[] = [], deps: Partial<CliDeps> = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const sleep = jest.fn((_ms: number) => Promise.resolve());
  const code = await main(argv, {
    createClient: client,
    stdout: (l) => stdout.push(l),
    stderr: (l) => stderr.push(l),
    sleep,
    random: () => 0.5,
    cwd: dir,
    env: {},
    ...deps,
  });
  return { code, out: stdout.join('\n'), err: stderr.join('\n'), sleep };
}

function withChanges(change: (o: FakeOrg) => void): FakeOrg {
  const o = fakeOrg();
  change(o);
  return o;
}

const written = () => JSON.parse(readFileSync(file, 'utf8'));

describe('readOrganization', () => {
  it('walks the OU tree from the root and takes every account parent from the walk', async () => {
    mockOrganization(org, fakeOrg());

    const { snapshot } = await readOrganization(client(), { retry: noWait });

    expect(snapshot.organizationId).toBe('o-a1b2c3d4e5');
    expect(snapshot.rootId).toBe('r-a1b2');
    expect(snapshot.managementAccountId).toBe('111111111111');
    expect(snapshot.organizationalUnits).toEqual(
      expect.arrayContaining([
        { id: 'ou-a1b2-pr0d0001', name: 'Prod', parentId: 'ou-a1b2-w0rkload' },
        { id: 'ou-a1b2-w0rkload', name: 'Workloads', parentId: 'r-a1b2' },
      ]),
    );
    expect(snapshot.organizationalUnits).toHaveLength(4);
    expect(snapshot.accounts.find((a) => a.id === '555555555555')).toEqual({
      id: '555555555555',
      name: 'payments-dev',
      email: 'aws-payments-dev@example.com',
      ou: 'ou-a1b2-n0npr0d1',
      tags: { owner: 'payments-team', environment: 'development' },
    });
    expect(org).toHaveReceivedCommandWith(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-a1b2-pr0d0001' });
  });

  it('follows NextToken through every page of accounts and of tags', async () => {
    const o = fakeOrg();
    o.accounts.push(
      { id: '666666666666', name: 'extra-a', email: 'a@example.com', parentId: 'r-a1b2', tags: {} },
      {
        id: '777777777777',
        name: 'extra-b',
        email: 'b@example.com',
        parentId: 'r-a1b2',
        tags: { a: '1', b: '2', c: '3' },
      },
    );
    mockOrganization(org, o, { accounts: 2, tags: 2 });

    const { snapshot } = await readOrganization(client(), { retry: noWait });

    expect(snapshot.accounts.filter((a) => a.ou === 'r-a1b2').map((a) => a.id)).toEqual([
      '111111111111',
      '666666666666',
      '777777777777',
    ]);
    expect(snapshot.accounts.find((a) => a.id === '777777777777')?.tags).toEqual({ a: '1', b: '2', c: '3' });
    expect(org).toHaveReceivedCommandWith(ListAccountsForParentCommand, { ParentId: 'r-a1b2', NextToken: 'page-2' });
    expect(org).toHaveReceivedCommandWith(ListTagsForResourceCommand, {
      ResourceId: '777777777777',
      NextToken: 'page-2',
    });
  });

  it('leaves out suspended and closing accounts, says why, and reads no tags for them', async () => {
    const o = withChanges((x) => {
      x.accounts.push(
        {
          id: '888888888888',
          name: 'old-sandbox',
          email: 'o@example.com',
          parentId: 'r-a1b2',
          state: 'SUSPENDED',
          status: 'SUSPENDED',
          tags: {},
        },
        {
          id: '999999999999',
          name: 'closing',
          email: 'c@example.com',
          parentId: 'ou-a1b2-n0npr0d1',
          status: 'PENDING_CLOSURE',
          tags: {},
        },
        {
          id: '123456789012',
          name: 'gone',
          email: 'g@example.com',
          parentId: 'ou-a1b2-n0npr0d1',
          state: 'CLOSED',
          tags: {},
        },
      );
    });
    mockOrganization(org, o);

    const { snapshot, skipped } = await readOrganization(client(), { retry: noWait });

    expect(skipped).toEqual([
      { id: '123456789012', name: 'gone', ou: 'ou-a1b2-n0npr0d1', reason: 'State CLOSED' },
      { id: '888888888888', name: 'old-sandbox', ou: 'r-a1b2', reason: 'State SUSPENDED' },
      { id: '999999999999', name: 'closing', ou: 'ou-a1b2-n0npr0d1', reason: 'Status PENDING_CLOSURE' },
    ]);
    expect(snapshot.accounts.map((a) => a.id)).not.toEqual(expect.arrayContaining(['888888888888']));
    expect(snapshot.accounts).toHaveLength(5);
    expect(org).not.toHaveReceivedCommandWith(ListTagsForResourceCommand, { ResourceId: '888888888888' });
  });

  it('retries throttled calls with growing backoff and without really waiting', async () => {
    mockOrganization(org, fakeOrg());
    org
      .on(ListRootsCommand)
      .rejectsOnce(
        new TooManyRequestsException({ message: 'AWS Organizations can’t complete your request', $metadata: {} }),
      )
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .rejectsOnce(awsError('SomeFutureThrottle', 'Too Many Requests', 429))
      .resolves({ Roots: [{ Id: 'r-a1b2', Name: 'Root' }] });
    const sleep = jest.fn((_ms: number) => Promise.resolve());
    const started = Date.now();

    const { snapshot } = await readOrganization(client(), { retry: { sleep, random: () => 0.5 } });

    expect(snapshot.rootId).toBe('r-a1b2');
    expect(org).toHaveReceivedCommandTimes(ListRootsCommand, 4);
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([188, 375, 750]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('gives up after the allowed attempts when AWS keeps throttling', async () => {
    mockOrganization(org, fakeOrg());
    org.on(ListTagsForResourceCommand).rejects(awsError('TooManyRequestsException', 'Rate exceeded'));
    const sleep = jest.fn((_ms: number) => Promise.resolve());

    await expect(readOrganization(client(), { retry: { sleep, maxAttempts: 3 } })).rejects.toMatchObject({
      name: 'RetriesExhaustedError',
      operation: 'ListTagsForResource',
      attempts: 3,
    });
    expect(org).toHaveReceivedCommandTimes(ListTagsForResourceCommand, 3);
    expect(sleep).toHaveBeenCalledTimes(2);
  });

  it('does not retry errors that will not go away', async () => {
    mockOrganization(org, fakeOrg());
    org
      .on(ListRootsCommand)
      .rejects(new AccessDeniedException({ message: 'You don’t have permissions', $metadata: {} }));
    const sleep = jest.fn((_ms: number) => Promise.resolve());

    await expect(readOrganization(client(), { retry: { sleep } })).rejects.toMatchObject({
      name: 'OrganizationAccessError',
    });
    expect(org).toHaveReceivedCommandTimes(ListRootsCommand, 1);
    expect(sleep).not.toHaveBeenCalled();
  });
});

describe('retry', () => {
  it('doubles the backoff ceiling up to the cap and jitters within its upper half', () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, { random: () => 0 }))).toEqual([125, 250, 500]);
    expect(backoffDelay(1, { random: () => 0.999 })).toBe(250);
    expect(backoffDelay(20, { random: () => 0.999, maxDelayMs: 20_000 })).toBe(19_990);
  });

  it('retries server errors too, and returns the eventual result', async () => {
    const call = jest
      .fn()
      .mockRejectedValueOnce(awsError('ServiceException', 'internal error', 500))
      .mockResolvedValue('ok');

    await expect(withRetry('Op', call, noWait)).resolves.toBe('ok');
    expect(call).toHaveBeenCalledTimes(2);
  });
});

describe('org:sync', () => {
  it('says so and leaves the file alone when nothing changed', async () => {
    mockOrganization(org, fakeOrg());

    const { code, out } = await run();

    expect(code).toBe(0);
    expect(out).toContain('No changes: config/org.json matches the organization.');
    expect(out).toContain('nothing written');
    expect(readFileSync(file, 'utf8')).toBe(INVENTORY_TEXT);
  });

  it('prints joined, left, moved, renamed and tag changes, and writes them', async () => {
    mockOrganization(
      org,
      withChanges((o) => {
        o.accounts = o.accounts.filter((a) => a.id !== '222222222222');
        o.accounts.push({
          id: '666666666666',
          name: 'checkout-dev',
          email: 'c@example.com',
          parentId: 'ou-a1b2-n0npr0d1',
          tags: {},
        });
        const dev = o.accounts.find((a) => a.id === '555555555555')!;
        dev.parentId = 'ou-a1b2-pr0d0001';
        dev.name = 'payments-staging';
        o.accounts.find((a) => a.id === '444444444444')!.tags = { owner: 'checkout-team', tier: 'gold' };
      }),
    );

    const { code, out } = await run();

    expect(code).toBe(0);
    expect(out).toContain('+ account 666666666666 (checkout-dev) joined NonProd (ou-a1b2-n0npr0d1)');
    expect(out).toContain('- account 222222222222 (log-archive) left (was in Security (ou-a1b2-secur1ty))');
    expect(out).toContain('~ account 555555555555 renamed: payments-dev → payments-staging');
    expect(out).toContain(
      '~ account 555555555555 (payments-staging) moved: NonProd (ou-a1b2-n0npr0d1) → Prod (ou-a1b2-pr0d0001) (environment non-prod → prod)',
    );
    expect(out).toContain('- account 444444444444 (payments-prod) tag data-classification (was "pci")');
    expect(out).toContain('~ account 444444444444 (payments-prod) tag owner: "payments-team" → "checkout-team"');
    expect(out).toContain('+ account 444444444444 (payments-prod) tag tier="gold"');
    expect(written().accounts.map((a: { id: string }) => a.id)).toEqual([
      '111111111111',
      '333333333333',
      '444444444444',
      '555555555555',
      '666666666666',
    ]);
  });

  it('preserves hand-set fields in the file it writes', async () => {
    mockOrganization(
      org,
      withChanges((o) => {
        o.ous.find((x) => x.id === 'ou-a1b2-secur1ty')!.name = 'Sec';
        o.accounts.find((a) => a.id === '444444444444')!.parentId = 'ou-a1b2-n0npr0d1';
      }),
    );

    await run();

    const inv = written();
    const fixture = JSON.parse(INVENTORY_TEXT);
    for (const key of [
      'logArchiveAccountId',
      'securityAccountId',
      'homeRegion',
      'regions',
      'deployRoleName',
      'namePrefix',
    ]) {
      expect(inv[key]).toEqual(fixture[key]);
    }
    expect(inv.backend).toEqual({ type: 'local' });
    expect(inv.trail).toEqual(fixture.trail);
    expect(inv.organizationalUnits.find((x: { id: string }) => x.id === 'ou-a1b2-secur1ty')).toEqual({
      id: 'ou-a1b2-secur1ty',
      name: 'Sec',
      parentId: 'r-a1b2',
      environment: 'prod',
      defaultOwner: 'security-team',
    });
    expect(inv.accounts.find((a: { id: string }) => a.id === '444444444444')).toMatchObject({
      ou: 'ou-a1b2-n0npr0d1',
      regions: ['eu-west-1', 'us-east-1'],
    });
    expect(inv.accounts.find((a: { id: string }) => a.id === '111111111111').environment).toBe('prod');
  });

  it('reports each skipped account on its own line and drops it from the inventory', async () => {
    mockOrganization(
      org,
      withChanges((o) => {
        o.accounts.find((a) => a.id === '555555555555')!.state = 'SUSPENDED';
      }),
    );

    const { code, out } = await run();

    expect(code).toBe(0);
    expect(out).toMatch(
      /^Skipped account 555555555555 \(payments-dev\) in NonProd \(ou-a1b2-n0npr0d1\): State SUSPENDED;/m,
    );
    expect(out).toContain('- account 555555555555 (payments-dev) left');
    expect(written().accounts.map((a: { id: string }) => a.id)).not.toContain('555555555555');
  });

  it('warns about what needs hand-setting and still writes the file', async () => {
    mockOrganization(
      org,
      withChanges((o) => {
        o.ous.push({ id: 'ou-a1b2-5andb0x1', name: 'Sandbox', parentId: 'r-a1b2' });
        o.accounts.push({
          id: '666666666666',
          name: 'sandbox-alice',
          email: 'a@example.com',
          parentId: 'ou-a1b2-5andb0x1',
          tags: {},
        });
      }),
    );

    const { code, out, err } = await run();

    expect(code).toBe(0);
    expect(out).toContain('+ OU Sandbox (ou-a1b2-5andb0x1) added under Root (r-a1b2)');
    expect(err).toMatch(/warning: config\/org.json will have 1 problem/);
    expect(err).toMatch(/accounts\[5\]\.environment: no environment class: set "environment" on OU ou-a1b2-5andb0x1/);
    expect(written().organizationalUnits.map((x: { id: string }) => x.id)).toContain('ou-a1b2-5andb0x1');
  });

  it('warns when the credentials read a different organization than the file describes', async () => {
    mockOrganization(
      org,
      withChanges((o) => {
        o.organizationId = 'o-zzzzzzzzzz';
      }),
    );

    const { out, err } = await run(['--check']);

    expect(out).toContain('~ organization id: o-a1b2c3d4e5 → o-zzzzzzzzzz');
    expect(err).toContain(
      'warning: these credentials read organization o-zzzzzzzzzz, but config/org.json describes o-a1b2c3d4e5',
    );
  });

  it('does not claim "no changes" when the file lacks fields the sync fills in', async () => {
    const inv = JSON.parse(INVENTORY_TEXT);
    inv.accounts[1].tags = undefined;
    writeFileSync(file, JSON.stringify(inv));
    mockOrganization(
      org,
      withChanges((o) => {
        o.accounts[1]!.tags = {};
      }),
    );

    const { code, out } = await run(['--check']);

    expect(code).toBe(1);
    expect(out).toContain('No changes in the organization, but config/org.json differs from it');
    expect(out).not.toContain('No changes: config/org.json matches');
  });

  it('writes the file given with --file', async () => {
    const other = join(dir, 'other.json');
    writeFileSync(other, INVENTORY_TEXT);
    mockOrganization(
      org,
      withChanges((o) => {
        o.accounts.find((a) => a.id === '333333333333')!.name = 'audit';
      }),
    );

    const { code } = await run(['--file', other]);

    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(other, 'utf8')).accounts[2].name).toBe('audit');
    expect(readFileSync(file, 'utf8')).toBe(INVENTORY_TEXT);
  });

  describe('--check', () => {
    it('exits 1 with the diff and writes nothing when the file is stale', async () => {
      mockOrganization(
        org,
        withChanges((o) => {
          o.accounts.find((a) => a.id === '333333333333')!.name = 'audit';
        }),
      );

      const { code, out } = await run(['--check']);

      expect(code).toBe(1);
      expect(out).toContain('~ account 333333333333 renamed: security-tooling → audit');
      expect(out).toContain('config/org.json is out of date');
      expect(readFileSync(file, 'utf8')).toBe(INVENTORY_TEXT);
    });

    it('exits 0 when the file is up to date, even if it is laid out differently', async () => {
      writeFileSync(file, `${JSON.stringify(JSON.parse(INVENTORY_TEXT))}\n`);
      const before = readFileSync(file, 'utf8');
      mockOrganization(org, fakeOrg());

      const { code, out } = await run(['--check']);

      expect(code).toBe(0);
      expect(out).toContain('config/org.json is up to date.');
      expect(readFileSync(file, 'utf8')).toBe(before);
    });
  });

  describe('failures', () => {
    it('explains how to provide credentials when none can be loaded, and exits 2', async () => {
      org
        .on(DescribeOrganizationCommand)
        .rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));

      const { code, err } = await run([], { env: { AWS_PROFILE: 'org-admin' } });

      expect(code).toBe(2);
      expect(err).toContain('no AWS credentials could be loaded for DescribeOrganization');
      expect(err).toContain('AWS_PROFILE=<profile> npm run org:sync');
      expect(err).toContain('aws sso login --profile org-admin');
      expect(err).toContain('management account 111111111111');
      expect(readFileSync(file, 'utf8')).toBe(INVENTORY_TEXT);
    });

    it('names the management account when a member account is denied', async () => {
      mockOrganization(org, fakeOrg());
      org
        .on(DescribeOrganizationCommand)
        .resolves({ Organization: { Id: 'o-a1b2c3d4e5', MasterAccountId: '101010101010' } });
      org
        .on(ListRootsCommand)
        .rejects(
          new AccessDeniedException({ message: 'You don’t have permissions to access this resource.', $metadata: {} }),
        );

      const { code, err } = await run();

      expect(code).toBe(2);
      expect(err).toContain('ListRoots was denied');
      expect(err).toContain('Use credentials for the management account 101010101010');
      expect(err).toContain('delegated administrator');
    });

    it('names the management account from the inventory when the caller is in no organization', async () => {
      org.on(DescribeOrganizationCommand).rejects(
        new AWSOrganizationsNotInUseException({
          message: 'Your account is not a member of an organization.',
          $metadata: {},
        }),
      );

      const { code, err } = await run();

      expect(code).toBe(2);
      expect(err).toContain('not a member of any AWS Organization');
      expect(err).toContain('management account 111111111111 (managementAccountId in the inventory)');
    });

    it('exits 2 and says to retry later when throttling never stops', async () => {
      mockOrganization(org, fakeOrg());
      org.on(ListRootsCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));

      const { code, err, sleep } = await run();

      expect(code).toBe(2);
      expect(err).toContain('ListRoots still failed after 8 attempts');
      expect(err).toContain('ListRoots was throttled (TooManyRequestsException); retrying in');
      expect(sleep).toHaveBeenCalledTimes(7);
    });

    it('exits 2 on an unknown argument, with usage', async () => {
      const { code, err } = await run(['--dry-run']);

      expect(code).toBe(2);
      expect(err).toContain("unknown argument '--dry-run'");
      expect(err).toContain('Usage: npm run org:sync');
      expect(org.calls()).toHaveLength(0);
    });

    it('exits 2 when the inventory file does not exist, before calling AWS', async () => {
      const { code, err } = await run(['--file', 'missing.json']);

      expect(code).toBe(2);
      expect(err).toMatch(/cannot read missing\.json \(ENOENT\)/);
      expect(org.calls()).toHaveLength(0);
    });
  });
});
