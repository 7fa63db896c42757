/**
 * Jest loads cdktf as one pre-built file (__tests__/cdktf-bundle.js, mapped in jest.config.js). The bundle must behave
 * as the package does: the private modules framework/synth-performance.ts patches must be the ones cdktf's own code
 * calls, and `Construct` must be the one of `constructs` that vigil's constructs extend.
 */
import { join, sep } from 'node:path';

const { bundleDir, INTERNALS } = require('./cdktf-bundle') as {
  bundleDir(): string;
  INTERNALS: readonly string[];
};

/** The `cdktf` package as jest loads it: what this file tests, so not through framework/cdktf.ts. */
function loadCdktf(): typeof import('cdktf') {
  // biome-ignore lint/style/noRestrictedImports: the subject of this file is how jest loads the package itself
  return require('cdktf');
}

/** Runs `body` in a fresh module registry, as a test file that loads cdktf first does. */
function inFreshRegistry<T>(body: () => T): T {
  let out: { value: T } | undefined;
  jest.isolateModules(() => {
    out = { value: body() };
  });
  return out!.value;
}

describe('the cdktf bundle', () => {
  it('is what `cdktf` and its private modules resolve to, unless VIGIL_JEST_CDKTF_BUNDLE=off', () => {
    const bundled = process.env['VIGIL_JEST_CDKTF_BUNDLE'] !== 'off';
    const dir = bundleDir();
    const ids = ['cdktf', ...INTERNALS.map((path) => `cdktf/${path}`)];

    expect(ids.map((id) => require.resolve(id).startsWith(dir + sep))).toEqual(ids.map(() => bundled));
    inFreshRegistry(() => {
      const bundle = require(join(dir, 'bundle.js')) as { cdktf: unknown; internals: Record<string, unknown> };
      expect(loadCdktf() === bundle.cdktf).toBe(bundled);
      expect(INTERNALS.map((path) => require(`cdktf/${path}`) === bundle.internals[path])).toEqual(
        INTERNALS.map(() => bundled),
      );
    });
  });

  it('lets a patch of the token stack-trace module reach the tokens cdktf creates', () => {
    const creationStack = inFreshRegistry(() => {
      const trace = require('cdktf/lib/tokens/private/stack-trace') as { captureStackTrace(): string[] };
      jest.spyOn(trace, 'captureStackTrace').mockReturnValue(['patched']);
      const { Lazy, Tokenization } = loadCdktf();
      const token: string = Lazy.stringValue({ produce: () => 'value' });
      return (Tokenization.reverseString(token).firstToken as { creationStack: string[] }).creationStack;
    });

    expect(creationStack).toEqual(['patched']);
  });

  it("lets a patch of the binary-version check reach the validations cdktf's constructs add", () => {
    const { binary, terraform } = inFreshRegistry(() => {
      type Check = { prototype: { validate(): string[] } };
      const { ValidateBinaryVersion } = require('cdktf/lib/validations/validate-binary-version') as {
        ValidateBinaryVersion: Check;
      };
      const { ValidateTerraformVersion } = require('cdktf/lib/validations/validate-terraform-version') as {
        ValidateTerraformVersion: Check;
      };
      const binary = jest.spyOn(ValidateBinaryVersion.prototype, 'validate').mockReturnValue(['binary']);
      const terraform = jest.spyOn(ValidateTerraformVersion.prototype, 'validate');
      const { CloudBackend, NamedCloudWorkspace, TerraformStack, Testing } = loadCdktf();
      const stack = new TerraformStack(Testing.app(), 'stack');
      const backend = new CloudBackend(stack, {
        organization: 'org',
        workspaces: new NamedCloudWorkspace('workspace'),
      });
      expect(backend.node.validate()).toEqual(['binary']);
      return { binary: binary.mock.calls.length, terraform: terraform.mock.calls.length };
    });

    expect({ binary, terraform }).toEqual({ binary: 1, terraform: 1 });
  });

  it('extends the `Construct` of `constructs`, the one vigil constructs extend', () => {
    const { Construct } = require('constructs');
    const { TerraformStack, Testing } = loadCdktf();

    expect(Object.getPrototypeOf(TerraformStack)).toBe(Construct);
    expect(new TerraformStack(Testing.app(), 'stack')).toBeInstanceOf(Construct);
  });
});
