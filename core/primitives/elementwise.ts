/**
 * Elementwise primitives: unary math, binary arithmetic, comparisons, logic, select, dtype
 * conversion and stop_gradient. Operands of one application share a shape and dtype (the numpy
 * layer broadcasts and promotes first), so batching only has to align batch axes.
 * @module
 */
import type { Array } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { type DType, isFloat } from "../dtype.ts";
import { AdjointError } from "../errors.ts";
import {
  type BatchRule,
  type NoParams,
  Primitive,
  type PrimitiveProperties,
  UndefPrimal,
} from "../primitive.ts";
import { shapeEqual } from "../shape.ts";
import { bind, bind1 } from "../trace.ts";
import { moveBatchAxis } from "./batching.ts";
import { full, zerosLike } from "./constants.ts";

type Kind = "float" | "numeric" | "bool" | "integral" | "any";

const KIND_OK: Record<Kind, (d: DType) => boolean> = {
  float: isFloat,
  numeric: (d) => d !== "bool",
  bool: (d) => d === "bool",
  integral: (d) => d === "bool" || d === "int32",
  any: () => true,
};

const KIND_TEXT: Record<Kind, string> = {
  float: "a floating-point array",
  numeric: "a numeric (non-bool) array",
  bool: "a bool array",
  integral: "a bool or int32 array",
  any: "an array",
};

function checkKind(op: string, kind: Kind, avals: ShapedArray[]): void {
  for (const a of avals) {
    if (!KIND_OK[kind](a.dtype)) {
      throw new AdjointError(op, `expected ${KIND_TEXT[kind]}, got ${a}`);
    }
  }
}

function checkSameType(op: string, avals: ShapedArray[]): void {
  const [a] = avals;
  for (const b of avals) {
    if (!shapeEqual(a.shape, b.shape) || a.dtype !== b.dtype) {
      throw new AdjointError(
        op,
        `operands must have equal shapes and dtypes, got ${avals.join(" and ")}`,
      );
    }
  }
}

/** Batching for elementwise primitives: align all batch axes (at 0 unless they already agree). */
function batchElementwise(prim: Primitive): BatchRule {
  return (axisSize, args, dims, params) => {
    const first = dims.find((d) => d !== null)!;
    if (dims.every((d) => d === first)) return [bind(prim, args, params), [first]];
    const moved = args.map((x, i) => moveBatchAxis(x, dims[i], 0, axisSize));
    return [bind(prim, moved, params), [0]];
  };
}

function elementwise<N extends string>(
  name: N,
  kind: Kind,
  outDType?: DType,
  properties: PrimitiveProperties = {},
): Primitive<N, NoParams> {
  const p = new Primitive<N, NoParams>(name, { elementwise: true, ...properties });
  p.shape = (avals) => {
    checkKind(name, kind, avals);
    checkSameType(name, avals);
    return [new ShapedArray(avals[0].shape, outDType ?? avals[0].dtype)];
  };
  p.batch = batchElementwise(p);
  return p;
}

/** Names of the unary elementwise primitives. */
export type UnaryElementwiseName =
  | "neg"
  | "sin"
  | "cos"
  | "exp"
  | "log"
  | "log1p"
  | "expm1"
  | "tanh"
  | "logistic"
  | "sqrt"
  | "rsqrt"
  | "abs"
  | "sign"
  | "erf"
  | "erf_inv"
  | "floor"
  | "ceil"
  | "round"
  | "not"
  | "cbrt"
  | "asinh"
  | "acosh";
/** Names of the binary elementwise primitives (arithmetic, comparisons, logic). */
export type BinaryElementwiseName =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "atan2"
  | "rem"
  | "max"
  | "min"
  | "eq"
  | "ne"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "and"
  | "or";

const unaryNames: UnaryElementwiseName[] = [];
const binaryNames: BinaryElementwiseName[] = [];
/** The primitives by name, filled as each is defined below. */
const byName: Partial<Record<string, Primitive>> = {};

