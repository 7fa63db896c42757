/**
 * EventBridge event-pattern matching, compiled once per pattern and then run against many events (catalog
 * tests, the triage handler, the CloudTrail replay CLI). Pure: no I/O, no clock, no dependencies.
 *
 * Sources, quoted where a decision is not obvious:
 * - [EB] EventBridge user guide: eb-event-patterns, eb-create-pattern-operators, eb-event-patterns-arrays,
 *   eb-event-patterns-null-values, eb-event-patterns-content-based-filtering.
 * - [RULER] aws/event-ruler, the matching library behind EventBridge: README and the source of
 *   JsonRuleCompiler.java (what is a valid pattern and with which message), CIDR.java, ComparableNumber.java.
 * - [LS] localstack's tests/aws/services/events/event_pattern_templates: event/pattern pairs whose outcome was
 *   recorded against the real TestEventPattern API (aws.validated snapshots).
 *
 * Semantics implemented, in one place:
 * - A pattern is an AND over its fields; a leaf is an array of alternatives (OR). A field is "the leaf values at
 *   its path": arrays anywhere on the way are walked into (arrays of arrays are flattened), objects at the end of
 *   the path are not values. If the event value is an array, the field matches when any element matches [EB arrays].
 * - Arrays of objects: each pattern field is evaluated on its own against all values at its path, so two fields
 *   under one array may be satisfied by DIFFERENT elements: `{ items: { a: ['1'], b: ['2'] } }` matches
 *   `{ items: [{ a: '1' }, { b: '2' }] }`. This is Ruler's flattened model [RULER "JSON Array Matching",
 *   rulesForEvent]. Note that Ruler's newer `rulesForJSONEvent()` is "array-consistent" (it rejects that match) and
 *   AWS does not document which of the two EventBridge runs. The flattened model is a superset of the consistent
 *   one, so it never misses an event EventBridge delivers; detections that need both values in ONE element use a
 *   `predicate` (rules/types.ts) rather than relying on the pattern.
 * - Missing fields fail every operator except `exists: false`. A field that is present with an object value fails
 *   every operator except `exists: false` [EB "Exists matching only works on leaf nodes"; LS exists_dynamodb_NEG].
 * - `null` is a value: `[null]` matches it, `exists: true` matches it, and `anything-but` matches it [EB
 *   null-values; LS content_anything_but_string_null, also checked with PutEvents in LS test_events_patterns.py].
 *   An empty array holds no values: `exists: true` fails and `exists: false` matches [LS exists_list_empty_NEG];
 *   `[null]` does not match `[]` [LS arrays_empty_null_NEG].
 * - `anything-but` needs a value: it does NOT match a missing field [LS content_anything_but_string_missing_NEG],
 *   and it matches any value of another type (a number against `{ "anything-but": { "prefix": "init" } }`) [LS
 *   content_anything_prefix_int_value, content_anything_wildcard_int].
 * - Numbers compare by value: `[300]` matches 300.0 and `{ "numeric": ["=", 3.018e2] }` matches 301.8. The user
 *   guide still says numbers compare as strings, but Ruler adds a numeric-equality matcher for every number in a
 *   pattern (JsonRuleCompiler.writeRules) and AWS matches 300.0 against [300] [LS number_comparison_float]. Strings
 *   never equal numbers ("300" vs 300). Numeric operators only see JSON numbers within ±5e9 [RULER "Numeric
 *   matching is limited to value between -5.0e9 and +5.0e9"]; strings, null and larger numbers fail them [LS
 *   numeric-string_NEG, numeric-null_NEG].
 * - String leaf values that are IP addresses match the same address in any textual form (Ruler turns them into a
 *   one-address range, CIDR.ipToRangeIfPossible), e.g. '2001:db8::1' matches '2001:0db8:0:0:0:0:0:1'.
 * - `cidr` matches IPv4 and IPv6 string values from the given address up to the address with all host bits set
 *   (CIDR.cidr); IPv4 and IPv6 never match each other.
 * - `wildcard`: `*` is any run of characters (also empty); `\*` is a literal star and `\\` a literal backslash.
 * - Case-insensitive operators compare `toLowerCase()` forms (Ruler folds per character; the two differ only for
 *   exotic Unicode such as 'İ').
 *
 * Known differences from EventBridge, kept because they do not touch CloudTrail events in practice:
 * - Ruler joins nested keys with '.', so `{ "a.b": [1] }` also matches `{ a: { b: 1 } }` and vice versa. Here keys
 *   are literal; rules/pattern-check.ts flags pattern keys that contain a dot.
 * - JSON.parse has already turned 1e10 and 10000000000 into one number, so two spellings of a number outside the
 *   ±5e9 range compare equal here, while Ruler (which then compares the literal text) would not.
 * - Ruler only promises 6 decimal places; values with more are compared at full double precision here.
 * - A field constrained both outside and inside an `$or` branch is ANDed here; Ruler's compiler, when it allows
 *   overriding, keeps only the branch's constraint. Avoid writing patterns that depend on either.
 */
