/**
 * Reference kernels for elementwise primitives: one scalar function per primitive, applied in a
 * loop; results are rounded to the output dtype by storing into its typed array.
 * @module
 */
import { allocTyped, type DType } from "../../core/dtype.ts";
import type {
  BinaryElementwiseName,
  UnaryElementwiseName,
} from "../../core/primitives/elementwise.ts";
import { mapRules, rulesFor } from "../rule_table.ts";
import type { RefImpl } from "./impl.ts";
import { erf, erfInv, logistic } from "./math.ts";

type Unary = (x: number) => number;
type Binary = (x: number, y: number) => number;

/** 2^52: doubles of this magnitude or more are integers, and adding it to a smaller one rounds. */
const TWO_52 = 2 ** 52;

/**
 * Rounds to the nearest integer, halves to even (as IEEE roundeven, NumPy and JAX): adding and
 * subtracting 2^52 leaves |x| rounded by the current rounding mode, round-half-even. The sign of
 * x is kept, so -0.4 gives -0.
 */
function roundHalfEven(x: number): number {
  const a = Math.abs(x);
  if (!(a < TWO_52)) return x;
  return Math.sign(x) * (a + TWO_52 - TWO_52);
}

const UNARY: Record<Exclude<UnaryElementwiseName, "not">, Unary> = {
  neg: (x) => -x,
  sin: Math.sin,
  cos: Math.cos,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  tanh: Math.tanh,
  logistic,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  erf,
  erf_inv: erfInv,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  cbrt: Math.cbrt,
  asinh: Math.asinh,
  acosh: Math.acosh,
};

const FLOAT_BINARY: Record<string, Binary> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  pow: Math.pow,
  atan2: Math.atan2,
  // JS's % on numbers is C's fmod, exact.
  rem: (x, y) => x % y,
  max: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y)),
  min: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y)),
};

const INT_BINARY: Record<string, Binary> = {
  add: (x, y) => (x + y) | 0,
  sub: (x, y) => (x - y) | 0,
  mul: Math.imul,
  div: (x, y) => (y === 0 ? 0 : (x / y) | 0),
  rem: (x, y) => (y === 0 ? x : x % y) | 0,
  max: Math.max,
  min: Math.min,
  and: (x, y) => x & y,
  or: (x, y) => x | y,
};

const BOOL_BINARY: Record<string, Binary> = {
  and: (x, y) => x & y,
  or: (x, y) => x | y,
};

const COMPARE: Record<"eq" | "ne" | "lt" | "le" | "gt" | "ge", Binary> = {
  eq: (x, y) => +(x === y),
  ne: (x, y) => +(x !== y),
  lt: (x, y) => +(x < y),
  le: (x, y) => +(x <= y),
  gt: (x, y) => +(x > y),
  ge: (x, y) => +(x >= y),
};

function unary(fn: Unary): RefImpl {
  return ([x], _, __, [out]) => {
    const r = allocTyped(out.dtype, x.length);
    for (let i = 0; i < x.length; i++) r[i] = fn(x[i]);
    return [r];
  };
}

function binary(table: (dtype: DType) => Binary): RefImpl {
  return ([x, y], [a], _, [out]) => {
    const fn = table(a.dtype);
    const r = allocTyped(out.dtype, x.length);
    for (let i = 0; i < x.length; i++) r[i] = fn(x[i], y[i]);
    return [r];
  };
}

function arith(name: string): (dtype: DType) => Binary {
  return (dtype) =>
    (dtype === "bool" ? BOOL_BINARY : dtype === "int32" ? INT_BINARY : FLOAT_BINARY)[name];
}

const notImpl: RefImpl = ([x], [a], _, [out]) => {
  const r = allocTyped(out.dtype, x.length);
  for (let i = 0; i < x.length; i++) r[i] = a.dtype === "bool" ? 1 - x[i] : ~x[i];
  return [r];
};

const selectImpl: RefImpl = ([p, f, t], _, __, [out]) => {
  const r = allocTyped(out.dtype, p.length);
  for (let i = 0; i < p.length; i++) r[i] = p[i] ? t[i] : f[i];
  return [r];
};

/**
 * A number as int32: truncated toward zero, saturated at int32's range, NaN to 0 (as XLA's and
 * wasm's saturating conversions).
 */
function toInt32(v: number): number {
  if (Number.isNaN(v)) return 0;
  return Math.trunc(Math.min(Math.max(v, -(2 ** 31)), 2 ** 31 - 1));
}

const convertImpl: RefImpl = ([x], _, __, [out]) => {
  const r = allocTyped(out.dtype, x.length);
  const to = out.dtype;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    r[i] = to === "bool" ? +(v !== 0) : to === "int32" ? toInt32(v) : v;
  }
  return [r];
};

const ARITHMETIC = [
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "atan2",
  "rem",
  "max",
  "min",
  "and",
  "or",
] as const;

/** Reference kernels of the elementwise primitives. */
export const elementwiseImpls: Record<
  UnaryElementwiseName | BinaryElementwiseName | "select_n" | "convert_element_type",
  RefImpl
> = {
  ...mapRules(UNARY, unary),
  ...rulesFor(ARITHMETIC, (k) => binary(arith(k))),
  ...mapRules(COMPARE, (fn) => binary(() => fn)),
  not: notImpl,
  select_n: selectImpl,
  convert_element_type: convertImpl,
};