/** Calls a scalar math function per element. */
const MATH: PrimitiveProperties = { mathCall: true };
/** Operands may be swapped. */
const COMMUTATIVE: PrimitiveProperties = { commutative: true };

function unaryOp<N extends UnaryElementwiseName>(
  name: N,
  kind: Kind,
  properties?: PrimitiveProperties,
): Primitive<N, NoParams> {
  unaryNames.push(name);
  return byName[name] = elementwise(name, kind, undefined, properties);
}

function binaryOp<N extends BinaryElementwiseName>(
  name: N,
  kind: Kind,
  outDType?: DType,
  properties?: PrimitiveProperties,
): Primitive<N, NoParams> {
  binaryNames.push(name);
  return byName[name] = elementwise(name, kind, outDType, properties);
}

/** Names of the unary elementwise primitives (`neg`, `sin`, ... `not`), for backends' rule tables. */
export const UNARY_ELEMENTWISE: readonly UnaryElementwiseName[] = unaryNames;
/** Names of the binary elementwise primitives (arithmetic, comparisons, logic). */
export const BINARY_ELEMENTWISE: readonly BinaryElementwiseName[] = binaryNames;
/**
 * The unary and binary elementwise primitives by name, for the registry (every name of the two
 * unions is defined in this module, as tests/primitive_registry_test.ts checks).
 */
export const ELEMENTWISE_OPS = byName as {
  readonly [N in UnaryElementwiseName | BinaryElementwiseName]: Primitive<N, NoParams>;
};

/** Unary jvp from `dOut = f'(x, ans) * t`. */
function defUnaryJvp(p: Primitive, deriv: (x: Array, ans: Array, t: Array) => Array): void {
  p.jvp = ([x], [t]) => {
    const ans = bind1(p, [x]);
    return [[ans], [t && deriv(x, ans, t)]];
  };
}

/** A primitive whose output has zero derivative everywhere it is defined. */
function defZeroJvp(p: Primitive): void {
  p.jvp = (primals, _t, params) => [bind(p, primals, params), [null]];
}

// ---------------------------------------------------------------- unary

/** Negation. */
export const negP: Primitive<"neg", NoParams> = unaryOp("neg", "numeric");
/** Sine. */
export const sinP: Primitive<"sin", NoParams> = unaryOp("sin", "float", MATH);
/** Cosine. */
export const cosP: Primitive<"cos", NoParams> = unaryOp("cos", "float", MATH);
/** Exponential. */
export const expP: Primitive<"exp", NoParams> = unaryOp("exp", "float", MATH);
/** Natural logarithm. */
export const logP: Primitive<"log", NoParams> = unaryOp("log", "float", MATH);
/** `log(1 + x)`, accurate near 0. */
export const log1pP: Primitive<"log1p", NoParams> = unaryOp("log1p", "float", MATH);
/** `e^x - 1`, accurate near 0. */
export const expm1P: Primitive<"expm1", NoParams> = unaryOp("expm1", "float", MATH);
/** Hyperbolic tangent. */
export const tanhP: Primitive<"tanh", NoParams> = unaryOp("tanh", "float", MATH);
/** Logistic sigmoid `1 / (1 + e^-x)`. */
export const logisticP: Primitive<"logistic", NoParams> = unaryOp("logistic", "float", MATH);
/** Square root. */
export const sqrtP: Primitive<"sqrt", NoParams> = unaryOp("sqrt", "float");
/** Reciprocal square root. */
export const rsqrtP: Primitive<"rsqrt", NoParams> = unaryOp("rsqrt", "float");
/** Absolute value. */
export const absP: Primitive<"abs", NoParams> = unaryOp("abs", "numeric");
/** Sign (-1, 0 or 1). */
export const signP: Primitive<"sign", NoParams> = unaryOp("sign", "numeric");
/** Error function. */
export const erfP: Primitive<"erf", NoParams> = unaryOp("erf", "float", MATH);
/** Inverse error function. */
export const erfInvP: Primitive<"erf_inv", NoParams> = unaryOp("erf_inv", "float", MATH);
/** Round down. */
export const floorP: Primitive<"floor", NoParams> = unaryOp("floor", "float");
/** Round up. */
export const ceilP: Primitive<"ceil", NoParams> = unaryOp("ceil", "float");
/** Round to the nearest integer, halves to even (as NumPy, JAX's jnp.round and IEEE roundeven). */
export const roundP: Primitive<"round", NoParams> = unaryOp("round", "float");
/** Logical / bitwise not. */
export const notP: Primitive<"not", NoParams> = unaryOp("not", "integral");
/** Cube root, odd (`cbrt(-x) = -cbrt(x)`). */
export const cbrtP: Primitive<"cbrt", NoParams> = unaryOp("cbrt", "float", MATH);
/** Inverse hyperbolic sine, odd. */
export const asinhP: Primitive<"asinh", NoParams> = unaryOp("asinh", "float", MATH);
/** Inverse hyperbolic cosine (NaN below 1). */
export const acoshP: Primitive<"acosh", NoParams> = unaryOp("acosh", "float", MATH);

