/**
 * The AssemblyScript renderer of kernel IR expressions: each node as a scalar expression (f32,
 * f64 or i32 registers, bool an i32 0 or 1) or, where the tables below say it has one, as a v128
 * expression on four lanes (f32x4 or i32x4, bool as lane masks, all ones or zero), and the loads
 * and stores that move elements between memory and registers. Float32 sin and cos call the f32x4
 * functions of kernels/assembly/math.ts (copied into every module by math_source.ts), on one
 * splatted lane in scalar code, as `fma` is `relaxed_madd` on one lane, so the eager kernels,
 * the vector loops and the scalar ones give the same bits (the other float32 math functions
 * are IR expressions: math_definitions.ts); float64 math calls `Math` and the f64 functions of
 * scalar_math.ts. Vector constants are globals (`constantGlobals`).
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import {
  type BinaryOp,
  type CompareOp,
  type Expr,
  type MathFn,
  operands,
  type ReduceOp,
  type ShiftOp,
  type UnaryOp,
} from "../lowering/kernel_ir.ts";
import type { LoadPattern, VectorTarget } from "../lowering/vectorize.ts";

/** AssemblyScript register type of each dtype (bool is an i32 0/1, stored as one byte). */
export const REG: Readonly<Record<DType, string>> = {
  float32: "f32",
  float64: "f64",
  int32: "i32",
  bool: "i32",
};
/** Storage type of each dtype. */
const MEM: Readonly<Record<DType, string>> = {
  float32: "f32",
  float64: "f64",
  int32: "i32",
  bool: "u8",
};
/** log2 of each dtype's element size. */
export const SHIFT: Readonly<Record<DType, number>> = {
  float32: 2,
  float64: 3,
  int32: 2,
  bool: 0,
};

/** The dtypes four lanes of a v128 hold. */
export type VectorDType = "float32" | "int32" | "bool";

/** A scalar form: the expression over operand expressions of dtype `d`. */
export type ScalarForm = (args: readonly string[], d: DType) => string;
/** A vector form over four-lane operands. */
export type VectorForm = (args: readonly string[]) => string;

/** How an operation renders: its scalar form and, per vector dtype, its vector form or null. */
export interface Rendering {
  /** The scalar form, for every dtype the operation takes. */
  readonly scalar: ScalarForm;
  /** The vector form over operands of each vector dtype; null: none (the loop stays scalar). */
  readonly vector: { readonly [D in VectorDType]: VectorForm | null };
}

const isFloat = (d: DType) => d === "float32" || d === "float64";
const lib = (d: DType) => (d === "float64" ? "Math" : "Mathf");
const call = (fn: string): ScalarForm => ([a], d) => `${lib(d)}.${fn}(${a})`;
const vcall = (fn: string): VectorForm => (args) => `${fn}(${args.join(", ")})`;
const infix = (op: string): ScalarForm => ([a, b]) => `(${a} ${op} ${b})`;

/** Vector forms for float32 only. */
const f32Only = (f: VectorForm) => ({ float32: f, int32: null, bool: null });
/** Vector forms for float32 and int32 (`f32x4.<op>`, `i32x4.<op>`). */
const numeric = (f32: string, i32: string) => ({
  float32: vcall(`f32x4.${f32}`),
  int32: vcall(`i32x4.${i32}`),
  bool: null,
});
/** Bitwise forms for int32 and bool masks. */
const bitwise = (fn: string) => ({ float32: null, int32: vcall(fn), bool: vcall(fn) });

