/**
 * A plain TypeScript evaluator of kernel IR expressions in float32, int32 and bool, with the
 * semantics kernel_ir.ts states (every float32 operation rounded with `Math.fround`; `fma`
 * rounded once, or twice as an unfused target does): the oracle the renderers of the math
 * definitions (math_definitions.ts) must agree with bit for bit. Math function nodes have no
 * semantics of their own and throw.
 */
import type { BinaryOp, CompareOp, Expr, UnaryOp } from "../../kernels/lowering/kernel_ir.ts";

const view = new DataView(new ArrayBuffer(4));

/** The int32 whose bits are float32 `x`'s. */
export function f32Bits(x: number): number {
  view.setFloat32(0, x);
  return view.getInt32(0);
}

/** The float32 whose bits are int32 `i`'s. */
export function bitsF32(i: number): number {
  view.setInt32(0, i);
  return view.getFloat32(0);
}

/**
 * `a * b + c` for float32 `a`, `b`, `c`, rounded once: the product is exact in float64, and the
 * float64 sum `s` rounds to the right float32 unless it lands exactly halfway between two, where
 * the sign of its rounding error (TwoSum) picks the side.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b, s = p + c;
  const r = Math.fround(s);
  if (r === s || !Number.isFinite(r)) return r;
  const bb = s - p, err = (p - (s - bb)) + (c - bb);
  const other = 2 * s - r;
  if (err === 0 || Math.fround(other) !== other) return r;
  // s is a tie: the exact sum lies beyond it on the side of its error.
  return err > 0 === other > r ? other : r;
}

type Value = number;
const F = Math.fround;

const UNARY: Readonly<Record<UnaryOp, (a: Value, d: Expr["dtype"]) => Value>> = {
  neg: (a, d) => (d === "int32" ? -a | 0 : -a),
  abs: (a, d) => (d === "int32" ? Math.abs(a) | 0 : Math.abs(a)),
  sqrt: (a) => F(Math.sqrt(a)),
  floor: Math.floor,
  ceil: Math.ceil,
  round: (a) => {
    const r = Math.round(a);
    return r - a === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  not: (a, d) => (d === "bool" ? 1 - a : ~a),
};

const BINARY: Readonly<Record<BinaryOp, (a: Value, b: Value, d: Expr["dtype"]) => Value>> = {
  add: (a, b, d) => (d === "int32" ? (a + b) | 0 : F(a + b)),
  sub: (a, b, d) => (d === "int32" ? (a - b) | 0 : F(a - b)),
  mul: (a, b, d) => (d === "int32" ? Math.imul(a, b) : F(a * b)),
  div: (a, b, d) => (d === "int32" ? (b === 0 ? 0 : (a / b) | 0) : F(a / b)),
  rem: (a, b, d) => (d === "int32" ? (b === 0 ? a : a % b) : F(a % b)),
  max: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  min: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  and: (a, b) => a & b,
  or: (a, b) => a | b,
};

const COMPARE: Readonly<Record<CompareOp, (a: Value, b: Value) => boolean>> = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
};

/** `x` converted to `d`: truncated and saturated into int32 (NaN to 0), nonzero to bool. */
function convert(x: Value, d: Expr["dtype"]): Value {
  if (d === "bool") return x !== 0 ? 1 : 0;
  if (d === "int32") {
    if (Number.isNaN(x)) return 0;
    return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.trunc(x)));
  }
  return F(x);
}

/**
 * The value of `root` (float32, int32 or bool) where load `i` reads `loads[i]`, with `fma`
 * rounded once (`fused`) or twice.
 */
export function evaluateExpr(root: Expr, loads: readonly number[], fused = true): number {
  const memo = new Map<Expr, Value>();
  const at = (e: Expr): Value => {
    let v = memo.get(e);
    if (v === undefined) {
      v = node(e);
      memo.set(e, v);
    }
    return v;
  };
  const node = (e: Expr): Value => {
    switch (e.kind) {
      case "const":
        return e.dtype === "float32" ? F(e.value) : e.value;
      case "load":
        return e.dtype === "float32" ? F(loads[e.load]) : loads[e.load];
      case "unary":
        return UNARY[e.op](at(e.a), e.dtype);
      case "binary":
        return BINARY[e.op](at(e.a), at(e.b), e.dtype);
      case "compare":
        return COMPARE[e.op](at(e.a), at(e.b)) ? 1 : 0;
      case "select":
        return at(e.cond) ? at(e.onTrue) : at(e.onFalse);
      case "convert":
        return convert(at(e.a), e.dtype);
      case "fma":
        return fused ? fmaF32(at(e.a), at(e.b), at(e.c)) : F(F(at(e.a) * at(e.b)) + at(e.c));
      case "bitcast":
        return e.dtype === "int32" ? f32Bits(at(e.a)) : bitsF32(at(e.a));
      case "shift":
        return e.op === "shl" ? at(e.a) << e.bits : at(e.a) >> e.bits;
      case "math":
        throw new Error(`evaluateExpr: ${e.fn} is a backend's own implementation`);
    }
  };
  return at(root);
}
