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