import { MAX_EVENT_DEPTH } from './bounded';
import type { EventPattern } from './types';

/** A compiled pattern: true when the event matches. Never throws, whatever `event` is. */
export type CompiledPattern = (event: unknown) => boolean;

/** Thrown for patterns EventBridge would reject; `problems` lists every problem, each starting with its path. */
export class InvalidPatternError extends Error {
  override readonly name = 'InvalidPatternError';

  /** One entry per problem, formatted `<path>: <what is wrong>`, e.g. `detail.eventName: empty array ...`. */
  readonly problems: readonly string[];

  /** @param where who owns the pattern, for the message, e.g. `detection 'root-activity'` */
  constructor(problems: readonly string[], where?: string) {
    const list = problems.join('\n  - ');
    super(
      `${where ? `${where}: ` : ''}not a valid EventBridge event pattern (${problems.length} problem(s)):\n  - ${list}`,
    );
    this.problems = problems;
  }
}

/** Where a problem belongs: `invalid` (EventBridge rejects the pattern) or `suspicious` (accepted, likely a mistake). */
export type ProblemKind = 'invalid' | 'suspicious';

/**
 * Compiles `pattern`, reporting every problem instead of stopping at the first. The matcher it returns is only
 * meaningful when no `invalid` problem was reported. Lower-level entry point shared by {@link compilePattern} and
 * rules/pattern-check.ts, so the two can never disagree about what is valid.
 */
export function checkAndCompile(
  pattern: unknown,
  report: (problem: string, kind: ProblemKind) => void,
): CompiledPattern {
  const ctx: Ctx = { report, ancestors: new Set() };
  if (!isPlainObject(pattern)) {
    ctx.report(`${ROOT}: a pattern must be a JSON object, got ${describe(pattern)}`, 'invalid');
    return () => false;
  }
  const node = emptyNode();
  compileObject(pattern, [], '', node, false, ctx);
  const matcher = nodeMatcher(node);
  // EventBridge events are JSON objects (TestEventPattern rejects anything else as "Parameter Event is not valid");
  // without this guard, { "x": [{ "exists": false }] } would match null or a string.
  return (event) => typeof event === 'object' && event !== null && !Array.isArray(event) && matcher(event);
}

/**
 * Compiles an EventBridge pattern into a matcher function; compile once, match many events.
 * @throws InvalidPatternError naming the path of every problem when EventBridge would reject the pattern
 */
export function compilePattern(pattern: EventPattern): CompiledPattern {
  const problems: string[] = [];
  const matcher = checkAndCompile(pattern, (problem, kind) => {
    if (kind === 'invalid') problems.push(problem);
  });
  if (problems.length > 0) throw new InvalidPatternError(problems);
  return matcher;
}

const cache = new WeakMap<object, CompiledPattern>();

/**
 * Convenience for one-off checks: compiles `pattern` on first use and caches the matcher by object identity, so
 * calling it in a loop with the same pattern object costs one compilation. Patterns are data: a pattern object
 * mutated after its first use keeps matching as it did then.
 * @throws InvalidPatternError when EventBridge would reject the pattern
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  let matcher = cache.get(pattern);
  if (matcher === undefined) {
    matcher = compilePattern(pattern);
    cache.set(pattern, matcher);
  }
  return matcher(event);
}

// ---------------------------------------------------------------------------------------------------------------
// Compilation

interface Ctx {
  readonly report: (problem: string, kind: ProblemKind) => void;
  /** Objects on the current path, to report cycles instead of recursing forever. */
  readonly ancestors: Set<object>;
}

type Test = (value: unknown) => boolean;
type FieldMatcher = (root: unknown) => boolean;

/** An AND of fields and of `$or` groups (each an OR of nodes). */
interface Node {
  readonly fields: Field[];
  readonly ors: Node[][];
}