/** Each unary operation. */
export const UNARY_RENDERING: Readonly<Record<UnaryOp, Rendering>> = {
  neg: { scalar: ([a]) => `(-${a})`, vector: numeric("neg", "neg") },
  abs: {
    scalar: ([a], d) => (isFloat(d) ? `${lib(d)}.abs(${a})` : `abs<i32>(${a})`),
    vector: numeric("abs", "abs"),
  },
  sqrt: { scalar: call("sqrt"), vector: f32Only(vcall("f32x4.sqrt")) },
  floor: { scalar: call("floor"), vector: f32Only(vcall("f32x4.floor")) },
  ceil: { scalar: call("ceil"), vector: f32Only(vcall("f32x4.ceil")) },
  // Half to even, as the primitive.
  round: {
    scalar: ([a], d) => `nearest<${REG[d]}>(${a})`,
    vector: f32Only(vcall("f32x4.nearest")),
  },
  // Logical on bools (0/1 scalars; masks in lanes), bitwise on int32.
  not: {
    scalar: ([a], d) => (d === "bool" ? `(${a} ^ 1)` : `(~${a})`),
    vector: bitwise("v128.not"),
  },
};

/** Each binary operation. */
export const BINARY_RENDERING: Readonly<Record<BinaryOp, Rendering>> = {
  add: { scalar: infix("+"), vector: numeric("add", "add") },
  sub: { scalar: infix("-"), vector: numeric("sub", "sub") },
  mul: { scalar: infix("*"), vector: numeric("mul", "mul") },
  // int32 / 0 would trap, and MIN / -1 too: 0 and the wrapped negation, as the IR says.
  div: {
    scalar: ([a, b], d) =>
      isFloat(d) ? `(${a} / ${b})` : `(${b} == 0 ? 0 : ${b} == -1 ? -${a} : ${a} / ${b})`,
    vector: f32Only(vcall("f32x4.div")),
  },
  // Float % is fmod (exact); int32 % by 0 would trap, and gives the dividend.
  rem: {
    scalar: ([a, b], d) => (isFloat(d) ? `(${a} % ${b})` : `(${b} == 0 ? ${a} : ${a} % ${b})`),
    vector: { float32: null, int32: null, bool: null },
  },
  max: { scalar: ([a, b], d) => `max<${REG[d]}>(${a}, ${b})`, vector: numeric("max", "max_s") },
  min: { scalar: ([a, b], d) => `min<${REG[d]}>(${a}, ${b})`, vector: numeric("min", "min_s") },
  and: { scalar: infix("&"), vector: bitwise("v128.and") },
  or: { scalar: infix("|"), vector: bitwise("v128.or") },
};

/** A comparison: an i32 0/1 in scalar code, a lane mask in vector code. */
const comparison = (op: string, f32: string, i32: string, bool: string | null): Rendering => ({
  scalar: ([a, b]) => `<i32>(${a} ${op} ${b})`,
  vector: {
    float32: vcall(`f32x4.${f32}`),
    int32: vcall(`i32x4.${i32}`),
    bool: bool ? vcall(`i32x4.${bool}`) : null,
  },
});

/** Each comparison, by its operands' dtype (bool masks compare for equality only). */
export const COMPARE_RENDERING: Readonly<Record<CompareOp, Rendering>> = {
  eq: comparison("==", "eq", "eq", "eq"),
  ne: comparison("!=", "ne", "ne", "ne"),
  lt: comparison("<", "lt", "lt_s", null),
  le: comparison("<=", "le", "le_s", null),
  gt: comparison(">", "gt", "gt_s", null),
  ge: comparison(">=", "ge", "ge_s", null),
};

/**
 * A special function of math.ts (`<fn>F32x4`): on four lanes in vector code, on one splatted
 * lane in float32 scalar code; float64 takes `f64`.
 */
const special = (fn: string, f64: ScalarForm): Rendering => ({
  scalar: (args, d) =>
    d === "float32" ? `f32x4.extract_lane(${fn}(f32x4.splat(${args[0]})), 0)` : f64(args, d),
  vector: f32Only(vcall(fn)),
});

