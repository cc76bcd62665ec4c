/**
 * The AssemblyScript renderer of kernel IR expressions: each node as a scalar expression (f32,
 * f64 or i32 registers, bool an i32 0 or 1) or, where the tables below say it has one, as v128
 * expressions on four lanes (`Lanes`: one f32x4 or i32x4, bool as lane masks, all ones or zero;
 * float64 as two f64x2), and the loads and stores that move elements between memory and
 * registers (bools 16 at a time, one byte each, where a wide loop has 16 of them). Math, float32
 * and float64, is IR expressions (math_definitions.ts, math_definitions_f64.ts), and `fma` is
 * `relaxed_madd` on one splatted lane in scalar code, so the eager kernels, the vector loops and
 * the scalar ones give the same bits. Vector constants are globals (`constantGlobals`).
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import {
  type BinaryOp,
  type CompareOp,
  type Expr,
  operands,
  type ReduceOp,
  type ShiftOp,
  type UnaryOp,
} from "../lowering/kernel_ir.ts";
import type { LoadPattern, LoopMode, VectorTarget } from "../lowering/vectorize.ts";

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

/**
 * Four lanes of a value in vector code: one v128 expression (float32, int32, bool masks) or,
 * for float64, two (lanes 0-1, then 2-3).
 */
export type Lanes = readonly string[];

/** How many v128 registers hold four lanes of each dtype. */
const PARTS: Readonly<Record<DType, 1 | 2>> = {
  float32: 1,
  float64: 2,
  int32: 1,
  bool: 1,
};

/** The registers holding four lanes of a `d` value named `name` (float64: `name`a, `name`b). */
export const partNames = (name: string, d: DType): Lanes =>
  PARTS[d] === 1 ? [name] : [`${name}a`, `${name}b`];

/** A scalar form: the expression over operand expressions of dtype `d`. */
export type ScalarForm = (args: readonly string[], d: DType) => string;
/** A vector form over one v128 of each operand (applied to each of a float64's two). */
export type VectorForm = (args: readonly string[]) => string;

/** How an operation renders: its scalar form and, per dtype, its vector form or null. */
export interface Rendering {
  /** The scalar form, for every dtype the operation takes. */
  readonly scalar: ScalarForm;
  /** The vector form over operands of each dtype; null: none (the loop stays scalar). */
  readonly vector: { readonly [D in DType]: VectorForm | null };
}

const isFloat = (d: DType) => d === "float32" || d === "float64";
const lib = (d: DType) => (d === "float64" ? "Math" : "Mathf");
const call = (fn: string): ScalarForm => ([a], d) => `${lib(d)}.${fn}(${a})`;
const vcall = (fn: string): VectorForm => (args) => `${fn}(${args.join(", ")})`;
const infix = (op: string): ScalarForm => ([a, b]) => `(${a} ${op} ${b})`;

/** No vector form at any dtype. */
const NONE = { float32: null, float64: null, int32: null, bool: null };
/** Vector forms for the floats (`f32x4.<op>`, `f64x2.<op>`). */
const floats = (op: string) => ({
  ...NONE,
  float32: vcall(`f32x4.${op}`),
  float64: vcall(`f64x2.${op}`),
});
/** Vector forms for the floats and int32 (`i32x4.<i32>`). */
const numeric = (op: string, i32: string) => ({ ...floats(op), int32: vcall(`i32x4.${i32}`) });
/** Bitwise forms for int32 and bool masks. */
const bitwise = (fn: string) => ({ ...NONE, int32: vcall(fn), bool: vcall(fn) });

/**
 * An int32 operation without a v128 instruction (wasm shifts all lanes by one count): the scalar
 * form, and in vector code the scalar form on each lane's operands, the lanes put back together.
 */
function lanewise(scalar: (args: readonly string[]) => string): Rendering {
  const lane = (args: readonly string[], l: number) =>
    scalar(args.map((a) => `i32x4.extract_lane(${a}, ${l})`));
  const vector: VectorForm = (args) =>
    [1, 2, 3].reduce(
      (v, l) => `i32x4.replace_lane(${v}, ${l}, ${lane(args, l)})`,
      `i32x4.splat(${lane(args, 0)})`,
    );
  return { scalar, vector: { ...NONE, int32: vector } };
}

