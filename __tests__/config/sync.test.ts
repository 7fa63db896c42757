import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { inventoryProblems } from '../../config/inventory';
import {
  type DiffLine,
  diffInventory,
  formatDiff,
  formatInventoryJson,
  type InventoryDocument,
  mergeInventory,
  type OrgSnapshot,
  sameInventory,
} from '../../config/sync';
import { INVENTORY_TEXT } from '../fixtures/org-sync/organization';

type Doc = Record<string, any>;
const inventory = (): Doc => JSON.parse(INVENTORY_TEXT);

/** A mutable OrgSnapshot, so tests can describe what changed in AWS. */
interface Snapshot extends OrgSnapshot {
  organizationId: string;
  rootId: string;
  managementAccountId: string;
  organizationalUnits: { id: string; name: string; parentId: string }[];
  accounts: { id: string; name: string; email?: string; ou: string; tags: Record<string, string> }[];
}

/** The snapshot AWS would return for the fixture inventory (OUs and accounts deliberately unsorted). */
function snapshot(): Snapshot {
  const inv = inventory();
  return {
    organizationId: inv.organizationId,
    rootId: inv.rootId,
    managementAccountId: inv.managementAccountId,
    organizationalUnits: inv.organizationalUnits
      .map((o: Doc) => ({ id: o.id, name: o.name, parentId: o.parentId }))
      .reverse(),
    accounts: inv.accounts
      .map((a: Doc) => ({ id: a.id, name: a.name, email: a.email, ou: a.ou, tags: { ...a.tags } }))
      .reverse(),
  };
}

const account = (doc: Doc, id: string): Doc => doc.accounts.find((a: Doc) => a.id === id);
const ou = (doc: Doc, id: string): Doc => doc.organizationalUnits.find((o: Doc) => o.id === id);

