// A small seeded pseudo-random generator (mulberry32) for reproducible random search: the same seed and trial index
// always give the same numbers, on any machine and in any replay, without drawing the earlier trials first.

/** Mixes two 32-bit integers into one seed (a trial's stream is independent of its neighbours'). */
function mix(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (index + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A generator of numbers in [0, 1) for trial `index` of the sweep seeded with `seed`. */
export function seededRandom(seed: number, index: number): () => number {
  let state = mix(seed >>> 0, index >>> 0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