interface Field {
  readonly matcher: FieldMatcher;
  /** Rough cost, to try cheap, selective fields first. */
  readonly cost: number;
}

const ROOT = '(pattern)';
const OR = '$or';

/**
 * Field names Ruler refuses inside `$or` branches (Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP), because
 * `{ "$or": [{ "prefix": ... }] }` is more likely a misplaced operator than a field called "prefix".
 */
const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  'html',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

const OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'exists', 'cidr'];

const emptyNode = (): Node => ({ fields: [], ors: [] });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}

/** Display path: `detail.eventName`, `detail["a.b"]`, `$or[1].source`. */
function join(path: string, key: string): string {
  if (!/^[A-Za-z0-9_$-]+$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

const at = (path: string): string => (path === '' ? ROOT : path);

function compileObject(
  obj: Record<string, unknown>,
  segs: readonly string[],
  path: string,
  node: Node,
  insideOr: boolean,
  ctx: Ctx,
): void {
  if (ctx.ancestors.has(obj)) {
    ctx.report(`${at(path)}: the pattern refers to itself (a cycle); it cannot be serialised to JSON`, 'invalid');
    return;
  }
  const keys = Object.keys(obj);
  if (keys.length === 0) {
    ctx.report(`${at(path)}: empty object; EventBridge rejects "{}" — name at least one field`, 'invalid');
    return;
  }
  ctx.ancestors.add(obj);
  for (const key of keys) {
    const value = obj[key];
    const keyPath = join(path, key);
    if (key === OR) {
      compileOr(value, segs, keyPath, node, ctx);
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(key)) {
      ctx.report(
        `${keyPath}: '${key}' is a reserved word that EventBridge refuses as a field name inside $or; ` +
          `did you mean [{ "${key}": ... }] as a value?`,
        'invalid',
      );
      continue;
    }
    if (key.includes('.')) {
      ctx.report(
        `${keyPath}: EventBridge joins nested keys with '.', so this key also matches the nested path ` +
          `${key.split('.').join(' → ')}; vigil's matcher treats it literally — nest objects instead`,
        'suspicious',
      );
    }
    const fieldSegs = [...segs, key];
    if (Array.isArray(value)) {
      const field = compileLeaf(value, fieldSegs, keyPath, ctx);
      if (field) node.fields.push(field);
    } else if (isPlainObject(value)) {
      compileObject(value, fieldSegs, keyPath, node, insideOr, ctx);
    } else {
      ctx.report(
        `${keyPath}: must be an object or an array of values, got ${describe(value)}` +
          (value !== null && typeof value !== 'object' && value !== undefined
            ? ` — write [${JSON.stringify(value)}]`
            : ''),
        'invalid',
      );
    }
  }
  ctx.ancestors.delete(obj);
}

function compileOr(value: unknown, segs: readonly string[], path: string, node: Node, ctx: Ctx): void {
  if (!Array.isArray(value) || value.length < 2) {
    ctx.report(
      `${path}: $or needs an array of at least two objects (sub-patterns), got ${Array.isArray(value) ? `${value.length} element(s)` : describe(value)}`,
      'invalid',
    );
    if (!Array.isArray(value)) return;
  }
  const branches: Node[] = [];
  value.forEach((branch: unknown, i: number) => {
    const branchPath = `${path}[${i}]`;
    if (!isPlainObject(branch)) {
      ctx.report(
        `${branchPath}: each $or element must be an object (a sub-pattern), got ${describe(branch)}`,
        'invalid',
      );
      return;
    }
    const sub = emptyNode();
    compileObject(branch, segs, branchPath, sub, true, ctx);
    branches.push(sub);
  });
  node.ors.push(branches);
}

/** Pieces of one leaf array, combined into a single test per value. */
interface LeafParts {
  readonly strings: Set<string>;
  /** Normalised IP keys of string values that are IP addresses. */
  readonly ips: Set<string>;
  readonly numbers: Set<number>;
  literals: { true: boolean; false: boolean; null: boolean };
  readonly others: Test[];
  exists: boolean;
  absent: boolean;
  cost: number;
}

function compileLeaf(values: readonly unknown[], segs: readonly string[], path: string, ctx: Ctx): Field | undefined {
  if (values.length === 0) {
    ctx.report(`${path}: empty array; EventBridge rejects "[]" — list at least one value`, 'invalid');
    return undefined;
  }
  const parts: LeafParts = {
    strings: new Set(),
    ips: new Set(),
    numbers: new Set(),
    literals: { true: false, false: false, null: false },
    others: [],
    exists: false,
    absent: false,
    cost: 0,
  };
  let ok = true;
  values.forEach((value, i) => {
    const itemPath = `${path}[${i}]`;
    if (typeof value === 'string') {
      const ip = ipKey(value);
      if (ip === undefined) parts.strings.add(value);
      else parts.ips.add(ip);
    } else if (typeof value === 'number') {
      if (Number.isFinite(value)) parts.numbers.add(value);
      else ok = fail(ctx, `${itemPath}: ${value} is not a JSON number`);
    } else if (value === true || value === false || value === null) {
      parts.literals[String(value) as 'true' | 'false' | 'null'] = true;
    } else if (isPlainObject(value)) {
      ok = compileOperator(value, itemPath, parts, ctx) && ok;
    } else {
      ok = fail(
        ctx,
        `${itemPath}: a match value must be a string, number, boolean, null or an operator object such as ` +
          `{ "prefix": "..." }, got ${describe(value)}`,
      );
    }
  });
  if (!ok) return undefined;
  return { matcher: fieldMatcher(segs, leafTest(parts), parts.exists, parts.absent), cost: segs.length + parts.cost };
}

function fail(ctx: Ctx, problem: string): false {
  ctx.report(problem, 'invalid');
  return false;
}

function compileOperator(expr: Record<string, unknown>, path: string, parts: LeafParts, ctx: Ctx): boolean {
  const keys = Object.keys(expr);
  if (keys.length !== 1) {
    return fail(
      ctx,
      keys.length === 0
        ? `${path}: empty operator object; expected one of ${OPERATORS.join(', ')}`
        : `${path}: an operator object takes exactly one operator, got ${keys.join(', ')} — list them as separate array elements`,
    );
  }
  const op = keys[0]!;
  const operand = expr[op];
  const opPath = join(path, op);
  switch (op) {
    case 'exists':
      if (typeof operand !== 'boolean') {
        return fail(ctx, `${opPath}: exists takes true or false, got ${describe(operand)}`);
      }
      if (operand) parts.exists = true;
      else parts.absent = true;
      return true;
    case 'prefix':
    case 'suffix': {
      const affix = stringOrIgnoreCase(operand, op, opPath, ctx);
      if (affix === undefined) return false;
      parts.others.push(affixTest(op, affix.text, affix.ignoreCase));
      parts.cost += 1;
      return true;
    }
    case 'equals-ignore-case': {
      if (typeof operand !== 'string') {
        return fail(ctx, `${opPath}: equals-ignore-case takes a string, got ${describe(operand)}`);
      }
      parts.others.push(ignoreCaseTest(operand));
      parts.cost += 1;
      return true;
    }
    case 'wildcard': {
      if (typeof operand !== 'string') return fail(ctx, `${opPath}: wildcard takes a string, got ${describe(operand)}`);
      const glob = compileWildcard(operand, opPath, ctx);
      if (!glob) return false;
      parts.others.push((v) => typeof v === 'string' && glob(v));
      parts.cost += 2;
      return true;
    }
    case 'anything-but': {
      const test = compileAnythingBut(operand, opPath, ctx);
      if (!test) return false;
      parts.others.push(test);
      parts.cost += 3;
      return true;
    }
    case 'numeric': {
      const test = compileNumeric(operand, opPath, ctx);
      if (!test) return false;
      parts.others.push(test);
      parts.cost += 1;
      return true;
    }
    case 'cidr': {
      const test = compileCidr(operand, opPath, ctx);
      if (!test) return false;
      parts.others.push(test);
      parts.cost += 2;
      return true;
    }
    default: {
      const known = OPERATORS.find((o) => o === op.toLowerCase());
      return fail(
        ctx,
        `${opPath}: unknown operator '${op}'` +
          (known ? ` — operators are case-sensitive, write '${known}'` : `; expected one of ${OPERATORS.join(', ')}`),
      );
    }
  }
}

/** `"text"` or `{ "equals-ignore-case": "text" }`, the two operand forms of prefix and suffix. */
function stringOrIgnoreCase(
  operand: unknown,
  op: string,
  path: string,
  ctx: Ctx,
): { text: string; ignoreCase: boolean } | undefined {
  if (typeof operand === 'string') return { text: operand, ignoreCase: false };
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const inner = operand['equals-ignore-case'];
    if (keys.length === 1 && typeof inner === 'string') return { text: inner, ignoreCase: true };
  }
  fail(ctx, `${path}: ${op} takes a string or { "equals-ignore-case": "<string>" }, got ${describe(operand)}`);
  return undefined;
}

function affixTest(op: 'prefix' | 'suffix', text: string, ignoreCase: boolean): Test {
  if (!ignoreCase) {
    return op === 'prefix'
      ? (v) => typeof v === 'string' && v.startsWith(text)
      : (v) => typeof v === 'string' && v.endsWith(text);
  }
  const lower = text.toLowerCase();
  return op === 'prefix'
    ? (v) => typeof v === 'string' && v.toLowerCase().startsWith(lower)
    : (v) => typeof v === 'string' && v.toLowerCase().endsWith(lower);
}

function ignoreCaseTest(text: string): Test {
  const lower = text.toLowerCase();
  return (v) => typeof v === 'string' && v.toLowerCase() === lower;
}

/**
 * `*` matches any run of characters, `\*` a literal star, `\\` a literal backslash; any other escape and two
 * consecutive stars are rejected, as Ruler's WildcardParser does ("Consecutive wildcard characters at pos ...").
 * Matching splits the pattern at its stars and looks for the literal pieces left to right, which is exact for
 * star-only globs and avoids regular expressions (and their backtracking) entirely.
 */
function compileWildcard(pattern: string, path: string, ctx: Ctx): ((s: string) => boolean) | undefined {
  const pieces: string[] = [];
  let piece = '';
  let prevStar = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (prevStar) return void fail(ctx, `${path}: consecutive wildcard characters at position ${i} are not allowed`);
      pieces.push(piece);
      piece = '';
      prevStar = true;
      continue;
    }
    prevStar = false;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        return void fail(
          ctx,
          `${path}: invalid escape at position ${i}; only \\* (a literal star) and \\\\ are allowed`,
        );
      }
      piece += next;
      i++;
      continue;
    }
    piece += c;
  }
  pieces.push(piece);
  if (pieces.length === 1) {
    const only = pieces[0]!;
    return (s) => s === only;
  }
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  const middle = pieces.slice(1, -1).filter((p) => p !== '');
  const minLength = first.length + last.length;
  return (s) => {
    if (s.length < minLength || !s.startsWith(first) || !s.endsWith(last)) return false;
    let pos = first.length;
    const end = s.length - last.length;
    for (const p of middle) {
      const found = s.indexOf(p, pos);
      if (found < 0 || found + p.length > end) return false;
      pos = found + p.length;
    }
    return true;
  };
}

