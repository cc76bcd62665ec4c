/**
 * Integer-style division, as jax.numpy builds it on the exact `rem` primitive (C's fmod):
 * `fmod` (sign of the dividend), `remainder` / `mod` (sign of the divisor, Python's `%`),
 * `floorDivide` (Python's `//`) and `divmod`.
 * @module
 */
import type { Array } from "../core/array.ts";
import { isFloat } from "../core/dtype.ts";
import * as lax from "../core/primitives/elementwise.ts";
import { full } from "../core/primitives/constants.ts";
import { promoteArgs } from "./promotion.ts";
import { broadcastAll, type Operand } from "./ufunc.ts";

/** Promoted (bool to int32), broadcast operands of `op`. */
function operands(op: string, x: Operand, y: Operand): [Array, Array] {
  let [a, b] = promoteArgs(`np.${op}`, [x, y]);
  if (a.dtype === "bool") [a, b] = promoteArgs(`np.${op}`, [a, b], "int32");
  const [ba, bb] = broadcastAll(`np.${op}`, [a, b]);
  return [ba, bb];
}

const c = (x: Array, v: number) => full(x.shape, v, x.dtype);

/** `x1 - trunc(x1 / x2) * x2`, exactly: the remainder with the sign of `x1` (C's fmod). */
export function fmod(x1: Operand, x2: Operand): Array {
  return lax.rem(...operands("fmod", x1, x2));
}

/**
 * `x1 - floor(x1 / x2) * x2`: the remainder with the sign of `x2`, as Python's `%` (integer
 * division by 0 gives 0). Float results are exact.
 */
export function remainder(x1: Operand, x2: Operand): Array {
  const [a, b0] = operands("remainder", x1, x2);
  const b = isFloat(b0.dtype) ? b0 : lax.select(lax.eq(b0, c(b0, 0)), c(b0, 1), b0);
  const zero = c(a, 0);
  const mod = lax.rem(a, b);
  const plus = lax.and(lax.ne(lax.lt(mod, zero), lax.lt(b, zero)), lax.ne(mod, zero));
  return lax.select(plus, lax.add(mod, b), mod);
}

/** Alias of `remainder`. */
export { remainder as mod };

/** Float `[floor(a / b), a mod b]` from the exact remainder, as JAX's `_float_divmod`. */
function floatDivmod(a: Array, b: Array): [Array, Array] {
  const m = lax.rem(a, b);
  const d = lax.div(lax.sub(a, m), b);
  const fix = lax.and(lax.ne(m, c(m, 0)), lax.ne(lax.sign(b), lax.sign(m)));
  return [
    lax.round(lax.select(fix, lax.sub(d, c(d, 1)), d), "toNearestEven"),
    lax.select(fix, lax.add(m, b), m),
  ];
}

/** Integer floor division: truncating division, one less where the signs differ and it is inexact. */
function intFloorDivide(a: Array, b: Array): Array {
  const q = lax.div(a, b);
  const fix = lax.and(lax.ne(lax.sign(a), lax.sign(b)), lax.ne(lax.rem(a, b), c(a, 0)));
  return lax.select(fix, lax.sub(q, c(q, 1)), q);
}

/** `floor(x1 / x2)`, as Python's `//`; for floats an integer-valued float. */
export function floorDivide(x1: Operand, x2: Operand): Array {
  const [a, b] = operands("floorDivide", x1, x2);
  return isFloat(a.dtype) ? floatDivmod(a, b)[0] : intFloorDivide(a, b);
}

/** `[floorDivide(x1, x2), remainder(x1, x2)]`. */
export function divmod(x1: Operand, x2: Operand): [Array, Array] {
  const [a, b] = operands("divmod", x1, x2);
  return isFloat(a.dtype) ? floatDivmod(a, b) : [intFloorDivide(a, b), remainder(a, b)];
}