/** Math functions computed in f64 and rounded, as the eager kernels and ref; no vector form. */
const viaF64 = (fn: string): Rendering => ({
  scalar: ([a, b], d) =>
    d === "float64" ? `Math.${fn}(${a}, ${b})` : `<${REG[d]}>Math.${fn}(<f64>${a}, <f64>${b})`,
  vector: { float32: null, int32: null, bool: null },
});

/** A float64 function (its float32 form is an IR definition): no vector form. */
const f64Only = (f64: ScalarForm): Rendering => ({
  scalar: f64,
  vector: { float32: null, int32: null, bool: null },
});

/** Each math function. */
export const MATH_RENDERING: Readonly<Record<MathFn, Rendering>> = {
  exp: f64Only(call("exp")),
  expm1: f64Only(call("expm1")),
  log: f64Only(call("log")),
  log1p: f64Only(call("log1p")),
  tanh: f64Only(call("tanh")),
  logistic: f64Only(([a]) => `logisticF64(${a})`),
  erf: f64Only(([a]) => `erfF64(${a})`),
  erf_inv: f64Only(([a]) => `erfInvF64(${a})`),
  sin: special("sinF32x4", call("sin")),
  cos: special("cosF32x4", call("cos")),
  pow: viaF64("pow"),
  atan2: viaF64("atan2"),
};

/**
 * `a * b + c`: `relaxed_madd`, fused on FMA hardware (x86-64's V8 emits `vfmadd`), on four lanes
 * or on one splatted lane in scalar code; float64 as f64x2.
 */
const FMA: Rendering = {
  scalar: ([a, b, c], d) => {
    const v = d === "float64" ? "f64x2" : "f32x4";
    const splat = (x: string) => `${v}.splat(${x})`;
    return `${v}.extract_lane(${v}.relaxed_madd(${splat(a)}, ${splat(b)}, ${splat(c)}), 0)`;
  },
  vector: f32Only(vcall("f32x4.relaxed_madd")),
};

/** Each shift of int32 bits by a constant count (`>>` on i32 keeps the sign). */
const SHIFT_RENDERING: Readonly<Record<ShiftOp, { scalar: string; vector: string }>> = {
  shl: { scalar: "<<", vector: "i32x4.shl" },
  shr: { scalar: ">>", vector: "i32x4.shr_s" },
};

/** The rendering of an operation node, or null for the other kinds. */
function ruleOf(e: Expr): { rule: Rendering; d: DType } | null {
  switch (e.kind) {
    case "unary":
      return { rule: UNARY_RENDERING[e.op], d: e.dtype };
    case "binary":
      return { rule: BINARY_RENDERING[e.op], d: e.dtype };
    case "compare":
      return { rule: COMPARE_RENDERING[e.op], d: e.a.dtype };
    case "math":
      return { rule: MATH_RENDERING[e.fn], d: e.dtype };
    case "fma":
      return { rule: FMA, d: e.dtype };
    default:
      return null;
  }
}

const isVector = (d: DType): d is VectorDType => d === "float32" || d === "int32" || d === "bool";

/** A number as AssemblyScript source. */
function numberText(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  return v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : String(v);
}

/** A scalar constant of dtype `d`. */
export const scalarConst = (d: DType, v: number): string => `<${REG[d]}>(${numberText(v)})`;

/** The 32 bits of each lane of a constant `v` of vector dtype `d`. */
function laneBits(d: VectorDType, v: number): number {
  if (d === "bool") return v ? -1 : 0;
  return d === "int32" ? v | 0 : new Int32Array(Float32Array.of(v).buffer)[0];
}

/**
 * A constant in four lanes: the mutable global `VK_<bits>` that `constantGlobals` declares and
 * fills once per instance. (V8 rebuilds a v128 constant with several instructions at every use
 * inside a loop, but reads a global with one load; math.ts keeps its constants so too.)
 */
const vectorConst = (d: VectorDType, v: number): string =>
  `VK_${(laneBits(d, v) >>> 0).toString(16).padStart(8, "0")}`;

