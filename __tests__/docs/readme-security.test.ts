import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOC_INPUTS, README_PATH, TABLE_BEGIN, TABLE_END, withGuardrailTable } from '../../scripts/gen-guardrail-docs';
import { guardrailProtections } from '../../stacks/guardrail-scp';

const readme = readFileSync(join(__dirname, '..', '..', README_PATH), 'utf8');
const section = readme.slice(readme.indexOf('\n## Security\n'), readme.indexOf('\n## Design notes\n'));

describe("README's Security section", () => {
  it('lists what the SCPs protect as they are (fails when stale: run `npm run docs:guardrails`)', () => {
    expect(readme).toBe(withGuardrailTable(readme));
  });

  it('names every protection, inside the Security section', () => {
    expect(section).toContain(TABLE_BEGIN);
    for (const p of guardrailProtections(DOC_INPUTS)) expect(section).toContain(`| ${p.sid}: `);
  });

  it('states what the SCPs cannot protect and how the deploy role is protected', () => {
    expect(section).toContain('### What the SCPs cannot protect');
    expect(section).toContain('**The management account.**');
    expect(section).toContain('### How the deploy role is protected');
    expect(section).toContain('deployAdminPrincipalArns');
  });

  it('fails when the generated block is missing', () => {
    expect(() => withGuardrailTable(readme.replace(TABLE_END, ''))).toThrow(
      /has no .* block; add it to the Security section/,
    );
  });
});