describe('mergeInventory', () => {
  it('reproduces the inventory when AWS reports what it already says', () => {
    expect(formatInventoryJson(mergeInventory(inventory(), snapshot()))).toBe(INVENTORY_TEXT);
  });

  it('keeps hand-set top-level settings and takes the organization, root and management account from AWS', () => {
    const current = { ...inventory(), homeRegion: 'us-east-1', namePrefix: 'guard', securityAccountId: '222222222222' };
    const snap = {
      ...snapshot(),
      organizationId: 'o-zzzzzzzzzz',
      rootId: 'r-zzzz',
      managementAccountId: '999999999999',
    };

    const merged: Doc = mergeInventory(current, snap);

    expect(merged).toMatchObject({
      organizationId: 'o-zzzzzzzzzz',
      rootId: 'r-zzzz',
      managementAccountId: '999999999999',
      logArchiveAccountId: '222222222222',
      securityAccountId: '222222222222',
      homeRegion: 'us-east-1',
      namePrefix: 'guard',
      regions: ['eu-west-1', 'us-east-1'],
      deployRoleName: 'vigil-deploy',
      defaultOwner: 'security-team',
      backend: { type: 'local' },
      scpTargets: ['r-a1b2'],
      trail: { transitionToGlacierDays: 90, expireAfterDays: 2557, noncurrentExpireAfterDays: 90 },
      archiveRetentionDays: 365,
    });
  });

  it('keeps OU environment and defaultOwner, and account regions and environment, when AWS renames and moves them', () => {
    const snap = snapshot();
    const security = snap.organizationalUnits.find((o) => o.id === 'ou-a1b2-secur1ty')!;
    security.name = 'SecurityTooling';
    const payments = snap.accounts.find((a) => a.id === '444444444444')!;
    payments.ou = 'ou-a1b2-n0npr0d1';
    payments.name = 'payments-live';
    const management = snap.accounts.find((a) => a.id === '111111111111')!;
    management.tags = { owner: 'someone-else' };

    const merged: Doc = mergeInventory(inventory(), snap);

    expect(ou(merged, 'ou-a1b2-secur1ty')).toEqual({
      id: 'ou-a1b2-secur1ty',
      name: 'SecurityTooling',
      parentId: 'r-a1b2',
      environment: 'prod',
      defaultOwner: 'security-team',
    });
    expect(account(merged, '444444444444')).toMatchObject({
      name: 'payments-live',
      ou: 'ou-a1b2-n0npr0d1',
      regions: ['eu-west-1', 'us-east-1'],
    });
    expect(account(merged, '111111111111')).toMatchObject({ environment: 'prod', tags: { owner: 'someone-else' } });
  });

  it('keeps hand-set fields it does not know about, on the inventory, OUs and accounts', () => {
    const current = inventory();
    current.notes = 'reviewed by security';
    ou(current, 'ou-a1b2-w0rkload').costCentre = 'cc-42';
    account(current, '555555555555').alertOnly = true;

    const merged: Doc = mergeInventory(current, snapshot());

    expect(merged.notes).toBe('reviewed by security');
    expect(ou(merged, 'ou-a1b2-w0rkload').costCentre).toBe('cc-42');
    expect(account(merged, '555555555555').alertOnly).toBe(true);
  });

  it('sorts OUs and accounts by id, tags by key, and writes keys in a fixed order', () => {
    const current = inventory();
    current.accounts.reverse();
    current.organizationalUnits.reverse();
    const snap = snapshot();
    snap.accounts.find((a) => a.id === '444444444444')!.tags = { zeta: '1', alpha: '2', owner: 'payments-team' };

    const merged: Doc = mergeInventory(current, snap);

    expect(merged.accounts.map((a: Doc) => a.id)).toEqual([
      '111111111111',
      '222222222222',
      '333333333333',
      '444444444444',
      '555555555555',
    ]);
    expect(merged.organizationalUnits.map((o: Doc) => o.id)).toEqual([
      'ou-a1b2-n0npr0d1',
      'ou-a1b2-pr0d0001',
      'ou-a1b2-secur1ty',
      'ou-a1b2-w0rkload',
    ]);
    expect(Object.keys(account(merged, '444444444444').tags)).toEqual(['alpha', 'owner', 'zeta']);
    expect(Object.keys(account(merged, '444444444444'))).toEqual(['id', 'name', 'email', 'ou', 'regions', 'tags']);
    expect(Object.keys(merged).slice(0, 3)).toEqual(['organizationId', 'rootId', 'managementAccountId']);
    expect(Object.keys(merged).slice(-2)).toEqual(['organizationalUnits', 'accounts']);
  });

  it('gives the same output whatever order AWS lists things in', () => {
    const shuffled = snapshot();
    shuffled.accounts.push(shuffled.accounts.shift()!);
    shuffled.organizationalUnits.push(shuffled.organizationalUnits.shift()!);

    expect(formatInventoryJson(mergeInventory(inventory(), shuffled))).toBe(
      formatInventoryJson(mergeInventory(inventory(), snapshot())),
    );
  });

  it('drops accounts and OUs AWS no longer reports, and adds new ones with only AWS fields', () => {
    const snap = snapshot();
    snap.accounts = snap.accounts.filter((a) => a.id !== '555555555555');
    snap.organizationalUnits.push({ id: 'ou-a1b2-5andb0x1', name: 'Sandbox', parentId: 'r-a1b2' });
    snap.accounts.push({
      id: '666666666666',
      name: 'sandbox-alice',
      email: 'alice@example.com',
      ou: 'ou-a1b2-5andb0x1',
      tags: {},
    });

    const merged: Doc = mergeInventory(inventory(), snap);

    expect(account(merged, '555555555555')).toBeUndefined();
    expect(ou(merged, 'ou-a1b2-5andb0x1')).toEqual({ id: 'ou-a1b2-5andb0x1', name: 'Sandbox', parentId: 'r-a1b2' });
    expect(account(merged, '666666666666')).toEqual({
      id: '666666666666',
      name: 'sandbox-alice',
      email: 'alice@example.com',
      ou: 'ou-a1b2-5andb0x1',
      tags: {},
    });
  });

  it('leaves what needs hand-setting to inventoryProblems, e.g. a new OU without an environment class', () => {
    const snap = snapshot();
    snap.organizationalUnits.push({ id: 'ou-a1b2-5andb0x1', name: 'Sandbox', parentId: 'r-a1b2' });
    snap.accounts.push({ id: '666666666666', name: 'sandbox-alice', ou: 'ou-a1b2-5andb0x1', tags: {} });

    const problems = inventoryProblems(mergeInventory(inventory(), snap));

    expect(problems).toEqual([
      expect.objectContaining({ path: 'accounts[5].environment', message: expect.stringMatching(/ou-a1b2-5andb0x1/) }),
    ]);
  });
});

