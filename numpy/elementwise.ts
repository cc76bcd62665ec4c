/**
 * NumPy elementwise functions: promotion (JS numbers weakly typed), broadcasting, then the lax
 * primitive.
 * @module
 */
import type { Array } from "../core/array.ts";
import { type DType, isFloat } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import * as lax from "../core/primitives/elementwise.ts";
import { full, zerosLike } from "../core/primitives/constants.ts";
import { customJvp } from "../core/transforms/custom.ts";
import { type ArrayInput, asArray } from "./convert.ts";
import { promoteArgs } from "./promotion.ts";
import { binaryUfunc, broadcastAll, type Operand, toFloat, unaryUfunc } from "./ufunc.ts";

export type { Operand } from "./ufunc.ts";

/** `x + y`. */
export const add: (x: Operand, y: Operand) => Array = binaryUfunc("add", lax.add);
/** `x - y`. */
export const subtract: (x: Operand, y: Operand) => Array = binaryUfunc("subtract", lax.sub);
/** `x * y`. */
export const multiply: (x: Operand, y: Operand) => Array = binaryUfunc("multiply", lax.mul);
/** True division `x / y` (integers give float32). */
export const divide: (x: Operand, y: Operand) => Array = binaryUfunc("divide", lax.div, toFloat);
/** `x ** y` (float). */
export const power: (x: Operand, y: Operand) => Array = binaryUfunc("power", lax.pow, toFloat);
/** Elementwise maximum. */
export const maximum: (x: Operand, y: Operand) => Array = binaryUfunc("maximum", lax.max);
/** Elementwise minimum. */
export const minimum: (x: Operand, y: Operand) => Array = binaryUfunc("minimum", lax.min);
/** `x == y`. */
export const equal: (x: Operand, y: Operand) => Array = binaryUfunc("equal", lax.eq);
/** `x != y`. */
export const notEqual: (x: Operand, y: Operand) => Array = binaryUfunc("notEqual", lax.ne);
/** `x < y`. */
export const less: (x: Operand, y: Operand) => Array = binaryUfunc("less", lax.lt);
/** `x <= y`. */
export const lessEqual: (x: Operand, y: Operand) => Array = binaryUfunc("lessEqual", lax.le);
/** `x > y`. */
export const greater: (x: Operand, y: Operand) => Array = binaryUfunc("greater", lax.gt);
/** `x >= y`. */
export const greaterEqual: (x: Operand, y: Operand) => Array = binaryUfunc("greaterEqual", lax.ge);
/** Logical and of bool arrays. */
export const logicalAnd: (x: Operand, y: Operand) => Array = binaryUfunc(
  "logicalAnd",
  lax.and,
  () => "bool",
);
/** Logical or of bool arrays. */
export const logicalOr: (x: Operand, y: Operand) => Array = binaryUfunc(
  "logicalOr",
  lax.or,
  () => "bool",
);

/** Short aliases, as in jax.numpy. */
export { divide as div, multiply as mul, subtract as sub };

