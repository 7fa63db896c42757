/**
 * Which detections can match an event, from three fields alone: the event's `source`, `detail.eventSource` and
 * `detail.eventName`. Each central pattern is reduced to the values it admits for each of them (or "any"), and an
 * event is tested only against the detections that admit its three values. Used by the catalog runner
 * (catalog-runner.ts), so replay and the trail-log sweep test each event against a handful of patterns instead of
 * the whole catalog. Pure.
 *
 * Why it is exact (never drops a detection the full scan would report): a pattern is an AND over its fields and over
 * its `$or` groups (each an OR of branches), and a leaf that lists only plain strings matches only an event whose
 * value at that path is one of them (a missing field fails it; rules/event-pattern.ts). So the admitted set of a
 * field is the leaf's strings, intersected with, for every `$or` group, the union of what its branches admit;
 * anything else (operators, numbers, null, IP-like strings, which the matcher compares by address) admits any value.
 * An event whose three fields are not all strings (or missing) is tested against every detection.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Looks like an IP address: the matcher compares those by address, not by text, so they are not indexed. */
const IP_LIKE = /^[0-9a-f.:]+$/i;

/** The plain string alternatives of a pattern leaf, when it has nothing but plain strings. */
function plainStrings(leaf: unknown): string[] | undefined {
  if (!Array.isArray(leaf) || leaf.length === 0) return undefined;
  return leaf.every((v) => typeof v === 'string' && !IP_LIKE.test(v)) ? (leaf as string[]) : undefined;
}

/** `undefined` stands for "any value". */
type Admitted = ReadonlySet<string> | undefined;

const intersect = (a: Admitted, b: Admitted): Admitted =>
  a === undefined ? b : b === undefined ? a : new Set([...a].filter((v) => b.has(v)));

/** The values a pattern (or sub-pattern) admits at `path`, relative to `node`. */
export function admittedValues(node: Json, path: readonly string[]): Admitted {
  let result: Admitted;
  const [head, ...rest] = path;
  if (head !== undefined && Object.hasOwn(node, head)) {
    const v = node[head];
    if (rest.length === 0) {
      const plain = plainStrings(v);
      if (plain) result = new Set(plain);
    } else if (isObject(v)) {
      result = admittedValues(v, rest);
    }
  }
  const or = Object.hasOwn(node, '$or') ? node['$or'] : undefined;
  if (Array.isArray(or)) {
    let union: Set<string> | undefined = new Set();
    for (const branch of or) {
      const b = isObject(branch) ? admittedValues(branch, path) : undefined;
      if (b === undefined) {
        union = undefined;
        break;
      }
      for (const v of b) union.add(v);
    }
    result = intersect(result, union);
  }
  return result;
}

/** What a pattern admits for the three indexed fields. */
export interface IndexKeys {
  readonly source: Admitted;
  readonly eventSource: Admitted;
  readonly eventName: Admitted;
}

/** Reduces a central pattern to the index keys it admits. */
export function indexKeys(pattern: Json): IndexKeys {
  return {
    source: admittedValues(pattern, ['source']),
    eventSource: admittedValues(pattern, ['detail', 'eventSource']),
    eventName: admittedValues(pattern, ['detail', 'eventName']),
  };
}

/** An event's indexed field: a string, or `undefined` when missing (which no admitted set contains). */
const admits = (set: Admitted, value: string | undefined): boolean =>
  set === undefined || (value !== undefined && set.has(value));

/** The part of an event the index reads. */
export interface IndexedEvent {
  readonly source: unknown;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Distinct (source, eventSource, eventName) lists kept; AWS has some 15,000 API names, the cap is for made-up input. */
const CACHE_LIMIT = 100_000;

/**
 * Indexes `items` (in their order) by the keys of their patterns; `candidates(event)` returns, in the same order,
 * the items whose pattern can match `event`: all of them when its fields are not plain strings.
 */
/** A string field as the index reads it: null for a value that is not a string (an array...). */
const field = (v: unknown): string | undefined | null =>
  typeof v === 'string' ? v : v === undefined ? undefined : null;
/** Length-prefixed parts ('-' for a missing field): no two triples share a key, whatever their characters. */
const keyPart = (v: string | undefined): string => (v === undefined ? '-' : `${v.length}:${v}`);

export function indexByEventKeys<T>(
  items: readonly T[],
  keysOf: (item: T) => IndexKeys,
): (event: IndexedEvent) => readonly T[] {
  const keyed = items.map((item) => ({ item, keys: keysOf(item) }));
  const cache = new Map<string, readonly T[]>();
  return (event) => {
    const source = field(event.source);
    const eventSource = field(event.detail['eventSource']);
    const eventName = field(event.detail['eventName']);
    // Arrays and other values are walked by the matcher: take the exact path, every item.
    if (source === null || eventSource === null || eventName === null) return items;
    const key = keyPart(source) + keyPart(eventSource) + keyPart(eventName);
    let list = cache.get(key);
    if (list === undefined) {
      list = keyed
        .filter(
          ({ keys }) =>
            admits(keys.source, source) && admits(keys.eventSource, eventSource) && admits(keys.eventName, eventName),
        )
        .map(({ item }) => item);
      if (cache.size < CACHE_LIMIT) cache.set(key, list);
    }
    return list;
  };
}
