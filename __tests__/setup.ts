import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Testing } from '../framework/cdktf';
import { disableTokenStackTraces, memoizeBinaryVersionChecks } from '../build/synth-performance';
import 'aws-sdk-client-mock-jest';

Testing.setupJest();

// What `npm run synth` does (main.ts), for the stacks tests build themselves: no stack trace per token (under jest's
// source-map support that was ~25 s of a run) and one `terraform version` per (constraint, process) instead of one
// per construct that needs it (~10 s). __tests__/framework.test.ts checks both take effect.
disableTokenStackTraces();
memoizeBinaryVersionChecks();

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
