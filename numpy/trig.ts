/**
 * Trigonometric and hyperbolic functions beyond the primitives' sin, cos and tanh: `tan`, the
 * inverse functions from the `atan2` primitive, `sinh` and `cosh` from `expm1` and `exp`, and
 * `hypot`. Each formula is accurate to a few ulp over the whole domain (no cancellation, no
 * early overflow), as the tests check against Math in float64.
 * @module
 */
import type { Array } from "../core/array.ts";
import * as lax from "../core/primitives/elementwise.ts";
import { full } from "../core/primitives/constants.ts";
import { customJvp } from "../core/transforms/custom.ts";
import type { ArrayInput } from "./convert.ts";
import { binaryUfunc, type Operand, toFloat, unaryUfunc } from "./ufunc.ts";

const c = (x: Array, v: number) => full(x.shape, v, x.dtype);

/** Tangent, `sin(x) / cos(x)`. */
export const tan: (x: ArrayInput) => Array = unaryUfunc((x) => lax.div(lax.sin(x), lax.cos(x)));

/**
 * Four-quadrant arctangent of `x1 / x2`: the angle in `[-pi, pi]` of the point `(x2, x1)`, with
 * IEEE's signed zeros and infinities (`arctan2(0, -0)` is pi, `arctan2(-0, -1)` is -pi).
 */
export const arctan2: (x1: Operand, x2: Operand) => Array = binaryUfunc(
  "arctan2",
  lax.atan2,
  toFloat,
);

/** Arctangent, in `(-pi/2, pi/2)`: `atan2(x, 1)`. */
export const arctan: (x: ArrayInput) => Array = unaryUfunc((x) => lax.atan2(x, c(x, 1)));

/** `sqrt(1 - x^2)` as `sqrt((1 - x)(1 + x))`, accurate near |x| = 1 where `1 - x^2` cancels. */
function cosOfArcsin(x: Array): Array {
  const one = c(x, 1);
  return lax.sqrt(lax.mul(lax.sub(one, x), lax.add(one, x)));
}

/** Arcsine, in `[-pi/2, pi/2]` (NaN outside `[-1, 1]`): `atan2(x, sqrt(1 - x^2))`. */
export const arcsin: (x: ArrayInput) => Array = unaryUfunc((x) => lax.atan2(x, cosOfArcsin(x)));

/** Arccosine, in `[0, pi]` (NaN outside `[-1, 1]`): `atan2(sqrt(1 - x^2), x)`. */
export const arccos: (x: ArrayInput) => Array = unaryUfunc((x) => lax.atan2(cosOfArcsin(x), x));

/**
 * `sinh(x) = 2 sinh(x/2) cosh(x/2)` with `2 sinh(x/2) = u + v` and `2 cosh(x/2) = u - v + 2`,
 * `u = expm1(x/2)`, `v = -expm1(-x/2)`: every sum adds terms of one sign (accurate near 0), and
 * halving first keeps `sinh(710)` finite.
 */
const sinhWithJvp: (x: Array) => Array = customJvp(
  (x: Array) => {
    const half = lax.mul(x, c(x, 0.5));
    const u = lax.expm1(half), v = lax.neg(lax.expm1(lax.neg(half)));
    return lax.mul(lax.mul(lax.add(u, v), c(x, 0.5)), lax.add(lax.sub(u, v), c(x, 2)));
  },
  ([x]: [Array], [t]: [Array]) => [sinhWithJvp(x), lax.mul(t, coshWithJvp(x))],
);

/** `cosh(x) = h^2 / 2 + 1 / (2 h^2)` with `h = exp(x/2)`, each term formed without overflow. */
const coshWithJvp: (x: Array) => Array = customJvp(
  (x: Array) => {
    const h = lax.exp(lax.mul(x, c(x, 0.5)));
    return lax.add(lax.mul(h, lax.mul(h, c(x, 0.5))), lax.div(lax.div(c(x, 0.5), h), h));
  },
  ([x]: [Array], [t]: [Array]) => [coshWithJvp(x), lax.mul(t, sinhWithJvp(x))],
);

/** Hyperbolic sine; its derivative is `cosh`. */
export const sinh: (x: ArrayInput) => Array = unaryUfunc((x) => sinhWithJvp(x));
/** Hyperbolic cosine; its derivative is `sinh`. */
export const cosh: (x: ArrayInput) => Array = unaryUfunc((x) => coshWithJvp(x));

/**
 * `sqrt(x1^2 + x2^2)` without overflow or underflow, as JAX computes it: with `a >= b` the
 * magnitudes, `a * sqrt(1 + (b/a)^2)`; 0 when both are 0, inf when either is infinite.
 */
export const hypot: (x1: Operand, x2: Operand) => Array = binaryUfunc(
  "hypot",
  (x, y) => {
    const ax = lax.abs(x), ay = lax.abs(y);
    const a = lax.max(ax, ay), b = lax.min(ax, ay);
    const zero = lax.eq(a, c(a, 0));
    const ratio = lax.div(b, lax.select(zero, c(a, 1), a));
    const r = lax.mul(a, lax.sqrt(lax.add(c(a, 1), lax.mul(ratio, ratio))));
    const inf = lax.or(lax.eq(ax, c(a, Infinity)), lax.eq(ay, c(a, Infinity)));
    return lax.select(inf, c(a, Infinity), lax.select(zero, a, r));
  },
  toFloat,
);
