/**
 * The kernel IR's verifier: every node's operands have the dtypes its operation takes (a bitcast
 * goes between float32 and int32, a shift moves int32 bits by 0 to 31, a float64's high word
 * is an int32, a param node reads a parameter of its dtype), every load reads an
 * input of its dtype through one stride per axis, never before its first element, every output
 * is stored exactly once with a value of its dtype, and a reduction store accumulates only along
 * axes where it does not move (so no two points of a plain store write one element). An indexed
 * axis (a gather's, a scatter's) is an axis of the space read through an unpadded int32 load
 * that is not indexed itself, over at least one position; gathered loads are unpadded,
 * scattered stores accumulate, and a kernel with indexed views has an `outOfRange` flag, an
 * int32 output that no store writes.
 * `lowerKernel` runs it when `config.verifyPrograms` (`ADJOINT_VERIFY_PROGRAMS`, on in `deno
 * task test`).
 * @module
 */
import { isSized, sizedProblems } from "./sized_kernel.ts";
import type { DType } from "../../core/dtype.ts";
import { sizeOf } from "../../core/shape.ts";
import {
  type BinaryOp,
  type Expr,
  type ExprKind,
  indexedAxes,
  type IndexedAxis,
  type LoopKernel,
  operands,
  type ReduceOp,
  type Store,
  storeDType,
  topologicalOrder,
  type UnaryOp,
} from "./kernel_ir.ts";

const FLOATS: readonly DType[] = ["float32", "float64"];
const NUMBERS: readonly DType[] = ["float32", "float64", "int32"];
const ALL: readonly DType[] = ["float32", "float64", "int32", "bool"];

/** Dtypes each unary operation takes (its result has the operand's dtype). */
const UNARY_DTYPES: Readonly<Record<UnaryOp, readonly DType[]>> = {
  neg: NUMBERS,
  abs: NUMBERS,
  sqrt: FLOATS,
  floor: FLOATS,
  ceil: FLOATS,
  round: FLOATS,
  not: ["int32", "bool"],
};

/** Dtypes each binary operation takes. */
const BINARY_DTYPES: Readonly<Record<BinaryOp, readonly DType[]>> = {
  add: NUMBERS,
  sub: NUMBERS,
  mul: NUMBERS,
  div: NUMBERS,
  rem: NUMBERS,
  max: NUMBERS,
  min: NUMBERS,
  and: ["int32", "bool"],
  or: ["int32", "bool"],
  xor: ["int32"],
  shl: ["int32"],
  shr: ["int32"],
  shru: ["int32"],
};

/** Dtypes each reduction accumulates (bool's `max` is `or`, its `min` is `and`). */
const REDUCE_DTYPES: Readonly<Record<ReduceOp, readonly DType[]>> = {
  add: NUMBERS,
  mul: NUMBERS,
  max: ALL,
  min: ALL,
};

/** What is wrong with a node of each kind, or null. */
const NODE_RULES: { [K in ExprKind]: (e: Extract<Expr, { kind: K }>) => string | null } = {
  const: (e) => (Number.isNaN(e.value) && !FLOATS.includes(e.dtype) ? "NaN constant" : null),
  load: () => null,
  // Against the kernel's parameters in `irProblems`.
  param: () => null,
  index: (e) => (e.dtype !== "int32" ? `index giving ${e.dtype}` : null),
  unary: (e) =>
    !UNARY_DTYPES[e.op].includes(e.dtype) ? `${e.op} of ${e.dtype}` : sameAs(e.dtype, [e.a]),
  binary: (e) =>
    !BINARY_DTYPES[e.op].includes(e.dtype) ? `${e.op} of ${e.dtype}` : sameAs(e.dtype, [e.a, e.b]),
  compare: (e) =>
    e.dtype !== "bool"
      ? `${e.op} giving ${e.dtype}`
      : e.a.dtype !== e.b.dtype
      ? `${e.op} of ${e.a.dtype} and ${e.b.dtype}`
      : null,
  select: (e) =>
    e.cond.dtype !== "bool" ? `select on ${e.cond.dtype}` : sameAs(e.dtype, [e.onTrue, e.onFalse]),
  convert: (e) => (ALL.includes(e.dtype) ? null : `convert to ${e.dtype}`),
  fma: (e) => (!FLOATS.includes(e.dtype) ? `fma of ${e.dtype}` : sameAs(e.dtype, [e.a, e.b, e.c])),
  bitcast: (e) =>
    BITCASTS[e.a.dtype] === e.dtype ? null : `bitcast from ${e.a.dtype} to ${e.dtype}`,
  shift: (e) =>
    e.dtype !== "int32"
      ? `${e.op} of ${e.dtype}`
      : !(Number.isInteger(e.bits) && e.bits >= 0 && e.bits < 32)
      ? `${e.op} by ${e.bits} bits`
      : sameAs(e.dtype, [e.a]),
  highWord: (e) =>
    e.dtype !== "int32" || e.a.dtype !== "float64"
      ? `highWord of ${e.a.dtype} giving ${e.dtype}`
      : null,
  withHighWord: (e) =>
    e.dtype !== "float64" || e.a.dtype !== "float64" || e.high.dtype !== "int32"
      ? `withHighWord of ${e.a.dtype} and ${e.high.dtype} giving ${e.dtype}`
      : null,
};

