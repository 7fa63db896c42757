import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, Testing } from '../../framework/cdktf';
import { formatSynthSummary, removeStaleStacks, snapshotStacks } from '../../build/synth-summary';
import { buildApp } from '../../app';
import { TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';

function outdir(stacks: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-synth-summary-'));
  for (const [id, json] of Object.entries(stacks)) {
    mkdirSync(join(dir, 'stacks', id), { recursive: true });
    writeFileSync(join(dir, 'stacks', id, 'cdk.tf.json'), json);
  }
  return dir;
}

describe('synth summary', () => {
  it('reports new, removed and changed stacks, and deletes the stale folders', () => {
    const dir = outdir({ security: '{"a":1}', 'member-111111111111': '{}', 'member-999999999999': '{}' });
    const before = snapshotStacks(dir);
    writeFileSync(join(dir, 'stacks', 'security', 'cdk.tf.json'), '{"a":2}');
    mkdirSync(join(dir, 'stacks', 'member-222222222222'));
    writeFileSync(join(dir, 'stacks', 'member-222222222222', 'cdk.tf.json'), '{}');

    const removed = removeStaleStacks(dir, ['security', 'member-111111111111', 'member-222222222222']);
    const lines = formatSynthSummary('out', before, snapshotStacks(dir), removed);

    expect(removed).toEqual(['member-999999999999']);
    expect(existsSync(join(dir, 'stacks', 'member-999999999999'))).toBe(false);
    expect(lines).toEqual([
      'synthesized 3 stacks (1 central, 2 member) into out/stacks',
      'since the last synth: 1 new (member-222222222222), 1 removed (member-999999999999: stale folders deleted), ' +
        '1 changed (security), 1 unchanged',
      'a removed stack still exists in AWS until destroyed: put its account back in config/org.json, then ' +
        'npm run offboard -- <account id> --apply (README, "Offboarding an account")',
    ]);
  });

  it('says so on a first synth', () => {
    const dir = outdir({});
    expect(snapshotStacks(dir).size).toBe(0);
    expect(formatSynthSummary('out', new Map(), new Map([['security', 'h']]), [])).toEqual([
      'synthesized 1 stacks (1 central, 0 member) into out/stacks',
      'first synth in this folder: every stack is new',
    ]);
  });

  it('records the deploy order in the manifest: bootstrap first, security, then log-archive (its bucket notifies the sweep queue), org-trail after log-archive, members after security', () => {
    const app = buildApp(Testing.app() as App, {
      inventory: TEST_INVENTORY,
      alerting: TEST_ALERTING,
      remediation: TEST_REMEDIATION,
    });
    const deps = Object.fromEntries(
      app.node.children.map((s) => [
        s.node.id,
        (s as unknown as { dependencies: Array<{ node: { id: string } }> }).dependencies.map((d) => d.node.id).sort(),
      ]),
    );
    expect(deps['bootstrap']).toEqual([]);
    expect(deps['security']).toEqual(['bootstrap']);
    expect(deps['log-archive']).toEqual(['bootstrap', 'security']);
    expect(deps['org-trail']).toEqual(['log-archive']);
    expect(deps[`member-${TEST_INVENTORY.accounts[0]!.id}`]).toEqual(['security']);
  });
});
