/**
 * Member stacks by template (build/member-stamps.ts): an org synthesized with stamping is the same, file
 * for file and byte for byte, as the org synthesized by cdktf alone; a template that would not replace
 * cleanly is never used; a verifier that differs stops synth.
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planMemberStamps, stableStringify, stampingEnabled, writeMemberStamps } from '../../build/member-stamps';
import type { Account, OrgInventory } from '../../config/inventory';
import { App } from '../../framework/cdktf';
import { buildApp, synthApp } from '../../app';
import { memberStackShape } from '../../stacks/member-stack';
import { TEST_ALERTING, TEST_REMEDIATION } from '../fixtures/inventory';

const id = (n: number) => String(100000000000 + n);
const TWO_REGIONS = ['eu-west-1', 'us-east-1'];

/**
 * 3 core accounts, 7 with the org's regions (log archive included), 4 with two regions, one with a region of
 * its own; account 9's id is named in account 10's tags, so it may be stamped but never be a template.
 */
function org(backend: OrgInventory['backend']): OrgInventory {
  const accounts: Account[] = Array.from({ length: 15 }, (_, i) => {
    const n = i + 1;
    const account: Account = { id: id(n), name: `account-${n}`, ou: 'ou-test-workload0', tags: {} };
    if (n >= 11 && n <= 14) return { ...account, regions: TWO_REGIONS };
    if (n === 15) return { ...account, regions: ['us-east-1', 'us-west-2'] };
    if (n === 10) return { ...account, tags: { peer: id(9) } };
    return account;
  });
  return {
    organizationId: 'o-test123456',
    rootId: 'r-test',
    managementAccountId: id(1),
    logArchiveAccountId: id(2),
    securityAccountId: id(3),
    homeRegion: 'us-east-1',
    regions: ['eu-west-1', 'us-east-1', 'us-west-2'],
    deployRoleName: 'vigil-deploy',
    namePrefix: 'vigil',
    defaultOwner: 'security-team',
    backend,
    scpTargets: ['r-test'],
    organizationalUnits: [{ id: 'ou-test-workload0', name: 'Workloads', parentId: 'r-test', environment: 'prod' }],
    accounts,
  };
}

function synth(inventory: OrgInventory, stampMembers: boolean, dir = mkdtempSync(join(tmpdir(), 'vigil-stamps-'))) {
  const app = new App({ outdir: dir, stackTraces: false });
  const ids = synthApp(
    buildApp(app, { inventory, alerting: TEST_ALERTING, remediation: TEST_REMEDIATION }, { stampMembers }),
  );
  return { dir, ids };
}

/**
 * The org with a local backend, synthesized with stamping once for the file: the comparison with a full synth reads
 * it, and the rewrite test synthesizes again over a copy of it.
 */
let localStamped: { dir: string; ids: string[] } | undefined;
const synthLocalStamped = () => {
  localStamped ??= synth(org({ type: 'local' }), true);
  return localStamped;
};

function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else out.set(p, readFileSync(join(dir, p), 'utf8'));
    }
  };
  walk('');
  return out;
}

