/**
 * AssemblyScript code generation for fused kernels: one exported function per kernel, a loop
 * nest over the kernel's iteration space that loads its inputs (broadcast inputs through strided
 * views), evaluates the fused equations in registers, and stores its outputs (a final reduction
 * accumulates into its output). A float32 or int32 kernel whose equations all have f32x4 or
 * i32x4 forms runs its innermost loop four elements at a time (or, when that axis has 2
 * elements, as for 2x2 pooling windows, two steps of the axis before it). Arguments are byte
 * addresses in the shared linear memory, then a range `[lo, hi)` of the outermost axis to run,
 * so that threads can split a kernel (see `splittable`).
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import type {
  BinaryElementwiseName,
  UnaryElementwiseName,
} from "../../core/primitives/elementwise.ts";
import { type Atom, type JaxprEqn, Literal, Var } from "../../core/jaxpr.ts";
import { range, stridesOf } from "../../core/shape.ts";
import type { Kernel } from "../lowering/fusion.ts";
import { MATH_SOURCE } from "./math_source.ts";

/** AssemblyScript register type of each dtype (bool is an i32 0/1, stored as one byte). */
const REG: Record<DType, string> = { float32: "f32", float64: "f64", int32: "i32", bool: "i32" };
/** Storage type of each dtype. */
const MEM: Record<DType, string> = { float32: "f32", float64: "f64", int32: "i32", bool: "u8" };
/** log2 of the element size. */
const SHIFT: Record<DType, number> = { float32: 2, float64: 3, int32: 2, bool: 0 };

const isF = (d: DType) => d === "float32" || d === "float64";
const lib = (d: DType) => (d === "float64" ? "Math" : "Mathf");

type Unary = (a: string, d: DType) => string;
type Binary = (a: string, b: string, d: DType) => string;

const call = (fn: string): Unary => (a, d) => `${lib(d)}.${fn}(${a})`;
const one = (d: DType) => `<${REG[d]}>1`;

/**
 * The float32 special functions of kernels/assembly/math.ts that the eager kernels run, by
 * primitive: the fused kernels call the same ones, on four lanes in vector loops and on one
 * splatted lane in scalar code, so eager and jit give the same bits.
 */
const F32X4_MATH: Record<string, string> = {
  exp: "expF32x4",
  expm1: "expm1F32x4",
  log: "logF32x4",
  log1p: "log1pF32x4",
  tanh: "tanhF32x4",
  logistic: "logisticF32x4",
  erf: "erfF32x4",
  erf_inv: "erfInvF32x4",
  sin: "sinF32x4",
  cos: "cosF32x4",
};

/** A special function: the f32x4 one on a splatted float32, the scalar one otherwise. */
const special = (name: string, f64: Unary): Unary => (a, d) =>
  d === "float32" ? `f32x4.extract_lane(${F32X4_MATH[name]}(f32x4.splat(${a})), 0)` : f64(a, d);

/**
 * Expression of each elementwise primitive, by operand dtype; typed as exhaustive, so an
 * elementwise primitive without a fused expression is a compile error.
 */
const UNARY: Readonly<Record<UnaryElementwiseName | "stop_gradient", Unary>> = {
  neg: (a) => `(-${a})`,
  sin: special("sin", call("sin")),
  cos: special("cos", call("cos")),
  exp: special("exp", call("exp")),
  log: special("log", call("log")),
  log1p: special("log1p", call("log1p")),
  expm1: special("expm1", call("expm1")),
  tanh: special("tanh", call("tanh")),
  sqrt: call("sqrt"),
  floor: call("floor"),
  ceil: call("ceil"),
  logistic: special("logistic", (a) => `logisticF64(${a})`),
  rsqrt: (a, d) => `(${one(d)} / ${lib(d)}.sqrt(${a}))`,
  abs: (a, d) => (isF(d) ? `${lib(d)}.abs(${a})` : `abs<i32>(${a})`),
  sign: (a, d) => `<${REG[d]}>(${a} > 0 ? 1 : ${a} < 0 ? -1 : ${a})`,
  round: (a, d) => `nearest<${REG[d]}>(${a})`, // half to even, as the primitive
  erf: special("erf", (a) => `erfF64(${a})`),
  erf_inv: special("erf_inv", (a) => `erfInvF64(${a})`),
  not: (a, d) => (d === "bool" ? `(${a} ^ 1)` : `(~${a})`),
  stop_gradient: (a) => a,
};

