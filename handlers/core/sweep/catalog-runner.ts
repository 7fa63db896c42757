/**
 * The detection catalog run the way the deployed rules would run it, for events read from CloudTrail log files:
 * which central rules match an event (and would queue a triage message), and whether the member forwarding rules
 * of its region forward it. Shared by `npm run replay` (scripts/replay/core.ts re-exports it) and the trail-log
 * sweep (handlers/core/flows/sweep-flow.ts), so both feed triage exactly what real time would. Pure.
 *
 * Read-only management events: EventBridge only delivers them to rules in state
 * ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (EventBridge user guide, eb-service-event-cloudtrail-management).
 * A detection without `readOnlyEvents` has its member forwarding rule in state ENABLED, so a read-only record it
 * matches is counted as `readOnlySkipped`, not as a match. Data events (`eventCategory: Data`) are delivered either
 * way. An event a central rule matches but no member rule forwards is a catalog bug.
 */
import { GLOBAL_EVENTS_REGION } from '../../../config/regions';
import { type CompiledPattern, compilePattern } from '../../../rules/event-pattern';
import { forwardingPatterns, STATE_ALL_MANAGEMENT } from '../../../rules/patterns';
import type { Predicate } from '../../../rules/predicates';
import type { Detection } from '../../../rules/types';
import { indexByEventKeys, indexKeys } from './catalog-index';
import type { TrailEvent } from './to-event';

/** An EventBridge event as a rule sees it. */
type ReplayEvent = TrailEvent;

type Json = Record<string, unknown>;

/**
 * A read-only management event, which EventBridge delivers only to rules in state
 * ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS. Data events are delivered to ENABLED rules even when read-only.
 */
export function isReadOnlyManagementEvent(event: ReplayEvent): boolean {
  const category = event.detail['eventCategory'];
  return event.detail['readOnly'] === true && (category === undefined || category === 'Management');
}

// ---------------------------------------------------------------------------------------------------------------
// Running the catalog

/** The catalog cannot be run: a pattern EventBridge would reject, or a predicate name that does not exist. */
export class CatalogError extends Error {
  override readonly name = 'CatalogError';

  /** One line per problem, each naming the detection. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`the catalog cannot be replayed (${problems.length} problem(s)):\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** What the central rules do with one event: which detections' rules queue a message for triage. */
export interface Verdict {
  /** Detections whose central pattern matches and whose member rule receives the event, in catalog order. */
  readonly matched: readonly string[];
  /** Detections that match, but whose ENABLED member rule never sees this read-only management event. */
  readonly readOnlySkipped: readonly string[];
  /**
   * Whether the member forwarding rules of the event's region forward it; computed only when `matched` is not
   * empty (it is `true` otherwise), since only then does a `false` mean something.
   */
  readonly forwarded: boolean;
}

/** The catalog compiled for replay: compile once, evaluate many events. */
export interface CatalogRunner {
  /** The detections, in catalog order. */
  readonly detections: readonly Detection[];
  /** Runs every central pattern that could match `event` (see {@link compileCatalog} for the pre-filter). */
  evaluate(event: ReplayEvent): Verdict;
  /** Whether the member forwarding rules of `event.region` forward the event (ignoring whether anything matches). */
  forwards(event: ReplayEvent): boolean;
}

interface CompiledDetection {
  readonly order: number;
  readonly id: string;
  readonly match: CompiledPattern;
  readonly seesReadOnly: boolean;
}

interface CompiledForwarding {
  readonly global: boolean;
  readonly seesReadOnly: boolean;
  readonly match: CompiledPattern;
}

const NONE: readonly string[] = [];

/** The verdict on an event nothing alerts on. */

/**
 * Compiles every central pattern and every forwarding pattern once. Detections are indexed by the plain `source`,
 * `detail.eventSource` and `detail.eventName` values their pattern admits, `$or` branches included (catalog-index.ts:
 * a pattern field that lists plain strings is a necessary condition, whatever else the pattern says), so an event is
 * only tested against detections that admit its three values, plus those whose pattern does not pin them (e.g. root
 * activity).
 * @throws CatalogError listing every invalid pattern and unknown predicate
 */
export function compileCatalog(
  catalog: readonly Detection[],
  predicates: Readonly<Record<string, Predicate>>,
): CatalogRunner {
  const problems: string[] = [];
  const compile = (pattern: Detection['pattern'], where: string): CompiledPattern => {
    try {
      return compilePattern(pattern);
    } catch (error) {
      problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
      return () => false;
    }
  };

  const compiled = catalog.map((d, order): CompiledDetection => {
    if (d.predicate !== undefined && !Object.hasOwn(predicates, d.predicate)) {
      problems.push(`detection '${d.id}': predicate '${d.predicate}' is not in PREDICATES (rules/predicates.ts)`);
    }
    return {
      order,
      id: d.id,
      match: compile(d.pattern, `detection '${d.id}'`),
      seesReadOnly: d.readOnlyEvents === true,
    };
  });
  const forwarding = forwardingPatterns(catalog).map(
    (f): CompiledForwarding => ({
      global: f.scope === 'global',
      seesReadOnly: f.state === STATE_ALL_MANAGEMENT,
      match: compile(f.pattern, `forwarding pattern '${f.key}'`),
    }),
  );
  if (problems.length > 0) throw new CatalogError(problems);

  // Only the detections whose pattern admits the event's source, eventSource and eventName are tested.
  const candidates = indexByEventKeys(compiled, (c) => indexKeys(catalog[c.order]!.pattern as Json));

  const forwards = (event: ReplayEvent): boolean => {
    const readOnly = isReadOnlyManagementEvent(event);
    const inGlobalRegion = event.region === GLOBAL_EVENTS_REGION;
    return forwarding.some((f) => (!f.global || inGlobalRegion) && (!readOnly || f.seesReadOnly) && f.match(event));
  };

  const evaluate = (event: ReplayEvent): Verdict => {
    // Most events match nothing: the result arrays are only allocated when something matches.
    let matched: string[] | undefined;
    let readOnlySkipped: string[] | undefined;
    for (const c of candidates(event)) {
      if (!c.match(event)) continue;
      if (!c.seesReadOnly && isReadOnlyManagementEvent(event)) readOnlySkipped = [...(readOnlySkipped ?? []), c.id];
      else matched = [...(matched ?? []), c.id];
    }
    return {
      matched: matched ?? NONE,
      readOnlySkipped: readOnlySkipped ?? NONE,
      forwarded: matched === undefined || forwards(event),
    };
  };

  return { detections: catalog, evaluate, forwards };
}
