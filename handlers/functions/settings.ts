/**
 * The one reader of function settings. Each function's spec (handlers/functions/<name>/spec.ts) names
 * its environment variables once — the stack writes them from the spec, the function reads them
 * through it — and reads them with a `SettingsReader`, which collects every problem (each naming the
 * variable and what is expected) and reports them all in one ConfigurationError.
 */
import type { SecretRef } from '../core/alert';
import { parseSecretRef } from '../core/secret-ref';
import { ConfigurationError } from '../errors';

export type Env = Readonly<Record<string, string | undefined>>;

export class SettingsReader {
  private readonly problems: string[] = [];

  /** `fn` names the function in the error, e.g. `triage`. */
  constructor(
    private readonly env: Env,
    private readonly fn: string,
  ) {}

  /** The trimmed value, or undefined when unset or blank. */
  text(name: string): string | undefined {
    const v = this.env[name]?.trim();
    return v ? v : undefined;
  }

  /** A value that must be set; `what` says what it is for. */
  required(name: string, what: string): string {
    const v = this.text(name);
    if (v === undefined) this.problem(`${name}: required (${what})`);
    return v ?? '';
  }

  /** A whole number ≥ `min`, `fallback` when unset. */
  whole(name: string, fallback: number, min: number): number {
    const v = this.text(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      this.problem(`${name}: expected a whole number ≥ ${min}, got '${v.slice(0, 20)}'`);
      return fallback;
    }
    return n;
  }

  /** A secret reference (never the secret: the message does not repeat the value). */
  secretRef(name: string): SecretRef | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    try {
      parseSecretRef(v);
      return v as SecretRef;
    } catch (err) {
      this.problem(`${name}: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** One of `values`, `fallback` when unset. */
  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const v = this.text(name) ?? fallback;
    if (!values.includes(v as T)) {
      this.problem(`${name}: expected one of ${values.join(' | ')}, got '${v.slice(0, 20)}'`);
      return fallback;
    }
    return v as T;
  }

  /** `true` or `false`, `fallback` when unset. */
  flag(name: string, fallback: boolean): boolean {
    const v = this.text(name);
    if (v === undefined) return fallback;
    if (v !== 'true' && v !== 'false') {
      this.problem(`${name}: expected true or false, got '${v.slice(0, 20)}'`);
      return fallback;
    }
    return v === 'true';
  }

  /** An email address. */
  email(name: string): string | undefined {
    const v = this.text(name);
    if (v !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) {
      this.problem(`${name}: not an email address`);
      return undefined;
    }
    return v;
  }

  /** An https URL (links and webhooks are bearer credentials: never over plain http). */
  httpsUrl(name: string, what: string): string | undefined {
    const v = this.text(name);
    if (v !== undefined && !/^https:\/\/[^\s/?#]+/.test(v)) {
      this.problem(`${name}: expected an https URL (${what})`);
      return undefined;
    }
    return v;
  }

  /** Records a problem found by the spec's own checks. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /**
   * Returns `settings` when nothing was wrong.
   * @throws ConfigurationError listing every problem
   */
  done<T>(settings: T): T {
    if (this.problems.length > 0) {
      throw new ConfigurationError(
        `${this.fn} handler configuration has ${this.problems.length} problem(s):\n  - ${this.problems.join('\n  - ')}`,
      );
    }
    return settings;
  }
}

/** `{ [key]: value }`, or nothing when the value is undefined (for optional settings and variables). */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