const ANYTHING_BUT_FORMS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'];

/**
 * anything-but takes a string, a number, a non-empty list of only strings or only numbers, or an object with one of
 * prefix / suffix / equals-ignore-case / wildcard holding a string or a list of strings (JsonRuleCompiler).
 * The resulting test is true for every present value that is not excluded, including null and other types.
 */
function compileAnythingBut(operand: unknown, path: string, ctx: Ctx): Test | undefined {
  if (typeof operand === 'string') return (v) => v !== operand;
  if (typeof operand === 'number') {
    if (!checkComparable(operand, path, ctx)) return undefined;
    return (v) => v !== operand;
  }
  if (Array.isArray(operand)) {
    if (operand.length === 0) return void fail(ctx, `${path}: empty array; list at least one value to exclude`);
    if (operand.every((x) => typeof x === 'string')) {
      const set = new Set<unknown>(operand);
      return (v) => !(typeof v === 'string' && set.has(v));
    }
    if (operand.every((x) => typeof x === 'number')) {
      if (!operand.every((x, i) => checkComparable(x as number, `${path}[${i}]`, ctx))) return undefined;
      const set = new Set<unknown>(operand);
      return (v) => !(typeof v === 'number' && set.has(v));
    }
    return void fail(
      ctx,
      `${path}: an anything-but list must hold only strings or only numbers (no null, booleans or objects)`,
    );
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const form = keys[0];
    if (keys.length !== 1 || form === undefined || !ANYTHING_BUT_FORMS.includes(form)) {
      return void fail(
        ctx,
        `${path}: anything-but takes a value, a list, or an object with exactly one of ${ANYTHING_BUT_FORMS.join(', ')}, ` +
          `got ${keys.length === 0 ? 'an empty object' : keys.join(', ')}`,
      );
    }
    const formPath = join(path, form);
    const raw = operand[form];
    const texts = typeof raw === 'string' ? [raw] : raw;
    if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === 'string')) {
      return void fail(ctx, `${formPath}: takes a string or a non-empty list of strings, got ${describe(raw)}`);
    }
    const strings = texts as string[];
    if ((form === 'prefix' || form === 'suffix') && strings.includes('')) {
      return void fail(ctx, `${formPath}: an empty ${form} would exclude every string; EventBridge rejects it`);
    }
    let excluded: (s: string) => boolean;
    if (form === 'prefix') excluded = (s) => strings.some((t) => s.startsWith(t));
    else if (form === 'suffix') excluded = (s) => strings.some((t) => s.endsWith(t));
    else if (form === 'equals-ignore-case') {
      const lower = new Set(strings.map((t) => t.toLowerCase()));
      excluded = (s) => lower.has(s.toLowerCase());
    } else {
      const globs = strings.map((t, i) =>
        compileWildcard(t, typeof raw === 'string' ? formPath : `${formPath}[${i}]`, ctx),
      );
      if (globs.some((g) => g === undefined)) return undefined;
      const ok = globs as ((s: string) => boolean)[];
      excluded = (s) => ok.some((g) => g(s));
    }
    return (v) => typeof v !== 'string' || !excluded(v);
  }
  return void fail(
    ctx,
    `${path}: anything-but takes a string, a number, a list or an object, got ${describe(operand)}`,
  );
}