const cmp = (op: string): Binary => (a, b) => `<i32>(${a} ${op} ${b})`;

const BINARY: Readonly<Record<BinaryElementwiseName, Binary>> = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b, d) => isF(d) ? `(${a} / ${b})` : `(${b} == 0 ? 0 : ${b} == -1 ? -${a} : ${a} / ${b})`,
  // In f64 and rounded, as the eager kernel.
  pow: (a, b, d) =>
    d === "float32" ? `<f32>Math.pow(<f64>${a}, <f64>${b})` : `Math.pow(${a}, ${b})`,
  // In f64 and rounded, as the eager kernel and ref.
  atan2: (a, b, d) => `<${REG[d]}>Math.atan2(<f64>${a}, <f64>${b})`,
  // Float % is fmod (exact); int32 % by 0 would trap, and gives x as the primitive says.
  rem: (a, b, d) => isF(d) ? `(${a} % ${b})` : `(${b} == 0 ? ${a} : ${a} % ${b})`,
  max: (a, b, d) => `max<${REG[d]}>(${a}, ${b})`,
  min: (a, b, d) => `min<${REG[d]}>(${a}, ${b})`,
  eq: cmp("=="),
  ne: cmp("!="),
  lt: cmp("<"),
  le: cmp("<="),
  gt: cmp(">"),
  ge: cmp(">="),
  and: (a, b) => `(${a} & ${b})`,
  or: (a, b) => `(${a} | ${b})`,
};

/** The tables, looked up by an equation's primitive name. */
const unaryExpr: Partial<Record<string, Unary>> = UNARY;
const binaryExpr: Partial<Record<string, Binary>> = BINARY;

function convertExpr(a: string, from: DType, to: DType): string {
  if (from === to) return a;
  if (to === "bool") return `<i32>(${a} != 0)`;
  if (isF(to)) return `<${REG[to]}>${a}`;
  if (isF(from)) return `<i32>(${a})`;
  return a;
}

/** Reduction identity and combine step. */
const REDUCE: Record<string, { init: (d: DType) => string; step: Binary }> = {
  reduce_sum: { init: (d) => `<${REG[d]}>0`, step: (a, b) => `(${a} + ${b})` },
  reduce_max: {
    init: (d) => (isF(d) ? `<${REG[d]}>-Infinity` : "i32.MIN_VALUE"),
    step: (a, b, d) => `max<${REG[d]}>(${a}, ${b})`,
  },
  reduce_min: {
    init: (d) => (isF(d) ? `<${REG[d]}>Infinity` : "i32.MAX_VALUE"),
    step: (a, b, d) => `min<${REG[d]}>(${a}, ${b})`,
  },
};

function literal(l: Literal): string {
  const v = l.value;
  const d = l.aval.dtype;
  const text = Number.isNaN(v)
    ? "NaN"
    : v === Infinity
    ? "Infinity"
    : v === -Infinity
    ? "-Infinity"
    : String(v);
  return `<${REG[d]}>(${text})`;
}

/** Byte-offset expression of an element of an array with `strides` (over the space's indices). */
function offsetExpr(strides: number[], shift: number): string {
  const terms = strides.flatMap((s, d) => (s === 0 ? [] : [s === 1 ? `i${d}` : `i${d} * ${s}`]));
  const linear = terms.length ? terms.join(" + ") : "0";
  return shift ? `((${linear}) << ${shift})` : `(${linear})`;
}

/** Strides (over the space) at which a broadcast view reads its operand. */
function viewStrides(e: JaxprEqn, space: readonly number[]): number[] {
  const x = e.inputs[0].aval;
  const xs = stridesOf(x.shape);
  const dims = e.params.dims as number[];
  const out = space.map(() => 0);
  dims.forEach((o, i) => (out[o] = x.shape[i] === 1 ? 0 : xs[i]));
  return out;
}

/**
 * Whether threads may run disjoint ranges of `k`'s outermost axis at once: it has an axis, and no
 * reduction sums over axis 0 (the ranges would then accumulate into the same outputs).
 */
export function splittable(k: Kernel): boolean {
  const space = k.space!;
  return space.length > 0 &&
    k.eqns.every((e) => !REDUCE[e.prim.name] || !(e.params.axes as number[]).includes(0));
}

