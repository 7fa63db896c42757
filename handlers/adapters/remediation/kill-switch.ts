/**
 * Reads the remediation kill switch: an SSM parameter in the security account (`killSwitchParameter`
 * of config/remediation.json). The adapter only reports what it saw; `killSwitchDecision` in
 * handlers/core/remediation/guard.ts decides, and fails safe: a missing or unreadable parameter
 * counts as ON, so an SSM outage or a deleted parameter stops remediation rather than unleashing it.
 *
 * A successful read is cached for `ttlMs` (30 s by default): flipping the switch takes effect in every
 * warm container within that time, while a burst of events costs one GetParameter call per container.
 * Failures are not cached: the next invocation tries again, and meanwhile the switch counts as ON.
 */
import { GetParameterCommand, ParameterNotFound, type SSMClient } from '@aws-sdk/client-ssm';
import type { KillSwitchReading } from '../../core/remediation/guard';

export interface KillSwitchReaderOptions {
  readonly client: SSMClient;
  /** Parameter name, e.g. `/vigil/remediation/kill-switch`. */
  readonly parameter: string;
  /** How long a successful read is reused, ms. @default 30000 */
  readonly ttlMs?: number;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** Returns the current kill-switch reading; never throws (an error is a reading of its own). */
export type KillSwitchReader = () => Promise<KillSwitchReading>;

/** Builds a {@link KillSwitchReader} with its own cache. */
export function makeKillSwitchReader(options: KillSwitchReaderOptions): KillSwitchReader {
  const ttlMs = options.ttlMs ?? 30_000;
  const now = options.now ?? Date.now;
  let cached: { reading: KillSwitchReading; at: number } | undefined;

  return async () => {
    if (cached && now() - cached.at < ttlMs) return cached.reading;
    try {
      const out = await options.client.send(new GetParameterCommand({ Name: options.parameter }));
      const value = out.Parameter?.Value;
      const reading: KillSwitchReading = value === undefined ? { kind: 'missing' } : { kind: 'value', value };
      cached = { reading, at: now() };
      return reading;
    } catch (err) {
      cached = undefined;
      if (err instanceof ParameterNotFound || (err as { name?: string }).name === 'ParameterNotFound') {
        return { kind: 'missing' };
      }
      const e = err as { name?: string; message?: string };
      return { kind: 'unreadable', error: `${e.name ?? 'Error'}: ${e.message ?? String(err)}` };
    }
  };
}