/**
 * The declarations of the constant globals (`vectorConst`) that `source` reads, and a start-time
 * function filling them, called once: AssemblyScript lines for the module.
 */
export function constantGlobals(source: string): string[] {
  const names = [...new Set(source.match(/\bVK_[0-9a-f]{8}\b/g) ?? [])].sort();
  if (!names.length) return [];
  return [
    ...names.map((n) => `let ${n}: v128 = i32x4.splat(0);`),
    "function initKernelConstants(): void {",
    ...names.map((n) => `  ${n} = i32x4.splat(${parseInt(n.slice(3), 16) | 0});`),
    "}",
    "initKernelConstants();",
  ];
}

/** `a` of dtype `from` converted to `to` (floats truncate into int32; nonzero is true). */
function scalarConvert(a: string, from: DType, to: DType): string {
  if (to === "bool") return `<i32>(${a} != 0)`;
  if (isFloat(to)) return `<${REG[to]}>${a}`;
  return isFloat(from) ? `<i32>(${a})` : a;
}

/**
 * Four lanes converted: to float32 from int32 or bool masks; to int32 from bool masks, or from
 * float32 truncating (saturating, NaN to 0, as the scalar `<i32>` and the eager kernel); to bool
 * masks from float32 or int32 (nonzero, NaN included, is true).
 */
function vectorConvert(a: string, from: DType, to: DType): string | null {
  if (from === "float32" && to === "int32") return `i32x4.trunc_sat_f32x4_s(${a})`;
  if (to === "bool" && (from === "float32" || from === "int32")) {
    const lanes = from === "float32" ? "f32x4" : "i32x4";
    return `${lanes}.ne(${a}, ${lanes}.splat(0))`;
  }
  if (from === "bool" && to === "float32") return `v128.and(${a}, f32x4.splat(1.0))`;
  if (from === "bool" && to === "int32") return `v128.and(${a}, i32x4.splat(1))`;
  return from === "int32" && to === "float32" ? `f32x4.convert_i32x4_s(${a})` : null;
}

/**
 * Node `e` (not a load) as a scalar expression over its operands' expressions `args`, in
 * operand order.
 */
export function renderScalar(e: Expr, args: readonly string[]): string {
  const op = ruleOf(e);
  if (op) return op.rule.scalar(args, op.d);
  switch (e.kind) {
    case "const":
      return scalarConst(e.dtype, e.value);
    case "select":
      return `(${args[0]} != 0 ? ${args[1]} : ${args[2]})`;
    case "convert":
      return scalarConvert(args[0], e.a.dtype, e.dtype);
    case "bitcast":
      return `reinterpret<${REG[e.dtype]}>(${args[0]})`;
    case "shift":
      return `(${args[0]} ${SHIFT_RENDERING[e.op].scalar} ${e.bits})`;
    default:
      throw new Error(`renderScalar: a ${e.kind} node renders as a load`);
  }
}

/**
 * A float32 select that is one `pmin` or `pmax`: `b < a ? b : a` is `pmin(a, b)` and
 * `a < b ? b : a` is `pmax(a, b)`, lane by lane and bit for bit (NaN `a` passes through, as the
 * comparison fails); otherwise null. (The comparison, then without users, is left to the
 * compiler to drop.)
 */
function pminPmax(e: Extract<Expr, { kind: "select" }>, args: readonly string[]): string | null {
  const c = e.cond;
  if (e.dtype !== "float32" || c.kind !== "compare" || c.op !== "lt") return null;
  if (c.a === e.onTrue && c.b === e.onFalse) return `f32x4.pmin(${args[2]}, ${args[1]})`;
  if (c.b === e.onTrue && c.a === e.onFalse) return `f32x4.pmax(${args[2]}, ${args[1]})`;
  return null;
}

