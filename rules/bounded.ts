/**
 * Bounded walks over event data. Events come from the outside (an API caller chooses the request
 * parameters CloudTrail records), and a value nested thousands of levels deep overflows the stack of
 * any recursive walk: `JSON.stringify` throws `RangeError`, the message fails every retry and ends in
 * the DLQ without an alert. Everything that walks event data to an unknown depth goes through here.
 * Pure: no SDK, no environment, no clock.
 */

/**
 * Deepest nesting (objects and arrays) read from an event. CloudTrail records of the services vigil
 * watches nest about 10 levels below `detail` (`requestParameters.ipPermissions.items[].ipRanges.items[]`);
 * anything past 64 is not a record a service wrote for a real request shape.
 */
export const MAX_EVENT_DEPTH = 64;

/** Most values (object members and array elements) one walk looks at: an event is at most 256 KB. */
export const MAX_WALK_NODES = 100_000;

/**
 * Whether `value` nests deeper than `maxDepth` levels or holds more than `maxNodes` values. Iterative
 * (an explicit stack), so it answers for any input without overflowing.
 */
export function exceedsBounds(value: unknown, maxDepth = MAX_EVENT_DEPTH, maxNodes = MAX_WALK_NODES): boolean {
  const stack: Array<{ readonly value: unknown; readonly depth: number }> = [{ value, depth: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    nodes += children.length;
    if (nodes > maxNodes) return true;
    for (const child of children) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

/** Limits of {@link boundedJson}. */
export interface JsonBounds {
  /** Output length at which serialisation stops (the result may end a little past it, with `…`). */
  readonly maxChars: number;
  /** Objects and arrays nested deeper than this are written as `"…"`. @default MAX_EVENT_DEPTH */
  readonly maxDepth?: number;
}

/**
 * `JSON.stringify(value)` that cannot overflow the stack or build a huge string: levels deeper than
 * `maxDepth` become `"…"`, and writing stops once `maxChars` is reached (the text then ends in `…` and
 * is not valid JSON: it is for people and logs, never to be parsed back). `undefined` for values
 * `JSON.stringify` would not serialise (undefined, functions, symbols).
 */
export function boundedJson(value: unknown, bounds: JsonBounds): string | undefined {
  const maxDepth = bounds.maxDepth ?? MAX_EVENT_DEPTH;
  let out = '';
  let full = false;
  const emit = (text: string) => {
    if (full) return;
    out += text;
    if (out.length >= bounds.maxChars) full = true;
  };
  const write = (v: unknown, depth: number): boolean => {
    if (full) return true;
    if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') {
      emit(JSON.stringify(v));
      return true;
    }
    if (typeof v === 'bigint') {
      emit(`"${String(v)}"`);
      return true;
    }
    if (typeof v !== 'object') return false;
    if (depth >= maxDepth) {
      emit('"…"');
      return true;
    }
    if (Array.isArray(v)) {
      emit('[');
      v.forEach((item, i) => {
        if (full) return;
        if (i > 0) emit(',');
        if (!write(item, depth + 1)) emit('null');
      });
      emit(']');
      return true;
    }
    emit('{');
    let first = true;
    for (const [key, item] of Object.entries(v)) {
      if (full) break;
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      if (!first) emit(',');
      first = false;
      emit(`${JSON.stringify(key)}:`);
      write(item, depth + 1);
    }
    emit('}');
    return true;
  };
  if (!write(value, 0)) return undefined;
  return full ? `${out.slice(0, bounds.maxChars)}…` : out;
}
