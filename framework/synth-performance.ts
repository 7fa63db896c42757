/**
 * cdktf 0.21 captures a complete stack trace (with `Error.stackTraceLimit` raised to
 * `Number.MAX_SAFE_INTEGER`) for every token it creates, only to decorate the rare error about a
 * token that cannot be resolved. For a 200-account org that was ~70% of synth time (12.1 s → 3.6 s
 * without it on the development machine; `npm run bench` prints the current figures).
 *
 * This swaps the capture for a no-op. Set `VIGIL_TOKEN_STACK_TRACES=1` to keep the traces while
 * debugging a token error. The module path is cdktf-private: if a future cdktf/cdktn moves it, the
 * swap silently does nothing and synth is merely slower.
 */
export function disableTokenStackTraces(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['VIGIL_TOKEN_STACK_TRACES'] === '1') return false;
  try {
    const stackTrace = require('cdktf/lib/tokens/private/stack-trace') as { captureStackTrace: () => string[] };
    stackTrace.captureStackTrace = () => [];
    return true;
  } catch {
    return false;
  }
}

const MEMOIZED = Symbol.for('vigil.memoizedBinaryVersionChecks');

/** What cdktf's binary-version validation (`terraform version` against a constraint) is asked and answers. */
interface BinaryVersionCheck {
  versionCommand: string;
  versionConstraint: string;
  hint?: string;
  validate(): string[];
}

/**
 * cdktf validates the Terraform binary's version for every construct that needs a recent one (a cloud backend, a
 * `moved` block, `terraform_data`) by running `terraform version` in a child process, once per construct and synth:
 * a Terraform Cloud org's synth ran it once per stack, and the test suite ~200 times (10 s of a run). The binary
 * does not change while the process runs, so this remembers each (command, constraint, hint)'s answer for the
 * process: the same messages, the command run once. Idempotent; returns whether the patch is in place (false when a
 * framework upgrade moved the module, in which case validation is merely slower).
 */
export function memoizeBinaryVersionChecks(): boolean {
  try {
    const mod = require('cdktf/lib/validations/validate-binary-version') as {
      ValidateBinaryVersion: { prototype: BinaryVersionCheck & { [MEMOIZED]?: true } };
    };
    const proto = mod.ValidateBinaryVersion.prototype;
    if (proto[MEMOIZED]) return true;
    const uncached = proto.validate;
    const answers = new Map<string, readonly string[]>();
    proto.validate = function (this: BinaryVersionCheck): string[] {
      const key = JSON.stringify([this.versionCommand, this.versionConstraint, this.hint ?? null]);
      let answer = answers.get(key);
      if (answer === undefined) {
        answer = uncached.call(this);
        answers.set(key, answer);
      }
      return [...answer];
    };
    proto[MEMOIZED] = true;
    return true;
  } catch {
    return false;
  }
}