/** Largest magnitude Ruler's ComparableNumber represents ("-5.0e9 and +5.0e9 inclusive"). */
const NUMERIC_LIMIT = 5e9;

/** Whether a pattern operand is a number EventBridge can compare: within ±5e9 and at most 6 decimal places. */
function checkComparable(n: number, path: string, ctx: Ctx): boolean {
  if (!Number.isFinite(n) || Math.abs(n) > NUMERIC_LIMIT) {
    return fail(ctx, `${path}: ${n} is outside the range EventBridge compares numerically (±5e9)`);
  }
  if (Math.round(n * 1e6) / 1e6 !== n) {
    return fail(ctx, `${path}: ${n} has more than 6 decimal places, which EventBridge does not compare`);
  }
  return true;
}

const comparable = (v: unknown): v is number => typeof v === 'number' && v >= -NUMERIC_LIMIT && v <= NUMERIC_LIMIT;

/**
 * Ruler's grammar (JsonRuleCompiler.processNumericMatchExpression): ["=", n], ["<" | "<=", n], [">" | ">=", n], or
 * [">" | ">=", low, "<" | "<=", high] — the lower bound comes first; ["<", 5, ">", 0] is rejected.
 */
function compileNumeric(operand: unknown, path: string, ctx: Ctx): Test | undefined {
  const usage = 'write ["=", n], ["<", n], ["<=", n], [">", n], [">=", n] or [">" | ">=", low, "<" | "<=", high]';
  if (!Array.isArray(operand) || operand.length === 0) {
    return void fail(ctx, `${path}: numeric takes a non-empty array; ${usage}`);
  }
  const [op, a, op2, b] = operand as unknown[];
  const number = (x: unknown, i: number, after: unknown): x is number => {
    if (typeof x !== 'number') {
      return fail(ctx, `${path}[${i}]: the value after "${String(after)}" must be a number, got ${describe(x)}`);
    }
    return checkComparable(x, `${path}[${i}]`, ctx);
  };
  if (op !== '=' && op !== '<' && op !== '<=' && op !== '>' && op !== '>=') {
    return void fail(ctx, `${path}[0]: unknown numeric operator ${JSON.stringify(op)}; ${usage}`);
  }
  if (!number(a, 1, op)) return undefined;
  if (op === '=' || op === '<' || op === '<=' || operand.length === 2) {
    if (operand.length !== 2) {
      const hint = op === '=' ? '' : ' (a range starts with its lower bound)';
      return void fail(ctx, `${path}: too many elements after "${op}"${hint}; ${usage}`);
    }
    if (op === '=') return (v) => comparable(v) && v === a;
    if (op === '<') return (v) => comparable(v) && v < a;
    if (op === '<=') return (v) => comparable(v) && v <= a;
    if (op === '>') return (v) => comparable(v) && v > a;
    return (v) => comparable(v) && v >= a;
  }
  if (operand.length !== 4) return void fail(ctx, `${path}: a range has 4 elements; ${usage}`);
  if (op2 !== '<' && op2 !== '<=') {
    return void fail(
      ctx,
      `${path}[2]: a range's upper bound must use "<" or "<=", got ${JSON.stringify(op2)}; ${usage}`,
    );
  }
  if (!number(b, 3, op2)) return undefined;
  const openLow = op === '>';
  const openHigh = op2 === '<';
  if (a > b || (a === b && (openLow || openHigh))) {
    return void fail(ctx, `${path}: the range ${op} ${a} and ${op2} ${b} contains no number`);
  }
  return (v) => comparable(v) && (openLow ? v > a : v >= a) && (openHigh ? v < b : v <= b);
}

