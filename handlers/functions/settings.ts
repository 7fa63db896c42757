/**
 * The one reader of Lambda environment variables. Each function's spec (handlers/functions/<name>/spec.ts)
 * reads its variables through a {@link SettingsReader}: every value is checked, every problem is
 * collected with the variable's name and what to set it to, and {@link readSettings} throws them all at
 * once in one ConfigurationError, so a broken deployment is fixed in one pass rather than one variable
 * per cold start. Secrets are references (`secretsmanager:…` / `ssm:…`), never values, and a message
 * never repeats a value that may be a secret pasted in the wrong place.
 */
import { parseSecretRef } from '../adapters/secrets';
import type { SecretRef } from '../core/alert';
import { ConfigurationError } from '../errors';

/** A Lambda environment as Node shows it (`process.env`). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Options shared by the readers: whether the variable must be set, and what it is for. */
export interface Presence {
  /**
   * The variable must be set; the text says what it holds, for the message
   * `NAME: required (<text>)`. @default - optional: unset reads as undefined
   */
  readonly required?: string;
}

/** Collects the values and the problems of one environment. */
export class SettingsReader {
  readonly #env: Environment;
  readonly #problems: string[] = [];

  constructor(env: Environment) {
    this.#env = env;
  }

  /** Every problem found so far, in the order found. */
  get problems(): readonly string[] {
    return this.#problems;
  }

  /** Records a problem the typed readers cannot see (one that involves several variables, a file...). */
  problem(message: string): void {
    this.#problems.push(message);
  }

  /** The trimmed value; an empty or blank value counts as unset. */
  text(name: string, options: Presence = {}): string | undefined {
    const value = this.#env[name]?.trim() || undefined;
    if (value === undefined && options.required !== undefined) this.problem(`${name}: required (${options.required})`);
    return value;
  }

  /** A value that must match `pattern`; `expected` describes it for the message. */
  matching(name: string, pattern: RegExp, expected: string, options: Presence = {}): string | undefined {
    const value = this.text(name, options);
    if (value === undefined || pattern.test(value)) return value;
    this.problem(`${name}: expected ${expected}, got '${value.slice(0, 80)}'`);
    return undefined;
  }

  /** A secret reference; the message names the accepted forms and never repeats the value. */
  secretRef(name: string, options: Presence = {}): SecretRef | undefined {
    const value = this.text(name, options);
    if (value === undefined) return undefined;
    const problem = secretRefProblem(value);
    if (problem === undefined) return value as SecretRef;
    this.problem(`${name}: ${problem}`);
    return undefined;
  }

  /** A whole number of at least `min`. */
  wholeNumber(name: string, min: number, options: Presence = {}): number | undefined {
    const value = this.text(name, options);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (Number.isInteger(n) && n >= min) return n;
    this.problem(`${name}: expected a whole number ≥ ${min}, got '${value.slice(0, 20)}'`);
    return undefined;
  }

  /** One of `values`. */
  oneOf<T extends string>(name: string, values: readonly T[], options: Presence = {}): T | undefined {
    const value = this.text(name, options);
    if (value === undefined || values.includes(value as T)) return value as T | undefined;
    this.problem(`${name}: expected one of ${values.join(' | ')}, got '${value.slice(0, 20)}'`);
    return undefined;
  }

  /** `true` or `false`. */
  boolean(name: string, options: Presence = {}): boolean | undefined {
    const value = this.text(name, options);
    if (value === undefined) return undefined;
    if (value === 'true' || value === 'false') return value === 'true';
    this.problem(`${name}: expected true or false, got '${value.slice(0, 20)}'`);
    return undefined;
  }

  /** An email address. */
  emailAddress(name: string, options: Presence = {}): string | undefined {
    const value = this.text(name, options);
    if (value === undefined || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) return value;
    this.problem(`${name}: not an email address`);
    return undefined;
  }

  /** An https URL (never plain http: what travels in it may be a bearer credential). */
  httpsUrl(name: string, what: string, options: Presence = {}): string | undefined {
    const value = this.text(name, options);
    if (value === undefined || /^https:\/\/[^\s/?#]+/.test(value)) return value;
    this.problem(`${name}: expected an https URL (${what})`);
    return undefined;
  }

  /** Parsed JSON; `expected` describes the shape for the message when the value is not JSON. */
  json(name: string, expected: string, options: Presence = {}): unknown {
    const value = this.text(name, options);
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value);
    } catch {
      this.problem(`${name}: not JSON; expected ${expected}`);
      return undefined;
    }
  }
}

/** What is wrong with a secret reference (never repeating it), or undefined when it is one. */
export function secretRefProblem(value: string): string | undefined {
  try {
    parseSecretRef(value);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Reads an environment with `read`, then throws every problem at once.
 * @param subject names the function in the message, e.g. `triage handler`
 * @throws ConfigurationError `<subject> configuration has N problem(s):` and one line per problem
 */
export function readSettings<T>(env: Environment, subject: string, read: (reader: SettingsReader) => T): T {
  const reader = new SettingsReader(env);
  const value = read(reader);
  const { problems } = reader;
  if (problems.length > 0) {
    throw new ConfigurationError(
      `${subject} configuration has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`,
    );
  }
  return value;
}

/**
 * A Lambda environment from `[variable, value]` pairs, in their order: unset values are left out, numbers
 * and booleans are written as text.
 */
export function environmentFrom(
  entries: ReadonlyArray<readonly [string, string | number | boolean | undefined]>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of entries) if (value !== undefined) out[name] = String(value);
  return out;
}

/** `{ key: value }`, or `{}` when the value is undefined (so optional settings stay absent, not undefined). */
export function optionalField<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