/** The dtype a bitcast of each dtype gives (32 bits each way). */
const BITCASTS: Readonly<Partial<Record<DType, DType>>> = { float32: "int32", int32: "float32" };

/** What is wrong when `args` do not all have dtype `d`. */
function sameAs(d: DType, args: readonly Expr[]): string | null {
  const other = args.find((a) => a.dtype !== d);
  return other ? `operand of ${other.dtype} in a ${d} operation` : null;
}

/** The problems of loop kernel `k`, empty when it is well formed. */
export function irProblems(k: LoopKernel): string[] {
  const problems: string[] = [];
  const rank = k.space.length;
  k.loads.forEach((l, i) => {
    if (!(l.input >= 0 && l.input < k.inputs.length)) {
      problems.push(`load ${i}: no input ${l.input}`);
    }
    if (l.strides.length !== rank) {
      problems.push(`load ${i}: ${l.strides.length} strides, rank ${rank}`);
    }
    if (l.gather) problems.push(...indexedProblems(k, `load ${i}`, l.gather));
    if (l.gather && l.padding) problems.push(`load ${i}: gathered and padded`);
    // Along a gathered axis the load reads the positions in range.
    const extents = k.space.map((n, d) => (d === l.gather?.axis ? l.gather.size : n));
    const bounds = l.padding?.bounds ?? extents.map((n): [number, number] => [0, n]);
    if (
      bounds.length !== rank || bounds.some(([a, b], d) => !(0 <= a && a <= b && b <= extents[d]))
    ) {
      problems.push(`load ${i}: padding bounds ${JSON.stringify(bounds)} outside the space`);
      return;
    }
    // The lowest element read, over the points that read the input.
    const offset = l.offset ?? 0;
    const reads = bounds.every(([a, b]) => a < b);
    const lowest = bounds.reduce(
      (at, [a, b], d) => at + Math.min(a * l.strides[d], (b - 1) * l.strides[d]),
      offset,
    );
    if (!Number.isInteger(offset) || (reads && lowest < 0)) {
      problems.push(`load ${i}: reads before its input's first element (offset ${offset})`);
    }
  });
  for (const e of topologicalOrder(k.stores.map((s) => s.value))) {
    const rule = NODE_RULES[e.kind] as (e: Expr) => string | null;
    const wrong = rule(e);
    if (wrong) problems.push(`${e.kind} node: ${wrong}`);
    if (e.kind === "load") {
      const l = k.loads[e.load];
      if (!l) problems.push(`load node reads load ${e.load}, which does not exist`);
      else if (k.inputs[l.input] !== e.dtype) {
        problems.push(`load ${e.load}: ${e.dtype} read from a ${k.inputs[l.input]} input`);
      }
    }
    if (e.kind === "param" && k.params?.[e.param] !== e.dtype) {
      problems.push(
        `param node: ${e.dtype} param ${e.param}, the kernel's is ${k.params?.[e.param]}`,
      );
    }
    if (e.kind === "index" && !(Number.isInteger(e.axis) && e.axis >= 0 && e.axis < rank)) {
      problems.push(`index node: no axis ${e.axis} in a space of rank ${rank}`);
    }
    if (operands(e).some((a) => a === undefined)) problems.push(`${e.kind} node: missing operand`);
  }
  const stored: Store[][] = k.outputs.map(() => []);
  k.stores.forEach((s, i) => {
    if (!(s.output >= 0 && s.output < k.outputs.length)) {
      problems.push(`store ${i}: no output ${s.output}`);
      return;
    }
    stored[s.output].push(s);
    const offset = s.offset ?? 0;
    if (s.scatter) problems.push(...indexedProblems(k, `store ${i}`, s.scatter));
    if (s.scatter && !s.reduce) problems.push(`store ${i}: scattered without accumulating`);
    const extent = (n: number, d: number) => (d === s.scatter?.axis ? s.scatter.size : n);
    const lowest = k.space.reduce(
      (at, n, d) => at + Math.min(0, (extent(n, d) - 1) * s.strides[d]),
      offset,
    );
    if (!Number.isInteger(offset) || (sizeOf(k.space) > 0 && lowest < 0)) {
      problems.push(`store ${i}: writes before its output's first element (offset ${offset})`);
    }
    if (s.value.dtype !== storeDType(k, s)) {
      problems.push(`store ${i}: ${s.value.dtype} into a ${storeDType(k, s)} output`);
    }
    if (s.accumulator && (!s.reduce || !(s.strides[0] > 0) || rank < 2 || !isSized(k))) {
      problems.push(`store ${i}: an accumulator but no sized reduction keeping axis 0`);
    }
    if (s.strides.length !== rank) {
      problems.push(`store ${i}: ${s.strides.length} strides, rank ${rank}`);
    }
    if (s.reduce && !REDUCE_DTYPES[s.reduce].includes(s.value.dtype)) {
      problems.push(`store ${i}: ${s.reduce} reduction of ${s.value.dtype}`);
    }
    if (!s.reduce && sizeOf(k.space) > 0 && !injective(k.space, s.strides)) {
      problems.push(`store ${i}: points of the space overwrite one element`);
    }
  });
  problems.push(...flagProblems(k, stored));
  stored.forEach((stores, o) => {
    if (o === k.outOfRange) return;
    if (stores.length !== 1 && !disjointParts(k.space, stores)) {
      problems.push(`output ${o} stored ${stores.length} times, not at disjoint elements`);
    }
  });
  if (isSized(k)) problems.push(...sizedProblems(k));
  return problems;
}

