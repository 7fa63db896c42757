import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../scripts/bundle';

describe('npm run bundle', () => {
  it("bundles every function into the run's cache and says where each came from", async () => {
    const lines: string[] = [];
    const functions = readdirSync(join(__dirname, '..', '..', 'handlers', 'entrypoints')).filter((f) =>
      f.endsWith('.ts'),
    );

    await expect(main([], (l) => lines.push(l))).resolves.toBe(0);
    expect(lines).toHaveLength(1);
    const [, count, built, cached] =
      /^(\d+) functions: (\d+) bundled, (\d+) from the bundle cache$/.exec(lines[0]!) ?? [];
    expect(Number(count)).toBe(functions.length);
    expect(Number(built) + Number(cached)).toBe(functions.length);
  });
});
