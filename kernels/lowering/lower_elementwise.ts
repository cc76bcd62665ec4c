/**
 * Every elementwise primitive's lowering to kernel IR expressions, in one table typed as
 * exhaustive over their names: a primitive without a lowering is a compile error. Primitives
 * the renderers need not know (rsqrt, sign, stop_gradient, select_n's operand order) are
 * rewritten here into the IR's operations, once for every backend.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import type {
  BinaryElementwiseName,
  UnaryElementwiseName,
} from "../../core/primitives/elementwise.ts";
import type { BinaryOp, CompareOp, Expr, MathFn, ShiftOp, UnaryOp } from "./kernel_ir.ts";
import { F32_DEFINITIONS } from "./math_definitions.ts";
import { F64_DEFINITIONS } from "./math_definitions_f64.ts";
import { binaryExpr, compareExpr, constant, select, unaryExpr } from "./ir_builders.ts";
import { threefry2x32Exprs } from "./lower_threefry.ts";

/** The elementwise primitives of one output that lower to IR expressions. */
export type SingleLoweredName =
  | UnaryElementwiseName
  | BinaryElementwiseName
  | WordShiftName
  | "xor"
  | "select_n"
  | "convert_element_type"
  | "bitcast_convert_type"
  | "stop_gradient";

/** The elementwise primitives that lower to IR expressions (threefry2x32 has two outputs). */
export type LoweredName = SingleLoweredName | "threefry2x32";

/** The lowered primitives backends run as kernels (stop_gradient's impl is composite). */
export type KernelLoweredName = Exclude<LoweredName, "stop_gradient">;

/** The shift primitives on int32 words. */
export type WordShiftName = "shift_left" | "shift_right_logical" | "shift_right_arithmetic";

/** A primitive's expression over its operands' expressions, given its output dtype. */
export type Lowering = (args: readonly Expr[], out: DType) => Expr;

const unary = (op: UnaryOp): Lowering => ([a]) => unaryExpr(op, a);
const binary = (op: BinaryOp): Lowering => ([a, b]) => binaryExpr(op, a, b);
const compare = (op: CompareOp): Lowering => ([a, b]) => compareExpr(op, a, b);
/** A math function: its IR expression, float32 (math_definitions.ts) or float64 (_f64.ts). */
const math = (fn: MathFn): Lowering => (args, out) => {
  if (out !== "float32" && out !== "float64") throw new Error(`${fn} of ${out}`);
  return (out === "float32" ? F32_DEFINITIONS : F64_DEFINITIONS)[fn](...args);
};

/** -1, 0 or 1 by sign; zeros (and NaN) give themselves. */
const sign: Lowering = ([a]) => {
  const zero = constant(a.dtype, 0);
  const gt = compare("gt")([a, zero], "bool");
  const lt = compare("lt")([a, zero], "bool");
  return select(gt, constant(a.dtype, 1), select(lt, constant(a.dtype, -1), a));
};

/** `1 / sqrt(x)`, rounded twice as the ref backend. */
const rsqrt: Lowering = ([a], out) =>
  binary("div")([constant(a.dtype, 1), unary("sqrt")([a], out)], out);

/** `f(a, b)` of the binary operation `op` over `a`'s dtype. */
const apply = (op: BinaryOp, a: Expr, b: Expr): Expr => binary(op)([a, b], a.dtype);

/** The largest finite value of each float dtype. */
const MAX_FINITE: Readonly<Record<string, number>> = {
  float32: 3.4028234663852886e38,
  float64: Number.MAX_VALUE,
};

/**
 * Cube root: `y = |x|^p` for `p` the dtype's 1/3 (itself rounded: `y` is off by up to
 * `|ln x| ulp(1/3)`), then one Newton step `(2y + |x| / y^2) / 3` where `y` is positive and
 * finite, and the sign of `x` (its product keeps -0 and NaN). Relative error within 2e-7 in
 * float32 and 4e-16 in float64 (tests/lowered_math_test.ts).
 */
const cbrt: Lowering = ([x], out) => {
  const a = unary("abs")([x], out);
  const y = math("pow")([a, constant(out, 1 / 3)], out);
  const twice = apply("mul", constant(out, 2), y);
  const step = apply(
    "div",
    apply("add", twice, apply("div", a, apply("mul", y, y))),
    constant(out, 3),
  );
  const regular = apply(
    "and",
    compare("gt")([y, constant(out, 0)], "bool"),
    compare("le")([y, constant(out, MAX_FINITE[out])], "bool"),
  );
  return apply("mul", sign([x], out), select(regular, step, y));
};

/**
 * Above this magnitude `sqrt(1 + x^2)` rounds to `|x|` in the dtype, and `log(2|x|)` is the
 * inverse hyperbolic function to within its rounding (and `x^2` would overflow further up).
 */
const LARGE: Readonly<Record<string, number>> = { float32: 2 ** 12, float64: 2 ** 27 };

const log = math("log");
const log1p = math("log1p");

/** `log(a) + ln 2`: asinh and acosh of a large `a`. */
const logTwice = (a: Expr): Expr => apply("add", log([a], a.dtype), constant(a.dtype, Math.LN2));