/** Each unary operation. */
export const UNARY_RENDERING: Readonly<Record<UnaryOp, Rendering>> = {
  neg: { scalar: ([a]) => `(-${a})`, vector: numeric("neg", "neg") },
  abs: {
    scalar: ([a], d) => (isFloat(d) ? `${lib(d)}.abs(${a})` : `abs<i32>(${a})`),
    vector: numeric("abs", "abs"),
  },
  sqrt: { scalar: call("sqrt"), vector: floats("sqrt") },
  floor: { scalar: call("floor"), vector: floats("floor") },
  ceil: { scalar: call("ceil"), vector: floats("ceil") },
  // Half to even, as the primitive.
  round: { scalar: ([a], d) => `nearest<${REG[d]}>(${a})`, vector: floats("nearest") },
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
    vector: floats("div"),
  },
  // Float % is fmod (exact); int32 % by 0 would trap, and gives the dividend.
  rem: {
    scalar: ([a, b], d) => (isFloat(d) ? `(${a} % ${b})` : `(${b} == 0 ? ${a} : ${a} % ${b})`),
    vector: NONE,
  },
  max: { scalar: ([a, b], d) => `max<${REG[d]}>(${a}, ${b})`, vector: numeric("max", "max_s") },
  min: { scalar: ([a, b], d) => `min<${REG[d]}>(${a}, ${b})`, vector: numeric("min", "min_s") },
  and: { scalar: infix("&"), vector: bitwise("v128.and") },
  or: { scalar: infix("|"), vector: bitwise("v128.or") },
  xor: { scalar: infix("^"), vector: { ...NONE, int32: vcall("v128.xor") } },
  // By an operand: `<u32>b < 32` is the amount in [0, 31]; outside it every bit shifts out.
  shl: lanewise(([a, b]) => `(<u32>${b} < 32 ? ${a} << ${b} : 0)`),
  shr: lanewise(([a, b]) => `(${a} >> (<u32>${b} < 32 ? ${b} : 31))`),
  shru: lanewise(([a, b]) => `(<u32>${b} < 32 ? ${a} >>> ${b} : 0)`),
};