/** Relative cost of one element of `k`'s space: 1 per equation, 16 per math function call. */
export function elementCost(k: Kernel): number {
  return k.eqns.reduce((sum, e) => sum + (e.prim.properties.mathCall ? 16 : 1), 0);
}

/**
 * The kept axes of a reduction over `space`, and the element strides over the space at which it
 * accumulates into its output (0 along reduced axes).
 */
function reductionStrides(e: JaxprEqn, space: readonly number[]) {
  const axes = e.params.axes as number[];
  const kept = range(space.length).filter((i) => !axes.includes(i));
  const keptStrides = stridesOf(kept.map((i) => space[i]));
  const strides = space.map(() => 0);
  kept.forEach((dim, j) => (strides[dim] = keptStrides[j]));
  return { kept, strides };
}

/**
 * Emits one fused kernel as an exported AssemblyScript function named `name`, taking its input
 * and output addresses and the range `[lo, hi)` of the outermost axis it runs (`[0, 1)` for a
 * kernel without axes).
 */
export function emitFusedKernel(k: Kernel, name: string): string {
  const space = k.space!;
  const names = new Map<Var, string>();
  k.inputs.forEach((v, i) => names.set(v, `in${i}`));
  const reg = (a: Atom): string => (a instanceof Literal ? literal(a) : `r${id(a)}`);
  const ids = new Map<Var, number>();
  const id = (v: Var) => ids.get(v) ?? ids.set(v, ids.size).get(v)!;
  const direct = stridesOf(space);
  const body: string[] = [];
  const loaded = new Set<Var>();
  const load = (v: Var, strides: number[]) => {
    if (loaded.has(v)) return;
    loaded.add(v);
    const d = v.aval.dtype;
    const addr = `${names.get(v)} + ${offsetExpr(strides, SHIFT[d])}`;
    const raw = `load<${MEM[d]}>(${addr})`;
    body.push(`const ${reg(v)}: ${REG[d]} = ${d === "bool" ? `<i32>${raw}` : raw};`);
  };
  const pre: string[] = [];
  const outIndex = new Map<Var, number>();
  k.outputs.forEach((v, i) => outIndex.set(v, i));
  const store = (v: Var) => {
    if (!outIndex.has(v)) return;
    const d = v.aval.dtype;
    const addr = `out${outIndex.get(v)} + ${offsetExpr(direct, SHIFT[d])}`;
    body.push(`store<${MEM[d]}>(${addr}, <${REG[d]}>${reg(v)});`);
  };
  for (const e of k.eqns) {
    const out = e.outBinders[0];
    const d = out.aval.dtype;
    const name0 = e.prim.name;
    if (name0 === "broadcast_in_dim") {
      const src = e.inputs[0];
      if (src instanceof Literal) body.push(`const ${reg(out)}: ${REG[d]} = ${literal(src)};`);
      else {
        const strides = viewStrides(e, space);
        const v = src as Var;
        const addr = `${names.get(v)} + ${offsetExpr(strides, SHIFT[d])}`;
        const raw = `load<${MEM[d]}>(${addr})`;
        body.push(`const ${reg(out)}: ${REG[d]} = ${d === "bool" ? `<i32>${raw}` : raw};`);
      }
      store(out);
      continue;
    }
    for (const a of e.inputs) if (a instanceof Var && names.has(a)) load(a, direct);
    const args = e.inputs.map(reg);
    const inD = e.inputs[0].aval.dtype;
    let expr: string;
    if (REDUCE[name0]) {
      const { kept, strides } = reductionStrides(e, space);
      const o = `out${outIndex.get(out)}`;
      const addr = `${o} + ${offsetExpr(strides, SHIFT[d])}`;
      const size = out.aval.size;
      const { init, step } = REDUCE[name0];
      // Keeping axis 0, a range of it owns a contiguous run of outputs: initialise only those.
      const own = space.length > 0 && space[0] > 0 && kept[0] === 0;
      const row = own ? size / space[0] : 0;
      const [from, to] = own ? [`lo * ${row}`, `hi * ${row}`] : ["0", `${size}`];
      pre.push(
        `for (let j = ${from}; j < ${to}; j++) store<${MEM[d]}>(${o} + (j << ${SHIFT[d]}), ${
          init(d)
        });`,
      );
      body.push(`store<${MEM[d]}>(${addr}, ${step(`load<${MEM[d]}>(${addr})`, args[0], d)});`);
      continue;
    }
    if (name0 === "convert_element_type") expr = convertExpr(args[0], inD, d);
    else if (name0 === "select_n") expr = `(${args[0]} != 0 ? ${args[2]} : ${args[1]})`;
    else if (unaryExpr[name0]) expr = unaryExpr[name0](args[0], inD);
    else if (binaryExpr[name0]) expr = binaryExpr[name0](args[0], args[1], inD);
    else throw new Error(`fused codegen: no expression for ${name0}`);
    body.push(`const ${reg(out)}: ${REG[d]} = ${expr};`);
    store(out);
  }
  const params = [
    ...k.inputs.map((_, i) => `in${i}: usize`),
    ...k.outputs.map((_, i) => `out${i}: usize`),
    "lo: i32",
    "hi: i32",
  ];
  const mode = vectorMode(space);
  const vector = mode ? vectorBody(k, reg, mode) : null;
  if (vector?.kind === "pairs") {
    const [h0, h1] = [0, 1].map((h) => vectorBody(k, reg, "pairs", h)!);
    vector.quad = { halves: [h0.body, h1.body], declare: h0.before, combine: h0.after };
  }
  return [
    `export function ${name}(${params.join(", ")}): void {`,
    ...pre.map((l) => `  ${l}`),
    ...loopNest(space, body, vector),
    `}`,
  ].join("\n");
}

