/**
 * The WGSL renderer of the kernel IR's scalar expressions: each node of a DAG becomes one `let`
 * (so a value used many times is computed once), operations are rendered from one table per
 * kind, typed as exhaustive over the IR's operations and keyed by the operand dtypes each takes.
 * float32 is `f32`, int32 is `i32` and bool is `u32` 0 or 1 (as WebGPU buffers store them).
 *
 * Where WGSL's builtins differ from the IR's semantics (kernel_ir.ts), the table calls the
 * helpers of wgsl_math.ts instead: NaN-propagating `max_f`/`min_f`, `sqrt_f` outside its
 * domain, C's fmod (`rem_f`, and `rem_i`, since GL's `%` of negative ints is undefined),
 * JavaScript's float-to-int conversion (`f32_to_i32`). Math functions are IR definitions
 * (math_definitions.ts), never WGSL's builtins. A kernel's source passes through `withHelpers`,
 * which prepends the helpers it calls.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { AdjointError } from "../../core/errors.ts";
import {
  type BinaryOp,
  type CompareOp,
  type Expr,
  type ExprKind,
  operands,
  reduceIdentity,
  type ReduceOp,
  type ShiftOp,
  topologicalOrder,
  type UnaryOp,
} from "../lowering/kernel_ir.ts";
import { type GpuDType, gpuDType, literal, SCALAR } from "./wgsl.ts";

/** An operation's WGSL over its operands' WGSL expressions. */
export type Render = (args: readonly string[]) => string;

/** An operation's WGSL for each operand dtype it takes. */
export type ByDtype = Readonly<Partial<Record<GpuDType, Render>>>;

const call = (fn: string): Render => (args) => `${fn}(${args.join(", ")})`;
const infix = (op: string): Render => ([x, y]) => `(${x} ${op} ${y})`;
const prefix = (op: string): Render => ([x]) => `(${op}${x})`;
const same = (r: Render): ByDtype => ({ float32: r, int32: r });

/** WGSL of each unary operation, by operand dtype. */
export const UNARY_WGSL: Readonly<Record<UnaryOp, ByDtype>> = {
  neg: same(prefix("-")),
  abs: same(call("abs")),
  sqrt: { float32: call("sqrt_f") },
  floor: { float32: call("floor") },
  ceil: { float32: call("ceil") },
  // WGSL's round is half to even, as the IR's.
  round: { float32: call("round") },
  not: { int32: prefix("~"), bool: ([x]) => `(1u - ${x})` },
};

/** Whether the i32 shift amount `s` lies in `[0, 32)`. */
const inRange = (s: string) => `(bitcast<u32>(${s}) < 32u)`;

/** WGSL of each binary operation, by operand dtype. */
export const BINARY_WGSL: Readonly<Record<BinaryOp, ByDtype>> = {
  add: same(infix("+")),
  sub: same(infix("-")),
  mul: same(infix("*")),
  // WGSL's i32 division gives the dividend for a zero divisor; the IR's gives 0.
  div: { float32: infix("/"), int32: ([x, y]) => `select(${x} / ${y}, 0i, ${y} == 0i)` },
  rem: { float32: call("rem_f"), int32: call("rem_i") },
  max: { float32: call("max_f"), int32: call("max") },
  min: { float32: call("min_f"), int32: call("min") },
  and: { int32: infix("&"), bool: infix("&") },
  or: { int32: infix("|"), bool: infix("|") },
  xor: { int32: infix("^") },
  // WGSL takes the amount modulo 32; the IR shifts every bit out of [0, 31].
  shl: { int32: ([x, s]) => `select(0i, ${x} << bitcast<u32>(${s}), ${inRange(s)})` },
  shr: { int32: ([x, s]) => `(${x} >> select(31u, bitcast<u32>(${s}), ${inRange(s)}))` },
  shru: {
    int32: ([x, s]) =>
      `select(0i, bitcast<i32>(bitcast<u32>(${x}) >> bitcast<u32>(${s})), ${inRange(s)})`,
  },
};

const holds = (op: string): Render => ([x, y]) => `select(0u, 1u, ${x} ${op} ${y})`;

/** WGSL of each comparison (of operands of any one dtype). */
export const COMPARE_WGSL: Readonly<Record<CompareOp, Render>> = {
  eq: holds("=="),
  // Not `x != y`: the GPU compilers make it an ordered comparison, false where x or y is NaN.
  ne: ([x, y]) => `select(1u, 0u, ${x} == ${y})`,
  lt: holds("<"),
  le: holds("<="),
  gt: holds(">"),
  ge: holds(">="),
};

// Not `x != 0` (see `ne`): NaN converts to true.
const nonzero = (zero: string): Render => ([x]) => `select(1u, 0u, ${x} == ${zero})`;
const itself: Render = ([x]) => x;

/** WGSL of `convert`, by operand dtype, then result dtype. */
export const CONVERT_WGSL: Readonly<Record<GpuDType, Readonly<Record<GpuDType, Render>>>> = {
  float32: { float32: itself, int32: call("f32_to_i32"), bool: nonzero("0.0") },
  int32: { float32: call("f32"), int32: itself, bool: nonzero("0i") },
  bool: { float32: call("f32"), int32: call("i32"), bool: itself },
};

