import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG } from '../../rules/catalog';
import { DETECTION_DOCS_PATH, renderDetectionDocs } from '../../scripts/gen-detection-docs';

const file = join(__dirname, '..', '..', DETECTION_DOCS_PATH);

describe('docs/detections.md', () => {
  it('exists', () => {
    expect(existsSync(file)).toBe(true);
  });

  it('matches the catalog (fails when stale: run `npx tsx scripts/gen-detection-docs.ts`)', () => {
    const committed = readFileSync(file, 'utf8');
    // A readable diff on failure; the hint is in the test name.
    expect(committed).toBe(renderDetectionDocs(CATALOG));
  });

  it('lists every detection once', () => {
    const text = renderDetectionDocs(CATALOG);
    for (const d of CATALOG) expect(text).toContain(`| \`${d.id}\` |`);
  });

  it('escapes table separators and emphasis in catalog text', () => {
    const text = renderDetectionDocs([
      {
        ...CATALOG[0]!,
        title: 'a | b * c',
        rationale: 'keeps `x*` in code\nand joins lines',
      },
    ]);
    expect(text).toContain('| a \\| b \\* c |');
    expect(text).toContain('keeps `x*` in code and joins lines');
  });
});