describe('diffInventory', () => {
  const merged = (change: (s: Snapshot) => void): InventoryDocument => {
    const snap = snapshot();
    change(snap);
    return mergeInventory(inventory(), snap);
  };

  it('reports nothing when nothing changed', () => {
    expect(diffInventory(inventory(), mergeInventory(inventory(), snapshot()))).toEqual([]);
  });

  it('reports an account that joined, with its OU', () => {
    const after = merged((s) =>
      s.accounts.push({ id: '666666666666', name: 'new-dev', ou: 'ou-a1b2-n0npr0d1', tags: {} }),
    );

    expect(diffInventory(inventory(), after)).toEqual([
      {
        kind: 'account-joined',
        account: { id: '666666666666', name: 'new-dev' },
        ou: { id: 'ou-a1b2-n0npr0d1', name: 'NonProd' },
      },
    ]);
  });

  it('reports an account that left, with the OU it was in', () => {
    const after = merged((s) => {
      s.accounts = s.accounts.filter((a) => a.id !== '555555555555');
    });

    expect(diffInventory(inventory(), after)).toEqual([
      {
        kind: 'account-left',
        account: { id: '555555555555', name: 'payments-dev' },
        ou: { id: 'ou-a1b2-n0npr0d1', name: 'NonProd' },
      },
    ]);
  });

  it('reports a move between OUs by name, and the environment class it changes', () => {
    const after = merged((s) => {
      s.accounts.find((a) => a.id === '555555555555')!.ou = 'ou-a1b2-pr0d0001';
    });

    expect(diffInventory(inventory(), after)).toEqual([
      {
        kind: 'account-moved',
        account: { id: '555555555555', name: 'payments-dev' },
        from: { id: 'ou-a1b2-n0npr0d1', name: 'NonProd' },
        to: { id: 'ou-a1b2-pr0d0001', name: 'Prod' },
        environment: { from: 'non-prod', to: 'prod' },
      },
    ]);
  });

  it('reports a rename and an email change', () => {
    const after = merged((s) => {
      const a = s.accounts.find((x) => x.id === '333333333333')!;
      a.name = 'security-audit';
      a.email = 'aws-audit@example.com';
    });

    expect(diffInventory(inventory(), after)).toEqual([
      { kind: 'account-renamed', id: '333333333333', from: 'security-tooling', to: 'security-audit' },
      {
        kind: 'account-email-changed',
        account: { id: '333333333333', name: 'security-audit' },
        from: 'aws-security@example.com',
        to: 'aws-audit@example.com',
      },
    ]);
  });

  it('reports tag changes key by key', () => {
    const after = merged((s) => {
      s.accounts.find((a) => a.id === '444444444444')!.tags = { owner: 'checkout-team', 'cost-center': '42' };
    });
    const payments = { id: '444444444444', name: 'payments-prod' };

    expect(diffInventory(inventory(), after)).toEqual([
      { kind: 'account-tag-added', account: payments, key: 'cost-center', value: '42' },
      { kind: 'account-tag-removed', account: payments, key: 'data-classification', value: 'pci' },
      { kind: 'account-tag-changed', account: payments, key: 'owner', from: 'payments-team', to: 'checkout-team' },
    ]);
  });

  it('reports OUs added, removed, renamed and moved', () => {
    const after = merged((s) => {
      s.organizationalUnits = s.organizationalUnits.filter((o) => o.id !== 'ou-a1b2-n0npr0d1');
      s.accounts = s.accounts.filter((a) => a.ou !== 'ou-a1b2-n0npr0d1');
      s.organizationalUnits.push({ id: 'ou-a1b2-5andb0x1', name: 'Sandbox', parentId: 'ou-a1b2-w0rkload' });
      s.organizationalUnits.find((o) => o.id === 'ou-a1b2-w0rkload')!.name = 'Apps';
      s.organizationalUnits.find((o) => o.id === 'ou-a1b2-pr0d0001')!.parentId = 'r-a1b2';
    });

    expect(diffInventory(inventory(), after).filter((l) => l.kind.startsWith('ou-'))).toEqual([
      {
        kind: 'ou-added',
        ou: { id: 'ou-a1b2-5andb0x1', name: 'Sandbox' },
        parent: { id: 'ou-a1b2-w0rkload', name: 'Apps' },
      },
      {
        kind: 'ou-removed',
        ou: { id: 'ou-a1b2-n0npr0d1', name: 'NonProd' },
        parent: { id: 'ou-a1b2-w0rkload', name: 'Workloads' },
      },
      {
        kind: 'ou-moved',
        ou: { id: 'ou-a1b2-pr0d0001', name: 'Prod' },
        from: { id: 'ou-a1b2-w0rkload', name: 'Workloads' },
        to: { id: 'r-a1b2', name: 'Root' },
      },
      { kind: 'ou-renamed', id: 'ou-a1b2-w0rkload', from: 'Workloads', to: 'Apps' },
    ]);
  });

  it('reports a changed organization, root and management account first', () => {
    const after = merged((s) => {
      s.organizationId = 'o-zzzzzzzzzz';
      s.rootId = 'r-zzzz';
      s.managementAccountId = '333333333333';
    });

    expect(diffInventory(inventory(), after).slice(0, 3)).toEqual([
      { kind: 'organization-changed', from: 'o-a1b2c3d4e5', to: 'o-zzzzzzzzzz' },
      { kind: 'root-changed', from: 'r-a1b2', to: 'r-zzzz' },
      { kind: 'management-account-changed', from: '111111111111', to: '333333333333' },
    ]);
  });
});