negP.jvp = ([x], [t]) => [[neg(x)], [t && neg(t)]];
negP.transpose = ([ct]) => [ct && neg(ct)];
defUnaryJvp(sinP, (x, _, t) => mul(t, cos(x)));
defUnaryJvp(cosP, (x, _, t) => neg(mul(t, sin(x))));
defUnaryJvp(expP, (_, ans, t) => mul(t, ans));
defUnaryJvp(logP, (x, _, t) => div(t, x));
defUnaryJvp(log1pP, (x, _, t) => div(t, add(x, full(x.shape, 1, x.dtype))));
defUnaryJvp(expm1P, (_, ans, t) => mul(t, add(ans, full(ans.shape, 1, ans.dtype))));
defUnaryJvp(tanhP, (_, ans, t) => mul(t, sub(full(ans.shape, 1, ans.dtype), mul(ans, ans))));
defUnaryJvp(
  logisticP,
  (_, ans, t) => mul(t, mul(ans, sub(full(ans.shape, 1, ans.dtype), ans))),
);
defUnaryJvp(sqrtP, (_, ans, t) => div(t, mul(full(ans.shape, 2, ans.dtype), ans)));
defUnaryJvp(
  rsqrtP,
  (x, ans, t) => mul(t, mul(full(x.shape, -0.5, x.dtype), div(ans, x))),
);
defUnaryJvp(absP, (x, _, t) => mul(t, sign(x)));
defZeroJvp(signP);
defUnaryJvp(
  erfP,
  (x, _, t) => mul(t, mul(full(x.shape, 2 / Math.sqrt(Math.PI), x.dtype), exp(neg(mul(x, x))))),
);
defUnaryJvp(
  erfInvP,
  (_, ans, t) =>
    mul(t, mul(full(ans.shape, Math.sqrt(Math.PI) / 2, ans.dtype), exp(mul(ans, ans)))),
);
defZeroJvp(floorP);
defZeroJvp(ceilP);
defZeroJvp(roundP);
defZeroJvp(notP);
defUnaryJvp(cbrtP, (_, ans, t) => div(t, mul(full(ans.shape, 3, ans.dtype), mul(ans, ans))));
defUnaryJvp(asinhP, (x, _, t) => mul(t, rsqrt(add(mul(x, x), full(x.shape, 1, x.dtype)))));
defUnaryJvp(acoshP, (x, _, t) => {
  const one = full(x.shape, 1, x.dtype);
  return div(t, mul(sqrt(sub(x, one)), sqrt(add(x, one))));
});