/**
 * How a vector loop covers a space four elements at a time: `lanes`, four steps of its innermost
 * axis; `pairs`, when that axis has 2 elements (the columns of 2x2 pooling windows), two steps of
 * the axis before it. `before` and `after` run around the vector loop (accumulators of
 * reductions over the innermost axis). A pairs loop is preceded by one taking four steps of that
 * axis at a time (`quad`): two halves of the pairs body, whose reductions leave their pairs in
 * registers declared by `declare`, then `combine` adds all four into four consecutive outputs
 * with one vector load and store.
 */
type VectorMode = {
  kind: "lanes" | "pairs";
  body: string[];
  before: string[];
  after: string[];
  quad?: { halves: [string[], string[]]; declare: string[]; combine: string[] };
};

function vectorMode(space: readonly number[]): VectorMode["kind"] | null {
  const last = space.length - 1;
  if (space.length > 0 && space[last] >= 4) return "lanes";
  return space.length >= 3 && space[last] === 2 ? "pairs" : null;
}

/**
 * The loops over `space` around the scalar `body`, the outermost one over `[lo, hi)`; with a
 * vector body, its loop runs four elements at a time (see `VectorMode`) and the scalar body on the
 * remainder (of the range, when that loop is also the outermost).
 */
function loopNest(space: readonly number[], body: string[], vector: VectorMode | null): string[] {
  const indent = (n: number) => "  ".repeat(n);
  const last = space.length - 1;
  const outer = !vector ? space.length : vector.kind === "lanes" ? last : last - 1;
  const bounds = (d: number): [string, string] => (d === 0 ? ["lo", "hi"] : ["0", `${space[d]}`]);
  const lines = space.slice(0, outer).map((_, d) => {
    const [from, to] = bounds(d);
    return `${indent(d + 1)}for (let i${d} = ${from}; i${d} < ${to}; i${d}++) {`;
  });
  const at = indent(outer + 1);
  if (vector?.kind === "lanes") {
    const i = `i${last}`, [from, n] = bounds(last);
    lines.push(...vector.before.map((l) => at + l));
    lines.push(`${at}let ${i} = ${from};`, `${at}for (; ${i} + 4 <= ${n}; ${i} += 4) {`);
    lines.push(...vector.body.map((l) => `${at}  ${l}`), `${at}}`);
    lines.push(...vector.after.map((l) => at + l));
    lines.push(`${at}for (; ${i} < ${n}; ${i}++) {`, ...body.map((l) => `${at}  ${l}`), `${at}}`);
  } else if (vector) {
    const p = `i${last - 1}`, i = `i${last}`, n = space[last - 1];
    lines.push(`${at}let ${p} = 0;`);
    if (vector.quad) {
      const { halves, declare, combine } = vector.quad;
      lines.push(`${at}for (; ${p} + 4 <= ${n}; ${p} += 4) {`, `${at}  const base = ${p};`);
      lines.push(...declare.map((l) => `${at}  ${l}`));
      halves.forEach((half, h) => {
        lines.push(
          `${at}  {`,
          `${at}    const ${p} = base + ${2 * h};`,
          `${at}    const ${i} = 0;`,
        );
        lines.push(...half.map((l) => `${at}    ${l}`), `${at}  }`);
      });
      lines.push(...combine.map((l) => `${at}  ${l}`), `${at}}`);
    }
    lines.push(`${at}for (; ${p} + 2 <= ${n}; ${p} += 2) {`);
    lines.push(`${at}  const ${i} = 0;`, ...vector.body.map((l) => `${at}  ${l}`), `${at}}`);
    lines.push(`${at}for (; ${p} < ${n}; ${p}++) {`);
    lines.push(`${at}  for (let ${i} = 0; ${i} < 2; ${i}++) {`);
    lines.push(...body.map((l) => `${at}    ${l}`), `${at}  }`, `${at}}`);
  } else {
    lines.push(...body.map((l) => at + l));
  }
  for (let d = outer - 1; d >= 0; d--) lines.push(`${indent(d + 1)}}`);
  return lines;
}

