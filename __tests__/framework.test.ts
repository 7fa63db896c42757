/**
 * The framework facade (framework/cdktf.ts) and the synth speed patch it applies when it loads
 * (framework/synth-performance.ts). The patch replaces a cdktf-private function; if a framework upgrade or the move
 * to CDK Terrain moves or inlines it, synth silently gets about 2× slower. These tests fail instead: tokens created
 * through the facade must carry no creation stack, and tokens of the bare framework must carry one (so the test
 * can tell).
 */

/** The creation stack of a fresh token made through `module` (the facade or bare cdktf), in a fresh registry. */
function creationStackOfFreshToken(module: '../framework/cdktf' | 'cdktf'): readonly string[] {
  let stack: readonly string[] | undefined;
  jest.isolateModules(() => {
    const { Lazy, Tokenization } = require(module);
    const token: string = Lazy.stringValue({ produce: () => 'value' });
    stack = (Tokenization.reverseString(token).firstToken as { creationStack: string[] }).creationStack;
  });
  return stack!;
}

describe('synth speed patch', () => {
  it('takes effect as the framework facade loads: its tokens carry no creation stack', () => {
    expect(creationStackOfFreshToken('../framework/cdktf')).toEqual([]);
  });

  it('is what removes the stack: a token of the unpatched framework records where it was created', () => {
    expect(creationStackOfFreshToken('cdktf').length).toBeGreaterThan(0);
  });

  it('is skipped when VIGIL_TOKEN_STACK_TRACES=1 (debugging a token error)', () => {
    const { disableTokenStackTraces } = require('../framework/synth-performance');
    const before = process.env['VIGIL_TOKEN_STACK_TRACES'];
    process.env['VIGIL_TOKEN_STACK_TRACES'] = '1';
    try {
      expect(creationStackOfFreshToken('../framework/cdktf').length).toBeGreaterThan(0);
    } finally {
      if (before === undefined) delete process.env['VIGIL_TOKEN_STACK_TRACES'];
      else process.env['VIGIL_TOKEN_STACK_TRACES'] = before;
    }
    expect(disableTokenStackTraces({ VIGIL_TOKEN_STACK_TRACES: '1' })).toBe(false);
  });
});

describe('terraform version check memo', () => {
  type Check = { validate(): string[] };
  type Validation = new (constraint: string, hint?: string) => Check;

  /** Answers of `ValidateTerraformVersion` checks in a fresh registry, and how often `terraform version` ran. */
  function answers(memoize: boolean): { patched: boolean; results: string[][]; runs: number } {
    let out: { patched: boolean; results: string[][]; runs: number } | undefined;
    jest.isolateModules(() => {
      const childProcess = require('node:child_process') as typeof import('node:child_process');
      const run = jest
        .spyOn(childProcess, 'execSync')
        .mockImplementation(() => Buffer.from('Terraform v1.11.4\non linux_amd64\n'));
      try {
        const patched = memoize ? require('../framework/synth-performance').memoizeBinaryVersionChecks() : false;
        const { ValidateTerraformVersion } = require('cdktf/lib/validations/validate-terraform-version') as {
          ValidateTerraformVersion: Validation;
        };
        const results = [
          new ValidateTerraformVersion('>=1.5', 'moved blocks').validate(),
          new ValidateTerraformVersion('>=1.5', 'moved blocks').validate(),
          new ValidateTerraformVersion('>=1.1').validate(),
          new ValidateTerraformVersion('>=9.0', 'a future feature').validate(),
          new ValidateTerraformVersion('>=9.0', 'a future feature').validate(),
        ];
        out = { patched, results, runs: run.mock.calls.length };
      } finally {
        run.mockRestore();
      }
    });
    return out!;
  }

  it('runs `terraform version` once per constraint and hint, with the same answers as without it', () => {
    const memoized = answers(true);
    const plain = answers(false);

    expect(memoized.patched).toBe(true);
    expect(plain.runs).toBe(5);
    expect(memoized.runs).toBe(3);
    expect(memoized.results).toEqual(plain.results);
    expect(memoized.results[3]).toEqual([
      'terraform version 1.11.4 is lower than the required version >=9.0 for this construct. a future feature',
    ]);
    expect(memoized.results.filter((r) => r.length === 0)).toHaveLength(3);
  });

  it('is in place once the framework facade has loaded, with the stack-trace patch', () => {
    require('../framework/cdktf');
    const { ValidateBinaryVersion } = require('cdktf/lib/validations/validate-binary-version');

    expect(ValidateBinaryVersion.prototype[Symbol.for('vigil.memoizedBinaryVersionChecks')]).toBe(true);
    expect(require('cdktf/lib/tokens/private/stack-trace').captureStackTrace()).toEqual([]);
  });
});