/** What is wrong with indexed axis `ix` of the view `what` of `k`. */
function indexedProblems(k: LoopKernel, what: string, ix: IndexedAxis): string[] {
  const problems: string[] = [];
  if (!(Number.isInteger(ix.axis) && ix.axis >= 0 && ix.axis < k.space.length)) {
    problems.push(`${what}: indexed axis ${ix.axis} outside the space`);
  }
  if (!(Number.isInteger(ix.size) && ix.size >= 1)) {
    problems.push(`${what}: indexed axis of ${ix.size} positions`);
  }
  const index = k.loads[ix.index];
  if (!index) problems.push(`${what}: index load ${ix.index} does not exist`);
  else if (k.inputs[index.input] !== "int32" || index.padding || index.gather) {
    problems.push(`${what}: index load ${ix.index} is not an unpadded, unindexed int32 load`);
  }
  return problems;
}

/**
 * What is wrong with `k`'s out-of-range flag (`stored`: the stores of each output): absent with
 * indexed views, present without them, or not an int32 output that no store writes.
 */
function flagProblems(k: LoopKernel, stored: readonly Store[][]): string[] {
  const f = k.outOfRange;
  const indexed = indexedAxes(k).length > 0;
  if (f === undefined) return indexed ? ["indexed views without an outOfRange flag"] : [];
  if (!indexed) return ["an outOfRange flag without indexed views"];
  if (k.outputs[f] !== "int32" || stored[f].length) {
    return [`outOfRange flag ${f}: not an int32 output that no store writes`];
  }
  return [];
}

/**
 * Whether several stores into one output write disjoint elements: plain stores at one set of
 * strides whose offsets, in order, step evenly by `step` (a concatenate's parts), such that the
 * points of the space and the parts map to distinct elements (a space one axis longer, its
 * stride `step`).
 */
function disjointParts(space: readonly number[], stores: readonly Store[]): boolean {
  if (stores.length === 0 || stores.some((s) => s.reduce)) return false;
  const strides = stores[0].strides.join();
  if (stores.some((s) => s.strides.join() !== strides)) return false;
  const offsets = stores.map((s) => s.offset ?? 0).sort((a, b) => a - b);
  const step = offsets[1] - offsets[0];
  if (step <= 0 || offsets.some((o, i) => o !== offsets[0] + i * step)) return false;
  return sizeOf(space) === 0 || injective([...space, stores.length], [...stores[0].strides, step]);
}

/**
 * Whether `strides` map the points of `space` to distinct elements: sorted by stride, each
 * axis longer than one steps past everything the smaller ones reach.
 */
function injective(space: readonly number[], strides: readonly number[]): boolean {
  const axes = space.map((n, d) => ({ n, s: strides[d] })).filter((a) => a.n > 1);
  axes.sort((a, b) => a.s - b.s);
  let reach = 1;
  for (const { n, s } of axes) {
    if (s < reach) return false;
    reach = s * (n - 1) + reach;
  }
  return true;
}

/** Throws, naming every problem, when loop kernel `k` is not well formed. */
export function verifyLoopKernel(k: LoopKernel): void {
  const problems = irProblems(k);
  if (problems.length) {
    throw new Error(`kernel IR verifier: ${problems.join("; ")}`);
  }
}