/** f32x4 forms of the unary primitives the vector loop runs (the special functions of math.ts). */
const VEC_UNARY: Record<string, (a: string) => string> = {
  neg: (a) => `f32x4.neg(${a})`,
  abs: (a) => `f32x4.abs(${a})`,
  sqrt: (a) => `f32x4.sqrt(${a})`,
  rsqrt: (a) => `f32x4.div(F_ONE, f32x4.sqrt(${a}))`,
  floor: (a) => `f32x4.floor(${a})`,
  ceil: (a) => `f32x4.ceil(${a})`,
  round: (a) => `f32x4.nearest(${a})`,
  // -1, 0 or 1 by sign; zeros and NaN map to themselves (as the scalar form).
  sign: (a) =>
    `v128.bitselect(f32x4.neg(F_ONE), v128.bitselect(F_ONE, ${a}, f32x4.gt(${a}, F_ZERO)), f32x4.lt(${a}, F_ZERO))`,
  stop_gradient: (a) => a,
  ...Object.fromEntries(
    Object.entries(F32X4_MATH).map(([name, fn]) => [name, (a: string) => `${fn}(${a})`]),
  ),
};

const vecOp = (op: string) => (a: string, b: string) => `${op}(${a}, ${b})`;

/** f32x4 forms of the binary primitives (comparisons give lane masks; and/or combine masks). */
const VEC_BINARY: Record<string, (a: string, b: string) => string> = {
  add: vecOp("f32x4.add"),
  sub: vecOp("f32x4.sub"),
  mul: vecOp("f32x4.mul"),
  div: vecOp("f32x4.div"),
  max: vecOp("f32x4.max"),
  min: vecOp("f32x4.min"),
  eq: vecOp("f32x4.eq"),
  ne: vecOp("f32x4.ne"),
  lt: vecOp("f32x4.lt"),
  le: vecOp("f32x4.le"),
  gt: vecOp("f32x4.gt"),
  ge: vecOp("f32x4.ge"),
  and: vecOp("v128.and"),
  or: vecOp("v128.or"),
};

/** i32x4 forms of the int32 primitives (wrapping and signed, as their scalar forms). */
const VEC_UNARY_I32: Record<string, (a: string) => string> = {
  neg: (a) => `i32x4.neg(${a})`,
  abs: (a) => `i32x4.abs(${a})`,
  stop_gradient: (a) => a,
};

/** i32x4 forms of the int32 binary primitives (and/or: bitwise, as on bools). */
const VEC_BINARY_I32: Record<string, (a: string, b: string) => string> = {
  add: vecOp("i32x4.add"),
  sub: vecOp("i32x4.sub"),
  mul: vecOp("i32x4.mul"),
  max: vecOp("i32x4.max_s"),
  min: vecOp("i32x4.min_s"),
  eq: vecOp("i32x4.eq"),
  ne: vecOp("i32x4.ne"),
  lt: vecOp("i32x4.lt_s"),
  le: vecOp("i32x4.le_s"),
  gt: vecOp("i32x4.gt_s"),
  ge: vecOp("i32x4.ge_s"),
  and: vecOp("v128.and"),
  or: vecOp("v128.or"),
};

/**
 * Dtypes a vector loop reads and writes: float32 and int32 four lanes at a time, bool as lane
 * masks (all ones or zero per lane), from and to its one byte (0 or 1) per element.
 */
const VECTOR_DTYPES: ReadonlySet<DType> = new Set<DType>(["float32", "int32", "bool"]);

