import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CHANNELS as NOTIFIER_CHANNELS } from '../../../../handlers/adapters/notify';
import { CHANNELS } from '../../../../handlers/core/flows/triage-ports';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const HANDLERS = join(ROOT, 'handlers');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Source without comments, so a rule named in prose does not count as a use. */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
}

const coreFiles = tsFiles(join(HANDLERS, 'core')).map((f) => ({ name: relative(ROOT, f), file: f }));

describe('handlers/core stays pure', () => {
  it.each(coreFiles)('$name: no SDK, no environment, no clock of its own, no adapter', ({ file }) => {
    const src = code(file);
    expect({
      sdk: /from '@aws-sdk\//.test(src),
      env: /process\.env/.test(src),
      clock: /Date\.now\(\)|new Date\(\)/.test(src),
      outward: /from '\.\.\/(\.\.\/)?(adapters|entrypoints|functions)\//.test(src),
    }).toEqual({ sdk: false, env: false, clock: false, outward: false });
  });
});

describe('entrypoints are wiring', () => {
  const OWNED = ['triage', 'approve', 'approval-timeouts', 'remediate-member', 'digest'];
  it.each(OWNED)('%s.ts has at most 150 lines', (name) => {
    const lines = readFileSync(join(HANDLERS, 'entrypoints', `${name}.ts`), 'utf8').split('\n').length;
    expect(lines).toBeLessThanOrEqual(150);
  });

  it.each(tsFiles(join(HANDLERS, 'core', 'flows')).map((f) => relative(ROOT, f)))(
    '%s has at most 500 lines',
    (name) => {
      expect(readFileSync(join(ROOT, name), 'utf8').split('\n').length).toBeLessThanOrEqual(500);
    },
  );
});

it("the triage flow's channels are the notifier's", () => {
  expect(CHANNELS).toEqual(NOTIFIER_CHANNELS);
});
