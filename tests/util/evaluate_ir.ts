/**
 * A plain TypeScript evaluator of kernel IR expressions in float32, float64, int32 and bool,
 * with the semantics kernel_ir.ts states (every float32 operation rounded with `Math.fround`;
 * `fma` rounded once, or twice as an unfused target does): the oracle the renderers of the math
 * definitions (math_definitions.ts, math_definitions_f64.ts) must agree with bit for bit. Math
 * function nodes have no semantics of their own and throw.
 */
import type { BinaryOp, CompareOp, Expr, UnaryOp } from "../../kernels/lowering/kernel_ir.ts";

const view = new DataView(new ArrayBuffer(8));

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

/** The high 32 bits of float64 `x`, as an int32. */
export function highWord(x: number): number {
  view.setFloat64(0, x);
  return view.getInt32(0);
}

/** Float64 `x` with its high 32 bits replaced by int32 `h`'s. */
export function withHighWord(x: number, h: number): number {
  view.setFloat64(0, x);
  view.setInt32(0, h);
  return view.getFloat64(0);
}

/** Finite nonzero float64 `x` as `m 2^e` with integers `m` (53 bits at most) and `e`. */
function integerTimesPower(x: number): { m: bigint; e: number } {
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const field = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const m = field === 0 ? fraction : fraction | (1n << 52n);
  return { m: x < 0 ? -m : m, e: (field === 0 ? 1 : field) - 1075 };
}

/** The number of bits of positive `a`. */
function bitLength(a: bigint): number {
  const hex = a.toString(16);
  return (hex.length - 1) * 4 + 32 - Math.clz32(parseInt(hex[0], 16));
}

/**
 * `a * b + c` for float64s, rounded once (half to even): exactly, as an integer times a power
 * of two, then rounded to 53 bits, or to the subnormals' last bit below 2^-1022.
 */
export function fmaF64(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || a === 0 || b === 0) return a * b + c;
  if (!Number.isFinite(c)) return c;
  const x = integerTimesPower(a), y = integerTimesPower(b);
  const p = { m: x.m * y.m, e: x.e + y.e };
  const z = c === 0 ? { m: 0n, e: p.e } : integerTimesPower(c);
  const e = Math.min(p.e, z.e);
  const sum = (p.m << BigInt(p.e - e)) + (z.m << BigInt(z.e - e));
  // An exact zero of a nonzero product and c is +0.
  if (sum === 0n) return 0;
  const magnitude = sum < 0n ? -sum : sum;
  const length = bitLength(magnitude);
  const drop = length - 1 + e >= -1022 ? length - 53 : -1074 - e;
  let q = magnitude, k = e;
  if (drop > 0) {
    const d = BigInt(drop);
    q = magnitude >> d;
    const rest = magnitude - (q << d), half = 1n << (d - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
    k += drop;
  }
  const r = Number(q) * 2 ** k;
  return sum < 0n ? -r : r;
}

type Value = number;
type Dtype = Expr["dtype"];
/** `x` rounded to float dtype `d` (float64: itself). */
const F = Math.fround;
const rounded = (x: number, d: Dtype) => (d === "float32" ? F(x) : x);

const UNARY: Readonly<Record<UnaryOp, (a: Value, d: Expr["dtype"]) => Value>> = {
  neg: (a, d) => (d === "int32" ? -a | 0 : -a),
  abs: (a, d) => (d === "int32" ? Math.abs(a) | 0 : Math.abs(a)),
  sqrt: (a, d) => rounded(Math.sqrt(a), d),
  floor: Math.floor,
  ceil: Math.ceil,
  round: (a) => {
    const r = Math.round(a);
    return r - a === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  not: (a, d) => (d === "bool" ? 1 - a : ~a),
};

const BINARY: Readonly<Record<BinaryOp, (a: Value, b: Value, d: Expr["dtype"]) => Value>> = {
  add: (a, b, d) => (d === "int32" ? (a + b) | 0 : rounded(a + b, d)),
  sub: (a, b, d) => (d === "int32" ? (a - b) | 0 : rounded(a - b, d)),
  mul: (a, b, d) => (d === "int32" ? Math.imul(a, b) : rounded(a * b, d)),
  div: (a, b, d) => (d === "int32" ? (b === 0 ? 0 : (a / b) | 0) : rounded(a / b, d)),
  rem: (a, b, d) => (d === "int32" ? (b === 0 ? a : a % b) : rounded(a % b, d)),
  max: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  min: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  and: (a, b) => a & b,
  or: (a, b) => a | b,
  xor: (a, b) => a ^ b,
  shl: (a, b) => (b >= 0 && b < 32 ? a << b : 0),
  shr: (a, b) => a >> (b >= 0 && b < 32 ? b : 31),
  shru: (a, b) => (b >= 0 && b < 32 ? a >>> b | 0 : 0),
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
  return rounded(x, d);
}

/** `a * b + c` in float dtype `d`, rounded once (`fused`) or twice. */
function fma(a: number, b: number, c: number, d: Dtype, fused: boolean): number {
  if (d === "float32") return fused ? fmaF32(a, b, c) : F(F(a * b) + c);
  return fused ? fmaF64(a, b, c) : a * b + c;
}

/**
 * The value of `root` (float32, float64, int32 or bool) where load `i` reads `loads[i]` (and
 * parameter `p` is `params[p]`), with `fma` rounded once (`fused`) or twice.
 */
export function evaluateExpr(
  root: Expr,
  loads: readonly number[],
  fused = true,
  params: readonly number[] = [],
): number {
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
      case "param":
        return e.dtype === "float32" ? F(params[e.param]) : params[e.param];
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
        return fma(at(e.a), at(e.b), at(e.c), e.dtype, fused);
      case "bitcast":
        return e.dtype === "int32" ? f32Bits(at(e.a)) : bitsF32(at(e.a));
      case "shift":
        return e.op === "shl"
          ? at(e.a) << e.bits
          : e.op === "shr"
          ? at(e.a) >> e.bits
          : (at(e.a) >>> e.bits) | 0;
      case "highWord":
        return highWord(at(e.a));
      case "withHighWord":
        return withHighWord(at(e.a), at(e.high));
      case "index":
        throw new Error("evaluateExpr: an index node needs the point, which it is not given");
    }
  };
  return at(root);
}
