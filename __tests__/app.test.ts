import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../framework/cdktf';
import { buildApp } from '../app';
import org from '../config/org.json';
import type { OrgInventory } from '../config/inventory';
import { TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from './fixtures/inventory';

function synthTo(inventory: OrgInventory): string {
  const outdir = mkdtempSync(join(tmpdir(), 'vigil-app-'));
  buildApp(new App({ outdir, stackTraces: false }), {
    inventory,
    alerting: TEST_ALERTING,
    remediation: TEST_REMEDIATION,
  }).synth();
  return outdir;
}

/** One synthesis per inventory for the tests that only read it (the determinism test makes its own second one). */
const synthesized = new Map<OrgInventory, string>();
function synthOnce(inventory: OrgInventory): string {
  let dir = synthesized.get(inventory);
  if (dir === undefined) {
    dir = synthTo(inventory);
    synthesized.set(inventory, dir);
  }
  return dir;
}

function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(join(dir, p), 'utf8');
    }
  };
  walk('');
  return out;
}

describe('the app', () => {
  it('synthesizes bootstrap, log archive, org trail, security and one member stack per inventory account', () => {
    const manifest = JSON.parse(readFileSync(join(synthOnce(org as OrgInventory), 'manifest.json'), 'utf8'));
    const expected = [
      'bootstrap',
      'log-archive',
      'org-trail',
      'security',
      ...org.accounts.map((a) => `member-${a.id}`),
    ];
    expect(Object.keys(manifest.stacks).sort()).toEqual(expected.sort());
  });

  it('includes management, log-archive and security as members', () => {
    const stacks = Object.keys(
      JSON.parse(readFileSync(join(synthOnce(TEST_INVENTORY), 'manifest.json'), 'utf8')).stacks,
    );
    expect(stacks).toEqual(
      expect.arrayContaining(['member-111111111111', 'member-222222222222', 'member-333333333333']),
    );
  });

  it('is deterministic: two syntheses are byte-identical', () => {
    const a = readTree(synthOnce(org as OrgInventory));
    const b = readTree(synthTo(org as OrgInventory));
    expect(Object.keys(a).length).toBeGreaterThan(15);
    expect(b).toEqual(a);
  });

  it('does not depend on account order in the inventory', () => {
    const reversed = { ...TEST_INVENTORY, accounts: [...TEST_INVENTORY.accounts].reverse() };
    expect(readTree(synthTo(reversed))).toEqual(readTree(synthOnce(TEST_INVENTORY)));
  });

  it('never references another stack (no cross-account remote state)', () => {
    const stacks = Object.entries(readTree(synthOnce(TEST_INVENTORY))).filter(([file]) => file.endsWith('cdk.tf.json'));
    expect(stacks.length).toBeGreaterThan(5);
    expect(stacks.filter(([, text]) => text.includes('terraform_remote_state')).map(([file]) => file)).toEqual([]);
  });
});