/**
 * Inverse hyperbolic sine: `sign(x) log1p(a + a^2 / (1 + sqrt(1 + a^2)))` for `a = |x|` (every
 * term positive: accurate near 0), `sign(x) (log(a) + ln 2)` for large `a`. Relative error
 * within 3e-7 in float32 and 6e-16 in float64 (tests/lowered_math_test.ts).
 */
const asinh: Lowering = ([x], out) => {
  const a = unary("abs")([x], out);
  const a2 = apply("mul", a, a);
  const one = constant(out, 1);
  const hyp = apply("add", one, unary("sqrt")([apply("add", one, a2)], out));
  const small = log1p([apply("add", a, apply("div", a2, hyp))], out);
  const large = compare("gt")([a, constant(out, LARGE[out])], "bool");
  return apply("mul", sign([x], out), select(large, logTwice(a), small));
};

/**
 * Inverse hyperbolic cosine: `log1p(t + sqrt(t (t + 2)))` for `t = x - 1` (exact near 1, where
 * `x^2 - 1` would cancel), `log(x) + ln 2` for large `x`, NaN below 1 (where `t (t + 2)` is
 * positive again below -1). Relative error within 4e-7 in float32 and 6e-16 in float64
 * (tests/lowered_math_test.ts).
 */
const acosh: Lowering = ([x], out) => {
  const t = apply("sub", x, constant(out, 1));
  const root = unary("sqrt")([apply("mul", t, apply("add", t, constant(out, 2)))], out);
  const small = log1p([apply("add", t, root)], out);
  const large = compare("gt")([x, constant(out, LARGE[out])], "bool");
  const below = compare("lt")([x, constant(out, 1)], "bool");
  return select(below, constant(out, NaN), select(large, logTwice(x), small));
};

/** What a word shifted by a constant amount outside [0, 31] gives: every bit shifted out. */
const SHIFTED_OUT: Readonly<Record<ShiftOp, (a: Expr) => Expr>> = {
  shl: () => constant("int32", 0),
  shru: () => constant("int32", 0),
  shr: (a) => ({ kind: "shift", op: "shr", dtype: "int32", a, bits: 31 }),
};

/**
 * A shift primitive (XLA's: an amount outside [0, 31] shifts every bit out): by a constant
 * amount a `shift` node (a vector instruction on wasm) or what is left, by an operand a binary
 * shift.
 */
const shiftBy = (op: ShiftOp): Lowering => ([a, s]) => {
  if (s.kind !== "const") return binaryExpr(op, a, s);
  const inRange = Number.isInteger(s.value) && s.value >= 0 && s.value < 32;
  return inRange ? { kind: "shift", op, dtype: "int32", a, bits: s.value } : SHIFTED_OUT[op](a);
};

/** The lowering of each elementwise primitive of one output. */
export const ELEMENTWISE_LOWERING: Readonly<Record<SingleLoweredName, Lowering>> = {
  neg: unary("neg"),
  abs: unary("abs"),
  sqrt: unary("sqrt"),
  floor: unary("floor"),
  ceil: unary("ceil"),
  round: unary("round"),
  not: unary("not"),
  cbrt,
  asinh,
  acosh,
  rsqrt,
  sign,
  sin: math("sin"),
  cos: math("cos"),
  exp: math("exp"),
  log,
  log1p,
  expm1: math("expm1"),
  tanh: math("tanh"),
  logistic: math("logistic"),
  erf: math("erf"),
  erf_inv: math("erf_inv"),
  add: binary("add"),
  sub: binary("sub"),
  mul: binary("mul"),
  div: binary("div"),
  rem: binary("rem"),
  max: binary("max"),
  min: binary("min"),
  and: binary("and"),
  or: binary("or"),
  xor: binary("xor"),
  shift_left: shiftBy("shl"),
  shift_right_logical: shiftBy("shru"),
  shift_right_arithmetic: shiftBy("shr"),
  pow: math("pow"),
  atan2: math("atan2"),
  eq: compare("eq"),
  ne: compare("ne"),
  lt: compare("lt"),
  le: compare("le"),
  gt: compare("gt"),
  ge: compare("ge"),
  select_n: ([pred, onFalse, onTrue]) => select(pred, onTrue, onFalse),
  convert_element_type: ([a], out) => (a.dtype === out ? a : { kind: "convert", dtype: out, a }),
  bitcast_convert_type: ([a], out) => (a.dtype === out ? a : { kind: "bitcast", dtype: out, a }),
  stop_gradient: ([a]) => a,
};

/** Whether `name` is an elementwise primitive with a lowering. */
export function isLowered(name: string): name is LoweredName {
  return name === "threefry2x32" || Object.hasOwn(ELEMENTWISE_LOWERING, name);
}

/** The expressions of primitive `name`'s outputs over `args`, their dtypes `outs`. */
export function lowerElementwise(
  name: LoweredName,
  args: readonly Expr[],
  outs: readonly DType[],
): Expr[] {
  if (name === "threefry2x32") return threefry2x32Exprs(args);
  return [ELEMENTWISE_LOWERING[name](args, outs[0])];
}
