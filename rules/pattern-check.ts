/**
 * Validity check for EventBridge event patterns, for the catalog tests and for anything that builds patterns:
 * everything EventBridge would reject (checked by the same code that compiles matchers, rules/event-pattern.ts),
 * the 2,048-character size limit, and a few accepted-but-suspicious constructs that would make a detection quietly
 * match something else than intended (a CIDR with host bits set, dotted keys).
 *
 * Not checked: Ruler's wildcard complexity limit ("Rule is too complex", which depends on all the rules of a bus),
 * and Ruler's undocumented `exactly` operator, which is reported as unknown because EventBridge does not document it.
 */
import { checkAndCompile, InvalidPatternError } from './event-pattern';
import { MAX_PATTERN_LENGTH } from './patterns';

/**
 * Every problem with `pattern`, one line each, starting with the path it concerns (`(pattern)` for the whole).
 * Empty when EventBridge would accept the pattern as it stands and nothing in it looks like a mistake.
 */
export function patternProblems(pattern: unknown): string[] {
  const problems: string[] = [];
  let json: string | undefined;
  try {
    json = JSON.stringify(pattern);
  } catch {
    // Cycles (and BigInt values) end up here; the compiler below says where the cycle is.
  }
  // Same measure as rules/patterns.ts: the compact serialisation that the stacks send to EventBridge.
  if (json !== undefined && json.length > MAX_PATTERN_LENGTH) {
    problems.push(
      `(pattern): ${json.length} characters when serialised; EventBridge allows ${MAX_PATTERN_LENGTH} — split it into several rules`,
    );
  }
  checkAndCompile(pattern, (problem) => problems.push(problem));
  return problems;
}

/**
 * Throws when {@link patternProblems} finds anything, naming `where` (e.g. `detection 'root-activity'`) and listing
 * every problem, so one run shows all of them.
 * @throws InvalidPatternError
 */
export function assertValidPattern(pattern: unknown, where: string): void {
  const problems = patternProblems(pattern);
  if (problems.length > 0) throw new InvalidPatternError(problems, where);
}