/** Lane masks (0 or -1) of four bools at `addr`: bytes widened to lanes, then negated. */
const boolLoad = (addr: string) =>
  `i32x4.neg(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(${addr}))))`;

/** Stores four lane masks at `addr` as bytes 0 or 1. */
function boolStore(addr: string, mask: string): string {
  const ones = `v128.and(${mask}, i32x4.splat(1))`;
  const bytes = `i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(${ones}, ${ones}), i16x8.splat(0))`;
  return `v128.store32_lane(${addr}, ${bytes}, 0);`;
}

/** Whether an equation's operands and result have the dtypes its vector form expects. */
function vectorizable(e: JaxprEqn): boolean {
  const name = e.prim.name;
  const ins = e.inputs.map((a) => a.aval.dtype);
  const out = e.outBinders[0].aval.dtype;
  const all = (ds: DType[], d: DType) => ds.every((x) => x === d);
  const numbers = (ds: DType[]) => all(ds, "float32") || all(ds, "int32");
  if (name === "broadcast_in_dim") return VECTOR_DTYPES.has(out) || e.inputs[0] instanceof Literal;
  if (name === "select_n") return ins[0] === "bool" && numbers(ins.slice(1));
  if (name === "convert_element_type") {
    return out === "float32" ? VECTOR_DTYPES.has(ins[0]) : out === "int32" && ins[0] === "bool";
  }
  if (name === "and" || name === "or") return all(ins, "bool") || all(ins, "int32");
  if (all(ins, "int32")) {
    return Object.hasOwn(VEC_UNARY_I32, name) || Object.hasOwn(VEC_BINARY_I32, name);
  }
  if (VEC_UNARY[name] || VEC_BINARY[name] || VEC_REDUCE[name]) return all(ins, "float32");
  return false;
}

/** The vector form of a unary or binary primitive over operands of dtype `d`. */
function vecExpr(name: string, d: DType, args: string[]): string {
  if (d === "int32") {
    return VEC_UNARY_I32[name]?.(args[0]) ?? VEC_BINARY_I32[name](args[0], args[1]);
  }
  return VEC_UNARY[name]?.(args[0]) ?? VEC_BINARY[name](args[0], args[1]);
}

/** Four lanes converted to `to` (float32 from float32, int32 or bool; int32 from bool). */
function vecConvert(a: string, from: DType, to: DType): string {
  if (from === "bool") {
    return to === "float32" ? `v128.and(${a}, f32x4.splat(1.0))` : `v128.and(${a}, i32x4.splat(1))`;
  }
  return from === "int32" ? `f32x4.convert_i32x4_s(${a})` : a;
}

/** f32x4 combine step of each reduction the vector loops accumulate. */
const VEC_REDUCE: Record<string, string> = {
  reduce_sum: "f32x4.add",
  reduce_max: "f32x4.max",
  reduce_min: "f32x4.min",
};

/**
 * The body of a fused kernel as v128 code for four consecutive elements of the space (`kind`
 * says which), or null when some equation has no vector form, reads or writes an array other
 * than float32, int32 or bool, reads a view in a pattern without a vector load, or has a
 * reduction without a vector step (`vectorReduction`). Every primitive here rounds (or wraps)
 * exactly as its scalar form, so both loops agree bit for bit, except that a sum over the
 * innermost axis adds four interleaved partial sums (max and min come out the same in any
 * order).
 */