/** `-x`. */
export const negative: (x: ArrayInput) => Array = unaryUfunc(lax.neg, false);
/** `e^x`. */
export const exp: (x: ArrayInput) => Array = unaryUfunc(lax.exp);
/** Natural logarithm. */
export const log: (x: ArrayInput) => Array = unaryUfunc(lax.log);
/** Base-2 logarithm, `log(x) / log(2)` (as jnp.log2). */
export const log2: (x: ArrayInput) => Array = unaryUfunc((x) =>
  lax.div(lax.log(x), full(x.shape, Math.LN2, x.dtype))
);
/** Base-10 logarithm, `log(x) / log(10)` (as jnp.log10). */
export const log10: (x: ArrayInput) => Array = unaryUfunc((x) =>
  lax.div(lax.log(x), full(x.shape, Math.LN10, x.dtype))
);
/** `log(1 + x)`. */
export const log1p: (x: ArrayInput) => Array = unaryUfunc(lax.log1p);
/** `e^x - 1`. */
export const expm1: (x: ArrayInput) => Array = unaryUfunc(lax.expm1);
/** Sine. */
export const sin: (x: ArrayInput) => Array = unaryUfunc(lax.sin);
/** Cosine. */
export const cos: (x: ArrayInput) => Array = unaryUfunc(lax.cos);
/** Hyperbolic tangent. */
export const tanh: (x: ArrayInput) => Array = unaryUfunc(lax.tanh);
/** Square root. */
export const sqrt: (x: ArrayInput) => Array = unaryUfunc(lax.sqrt);
/** `1 / sqrt(x)`. */
export const rsqrt: (x: ArrayInput) => Array = unaryUfunc(lax.rsqrt);
/** Absolute value. */
export const abs: (x: ArrayInput) => Array = unaryUfunc(lax.abs, false);
/** Sign: -1, 0 or 1. */
export const sign: (x: ArrayInput) => Array = unaryUfunc(lax.sign, false);
/** Error function. */
export const erf: (x: ArrayInput) => Array = unaryUfunc(lax.erf);
/** Inverse error function. */
export const erfInv: (x: ArrayInput) => Array = unaryUfunc(lax.erfInv);
/** The real cube root (negative for negative `x`). */
export const cbrt: (x: ArrayInput) => Array = unaryUfunc(lax.cbrt);
/** Inverse hyperbolic sine. */
export const arcsinh: (x: ArrayInput) => Array = unaryUfunc(lax.asinh);
/** Inverse hyperbolic cosine (NaN below 1). */
export const arccosh: (x: ArrayInput) => Array = unaryUfunc(lax.acosh);
/** Round down. */
export const floor: (x: ArrayInput) => Array = unaryUfunc(lax.floor);
/** Round up. */
export const ceil: (x: ArrayInput) => Array = unaryUfunc(lax.ceil);
/** Round to the nearest integer, halves to even (as NumPy: -2.5 to -2, 0.5 to 0). */
export const round: (x: ArrayInput) => Array = unaryUfunc((x) => lax.round(x, "toNearestEven"));
/** Logistic sigmoid `1 / (1 + e^-x)`. */
export const sigmoid: (x: ArrayInput) => Array = unaryUfunc(lax.logistic);
/** Logical not of a bool array. */
export function logicalNot(x: ArrayInput): Array {
  return lax.not(lax.convert(asArray(x), "bool"));
}

/** Negation (alias of `negative`). */
export { negative as neg };
/** `x * x`. */
export function square(x: ArrayInput): Array {
  const a = asArray(x);
  return lax.mul(a, a);
}
/** `1 / x`. */
export function reciprocal(x: ArrayInput): Array {
  return divide(1, asArray(x));
}
/**
 * `max(x, 0)` with the derivative JAX and PyTorch give it: 1 where x > 0, else 0 (also at 0,
 * where `max`'s rule for ties would give 1/2). Its value is a plain `max`, which a gemm's
 * epilogue recognises.
 */
const reluWithJvp: (x: Array) => Array = customJvp(
  (x: Array) => lax.max(x, full(x.shape, 0, x.dtype)),
  ([x]: [Array], [t]: [Array]) => [
    reluWithJvp(x),
    lax.select(lax.gt(x, full(x.shape, 0, x.dtype)), t, zerosLike(t)),
  ],
);

/** `max(x, 0)`; its derivative at 0 is 0, as in JAX and PyTorch. */
export function relu(x: ArrayInput): Array {
  return reluWithJvp(asArray(x));
}
/** `x ** y` (alias of `power`). */
export { power as pow };

/** Elementwise choice: `cond ? x : y`, with broadcasting and promotion of `x` and `y`. */
export function where(cond: Operand, x: Operand, y: Operand): Array {
  const c = lax.convert(asArray(cond as ArrayInput), "bool");
  const [a, b] = promoteArgs("np.where", [x, y]);
  const [bc, ba, bb] = broadcastAll("np.where", [c, a, b]);
  return lax.select(bc, ba, bb);
}

/** Limits values to `[lo, hi]` (either bound may be omitted with `null`). */
export function clip(x: ArrayInput, lo: Operand | null, hi: Operand | null): Array {
  let out = asArray(x);
  if (lo !== null) out = maximum(out, lo);
  if (hi !== null) out = minimum(out, hi);
  return out;
}

/** Casts to `dtype`. */
export function astype(x: ArrayInput, dtype: DType): Array {
  return lax.convert(asArray(x), dtype);
}

/** Throws unless `x` is a float array (for functions that need gradients). */
export function requireFloat(op: string, x: Array): void {
  if (!isFloat(x.dtype)) throw new AdjointError(op, `expected a float array, got ${x.aval}`);
}

export { stopGradient } from "../core/primitives/elementwise.ts";
