/**
 * A small seeded random number generator (SplitMix32 seeding + xoshiro128**), fast, with a state
 * that is four 32-bit numbers: it is saved in checkpoints so a resumed run draws the same stream.
 * Every random choice in tessera (augmentations, masks, initialisation) comes from one of these.
 */

/** The serialisable state of an `Rng`. */
export type RngState = readonly [number, number, number, number];

const splitmix32 = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
};

const hashString = (key: string): number => {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  return h >>> 0;
};

/** Seeded generator. `fork(key)` derives an independent stream, e.g. one per view name. */
export class Rng {
  private s: [number, number, number, number];

  private constructor(state: RngState) {
    this.s = [state[0] >>> 0, state[1] >>> 0, state[2] >>> 0, state[3] >>> 0];
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** A generator from an integer seed. */
  static seeded(seed: number): Rng {
    const next = splitmix32(seed);
    return new Rng([next(), next(), next(), next()]);
  }

  /** A generator continuing from a saved state. */
  static fromState(state: RngState): Rng {
    return new Rng(state);
  }

  /** The current state, to save. */
  state(): RngState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** An independent generator derived from this one's current state and `key` (this one is not advanced). */
  fork(key: string): Rng {
    const next = splitmix32((this.s[0] ^ hashString(key) ^ Math.imul(this.s[2], 0x27d4eb2d)) >>> 0);
    return new Rng([next() ^ this.s[1], next() ^ this.s[3], next(), next()]);
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in `[0, 1)`. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in `[lo, hi)`. */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in `[lo, hi)` (exclusive upper bound, like Python's `randint(lo, hi)` in torch). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }

  /** True with probability `p`. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A random permutation of `0..n-1` (Fisher-Yates). */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }

  /** A 31-bit integer seed for TF.js random ops. */
  seed(): number {
    return this.nextU32() & 0x7fffffff;
  }
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
