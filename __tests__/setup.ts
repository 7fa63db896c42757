import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

// Nothing here loads the framework or a mock library: a test file pays only for what it imports (loading cdktf
// took ~250 ms per file, aws-sdk-client-mock-jest ~130 ms). Stacks a test builds get synth's speed patches from
// framework/cdktf.ts itself; files that use the `toHaveReceivedCommand…` matchers import aws-sdk-client-mock-jest.

// Every test asserts: a test whose assertions sit behind a condition or an early return fails
// instead of passing silently.
beforeEach(() => expect.hasAssertions());

// The SDK's documented switch for its Node-version notice (SDK releases after early January 2027
// need Node ≥ 22; CI runs Node 20 until then). Without it the notice is most of the test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// Every test file gets its own temp root, removed when the file ends: cdktf's Testing helpers,
// synth child processes and the tests' own mkdtemp calls all go through os.tmpdir() (TMPDIR), so
// nothing a test creates outlives it, even when the test fails half-way.
// Jest gives each test file a copy of process.env, which node's own os.tmpdir() does not read:
// hence the spy as well as TMPDIR (which child processes inherit).
const outerTmp = os.tmpdir();
const sandbox = mkdtempSync(join(outerTmp, 'vigil-test-'));
const tmpdirSpy = jest.spyOn(os, 'tmpdir').mockReturnValue(sandbox);
process.env.TMPDIR = sandbox;
afterAll(() => {
  tmpdirSpy.mockRestore();
  process.env.TMPDIR = outerTmp;
  rmSync(sandbox, { recursive: true, force: true });
});
