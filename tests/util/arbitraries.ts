/**
 * fast-check generators of float64 test inputs: shapes (with size-1 axes), NumPy-broadcastable
 * operand shapes, and values kept inside a function's domain and away from its kinks, so that
 * central differences are a reliable oracle.
 * @module
 */
import fc from "fast-check";
import type { Array } from "../../mod.ts";
import { f64 } from "./finite_diff.ts";

/** Maps a uniform number in [-1, 1] into a function's domain. */
export type Domain = (u: number) => number;

function awayFromIntegers(u: number, gap: (frac: number) => number): number {
  const t = (u + 1) * 2.5;
  const k = Math.floor(Math.min(t, 4.999));
  return k - 2 + gap(t - k);
}

/** Value domains, each avoiding the points where the function is not differentiable. */
export const domains: Record<string, Domain> = {
  /** Any value in [-2, 2]. */
  real: (u) => 2 * u,
  /** [0.2, 3]: log, sqrt, rsqrt, pow bases. */
  positive: (u) => 0.2 + 1.4 * (u + 1),
  /** |x| in [0.2, 2]: abs, sign, division. */
  nonzero: (u) => Math.sign(u || 1) * (0.2 + 1.8 * Math.abs(u)),
  /** (-0.9, 0.9): erf_inv. */
  unit: (u) => 0.9 * u,
  /** (-1, 3]: log1p. */
  aboveMinusOne: (u) => -0.8 + 1.9 * (u + 1),
  /** At least 0.1 from every integer: floor, ceil, truncation. */
  nonInteger: (u) => awayFromIntegers(u, (f) => 0.1 + 0.8 * f),
  /** At least 0.1 from integers and half-integers: round. */
  awayFromHalves: (u) => awayFromIntegers(u, (f) => (f < 0.5 ? 0.1 + 0.6 * f : 0.3 + 0.6 * f)),
  /** [0.5, 1.5] with a random sign: products stay moderate and away from 0. */
  prodSafe: (u) => Math.sign(u || 1) * (0.5 + Math.abs(u)),
  /** Exact zeros about a third of the time, else [0.5, 1.2] with a random sign: products. */
  someZeros: (u) => (Math.abs(u) < 0.3 ? 0 : Math.sign(u) * (0.5 + Math.abs(u))),
};

/** `n` numbers of a domain. */
export function values(n: number, domain: Domain): fc.Arbitrary<number[]> {
  return fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n })
    .map((us) => us.map(domain));
}

/**
 * `n <= 121` distinct numbers on the grid `k / 20 + offset` in [-3, 3] (no ties, so max/min/argmax
 * have a unique winner); two operands with offsets 0 and 0.025 never tie with each other either.
 */
export function distinctValues(n: number, offset = 0): fc.Arbitrary<number[]> {
  if (n > 121) throw new Error(`distinctValues: at most 121 values, ${n} requested`);
  return fc.uniqueArray(fc.integer({ min: -60, max: 60 }), { minLength: n, maxLength: n })
    .map((ks) => ks.map((k) => k / 20 + offset));
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A float64 array of `shape` with values from `domain`. */
export function arrayOf(
  shape: readonly number[],
  domain: Domain = domains.real,
): fc.Arbitrary<Array> {
  return values(sizeOf(shape), domain).map((v) => f64(v, shape));
}

/** A float64 array of `shape` with distinct values (see `distinctValues`). */
export function distinctArrayOf(shape: readonly number[], offset = 0): fc.Arbitrary<Array> {
  return distinctValues(sizeOf(shape), offset).map((v) => f64(v, shape));
}

/** A shape of rank `minRank..maxRank` with sizes 1..`maxDim` (size-1 axes included). */
export function shapes(
  { minRank = 0, maxRank = 3, maxDim = 3 }: {
    minRank?: number;
    maxRank?: number;
    maxDim?: number;
  } = {},
): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/**
 * `n` shapes that broadcast together: each is the full shape with some leading axes dropped and
 * some sizes replaced by 1.
 */
export function broadcastableShapes(n: number, maxRank = 3): fc.Arbitrary<number[][]> {
  return shapes({ maxRank }).chain((full) =>
    fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: full.length }),
        fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      ).map(([drop, ones]) => full.map((d, i) => (ones[i] ? 1 : d)).slice(drop)),
      { minLength: n, maxLength: n },
    )
  );
}

/** A permutation of `0..n-1`. */
export function permutation(n: number): fc.Arbitrary<number[]> {
  return fc.shuffledSubarray([...globalThis.Array(n).keys()], { minLength: n, maxLength: n });
}

/** A sorted subset of `0..n-1`. */
export function axesSubset(n: number, minLength = 0): fc.Arbitrary<number[]> {
  return fc.subarray([...globalThis.Array(n).keys()], { minLength });
}

/** A deterministic pseudo-random float64 array of `shape` in [-1, 1] (mulberry32 from `seed`). */
export function seededArray(shape: readonly number[], seed: number): Array {
  const next = stream(seed);
  return f64(globalThis.Array.from({ length: sizeOf(shape) }, () => next() * 2 - 1), shape);
}

/** A deterministic stream of uniform numbers in [0, 1) from a seed (mulberry32). */
export function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * fast-check run parameters: `numRuns` runs from a fixed seed, so failures reproduce; set the
 * environment variable `FC_SEED` to explore other inputs.
 */
export function runs(numRuns: number): { numRuns: number; seed: number } {
  const env = Deno.env.get("FC_SEED");
  return { numRuns, seed: env ? Number(env) : 20240601 };
}
