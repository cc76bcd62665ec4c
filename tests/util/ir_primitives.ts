/**
 * The primitive that lowers to each kernel IR operation alone, typed as exhaustive over the IR's
 * operations: the renderer tests run a one-op program of it against ref.
 */
import type { Array } from "../../mod.ts";
import * as bits from "../../core/primitives/bits.ts";
import * as lax from "../../core/primitives/elementwise.ts";
import type { BinaryOp, CompareOp, MathFn, UnaryOp } from "../../kernels/lowering/kernel_ir.ts";

/** A primitive over arrays. */
export type PrimitiveFn = (...xs: Array[]) => Array;

/** The primitive of each unary IR operation. */
export const UNARY_PRIMITIVE: Record<UnaryOp, (x: Array) => Array> = {
  neg: lax.neg,
  abs: lax.abs,
  sqrt: lax.sqrt,
  floor: lax.floor,
  ceil: lax.ceil,
  round: (x) => lax.round(x, "toNearestEven"),
  not: lax.not,
};

/** The primitive of each binary IR operation. */
export const BINARY_PRIMITIVE: Record<BinaryOp, (x: Array, y: Array) => Array> = {
  add: lax.add,
  sub: lax.sub,
  mul: lax.mul,
  div: lax.div,
  rem: lax.rem,
  max: lax.max,
  min: lax.min,
  and: lax.and,
  or: lax.or,
  xor: bits.xor,
  shl: bits.shiftLeft,
  shr: bits.shiftRightArithmetic,
  shru: bits.shiftRightLogical,
};

/** The primitive of each comparison. */
export const COMPARE_PRIMITIVE: Record<CompareOp, (x: Array, y: Array) => Array> = {
  eq: lax.eq,
  ne: lax.ne,
  lt: lax.lt,
  le: lax.le,
  gt: lax.gt,
  ge: lax.ge,
};

/** The primitive of each math function. */
export const MATH_PRIMITIVE: Record<MathFn, PrimitiveFn> = {
  exp: lax.exp,
  expm1: lax.expm1,
  log: lax.log,
  log1p: lax.log1p,
  tanh: lax.tanh,
  logistic: lax.logistic,
  erf: lax.erf,
  erf_inv: lax.erfInv,
  sin: lax.sin,
  cos: lax.cos,
  pow: lax.pow,
  atan2: lax.atan2,
};