/** lax.neg. */
export function neg(x: Array): Array {
  return bind1(negP, [x]);
}
/** lax.sin. */
export function sin(x: Array): Array {
  return bind1(sinP, [x]);
}
/** lax.cos. */
export function cos(x: Array): Array {
  return bind1(cosP, [x]);
}
/** lax.exp. */
export function exp(x: Array): Array {
  return bind1(expP, [x]);
}
/** lax.log. */
export function log(x: Array): Array {
  return bind1(logP, [x]);
}
/** lax.log1p. */
export function log1p(x: Array): Array {
  return bind1(log1pP, [x]);
}
/** lax.expm1. */
export function expm1(x: Array): Array {
  return bind1(expm1P, [x]);
}
/** lax.tanh. */
export function tanh(x: Array): Array {
  return bind1(tanhP, [x]);
}
/** lax.logistic. */
export function logistic(x: Array): Array {
  return bind1(logisticP, [x]);
}
/** lax.sqrt. */
export function sqrt(x: Array): Array {
  return bind1(sqrtP, [x]);
}
/** lax.rsqrt. */
export function rsqrt(x: Array): Array {
  return bind1(rsqrtP, [x]);
}
/** lax.abs. */
export function abs(x: Array): Array {
  return bind1(absP, [x]);
}
/** lax.sign. */
export function sign(x: Array): Array {
  return bind1(signP, [x]);
}
/** lax.erf. */
export function erf(x: Array): Array {
  return bind1(erfP, [x]);
}
/** lax.erf_inv. */
export function erfInv(x: Array): Array {
  return bind1(erfInvP, [x]);
}
/** lax.cbrt: the real cube root. */
export function cbrt(x: Array): Array {
  return bind1(cbrtP, [x]);
}
/** lax.asinh: the inverse hyperbolic sine. */
export function asinh(x: Array): Array {
  return bind1(asinhP, [x]);
}
/** lax.acosh: the inverse hyperbolic cosine. */
export function acosh(x: Array): Array {
  return bind1(acoshP, [x]);
}
/** lax.floor. */
export function floor(x: Array): Array {
  return bind1(floorP, [x]);
}
/** lax.ceil. */
export function ceil(x: Array): Array {
  return bind1(ceilP, [x]);
}
/** How `round` treats halves, as JAX's `lax.RoundingMethod`. */
export type RoundingMethod = "awayFromZero" | "toNearestEven";

/**
 * lax.round: to the nearest integer, halves away from zero (JAX's default, `AWAY_FROM_ZERO`) or
 * to even (`"toNearestEven"`, as np.round). Away from zero is the `round` primitive (halves to
 * even) moved by a half where x lies exactly halfway: there `x - r` is exactly ±0.5, and
 * `x + sign(x) / 2` is the integer away from zero, exactly.
 */
export function round(x: Array, method: RoundingMethod = "awayFromZero"): Array {
  const even = bind1(roundP, [x]);
  if (method === "toNearestEven") return even;
  const half = full(x.shape, 0.5, x.dtype);
  const tie = eq(abs(sub(x, even)), half);
  return select(tie, add(x, mul(sign(x), half)), even);
}
/** lax.bitwise_not / logical not. */
export function not(x: Array): Array {
  return bind1(notP, [x]);
}

// ---------------------------------------------------------------- binary