/** Node `e` (not a load) as a four-lane expression over `args`, or null when it has none. */
export function renderVector(e: Expr, args: readonly string[]): string | null {
  const op = ruleOf(e);
  if (op) return isVector(op.d) ? op.rule.vector[op.d]?.(args) ?? null : null;
  if (!isVector(e.dtype)) return null;
  switch (e.kind) {
    case "const":
      return vectorConst(e.dtype, e.value);
    case "select":
      // Bool lanes are whole masks, where relaxed_laneselect is bitselect in one instruction.
      return pminPmax(e, args) ?? `i32x4.relaxed_laneselect(${args[1]}, ${args[2]}, ${args[0]})`;
    case "convert":
      return vectorConvert(args[0], e.a.dtype, e.dtype);
    case "bitcast":
      return args[0];
    case "shift":
      return `${SHIFT_RENDERING[e.op].vector}(${args[0]}, ${e.bits})`;
    default:
      return null;
  }
}

/** A scalar load of a `d` element at byte address `addr`, as a register value. */
export function scalarLoad(d: DType, addr: string): string {
  const raw = `load<${MEM[d]}>(${addr})`;
  return d === "bool" ? `<i32>${raw}` : raw;
}

/** A scalar store of register value `value` (of type `REG[d]`) as a `d` element at `addr`. */
export const scalarStore = (d: DType, addr: string, value: string): string =>
  `store<${MEM[d]}>(${addr}, ${value});`;

/** Lane masks (0 or -1) of four bools at `addr`: bytes widened to lanes, then negated. */
const boolLoad = (addr: string) =>
  `i32x4.neg(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(${addr}))))`;

/**
 * Four `d` elements at `addr` in `pattern`, with any statements they need first (a pairs load
 * reads its two elements into register `temp`).
 */
export function vectorLoad(
  d: DType,
  pattern: LoadPattern,
  addr: string,
  temp: string,
): { setup: string[]; expr: string } {
  if (pattern === "contiguous") {
    return { setup: [], expr: d === "bool" ? boolLoad(addr) : `v128.load(${addr})` };
  }
  if (pattern === "splat") {
    const expr = d === "bool"
      // Its four copies make a lane nonzero exactly when it is true.
      ? `i32x4.ne(v128.load8_splat(${addr}), i32x4.splat(0))`
      : `v128.load32_splat(${addr})`;
    return { setup: [], expr };
  }
  return {
    setup: [`const ${temp} = v128.load64_zero(${addr});`],
    expr: `i32x4.shuffle(${temp}, ${temp}, 0, 0, 1, 1)`,
  };
}

/** Stores four lanes of `d` at `addr` (bool masks as bytes 0 or 1). */
export function vectorStore(d: DType, addr: string, value: string): string {
  if (d !== "bool") return `v128.store(${addr}, ${value});`;
  const ones = `v128.and(${value}, i32x4.splat(1))`;
  const bytes = `i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(${ones}, ${ones}), i16x8.splat(0))`;
  return `v128.store32_lane(${addr}, ${bytes}, 0);`;
}

/** Each reduction's step combining the accumulated value and a new one, in scalar code. */
export const SCALAR_REDUCE: Readonly<Record<ReduceOp, ScalarForm>> = {
  add: infix("+"),
  max: BINARY_RENDERING.max.scalar,
  min: BINARY_RENDERING.min.scalar,
};

/** The f32x4 combine step of each reduction. */
export const VECTOR_REDUCE: Readonly<Record<ReduceOp, string>> = {
  add: "f32x4.add",
  max: "f32x4.max",
  min: "f32x4.min",
};

/**
 * What this renderer vectorises: nodes with a vector form, float32, int32 and bool loads (bool
 * not in pairs), float32 reductions in every pattern.
 */
export const ASSEMBLYSCRIPT_VECTOR: VectorTarget = {
  node: (e) => renderVector(e, operands(e).map(() => "")) !== null,
  load: (d, pattern) => isVector(d) && !(d === "bool" && pattern === "pairs"),
  reduce: (d) => d === "float32",
};
