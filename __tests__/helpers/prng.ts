/**
 * A seeded pseudo-random generator (mulberry32) for property tests and benchmarks: the same seed gives the same run, so
 * a failure reproduces and every benchmark run measures the same corpus.
 */
export function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