/** Addition. */
export const addP: Primitive<"add", NoParams> = binaryOp("add", "numeric", undefined, COMMUTATIVE);
/** Subtraction. */
export const subP: Primitive<"sub", NoParams> = binaryOp("sub", "numeric");
/** Multiplication. */
export const mulP: Primitive<"mul", NoParams> = binaryOp("mul", "numeric", undefined, COMMUTATIVE);
/** Division (truncating for int32). */
export const divP: Primitive<"div", NoParams> = binaryOp("div", "numeric");
/** Power. */
export const powP: Primitive<"pow", NoParams> = binaryOp("pow", "float", undefined, MATH);
/** Four-quadrant arctangent of `x / y` (JAX's `atan2(x, y)`), in `[-pi, pi]`. */
export const atan2P: Primitive<"atan2", NoParams> = binaryOp("atan2", "float", undefined, MATH);
/** Remainder of truncating division (C's fmod; for int32, `x` where `y` is 0), sign of `x`. */
export const remP: Primitive<"rem", NoParams> = binaryOp("rem", "numeric", undefined, MATH);
/** Elementwise maximum. */
export const maxP: Primitive<"max", NoParams> = binaryOp("max", "numeric", undefined, COMMUTATIVE);
/** Elementwise minimum. */
export const minP: Primitive<"min", NoParams> = binaryOp("min", "numeric", undefined, COMMUTATIVE);
/** Equality. */
export const eqP: Primitive<"eq", NoParams> = binaryOp("eq", "any", "bool", COMMUTATIVE);
/** Inequality. */
export const neP: Primitive<"ne", NoParams> = binaryOp("ne", "any", "bool", COMMUTATIVE);
/** Less than. */
export const ltP: Primitive<"lt", NoParams> = binaryOp("lt", "numeric", "bool");
/** Less or equal. */
export const leP: Primitive<"le", NoParams> = binaryOp("le", "numeric", "bool");
/** Greater than. */
export const gtP: Primitive<"gt", NoParams> = binaryOp("gt", "numeric", "bool");
/** Greater or equal. */
export const geP: Primitive<"ge", NoParams> = binaryOp("ge", "numeric", "bool");
/** Logical / bitwise and. */
export const andP: Primitive<"and", NoParams> = binaryOp("and", "integral", undefined, COMMUTATIVE);
/** Logical / bitwise or. */
export const orP: Primitive<"or", NoParams> = binaryOp("or", "integral", undefined, COMMUTATIVE);

function addTangents(a: Array | null, b: Array | null): Array | null {
  return a === null ? b : b === null ? a : add(a, b);
}