/** The entry of `table` for operand dtype `dtype`, or an error naming `op` and the dtype. */
function at(table: ByDtype, op: string, dtype: DType): Render {
  const r = table[gpuDType(op, dtype)];
  if (!r) throw new AdjointError(op, `no WGSL for ${dtype} operands`);
  return r;
}

/** A load node of the IR. */
export type LoadNode = Extract<Expr, { kind: "load" }>;

/** How a kernel renders the leaves of its expressions: loads, and the point's coordinates. */
export interface Leaves {
  /** The WGSL of a load node. */
  load: (e: LoadNode) => string;
  /** The WGSL (an i32) of the point's coordinate along axis `axis` of the space. */
  index: (axis: number) => string;
}

/**
 * How each kind of node renders, given its operands' WGSL and the renderers of leaves. (Every
 * node's own dtype is checked as its `let` is declared, so operands are GPU dtypes here.)
 */
const NODE_WGSL: {
  [K in ExprKind]: (
    e: Extract<Expr, { kind: K }>,
    args: readonly string[],
    leaves: Leaves,
  ) => string;
} = {
  const: (e) => literal(e.value, gpuDType("const", e.dtype)),
  load: (e, _, leaves) => leaves.load(e),
  index: (e, _, leaves) => leaves.index(e.axis),
  // A kernel parameter: the name its shader declares (an override or a uniform).
  param: (e) => `p${e.param}`,
  unary: (e, args) => at(UNARY_WGSL[e.op], e.op, e.a.dtype)(args),
  binary: (e, args) => at(BINARY_WGSL[e.op], e.op, e.a.dtype)(args),
  compare: (e, args) => COMPARE_WGSL[e.op](args),
  select: (_, [c, t, f]) => `select(${f}, ${t}, ${c} != 0u)`,
  convert: (e, args) => CONVERT_WGSL[e.a.dtype as GpuDType][gpuDType("convert", e.dtype)](args),
  fma: (e, args) => at({ float32: call("fma") }, "fma", e.dtype)(args),
  bitcast: (e, [x]) => `bitcast<${SCALAR[gpuDType("bitcast", e.dtype)]}>(${x})`,
  shift: (e, [x]) => SHIFT_WGSL[e.op](x, e.bits),
  // Words of float64s, which WGSL does not have: refused as float64 operands are.
  highWord: (e) => at({}, "highWord", e.a.dtype)([]),
  withHighWord: (e) => at({}, "withHighWord", e.dtype)([]),
};

/** WGSL of each shift by a constant count (`>>` of an i32 copies its sign bit in, of a u32 not). */
const SHIFT_WGSL: Readonly<Record<ShiftOp, (x: string, bits: number) => string>> = {
  shl: (x, bits) => `(${x} << ${bits}u)`,
  shr: (x, bits) => `(${x} >> ${bits}u)`,
  shru: (x, bits) => `bitcast<i32>(bitcast<u32>(${x}) >> ${bits}u)`,
};

/** WGSL statements computing expressions, and the WGSL naming each root's value. */
export interface RenderedExprs {
  /** One `let` per node other than constants, operands first. */
  lines: string[];
  /** The value of each root: a `let`'s name, or a constant's literal. */
  values: string[];
}

/** A kernel without coordinates (a flat one-op program's) has no index nodes. */
const noCoordinates = (axis: number): string => {
  throw new AdjointError("index", `no coordinate along axis ${axis} in this kernel`);
};

/**
 * The WGSL of expressions `roots`, their loads rendered by `load` and their index nodes by
 * `index`; lets are named `t<n>`.
 */
export function renderExprs(
  roots: readonly Expr[],
  load: (e: LoadNode) => string,
  index: (axis: number) => string = noCoordinates,
): RenderedExprs {
  const leaves: Leaves = { load, index };
  const names = new Map<Expr, string>();
  const lines: string[] = [];
  for (const e of topologicalOrder(roots)) {
    const args = operands(e).map((a) => names.get(a)!);
    const rule = NODE_WGSL[e.kind] as (e: Expr, args: readonly string[], leaves: Leaves) => string;
    const wgsl = rule(e, args, leaves);
    if (e.kind === "const") {
      names.set(e, wgsl);
      continue;
    }
    const name = `t${lines.length}`;
    lines.push(`let ${name}: ${SCALAR[gpuDType(e.kind, e.dtype)]} = ${wgsl};`);
    names.set(e, name);
  }
  return { lines, values: roots.map((r) => names.get(r)!) };
}

/** WGSL combining a reduction's partial results, by dtype (bool's max is or, its min and). */
const COMBINE_WGSL: Readonly<Record<ReduceOp, ByDtype>> = {
  add: BINARY_WGSL.add,
  mul: BINARY_WGSL.mul,
  max: { ...BINARY_WGSL.max, bool: BINARY_WGSL.or.bool },
  min: { ...BINARY_WGSL.min, bool: BINARY_WGSL.and.bool },
};

/** WGSL combining partial result `acc` with `x` in reduction `op` over `dtype`. */
export function renderCombine(op: ReduceOp, dtype: DType, acc: string, x: string): string {
  return at(COMBINE_WGSL[op], op, dtype)([acc, x]);
}

/** WGSL of the identity of reduction `op` in `dtype` (the accumulator's starting value). */
export function renderIdentity(op: ReduceOp, dtype: DType): string {
  return literal(reduceIdentity(op, dtype), gpuDType(op, dtype));
}