function vectorBody(
  k: Kernel,
  reg: (a: Atom) => string,
  kind: VectorMode["kind"],
  half?: number,
): VectorMode | null {
  const space = k.space!;
  if (!k.eqns.every(vectorizable)) return null;
  if (![...k.inputs, ...k.outputs].every((v) => VECTOR_DTYPES.has(v.aval.dtype))) return null;
  const names = new Map<Var, string>(k.inputs.map((v, i) => [v, `in${i}`]));
  const outIndex = new Map<Var, number>(k.outputs.map((v, i) => [v, i]));
  const at = (d: DType) => offsetExpr(stridesOf(space), SHIFT[d]);
  const body: string[] = [], before: string[] = [], after: string[] = [];
  const loaded = new Set<Var>();
  const vreg = (a: Atom): string => {
    if (!(a instanceof Literal)) return reg(a);
    const d = a.aval.dtype;
    if (d === "bool") return `i32x4.splat(${a.value ? -1 : 0})`;
    return d === "int32" ? `i32x4.splat(${literal(a)})` : `f32x4.splat(${literal(a)})`;
  };
  for (const e of k.eqns) {
    const out = e.outBinders[0];
    const name = e.prim.name;
    let expr: string;
    if (name === "broadcast_in_dim") {
      const src = e.inputs[0];
      if (src instanceof Literal) expr = vreg(src);
      else {
        const strides = viewStrides(e, space);
        const d = src.aval.dtype;
        const addr = `${names.get(src as Var)} + ${offsetExpr(strides, SHIFT[d])}`;
        const read = d === "bool"
          ? boolViewRead(strides, kind, addr)
          : viewRead(strides, kind, addr, `p${reg(out)}`);
        if (!read) return null;
        body.push(...read.setup);
        expr = read.expr;
      }
    } else {
      for (const a of e.inputs) {
        if (a instanceof Var && names.has(a) && !loaded.has(a)) {
          loaded.add(a);
          const d = a.aval.dtype;
          const addr = `${names.get(a)} + ${at(d)}`;
          body.push(`const ${reg(a)} = ${d === "bool" ? boolLoad(addr) : `v128.load(${addr})`};`);
        }
      }
      const args = e.inputs.map(vreg);
      if (VEC_REDUCE[name]) {
        const step = vectorReduction(e, space, outIndex.get(out)!, args[0], kind, half);
        if (!step) return null;
        body.push(...step.body);
        before.push(...step.before);
        after.push(...step.after);
        continue;
      }
      const d = e.inputs[0].aval.dtype;
      if (name === "select_n") expr = `v128.bitselect(${args[2]}, ${args[1]}, ${args[0]})`;
      else if (name === "convert_element_type") expr = vecConvert(args[0], d, out.aval.dtype);
      else expr = vecExpr(name, d, args);
    }
    body.push(`const ${reg(out)} = ${expr};`);
    if (outIndex.has(out)) {
      const d = out.aval.dtype;
      const addr = `out${outIndex.get(out)} + ${at(d)}`;
      body.push(d === "bool" ? boolStore(addr, reg(out)) : `v128.store(${addr}, ${reg(out)});`);
    }
  }
  return { kind, body, before, after };
}

/**
 * A reduction's step in the vector loop (with what runs before and after that loop), or null
 * when it has none. In the lanes loop, a reduction keeping the last axis (a bias gradient's sum
 * over the batch) accumulates four consecutive outputs at once, in the scalar loop's order; one
 * reducing the last axis (a sum over a row) accumulates four lanes in a register across the loop,
 * folds them after it and adds the result to its output, before the scalar loop adds the rest. In
 * the pairs loop, one summing (or taking the max or min of) each pair of the last axis into
 * consecutive outputs takes `value`'s pairs p and p + 1 in the scalar loop's order (first
 * elements, then second); as half `half` (0 or 1) of a quad step it leaves them in a register,
 * and the step's end adds pairs p to p + 3 in the same order.
 */
function vectorReduction(
  e: JaxprEqn,
  space: readonly number[],
  output: number,
  value: string,
  kind: VectorMode["kind"],
  half?: number,
): { body: string[]; before: string[]; after: string[] } | null {
  const { strides } = reductionStrides(e, space);
  const [outer, inner] = [strides[strides.length - 2], strides[strides.length - 1]];
  const op = VEC_REDUCE[e.prim.name];
  const addr = `out${output} + ${offsetExpr(strides, 2)}`;
  const only = (body: string[]) => ({ body, before: [], after: [] });
  if (kind === "lanes" && inner === 1) {
    return only([`v128.store(${addr}, ${op}(v128.load(${addr}), ${value}));`]);
  }
  if (kind === "lanes" && inner === 0) {
    const acc = `acc${output}`, half = `${acc}h`;
    const folded =
      `f32x4.extract_lane(${op}(${half}, i32x4.shuffle(${half}, ${half}, 1, 0, 3, 2)), 0)`;
    const combine = REDUCE[e.prim.name].step(`load<f32>(${addr})`, folded, "float32");
    return {
      before: [`let ${acc} = f32x4.splat(${REDUCE[e.prim.name].init("float32")});`],
      body: [`${acc} = ${op}(${acc}, ${value});`],
      after: [
        `const ${half} = ${op}(${acc}, i32x4.shuffle(${acc}, ${acc}, 2, 3, 0, 1));`,
        `store<f32>(${addr}, ${combine});`,
      ],
    };
  }
  if (kind !== "pairs" || outer !== 1 || inner !== 0) return null;
  if (half !== undefined) {
    const [a, b] = [`quad${output}a`, `quad${output}b`];
    const firsts = `i32x4.shuffle(${a}, ${b}, 0, 2, 4, 6)`;
    const seconds = `i32x4.shuffle(${a}, ${b}, 1, 3, 5, 7)`;
    return {
      before: [`let ${a} = i32x4.splat(0), ${b} = ${a};`],
      body: [`${half === 0 ? a : b} = ${value};`],
      after: [`v128.store(${addr}, ${op}(${op}(v128.load(${addr}), ${firsts}), ${seconds}));`],
    };
  }
  const first = `i32x4.shuffle(${value}, ${value}, 0, 2, 0, 2)`;
  const second = `i32x4.shuffle(${value}, ${value}, 1, 3, 1, 3)`;
  const acc = `v128.load64_zero(${addr})`;
  return only([`v128.store64_lane(${addr}, ${op}(${op}(${acc}, ${first}), ${second}), 0);`]);
}

