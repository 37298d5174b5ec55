// One seeded pseudo-random generator for everything that must draw the same numbers on every run: eval's typo
// queries and photo transforms, synthetic vectors in tests and benches.

/** mulberry32: a tiny, well-mixed 32-bit PRNG; uniform floats in [0, 1). Enough for picking edits, not for crypto. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