addP.jvp = ([x, y], [tx, ty]) => [[add(x, y)], [addTangents(tx, ty)]];
addP.transpose = ([ct], [x, y]) => [
  x instanceof UndefPrimal ? ct : null,
  y instanceof UndefPrimal ? ct : null,
];
subP.jvp = ([x, y], [tx, ty]) => [[sub(x, y)], [addTangents(tx, ty && neg(ty))]];
subP.transpose = ([ct], [x, y]) => [
  x instanceof UndefPrimal ? ct : null,
  y instanceof UndefPrimal && ct ? neg(ct) : null,
];
mulP.jvp = ([x, y], [tx, ty]) => [[mul(x, y)], [addTangents(tx && mul(tx, y), ty && mul(x, ty))]];
mulP.transpose = ([ct], [x, y]) => {
  if (ct === null) return [null, null];
  if (x instanceof UndefPrimal && y instanceof UndefPrimal) {
    throw new AdjointError("mul", "transpose of a product of two linear values (not linear)");
  }
  return x instanceof UndefPrimal ? [mul(ct, y as Array), null] : [null, mul(x as Array, ct)];
};
divP.jvp = ([x, y], [tx, ty]) => {
  const ans = div(x, y);
  return [[ans], [addTangents(tx && div(tx, y), ty && neg(div(mul(ty, ans), y)))]];
};
divP.transpose = ([ct], [x, y]) => {
  if (y instanceof UndefPrimal) {
    throw new AdjointError("div", "transpose with respect to a linear denominator (not linear)");
  }
  return [ct && x instanceof UndefPrimal ? div(ct, y) : null, null];
};
// d/dx = y x^(y-1) is 0 at x = 0, y = 0 (x^0 is 1 everywhere; the formula would give 0 * inf),
// and d/dy = log(x) x^y is 0 where x = 0, as in JAX and PyTorch. The operand that would make the
// NaN is replaced before the power, not its result after, so that the derivatives of these
// (through select's unchosen side) stay finite too; elsewhere the formulas are untouched, so the
// derivative of d/dx along y at y = 0 is still 1/x.
powP.jvp = ([x, y], [tx, ty]) => {
  const ans = pow(x, y);
  const zero = zerosLike(x), one = full(x.shape, 1, x.dtype);
  const safeY = select(and(eq(x, zero), eq(y, zero)), one, y);
  const dx = tx && mul(tx, mul(y, pow(x, sub(safeY, one))));
  const safeX = select(eq(x, zero), one, x);
  const dy = ty && mul(ty, mul(log(safeX), ans));
  return [[ans], [addTangents(dx, dy)]];
};
// d atan2(x, y) = (y dx - x dy) / (x^2 + y^2).
atan2P.jvp = ([x, y], [tx, ty]) => {
  const r2 = add(mul(x, x), mul(y, y));
  const dx = tx && div(mul(tx, y), r2);
  const dy = ty && neg(div(mul(ty, x), r2));
  return [[atan2(x, y)], [addTangents(dx, dy)]];
};
// rem(x, y) = x - trunc(x / y) y, and trunc(x / y) is piecewise constant.
remP.jvp = ([x, y], [tx, ty]) => {
  const q = div(x, y);
  const dy = ty && neg(mul(ty, mul(sign(q), floor(abs(q)))));
  return [[rem(x, y)], [addTangents(tx, dy)]];
};
/** Tangent weight of the first operand of max/min: 1 where it wins, 0.5 on ties. */
function chooserWeight(x: Array, y: Array, wins: (a: Array, b: Array) => Array): Array {
  const w = convert(wins(x, y), x.dtype);
  return add(w, mul(full(x.shape, 0.5, x.dtype), convert(eq(x, y), x.dtype)));
}
function defChooserJvp(p: Primitive, wins: (a: Array, b: Array) => Array): void {
  p.jvp = ([x, y], [tx, ty]) => {
    const w = chooserWeight(x, y, wins);
    const one = full(x.shape, 1, x.dtype);
    return [[bind1(p, [x, y])], [addTangents(tx && mul(tx, w), ty && mul(ty, sub(one, w)))]];
  };
}
defChooserJvp(maxP, (a, b) => gt(a, b));
defChooserJvp(minP, (a, b) => lt(a, b));
for (const p of [eqP, neP, ltP, leP, gtP, geP, andP, orP]) defZeroJvp(p);

/** lax.add. */
export function add(x: Array, y: Array): Array {
  return bind1(addP, [x, y]);
}
/** lax.sub. */
export function sub(x: Array, y: Array): Array {
  return bind1(subP, [x, y]);
}
/** lax.mul. */
export function mul(x: Array, y: Array): Array {
  return bind1(mulP, [x, y]);
}
/** lax.div. */
export function div(x: Array, y: Array): Array {
  return bind1(divP, [x, y]);
}
/** lax.pow. */
export function pow(x: Array, y: Array): Array {
  return bind1(powP, [x, y]);
}
/** lax.atan2: the angle of the point `(y, x)`, i.e. `arctan(x / y)` in the right quadrant. */
export function atan2(x: Array, y: Array): Array {
  return bind1(atan2P, [x, y]);
}
/** lax.rem: `x - trunc(x / y) * y`, exactly (C's fmod), with the sign of `x`. */
export function rem(x: Array, y: Array): Array {
  return bind1(remP, [x, y]);
}
/** lax.max. */
export function max(x: Array, y: Array): Array {
  return bind1(maxP, [x, y]);
}
/** lax.min. */
export function min(x: Array, y: Array): Array {
  return bind1(minP, [x, y]);
}
/** lax.eq. */
export function eq(x: Array, y: Array): Array {
  return bind1(eqP, [x, y]);
}
/** lax.ne. */
export function ne(x: Array, y: Array): Array {
  return bind1(neP, [x, y]);
}
/** lax.lt. */
export function lt(x: Array, y: Array): Array {
  return bind1(ltP, [x, y]);
}
/** lax.le. */
export function le(x: Array, y: Array): Array {
  return bind1(leP, [x, y]);
}
/** lax.gt. */
export function gt(x: Array, y: Array): Array {
  return bind1(gtP, [x, y]);
}
/** lax.ge. */
export function ge(x: Array, y: Array): Array {
  return bind1(geP, [x, y]);
}
/** Logical / bitwise and. */
export function and(x: Array, y: Array): Array {
  return bind1(andP, [x, y]);
}
/** Logical / bitwise or. */
export function or(x: Array, y: Array): Array {
  return bind1(orP, [x, y]);
}