/**
 * CIDR.cidr: exactly one '/', integer mask bits, IPv4 masks 0–31 and IPv6 masks 0–127 (a single address is
 * written as a plain string value instead). Matches from the given address to the address with all host bits set.
 */
function compileCidr(operand: unknown, path: string, ctx: Ctx): Test | undefined {
  if (typeof operand !== 'string') {
    return void fail(ctx, `${path}: cidr takes a string such as "10.0.0.0/24", got ${describe(operand)}`);
  }
  const parts = operand.split('/');
  if (parts.length !== 2 || parts[1] === '') {
    return void fail(ctx, `${path}: malformed CIDR ${JSON.stringify(operand)}, one '/' required`);
  }
  const [address, maskText] = parts as [string, string];
  if (!/^[+-]?\d{1,9}$/.test(maskText)) {
    return void fail(ctx, `${path}: malformed CIDR ${JSON.stringify(operand)}, mask bits must be an integer`);
  }
  const mask = Number(maskText);
  const base = ipKey(address);
  if (base === undefined) return void fail(ctx, `${path}: ${JSON.stringify(address)} is not an IPv4 or IPv6 address`);
  const bits = base.length * 4;
  if (mask < 0 || mask >= bits) {
    return void fail(
      ctx,
      `${path}: ${bits === 32 ? 'IPv4' : 'IPv6'} mask bits must be 0–${bits - 1}, got ${mask}` +
        (mask === bits ? ` — match a single address with the plain string ["${address}"]` : ''),
    );
  }
  const low = base;
  const high = withHostBits(base, bits - mask, 1);
  if (withHostBits(base, bits - mask, 0) !== base) {
    ctx.report(
      `${path}: ${operand} has host bits set; EventBridge then matches only ${address} upward, not the whole ` +
        `/${mask} network — write the network address`,
      'suspicious',
    );
  }
  return (v) => {
    if (typeof v !== 'string') return false;
    const key = ipKey(v);
    return key !== undefined && key.length === low.length && key >= low && key <= high;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// IP addresses, as fixed-length lowercase hex (8 digits for IPv4, 32 for IPv6), which compare as strings in
// numeric order — the same representation Ruler uses (CIDR.toHexDigits).

const IPV4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/;
/** Ruler's pre-check (Constants.IPv6_REGEX); dotted IPv4 tails such as ::ffff:1.2.3.4 do not pass it. */
const IPV6_CHARS = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Normalised key of an IPv4 or IPv6 address literal, or undefined when `s` is not one. */
function ipKey(s: string): string | undefined {
  const c = s.charCodeAt(0);
  // Cheap rejection first: most strings in events (names, ARNs) start with a letter other than a–f.
  if (!((c >= 48 && c <= 58) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return undefined;
  const v4 = IPV4.exec(s);
  if (v4) {
    let key = '';
    for (let i = 1; i <= 4; i++) {
      const octet = Number(v4[i]);
      if (octet > 255) return undefined;
      key += octet.toString(16).padStart(2, '0');
    }
    return key;
  }
  if (!IPV6_CHARS.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const groups = head.length + tail.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return undefined;
  if (![...head, ...tail].every((g) => HEX_GROUP.test(g))) return undefined;
  const pad = (g: string) => g.toLowerCase().padStart(4, '0');
  return [...head.map(pad), ...Array<string>(8 - groups).fill('0000'), ...tail.map(pad)].join('');
}

/** `hex` with its lowest `hostBits` bits all set (`fill` = 1) or all cleared (`fill` = 0). */
function withHostBits(hex: string, hostBits: number, fill: 0 | 1): string {
  let out = '';
  for (let i = hex.length - 1; i >= 0; i--) {
    const bits = Math.max(0, Math.min(4, hostBits - (hex.length - 1 - i) * 4));
    const mask = (1 << bits) - 1;
    const digit = Number.parseInt(hex[i]!, 16);
    out = (fill === 1 ? digit | mask : digit & ~mask).toString(16) + out;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Matching

/** One test for a leaf's alternatives; specialised for the common "one or a few exact strings" case. */
function leafTest(p: LeafParts): Test {
  const { strings, ips, numbers, literals, others } = p;
  const onlyStrings =
    ips.size === 0 && numbers.size === 0 && others.length === 0 && !literals.true && !literals.false && !literals.null;
  if (onlyStrings) {
    if (strings.size === 1) {
      const [only] = strings;
      return (v) => v === only;
    }
    return (v) => typeof v === 'string' && strings.has(v);
  }
  return (v) => {
    switch (typeof v) {
      case 'string':
        if (strings.has(v)) return true;
        if (ips.size > 0) {
          const key = ipKey(v);
          if (key !== undefined && ips.has(key)) return true;
        }
        break;
      case 'number':
        if (numbers.has(v)) return true;
        break;
      case 'boolean':
        if (v ? literals.true : literals.false) return true;
        break;
      default:
        if (v === null && literals.null) return true;
    }
    for (let i = 0; i < others.length; i++) if (others[i]!(v)) return true;
    return false;
  };
}

/**
 * Matcher for one field: walks `segs` from the event root (into every element of arrays met on the way), feeds
 * each leaf value to `test`, and applies exists semantics — `exists: true` passes on any value, `exists: false`
 * passes when no value was found.
 */
function fieldMatcher(segs: readonly string[], test: Test, exists: boolean, absent: boolean): FieldMatcher {
  const n = segs.length;
  // Keys such as "constructor" would otherwise read Object.prototype members of events that lack them.
  const guarded = segs.map((s) => s in Object.prototype);
  let seen = false;

  // Arrays nested in arrays are walked by recursion: an event's own nesting depth must not decide
  // whether matching overflows the stack, so values nested deeper than MAX_EVENT_DEPTH arrays are not read.
  const leaf = (v: unknown, depth: number): boolean => {
    const t = typeof v;
    if (t === 'string' || t === 'number' || t === 'boolean' || v === null) {
      seen = true;
      return exists || test(v);
    }
    if (Array.isArray(v) && depth < MAX_EVENT_DEPTH) {
      for (let i = 0; i < v.length; i++) if (leaf(v[i], depth + 1)) return true;
    }
    return false;
  };

  const walk = (node: unknown, from: number, depth: number): boolean => {
    let cur = node;
    for (let i = from; i < n; i++) {
      if (typeof cur !== 'object' || cur === null) return false;
      if (Array.isArray(cur)) {
        if (depth >= MAX_EVENT_DEPTH) return false;
        for (let j = 0; j < cur.length; j++) if (walk(cur[j], i, depth + 1)) return true;
        return false;
      }
      const seg = segs[i]!;
      const obj = cur as Record<string, unknown>;
      cur = guarded[i] && !Object.hasOwn(obj, seg) ? undefined : obj[seg];
    }
    return leaf(cur, depth);
  };

  return (root) => {
    seen = false;
    if (walk(root, 0, 0)) return true;
    return absent && !seen;
  };
}

function nodeMatcher(node: Node): CompiledPattern {
  // Cheap, selective fields first (shallow exact matches), so most non-matching events are rejected early.
  const fields = [...node.fields].sort((x, y) => x.cost - y.cost).map((f) => f.matcher);
  const ors = node.ors.map((group) => group.map(nodeMatcher));
  if (ors.length === 0) {
    if (fields.length === 1) return fields[0]!;
    return (event) => {
      for (let i = 0; i < fields.length; i++) if (!fields[i]!(event)) return false;
      return true;
    };
  }
  return (event) => {
    for (let i = 0; i < fields.length; i++) if (!fields[i]!(event)) return false;
    for (let g = 0; g < ors.length; g++) {
      const group = ors[g]!;
      let any = false;
      for (let b = 0; b < group.length; b++) {
        if (group[b]!(event)) {
          any = true;
          break;
        }
      }
      if (!any) return false;
    }
    return true;
  };
}
