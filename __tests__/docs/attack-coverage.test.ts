import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TACTICS, TECHNIQUES } from '../../rules/attack';
import { CATALOG } from '../../rules/catalog';
import type { Detection } from '../../rules/types';
import {
  ATTACK_LAYER_PATH,
  attackDetections,
  renderNavigatorLayer,
  renderTacticTable,
  SEVERITY_WEIGHT,
  unknownTechniques,
} from '../../scripts/attack-coverage';
import { renderDetectionDocs } from '../../scripts/gen-detection-docs';

const file = join(__dirname, '..', '..', ATTACK_LAYER_PATH);

interface LayerTechnique {
  readonly techniqueID: string;
  readonly score?: number;
  readonly metadata?: readonly { readonly name: string; readonly value: string }[];
  readonly showSubtechniques: boolean;
}

const layerOf = (catalog: readonly Detection[]) =>
  JSON.parse(renderNavigatorLayer(catalog)) as {
    domain: string;
    versions: { layer: string; attack: string };
    techniques: LayerTechnique[];
    gradient: { minValue: number; maxValue: number };
  };

describe('ATT&CK coverage artifacts', () => {
  it('knows the name and tactics of every technique the catalog cites', () => {
    expect(unknownTechniques(CATALOG)).toEqual([]);
    const tactics = new Set<string>(TACTICS.map(([t]) => t));
    for (const [id, t] of Object.entries(TECHNIQUES)) {
      expect(id).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(t.tactics.length).toBeGreaterThan(0);
      for (const tactic of t.tactics) expect(tactics).toContain(tactic);
    }
  });

  it('commits the Navigator layer the catalog renders (fails when stale: run `npm run docs:detections`)', () => {
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(renderNavigatorLayer(CATALOG));
  });

  it('scores exactly the cited techniques by the severity weights of their detections', () => {
    const layer = layerOf(CATALOG);
    expect(layer).toMatchObject({ domain: 'enterprise-attack', versions: { layer: '4.5' } });
    const scored = layer.techniques.filter((t) => t.score !== undefined);
    const cited = new Set(attackDetections(CATALOG).flatMap((d) => d.compliance.mitre ?? []));
    expect(scored.map((t) => t.techniqueID).sort()).toEqual([...cited].sort());
    for (const t of scored) {
      const citing = attackDetections(CATALOG).filter((d) => (d.compliance.mitre ?? []).includes(t.techniqueID));
      expect(t.metadata!.map((m) => m.value)).toEqual(citing.map((d) => d.id));
      expect(t.score).toBe(citing.reduce((sum, d) => sum + SEVERITY_WEIGHT[d.severity], 0));
    }
    expect(layer.gradient.maxValue).toBe(Math.max(...scored.map((t) => t.score!)));
  });

  it('expands the parent of every covered sub-technique so it shows in the matrix', () => {
    const layer = layerOf(CATALOG);
    for (const t of layer.techniques.filter((x) => x.techniqueID.includes('.'))) {
      const parent = layer.techniques.find((x) => x.techniqueID === t.techniqueID.split('.')[0]);
      expect(parent?.showSubtechniques).toBe(true);
    }
  });

  it('leaves the heartbeat out', () => {
    const heartbeats = CATALOG.filter((d) => d.class === 'heartbeat').map((d) => d.id);
    expect(heartbeats.length).toBeGreaterThan(0);
    const listed = layerOf(CATALOG).techniques.flatMap((t) => (t.metadata ?? []).map((m) => m.value));
    for (const id of heartbeats) expect(listed).not.toContain(id);
  });

  it('puts one row per tactic into docs/detections.md, with every cited technique under its tactics', () => {
    const table = renderTacticTable(CATALOG);
    const docs = renderDetectionDocs(CATALOG);
    expect(docs).toContain(table.join('\n'));
    for (const [, id, name] of TACTICS)
      expect(table.filter((l) => l.startsWith(`| ${name} (${id}) |`))).toHaveLength(1);
    for (const technique of new Set(CATALOG.flatMap((d) => d.compliance.mitre ?? []))) {
      for (const tactic of TECHNIQUES[technique]!.tactics) {
        const name = TACTICS.find(([t]) => t === tactic)![2];
        expect(table.find((l) => l.startsWith(`| ${name} (`))).toContain(
          `${technique} ${TECHNIQUES[technique]!.name} (`,
        );
      }
    }
  });

  it('refuses to render a technique it cannot place', () => {
    const d = { ...CATALOG[0]!, compliance: { mitre: ['T9999'] } };
    expect(() => renderNavigatorLayer([d])).toThrow(/T9999/);
  });
});
