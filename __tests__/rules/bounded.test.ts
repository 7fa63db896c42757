import { boundedJson, exceedsBounds, MAX_EVENT_DEPTH } from '../../rules/bounded';

/** `leaf` wrapped in `depth` objects (`{"a":{"a":…}}`), built without recursion. */
function nested(depth: number, leaf: unknown = 'x'): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe('exceedsBounds', () => {
  it('accepts a real-shaped event and scalars', () => {
    expect(
      exceedsBounds({
        detail: {
          requestParameters: { ipPermissions: { items: [{ ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] } },
        },
      }),
    ).toBe(false);
    expect(exceedsBounds('text')).toBe(false);
    expect(exceedsBounds(null)).toBe(false);
  });

  it('answers for values nested far deeper than the stack allows', () => {
    expect(exceedsBounds(nested(100_000))).toBe(true);
    expect(exceedsBounds(nested(MAX_EVENT_DEPTH - 1))).toBe(false);
    expect(exceedsBounds(nested(MAX_EVENT_DEPTH + 1))).toBe(true);
  });

  it('stops at the node budget', () => {
    expect(
      exceedsBounds(
        Array.from({ length: 11 }, () => 1),
        MAX_EVENT_DEPTH,
        10,
      ),
    ).toBe(true);
    expect(
      exceedsBounds(
        Array.from({ length: 10 }, () => 1),
        MAX_EVENT_DEPTH,
        10,
      ),
    ).toBe(false);
  });
});

describe('boundedJson', () => {
  it('writes what JSON.stringify writes for ordinary values', () => {
    const value = { a: [1, 'two', null, true, { b: undefined, c: 'd' }], e: {} };

    expect(boundedJson(value, { maxChars: 1000 })).toBe(JSON.stringify(value));
    expect(boundedJson([undefined, () => 1], { maxChars: 100 })).toBe('[null,null]');
    expect(boundedJson(undefined, { maxChars: 100 })).toBeUndefined();
    expect(boundedJson(10n, { maxChars: 100 })).toBe('"10"');
  });

  it('writes levels past maxDepth as "…" instead of throwing RangeError', () => {
    const deep = nested(100_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);

    expect(boundedJson(deep, { maxChars: 10_000, maxDepth: 2 })).toBe('{"a":{"a":"…"}}');
  });

  it('stops writing at maxChars and marks the cut', () => {
    const text = boundedJson(
      Array.from({ length: 10_000 }, (_, i) => i),
      { maxChars: 20 },
    )!;

    expect(text).toHaveLength(21);
    expect(text.endsWith('…')).toBe(true);
  });
});
