/**
 * The framework facade (framework/cdktf.ts) and the synth speed patch (build/synth-performance.ts). The patch
 * replaces a cdktf-private function; if a framework upgrade or the move to CDK Terrain moves or inlines it,
 * synth silently gets about 2× slower. These tests fail instead: tokens created through the facade must carry
 * no creation stack once the patch ran, and must carry one without it (so the test can tell).
 */

/** The creation stack of a fresh token made through the facade, in a fresh module registry. */
function creationStackOfFreshToken(patch: boolean): { patched: boolean; stack: readonly string[] } {
  let result: { patched: boolean; stack: readonly string[] } | undefined;
  jest.isolateModules(() => {
    const { disableTokenStackTraces } = require('../build/synth-performance');
    const patched = patch ? disableTokenStackTraces({}) : false;
    const { Lazy, Tokenization } = require('../framework/cdktf');
    const token: string = Lazy.stringValue({ produce: () => 'value' });
    const lazy = Tokenization.reverseString(token).firstToken as { creationStack: string[] };
    result = { patched, stack: lazy.creationStack };
  });
  return result!;
}

describe('synth speed patch', () => {
  it('takes effect on the framework the stacks use: tokens carry no creation stack', () => {
    const { patched, stack } = creationStackOfFreshToken(true);

    expect(patched).toBe(true);
    expect(stack).toEqual([]);
  });

  it('is what removes the stack: without it, a token records where it was created', () => {
    const { stack } = creationStackOfFreshToken(false);

    expect(stack.length).toBeGreaterThan(0);
  });

  it('is skipped when VIGIL_TOKEN_STACK_TRACES=1 (debugging a token error)', () => {
    const { disableTokenStackTraces } = require('../build/synth-performance');

    expect(disableTokenStackTraces({ VIGIL_TOKEN_STACK_TRACES: '1' })).toBe(false);
  });
});