/** A comparison: an i32 0/1 in scalar code, a lane mask in vector code. */
const comparison = (op: string, f32: string, i32: string, bool: string | null): Rendering => ({
  scalar: ([a, b]) => `<i32>(${a} ${op} ${b})`,
  vector: {
    float32: vcall(`f32x4.${f32}`),
    float64: vcall(`f64x2.${f32}`),
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
 * `a * b + c`: `relaxed_madd`, fused on FMA hardware (x86-64's V8 emits `vfmadd`), on four lanes
 * or on one splatted lane in scalar code; float64 as f64x2.
 */
const FMA: Rendering = {
  scalar: ([a, b, c], d) => {
    const v = d === "float64" ? "f64x2" : "f32x4";
    const splat = (x: string) => `${v}.splat(${x})`;
    return `${v}.extract_lane(${v}.relaxed_madd(${splat(a)}, ${splat(b)}, ${splat(c)}), 0)`;
  },
  vector: { ...NONE, float32: vcall("f32x4.relaxed_madd"), float64: vcall("f64x2.relaxed_madd") },
};

/** Each shift of int32 bits by a constant count (`>>` on i32 keeps the sign, `>>>` not). */
const SHIFT_RENDERING: Readonly<Record<ShiftOp, { scalar: string; vector: string }>> = {
  shl: { scalar: "<<", vector: "i32x4.shl" },
  shr: { scalar: ">>", vector: "i32x4.shr_s" },
  shru: { scalar: ">>>", vector: "i32x4.shr_u" },
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
    case "fma":
      return { rule: FMA, d: e.dtype };
    default:
      return null;
  }
}

/** A number as AssemblyScript source. */
function numberText(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  return v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : String(v);
}

/** A scalar constant of dtype `d`. */
export const scalarConst = (d: DType, v: number): string => `<${REG[d]}>(${numberText(v)})`;

/** The 32 bits of each lane of a constant `v` of dtype `d` (not float64). */
function laneBits(d: DType, v: number): number {
  if (d === "bool") return v ? -1 : 0;
  return d === "int32" ? v | 0 : new Int32Array(Float32Array.of(v).buffer)[0];
}

/**
 * The AssemblyScript of a module of prebuilt kernels (rendered functions) that `deno task
 * build:kernels` writes, rendered by `from`: a header saying so, the constant globals the
 * kernels read, then the kernels.
 */
export function generatedModule(kernels: readonly string[], from: string): string {
  return [
    `// Generated by \`deno task build:kernels\` from the kernel IR (${from}).`,
    "// Do not edit.",
    "",
    ...constantGlobals(kernels.join("\n")),
    "",
    ...kernels,
    "",
  ].join("\n");
}

/**
 * The declarations of the constant globals (`vectorConst`) that `source` reads, and a start-time
 * function filling them, called once: AssemblyScript lines for the module.
 */
export function constantGlobals(source: string): string[] {
  const found = source.match(/\bVK_(?:[0-9a-f]{32}|[0-9a-f]{16}|[0-9a-f]{8})\b/g) ?? [];
  const names = [...new Set(found)].sort();
  if (!names.length) return [];
  const lane = (hex: string) => parseInt(hex, 16) | 0;
  const fill = (n: string) =>
    n.length === 11
      ? `i32x4.splat(${lane(n.slice(3))})`
      : n.length === 19
      ? `i64x2.splat(<i64>${BigInt.asIntN(64, BigInt(`0x${n.slice(3)}`))})`
      : `i32x4(${[0, 1, 2, 3].map((p) => lane(n.slice(3 + 8 * p, 11 + 8 * p))).join(", ")})`;
  return [
    ...names.map((n) => `let ${n}: v128 = i32x4.splat(0);`),
    "function initKernelConstants(): void {",
    ...names.map((n) => `  ${n} = ${fill(n)};`),
    "}",
    "initKernelConstants();",
  ];
}

/** The v128 lane shape holding each dtype in vector code (bool masks as i32x4). */
const SHAPE: Readonly<Record<DType, string>> = {
  float32: "f32x4",
  float64: "f64x2",
  int32: "i32x4",
  bool: "i32x4",
};

/**
 * A constant in four lanes: the mutable global `VK_<bits>` (8 hex digits for 32-bit lanes, 16
 * for float64's, both halves one global) that `constantGlobals` declares and fills once per
 * instance (V8 rebuilds a v128 constant with several instructions at every use inside a loop,
 * but reads a global with one load; math.ts keeps its constants so too).
 */
function vectorConst(d: DType, v: number): Lanes {
  if (d === "float64") return Array(PARTS[d]).fill(`VK_${float64Bits(v)}`);
  return [`VK_${hex32(laneBits(d, v))}`];
}

/** The 32 bits of `v` as 8 hex digits. */
const hex32 = (v: number): string => (v >>> 0).toString(16).padStart(8, "0");

/** Four int32 lanes holding `lanes`, a global as `vectorConst`'s (32 hex digits, lane 0 first). */
const laneConst = (lanes: readonly number[]): string => `VK_${lanes.map(hex32).join("")}`;

/** The 64 bits of float64 `v`, as 16 hex digits. */
function float64Bits(v: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  return view.getBigUint64(0).toString(16).padStart(16, "0");
}

/** Four lanes of 64-bit masks (two f64x2 comparisons) as four 32-bit ones. */
const masks64To32 = ([a, b]: Lanes): string => `i32x4.shuffle(${a}, ${b}, 0, 2, 4, 6)`;
/** Four 32-bit lane masks as 64-bit ones, for the two halves of float64 lanes. */
const masks32To64 = (m: string): Lanes => [
  `i64x2.extend_low_i32x4_s(${m})`,
  `i64x2.extend_high_i32x4_s(${m})`,
];
/** The upper two 32-bit lanes of `a`, moved down. */
const upper = (a: string) => `i32x4.shuffle(${a}, ${a}, 2, 3, 0, 1)`;
/** The lower two 32-bit lanes of `a`, then those of `b`. */
const lowers = (a: string, b: string) => `i32x4.shuffle(${a}, ${b}, 0, 1, 4, 5)`;

/** Float64 lanes by `fn` (low two 32-bit lanes to an f64x2) on each half of `a`'s four. */
const toPair = (fn: string) => ([a]: Lanes): Lanes => [`${fn}(${a})`, `${fn}(${upper(a)})`];
/** Four 32-bit lanes by `fn` (an f64x2 to two low 32-bit lanes) on each float64 half. */
const fromPair = (fn: string) => ([a, b]: Lanes): Lanes => [lowers(`${fn}(${a})`, `${fn}(${b})`)];

/**
 * Conversions between the numeric dtypes: floats to int32 truncate, saturating with NaN to 0
 * (as the scalar `<i32>` and ref).
 */
const NUMERIC_CONVERT: Readonly<Record<string, (a: Lanes) => Lanes>> = {
  "float32>int32": ([a]) => [`i32x4.trunc_sat_f32x4_s(${a})`],
  "int32>float32": ([a]) => [`f32x4.convert_i32x4_s(${a})`],
  "float32>float64": toPair("f64x2.promote_low_f32x4"),
  "int32>float64": toPair("f64x2.convert_low_i32x4_s"),
  "float64>float32": fromPair("f32x4.demote_f64x2_zero"),
  "float64>int32": fromPair("i32x4.trunc_sat_f64x2_s_zero"),
};

/**
 * Four lanes converted: as `NUMERIC_CONVERT` between numeric dtypes; to bool masks, nonzero
 * (NaN included) is true; from bool masks, true is 1.
 */
function vectorConvert(a: Lanes, from: DType, to: DType): Lanes {
  if (to === "bool") {
    const ne = a.map((p) => `${SHAPE[from]}.ne(${p}, ${SHAPE[from]}.splat(0))`);
    return from === "float64" ? [masks64To32(ne)] : ne;
  }
  if (from === "bool") {
    const one = `${SHAPE[to]}.splat(${scalarConst(to, 1)})`;
    return (to === "float64" ? masks32To64(a[0]) : a).map((m) => `v128.and(${m}, ${one})`);
  }
  return NUMERIC_CONVERT[`${from}>${to}`](a);
}

/** `a` of dtype `from` converted to `to` (floats truncate into int32; nonzero is true). */
function scalarConvert(a: string, from: DType, to: DType): string {
  if (to === "bool") return `<i32>(${a} != 0)`;
  if (isFloat(to)) return `<${REG[to]}>${a}`;
  return isFloat(from) ? `<i32>(${a})` : a;
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
    case "param":
      return paramName(e.param);
    case "index":
      return indexName(e.axis);
    case "select":
      return `(${args[0]} != 0 ? ${args[1]} : ${args[2]})`;
    case "convert":
      return scalarConvert(args[0], e.a.dtype, e.dtype);
    case "bitcast":
      return `reinterpret<${REG[e.dtype]}>(${args[0]})`;
    case "shift":
      return `(${args[0]} ${SHIFT_RENDERING[e.op].scalar} ${e.bits})`;
    case "highWord":
      return `<i32>(reinterpret<i64>(${args[0]}) >>> 32)`;
    case "withHighWord":
      return `reinterpret<f64>((reinterpret<i64>(${args[0]}) & <i64>0xffffffff) | (<i64>${
        args[1]
      } << 32))`;
    default:
      throw new Error(`renderScalar: a ${e.kind} node renders as a load`);
  }
}

/**
 * A float select that is one `pmin` or `pmax` (per f64x2 half for float64): `b < a ? b : a` is
 * `pmin(a, b)` and `a < b ? b : a` is `pmax(a, b)`, lane by lane and bit for bit (NaN `a` passes
 * through, as the comparison fails); otherwise null. (The comparison, then without users, is
 * left to the compiler to drop.)
 */
function pminPmax(e: Extract<Expr, { kind: "select" }>, args: readonly Lanes[]): Lanes | null {
  const c = e.cond;
  if (!isFloat(e.dtype) || c.kind !== "compare" || c.op !== "lt") return null;
  const [onTrue, onFalse] = [args[1], args[2]];
  const each = (fn: string) => onTrue.map((t, p) => `${SHAPE[e.dtype]}.${fn}(${onFalse[p]}, ${t})`);
  if (c.a === e.onTrue && c.b === e.onFalse) return each("pmin");
  if (c.b === e.onTrue && c.a === e.onFalse) return each("pmax");
  return null;
}

/**
 * The loop index of axis `axis` in the loops of the code generators (fused_codegen.ts,
 * loop_codegen.ts), which an `index` node reads: in a kernel whose runtime offsets its addresses
 * by a task's range of axis 0 and passes `[0, hi - lo)` (an eager sized kernel's), along axis 0
 * the coordinate within that range.
 */
export const indexName = (axis: number): string => `i${axis}`;

/**
 * Where a vector step lies in its kernel's space, for the lanes of its `index` nodes: the
 * space's rank, the step's mode, and (copy `copy` of a wide body) how many fours on from the
 * loop index it is.
 */
export interface VectorStep {
  /** The rank of the space. */
  readonly rank: number;
  /** How the step covers four elements (vectorize.ts). */
  readonly mode: LoopMode;
  /** Copy `copy` of a wide body: the `copy`-th four after the loop index's. */
  readonly copy?: number;
}

/**
 * The four lanes of the coordinate along `axis` at vector step `step`: along the innermost axis
 * of a lanes step the loop index plus 0 to 3 (4 * `copy` more in a wide body's copy); of a pairs
 * step (two steps p, p + 1 of the axis before the innermost, of 2) 0, 1, 0, 1 along the
 * innermost and p, p, p + 1, p + 1 along the one before; the loop index in every lane elsewhere.
 */
function indexLanes(axis: number, { rank, mode, copy = 0 }: VectorStep): Lanes {
  const at = `i32x4.splat(${indexName(axis)})`;
  const last = rank - 1;
  if (mode === "lanes" && axis === last) {
    return [`i32x4.add(${at}, ${laneConst([0, 1, 2, 3].map((p) => 4 * copy + p))})`];
  }
  if (mode === "pairs" && axis === last) return [laneConst([0, 1, 0, 1])];
  if (mode === "pairs" && axis === last - 1) {
    return [`i32x4.add(${at}, ${laneConst([0, 0, 1, 1])})`];
  }
  return [at];
}

/**
 * Node `e` (not a load) as four lanes over its operands' `args`, or null when it has no vector
 * form (an `index` node has one only at a `step`). Float64 operations apply their f64x2 form to
 * each half; a float64 comparison joins its halves' masks, and a float64 select widens its
 * condition's.
 */
export function renderVector(e: Expr, args: readonly Lanes[], step?: VectorStep): Lanes | null {
  const op = ruleOf(e);
  if (op) {
    const form = op.rule.vector[op.d];
    if (!form) return null;
    const halves = Array.from({ length: PARTS[op.d] }, (_, p) => form(args.map((a) => a[p])));
    return e.kind === "compare" && halves.length === 2 ? [masks64To32(halves)] : halves;
  }
  switch (e.kind) {
    case "const":
      return vectorConst(e.dtype, e.value);
    case "param":
      return Array(PARTS[e.dtype]).fill(`v${paramName(e.param)}`);
    case "index":
      return step ? indexLanes(e.axis, step) : null;
    case "select": {
      const [cond, onTrue, onFalse] = args;
      const masks = PARTS[e.dtype] === 2 ? masks32To64(cond[0]) : cond;
      // Masks are whole lanes, where relaxed_laneselect is bitselect in one instruction.
      return pminPmax(e, args) ??
        masks.map((m, p) => `i32x4.relaxed_laneselect(${onTrue[p]}, ${onFalse[p]}, ${m})`);
    }
    case "convert":
      return vectorConvert(args[0], e.a.dtype, e.dtype);
    case "bitcast":
      return args[0];
    case "shift":
      return [`${SHIFT_RENDERING[e.op].vector}(${args[0][0]}, ${e.bits})`];
    case "highWord": {
      // The odd 32-bit lanes of the two f64x2 (little-endian: each float64's high word).
      const [a, b] = args[0];
      return [`i32x4.shuffle(${a}, ${b}, 1, 3, 5, 7)`];
    }
    case "withHighWord": {
      const [[a, b], [h]] = args;
      return [`i32x4.shuffle(${a}, ${h}, 0, 4, 2, 5)`, `i32x4.shuffle(${b}, ${h}, 0, 6, 2, 7)`];
    }
    default:
      return null;
  }
}

/** The argument holding run-time parameter `i` of a kernel (kernel_ir.ts `param`). */
export const paramName = (i: number): string => `p${i}`;

/**
 * The declaration of parameter `i` of dtype `d` as the v128 its vector code reads (`renderVector`
 * of a `param` node; bool as lane masks), made once before the loops.
 */
export function paramSplat(d: DType, i: number): string {
  const p = paramName(i);
  return `const v${p} = ${SHAPE[d]}.splat(${d === "bool" ? `-${p}` : p});`;
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
 * Four `d` elements at `addr` plus `offset` bytes in `pattern`, with any statements they need
 * first (a pairs load of 32-bit elements reads its two into register `temp`).
 */
export function vectorLoad(
  d: DType,
  pattern: LoadPattern,
  addr: string,
  temp: string,
  offset = 0,
): { setup: string[]; lanes: Lanes } {
  const only = (lanes: Lanes) => ({ setup: [], lanes });
  const at = (bytes: number) => (bytes ? `${addr}, ${bytes}` : addr);
  if (d === "float64") {
    if (pattern === "contiguous") {
      return only([`v128.load(${at(offset)})`, `v128.load(${at(offset + 16)})`]);
    }
    const second = pattern === "splat" ? offset : offset + 8;
    return only([`v128.load64_splat(${at(offset)})`, `v128.load64_splat(${at(second)})`]);
  }
  if (pattern === "contiguous") {
    return only([d === "bool" ? boolLoad(at(offset)) : `v128.load(${at(offset)})`]);
  }
  if (pattern === "splat") {
    return only([
      d === "bool"
        // Its four copies make a lane nonzero exactly when it is true.
        ? `i32x4.ne(v128.load8_splat(${at(offset)}), i32x4.splat(0))`
        : `v128.load32_splat(${at(offset)})`,
    ]);
  }
  return {
    setup: [`const ${temp} = v128.load64_zero(${addr});`],
    lanes: [`i32x4.shuffle(${temp}, ${temp}, 0, 0, 1, 1)`],
  };
}

/** Stores four lanes of `d` at `addr` plus `offset` bytes (bool masks as bytes 0 or 1). */
export function vectorStore(d: DType, addr: string, value: Lanes, offset = 0): string {
  const imm = (bytes: number) => (bytes ? `, ${bytes}` : "");
  if (d !== "bool") {
    return value.map((v, p) => `v128.store(${addr}, ${v}${imm(offset + 16 * p)});`).join(" ");
  }
  const ones = `v128.and(${value[0]}, i32x4.splat(1))`;
  const bytes = `i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(${ones}, ${ones}), i16x8.splat(0))`;
  return `v128.store32_lane(${addr}, ${bytes}, 0${imm(offset)});`;
}

/**
 * Sixteen bools at `addr` (one v128 load) as the lane masks of four fours, in order, for a wide
 * loop; the statements first name its bytes as masks (`temp`) and their halves.
 */
export function boolLoad16(addr: string, temp: string): { setup: string[]; fours: Lanes } {
  const [lo, hi] = [`${temp}l`, `${temp}h`];
  return {
    setup: [
      `const ${temp} = i8x16.neg(v128.load(${addr}));`,
      `const ${lo} = i16x8.extend_low_i8x16_s(${temp}), ${hi} = i16x8.extend_high_i8x16_s(${temp});`,
    ],
    fours: [lo, hi].flatMap((
      h,
    ) => [`i32x4.extend_low_i16x8_s(${h})`, `i32x4.extend_high_i16x8_s(${h})`]),
  };
}

/** Stores the lane masks of four fours at `addr` as 16 bools (one v128 store). */
export function boolStore16(addr: string, fours: Lanes): string {
  const [a, b, c, d] = fours;
  const bytes =
    `i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(${a}, ${b}), i16x8.narrow_i32x4_s(${c}, ${d}))`;
  return `v128.store(${addr}, i8x16.neg(${bytes}));`;
}

/**
 * `n` (4 or 16) bools as the low bytes of a v128, for a move that keeps them bytes (0 or 1)
 * instead of lane masks: read at `addr` plus `offset` bytes (`contiguous`), one byte copied to
 * every lane (`splat`), or a bool parameter's value copied so.
 */
export function boolBytes(
  from: { addr: string; pattern: "contiguous" | "splat"; offset: number } | { param: string },
  n: 4 | 16,
): string {
  if ("param" in from) return `i8x16.splat(<u8>${from.param})`;
  const at = from.offset ? `${from.addr}, ${from.offset}` : from.addr;
  if (from.pattern === "splat") return `v128.load8_splat(${at})`;
  return n === 16 ? `v128.load(${at})` : `v128.load32_zero(${at})`;
}

/** Stores the low `n` (4 or 16) bytes of `bytes` (`boolBytes`) at `addr` plus `offset` bytes. */
export function boolBytesStore(addr: string, bytes: string, n: 4 | 16, offset = 0): string {
  const imm = offset ? `, ${offset}` : "";
  return n === 16
    ? `v128.store(${addr}, ${bytes}${imm});`
    : `v128.store32_lane(${addr}, ${bytes}, 0${imm});`;
}

/** Each reduction's step combining the accumulated value and a new one, in scalar code. */
export const SCALAR_REDUCE: Readonly<Record<ReduceOp, ScalarForm>> = {
  add: infix("+"),
  mul: infix("*"),
  max: BINARY_RENDERING.max.scalar,
  min: BINARY_RENDERING.min.scalar,
};

/**
 * The v128 combine step of a reduction by `op` of the lanes of `d` (float32, int32, float64, and
 * bool masks: max any, `v128.or`; min all, `v128.and`), and the lane type it reads them as.
 */
export function vectorReduce(op: ReduceOp, d: DType): { combine: string; lanes: string } {
  const lanes = d === "float32" ? "f32x4" : d === "float64" ? "f64x2" : "i32x4";
  if (d === "bool" && op !== "add") {
    return { combine: op === "max" ? "v128.or" : "v128.and", lanes };
  }
  const suffix = d !== "int32" || op === "add" || op === "mul" ? op : `${op}_s`;
  return { combine: `${lanes}.${suffix}`, lanes };
}

/**
 * What this renderer vectorises: nodes with a vector form (`index` nodes at every step), loads
 * and stores of every dtype (bool not in pairs), float32 reductions in every pattern.
 */
export const ASSEMBLYSCRIPT_VECTOR: VectorTarget = {
  node: (e) =>
    e.kind === "index" || renderVector(e, operands(e).map((a) => partNames("", a.dtype))) !== null,
  load: (d, pattern) => !(d === "bool" && pattern === "pairs"),
  reduce: (d) => d === "float32",
};

/**
 * What this renderer vectorises in the eager reduction kernels (one_op_reduction.ts): also
 * int32 reductions, whose wrapping sums, products, maxima and minima come out the same in any
 * order, and float64 ones into four consecutive outputs (in the scalar loop's order), float64 maxima and
 * minima across lanes, and bool maxima and minima (any, all) into four consecutive outputs, so
 * that these kernels give the bits of the scalar loop (and of jit's); and float32 sums and
 * products accumulated in float64 across lanes too, in four partial results (two f64x2), as
 * the hand-written kernels they replace did.
 */
export const EAGER_REDUCTION_VECTOR: VectorTarget = {
  ...ASSEMBLYSCRIPT_VECTOR,
  reduce: (d, op, pattern, output) =>
    d === "float32" || d === "int32" || (d === "bool" && op !== "add" && pattern === "lanes") ||
    (d === "float64" && (pattern === "lanes" ||
      ((op === "max" || op === "min" || output === "float32") && pattern === "across"))),
};