describe('formatDiff', () => {
  it('renders one readable line per change, with OU names for moves', () => {
    const lines: DiffLine[] = [
      {
        kind: 'account-joined',
        account: { id: '666666666666', name: 'new-dev' },
        ou: { id: 'ou-a1b2-n0npr0d1', name: 'NonProd' },
      },
      {
        kind: 'account-left',
        account: { id: '555555555555', name: 'payments-dev' },
        ou: { id: 'r-a1b2', name: 'Root' },
      },
      {
        kind: 'account-moved',
        account: { id: '444444444444', name: 'payments-prod' },
        from: { id: 'ou-a1b2-pr0d0001', name: 'Prod' },
        to: { id: 'ou-a1b2-n0npr0d1', name: 'NonProd' },
        environment: { from: 'prod', to: 'non-prod' },
      },
      { kind: 'account-renamed', id: '333333333333', from: 'security-tooling', to: 'security-audit' },
      {
        kind: 'account-tag-changed',
        account: { id: '444444444444', name: 'payments-prod' },
        key: 'owner',
        from: 'a',
        to: 'b',
      },
      { kind: 'ou-moved', ou: { id: 'ou-x' }, from: { id: 'r-a1b2', name: 'Root' }, to: { id: 'ou-y', name: 'Y' } },
    ];

    expect(formatDiff(lines)).toEqual([
      '+ account 666666666666 (new-dev) joined NonProd (ou-a1b2-n0npr0d1)',
      '- account 555555555555 (payments-dev) left (was in Root (r-a1b2))',
      '~ account 444444444444 (payments-prod) moved: Prod (ou-a1b2-pr0d0001) → NonProd (ou-a1b2-n0npr0d1) (environment prod → non-prod)',
      '~ account 333333333333 renamed: security-tooling → security-audit',
      '~ account 444444444444 (payments-prod) tag owner: "a" → "b"',
      '~ OU ou-x moved: Root (r-a1b2) → Y (ou-y)',
    ]);
  });
});

describe('sameInventory', () => {
  it('ignores key order, OU and account order, and layout', () => {
    const reordered = inventory();
    reordered.accounts.reverse();
    reordered.organizationalUnits.reverse();
    const flipped = Object.fromEntries(Object.entries(reordered).reverse());

    expect(sameInventory(inventory(), flipped)).toBe(true);
  });

  it('sees a changed tag value', () => {
    const changed = inventory();
    account(changed, '555555555555').tags.owner = 'someone-else';

    expect(sameInventory(inventory(), changed)).toBe(false);
  });

  it('keeps the order of region lists significant', () => {
    const changed = inventory();
    changed.regions.reverse();

    expect(sameInventory(inventory(), changed)).toBe(false);
  });
});

describe('formatInventoryJson', () => {
  it('writes 2-space JSON with a trailing newline, short lists on one line and long ones expanded', () => {
    const longRegions = Array.from({ length: 12 }, (_, i) => `ap-southeast-${i + 1}`);

    const text = formatInventoryJson({ regions: ['eu-west-1', 'us-east-1'], all: longRegions, tags: {}, none: [] });

    expect(text).toBe(
      [
        '{',
        '  "regions": ["eu-west-1", "us-east-1"],',
        '  "all": [',
        ...longRegions.map((r, i) => `    "${r}"${i < longRegions.length - 1 ? ',' : ''}`),
        '  ],',
        '  "tags": {},',
        '  "none": []',
        '}',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(text)).toEqual({ regions: ['eu-west-1', 'us-east-1'], all: longRegions, tags: {}, none: [] });
  });

  it('writes a file the repository formatter leaves unchanged, so npm run lint passes after a sync', () => {
    const inv = inventory();
    inv.regions = [
      'ap-northeast-1',
      'ap-southeast-2',
      'ca-central-1',
      'eu-central-1',
      'eu-north-1',
      'eu-west-1',
      'us-east-1',
    ];
    account(inv, '444444444444').regions = [...inv.regions, 'us-east-2', 'us-west-1', 'us-west-2', 'sa-east-1'];
    account(inv, '555555555555').tags.description = 'x'.repeat(130);
    const text = formatInventoryJson(inv);

    const biome = spawnSync(
      join(__dirname, '../../node_modules/.bin/biome'),
      ['format', '--stdin-file-path=config/org.json'],
      {
        cwd: join(__dirname, '../..'),
        input: text,
        encoding: 'utf8',
      },
    );

    expect(biome.status).toBe(0);
    expect(biome.stdout).toBe(text);
  });
});