/**
 * Four elements of a bool view read at `addr` as lane masks, given its strides over the space:
 * contiguous bytes, or one byte splatted (its four copies make a lane nonzero exactly when it is
 * true). Null for other patterns.
 */
function boolViewRead(
  strides: readonly number[],
  kind: VectorMode["kind"],
  addr: string,
): { setup: string[]; expr: string } | null {
  if (kind !== "lanes") return null;
  const inner = strides[strides.length - 1];
  if (inner === 1) return { setup: [], expr: boolLoad(addr) };
  if (inner !== 0) return null;
  return { setup: [], expr: `i32x4.ne(v128.load8_splat(${addr}), i32x4.splat(0))` };
}

/**
 * Four elements of a broadcast view read at `addr`, given its strides over the space: contiguous,
 * one element splatted, or (pairs) two elements each repeated twice, loaded into `temp`.
 */
function viewRead(
  strides: readonly number[],
  kind: VectorMode["kind"],
  addr: string,
  temp: string,
): { setup: string[]; expr: string } | null {
  const [outer, inner] = strides.slice(-2);
  const contiguous = kind === "lanes" ? inner === 1 : inner === 1 && outer === 2;
  const splat = inner === 0 && (kind === "lanes" || outer === 0);
  if (contiguous) return { setup: [], expr: `v128.load(${addr})` };
  if (splat) return { setup: [], expr: `v128.load32_splat(${addr})` };
  if (kind === "pairs" && inner === 0 && outer === 1) {
    return {
      setup: [`const ${temp} = v128.load64_zero(${addr});`],
      expr: `i32x4.shuffle(${temp}, ${temp}, 0, 0, 1, 1)`,
    };
  }
  return null;
}

/**
 * Every module references the same math functions, so every module's static data (the math
 * tables) has the same layout and modules compiled with one `memoryBase` can share that region.
 */
const ANCHOR = `
export function heap_base(): usize {
  return __heap_base;
}
export function math_anchor(x: f64, y: f32): f64 {
  const a = Math.sin(x) + Math.cos(x) + Math.exp(x) + Math.log(x) + Math.log1p(x) + Math.expm1(x) +
    Math.tanh(x) + Math.sqrt(x) + Math.floor(x) + Math.ceil(x) + Math.abs(x) + Math.pow(x, x) +
    Math.atan2(x, x) + x % x + Math.sign(x) + erfF64(x) + erfInvF64(x) + logisticF64(x);
  const b = Mathf.sin(y) + Mathf.cos(y) + Mathf.exp(y) + Mathf.log(y) + Mathf.log1p(y) +
    Mathf.expm1(y) + Mathf.tanh(y) + Mathf.sqrt(y) + Mathf.floor(y) + Mathf.ceil(y) +
    Mathf.abs(y) + Mathf.pow(y, y) + y % y + Mathf.sign(y);
  return a + <f64>b;
}
`;

/**
 * One AssemblyScript module exporting each fused kernel under its name, with the prebuilt kernels'
 * math; its start function fills that math's vector constants in every instance.
 */
export function emitFusedModule(kernels: ReadonlyMap<string, Kernel>): string {
  const fns = [...kernels].map(([name, k]) => emitFusedKernel(k, name));
  return [MATH_SOURCE, "initMath();", ANCHOR.trim(), ...fns].join("\n\n") + "\n";
}