// ---------------------------------------------------------------- select

/** `select_n(pred, onFalse, onTrue)`: elementwise choice by a bool predicate. */
export const selectNP: Primitive<"select_n", NoParams> = new Primitive("select_n", {
  elementwise: true,
});
selectNP.shape = ([pred, f, t]) => {
  if (pred.dtype !== "bool") {
    throw new AdjointError("select_n", `predicate must be bool, got ${pred}`);
  }
  checkSameType("select_n", [f, t]);
  if (!shapeEqual(pred.shape, f.shape)) {
    throw new AdjointError("select_n", `predicate ${pred} does not match operands ${f}`);
  }
  return [f];
};
selectNP.batch = batchElementwise(selectNP);
selectNP.jvp = ([p, f, t], [, tf, tt]) => [
  [select(p, t, f)],
  [tf === null && tt === null ? null : select(p, tt ?? zerosLike(t), tf ?? zerosLike(f))],
];
selectNP.transpose = ([ct], [p, f, t]) => {
  if (p instanceof UndefPrimal) throw new AdjointError("select_n", "predicate cannot be linear");
  if (ct === null) return [null, null, null];
  const zeros = zerosLike(ct);
  return [
    null,
    f instanceof UndefPrimal ? select(p, zeros, ct) : null,
    t instanceof UndefPrimal ? select(p, ct, zeros) : null,
  ];
};

/** `where(pred, onTrue, onFalse)` at the lax level. */
export function select(pred: Array, onTrue: Array, onFalse: Array): Array {
  return bind1(selectNP, [pred, onFalse, onTrue]);
}

// ---------------------------------------------------------------- convert_element_type

/** Params of `convert_element_type` (and `bitcast_convert_type`): the output dtype. */
export type ConvertParams = { dtype: DType };

/** Changes dtype (floats truncate toward zero when converted to int32). */
export const convertP: Primitive<"convert_element_type", ConvertParams> = new Primitive(
  "convert_element_type",
  { elementwise: true },
);
convertP.shape = ([x], { dtype }) => [new ShapedArray(x.shape, dtype)];
convertP.batch = (_, [x], [bd], params) => [[bind1(convertP, [x], params)], [bd]];
convertP.jvp = ([x], [t], { dtype }) => [
  [convert(x, dtype)],
  [t && isFloat(x.dtype) && isFloat(dtype) ? convert(t, dtype) : null],
];
convertP.transpose = ([ct], [x]) => [ct && convert(ct, x.aval.dtype)];

/** lax.convert_element_type. */
export function convert(x: Array, dtype: DType): Array {
  if (x.dtype === dtype) return x;
  return bind1(convertP, [x], { dtype });
}

// ---------------------------------------------------------------- stop_gradient

/** Identity whose derivative is zero. */
export const stopGradientP: Primitive<"stop_gradient", NoParams> = new Primitive(
  "stop_gradient",
  { elementwise: true },
);
stopGradientP.shape = ([x]) => [x];
stopGradientP.impl = ([x]) => [x];
stopGradientP.batch = (_, [x], [bd]) => [[stopGradient(x)], [bd]];
stopGradientP.jvp = ([x]) => [[stopGradient(x)], [null]];

/** Treats `x` as a constant for differentiation. */
export function stopGradient(x: Array): Array {
  return bind1(stopGradientP, [x]);
}
