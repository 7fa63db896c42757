/**
 * The Lambda-side half of handlers/core/lambda-io.ts: what an entrypoint does with the Lambda runtime
 * and its code directory. Reading a file bundled next to `index.js`, and building a handler on its first
 * invocation (not at import, so tests import entrypoints without an environment; a build that fails is
 * tried again on the next invocation).
 */
import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../errors';

/**
 * The parsed content of a JSON file of the bundle.
 * @param what names the file in the message, e.g. `the inventory view`
 * @throws ConfigurationError `cannot read <what> <file>: <reason>` when it is missing or not JSON
 */
export function readJsonFile(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigurationError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

/** A Lambda handler that builds the real one on its first invocation and keeps it for the container's life. */
export function builtOnFirstCall<E, R>(build: () => (event: E) => Promise<R>): (event: E) => Promise<R> {
  let built: ((event: E) => Promise<R>) | undefined;
  return async (event) => {
    built ??= build();
    return built(event);
  };
}