describe('member stacks by template', () => {
  it.each([
    ['local backend', { type: 'local' } as const],
    [
      'Terraform Cloud backend (its workspaces list every stack)',
      { type: 'tfc', organization: 'acme', workspacePattern: 'vigil-{stack}' } as const,
    ],
  ])('writes exactly what a full cdktf synth writes (%s)', (_name, backend) => {
    const inventory = org(backend as OrgInventory['backend']);
    const full = synth(inventory, false);
    const stamped = backend.type === 'local' ? synthLocalStamped() : synth(inventory, true);
    const a = readTree(full.dir);
    const b = readTree(stamped.dir);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    const differing = [...a.keys()].filter((file) => a.get(file) !== b.get(file));
    expect(differing).toEqual([]);
    expect([...stamped.ids].sort()).toEqual([...full.ids].sort());
    // Stamping did happen: 6 of the 8 default-shape stacks and 2 of the 4 two-region stacks came from a template.
    const plan = planMemberStamps(inventory, inventory.accounts, (acc) => memberStackShape(inventory, acc));
    expect(plan.groups.map((g) => g.stamped.length).sort()).toEqual([2, 6]);
    expect(plan.full).toHaveLength(15 - 8);
  });

  it('never takes a template or verifier whose id appears elsewhere in the inventory, nor a management or security account', () => {
    const inventory = org({ type: 'local' });
    const plan = planMemberStamps(inventory, inventory.accounts, (acc) => memberStackShape(inventory, acc));
    // The log archive (named as logArchiveAccountId) and account 9 (named in account 10's tags) are stamped, never templates.
    expect(plan.groups).toEqual([
      {
        shape: 'regions=eu-west-1,us-east-1,us-west-2',
        template: id(4),
        verifier: id(5),
        stamped: [id(2), id(6), id(7), id(8), id(9), id(10)],
      },
      { shape: 'regions=eu-west-1,us-east-1', template: id(11), verifier: id(12), stamped: [id(13), id(14)] },
    ]);
    expect(plan.full.map((a) => a.id)).toEqual([id(1), id(3), id(4), id(5), id(11), id(12), id(15)]);
  });

  it('keeps shapes of fewer than three accounts, and shapes without two clean templates, in full', () => {
    const inventory = org({ type: 'local' });
    const few = inventory.accounts.filter((a) => Number(a.id) - 100000000000 >= 11);
    expect(planMemberStamps(inventory, few.slice(0, 2), () => 'same').groups).toEqual([]);
    // Every candidate named in another account's tags: no clean template, nothing stamped.
    const tagged: OrgInventory = {
      ...inventory,
      accounts: inventory.accounts.map((a, i) => ({ ...a, tags: { next: inventory.accounts[(i + 1) % 15]!.id } })),
    };
    const plan = planMemberStamps(tagged, tagged.accounts.slice(3, 10), () => 'same');
    expect(plan.groups).toEqual([]);
    expect(plan.full).toHaveLength(7);
  });

  it('stops synth, naming the way out, when a verifier differs from its template', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-stamps-bad-'));
    const write = (stack: string, text: string) => {
      mkdirSync(join(dir, 'stacks', stack), { recursive: true });
      writeFileSync(join(dir, 'stacks', stack, 'cdk.tf.json'), text);
    };
    write(`member-${id(4)}`, `{"account": "${id(4)}", "region": "us-east-1"}`);
    write(`member-${id(5)}`, `{"account": "${id(5)}", "region": "eu-west-1"}`);
    writeFileSync(
      join(dir, 'manifest.json'),
      stableStringify({ stacks: { [`member-${id(4)}`]: { name: `member-${id(4)}` } } }),
    );
    const groups = [{ shape: 'regions=x', template: id(4), verifier: id(5), stamped: [id(6)] }];
    expect(() => writeMemberStamps(dir, groups)).toThrow(
      new RegExp(`member stack of ${id(5)} differs from the template member-${id(4)}.*VIGIL_SYNTH_STAMP=off`),
    );
    expect(readdirSync(join(dir, 'stacks')).sort()).toEqual([`member-${id(4)}`, `member-${id(5)}`]);
  });

  it('rewrites only stamped files whose content changed', () => {
    // The output of a first synth with stamping (a copy: the comparison above reads the original).
    const dir = mkdtempSync(join(tmpdir(), 'vigil-stamps-again-'));
    cpSync(synthLocalStamped().dir, dir, { recursive: true });
    const stampedFile = join(dir, 'stacks', `member-${id(6)}`, 'cdk.tf.json');
    const before = readFileSync(stampedFile, 'utf8');
    // An old timestamp survives the second synth only if the file is not written again.
    utimesSync(stampedFile, 1_000_000, 1_000_000);
    synth(org({ type: 'local' }), true, dir);
    expect(readFileSync(stampedFile, 'utf8')).toBe(before);
    expect(statSync(stampedFile).mtimeMs).toBe(1_000_000_000);
  });

  it('writes the manifest as cdktf does (sorted keys, empty arrays over two lines)', () => {
    expect(stableStringify({ b: [], a: { d: 1, c: [null, 'x'] } })).toBe(
      '{\n  "a": {\n    "c": [\n      null,\n      "x"\n    ],\n    "d": 1\n  },\n  "b": [\n  ]\n}',
    );
  });

  it('is on unless VIGIL_SYNTH_STAMP=off, and names the valid values otherwise', () => {
    expect(stampingEnabled({})).toBe(true);
    expect(stampingEnabled({ VIGIL_SYNTH_STAMP: 'on' })).toBe(true);
    expect(stampingEnabled({ VIGIL_SYNTH_STAMP: 'off' })).toBe(false);
    expect(() => stampingEnabled({ VIGIL_SYNTH_STAMP: 'no' })).toThrow(
      /VIGIL_SYNTH_STAMP='no' is not valid: use 'off'/,
    );
  });
});
