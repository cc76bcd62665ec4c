/**
 * Lowering of a fused kernel (fusion.ts: an elementwise chain over one iteration space, the
 * broadcasts, transposes, slices and reversals it reads as views, optionally ending in a
 * reduction, or a concatenate of its values) to a loop kernel of the kernel IR, once for every
 * backend: operands read directly load at the space's strides, views (chains of them composed)
 * at their own strides and offset, literals become constants, each equation its lowering's
 * expression, and each value other kernels need a store (a reduction's an accumulating one, a
 * concatenate's one per part, at the part's offset).
 * @module
 */
import { config } from "../../core/config.ts";
import type { DType } from "../../core/dtype.ts";
import { type Atom, type JaxprEqn, Literal, paramsOf, type Var } from "../../core/jaxpr.ts";
import {
  reduceMaxP,
  reduceMinP,
  reduceProdP,
  reduceSumP,
} from "../../core/primitives/reductions.ts";
import { concatenateP, padP } from "../../core/primitives/structural.ts";
import { type PaddedView, padView } from "../../core/padded_view.ts";
import { isView } from "../../core/views.ts";
import type { Params } from "../../core/primitive.ts";
import {
  STRIDED_VIEWS,
  type StridedView,
  type StridedViewName,
  type ViewRule,
} from "../../core/strided_views.ts";
import { range, stridesOf } from "../../core/shape.ts";
import type { Kernel } from "./fusion.ts";
import type { Expr, Load, LoopKernel, Padding, ReduceOp, Store } from "./kernel_ir.ts";
import { constant } from "./ir_builders.ts";
import { isLowered, lowerElementwise } from "./lower_elementwise.ts";
import { verifyLoopKernel } from "./verify_ir.ts";

/** How each fusible reduction accumulates. */
const REDUCTIONS: Readonly<Record<string, ReduceOp>> = {
  reduce_sum: "add",
  reduce_prod: "mul",
  reduce_max: "max",
  reduce_min: "min",
};

/** A value read through views: the array in memory, and where each element lies in it. */
interface Viewed {
  /** The kernel input the views read. */
  readonly source: Var;
  /**
   * The value's elements in `source`: strides over the value's axes and an offset, and for a
   * pad the bounds of the points that read it.
   */
  readonly view: StridedView | PaddedView;
}

/**
 * `e`, a view (strided_views.ts, padded_view.ts) of an input of the kernel or of another view
 * (a pad is the last view of its chain: fusion.ts), as the memory it reads.
 */
function viewOf(e: JaxprEqn, views: ReadonlyMap<Var, Viewed>): Viewed {
  const x = e.inputs[0] as Var;
  const inner = views.get(x);
  const [operand, out] = [x.aval, e.outBinders[0].aval];
  const view = e.prim === padP
    ? padView(operand, paramsOf(e, padP), out, inner?.view)
    : (STRIDED_VIEWS[e.prim.name as StridedViewName] as ViewRule<Params>)(
      operand,
      e.params,
      out,
      inner?.view,
    );
  return { source: inner?.source ?? x, view };
}

/** The padding of a load through `view`, if it is a pad's. */
const paddingOf = (view: StridedView | PaddedView): Padding | undefined =>
  "bounds" in view ? { bounds: view.bounds, value: view.value } : undefined;

/**
 * The strides over `space` at which a reduction over `axes` accumulates into its output (0
 * along the reduced axes), and the axes it keeps.
 */
export function reductionStrides(
  axes: readonly number[],
  space: readonly number[],
): { kept: number[]; strides: number[] } {
  const kept = range(space.length).filter((i) => !axes.includes(i));
  const keptStrides = stridesOf(kept.map((i) => space[i]));
  const strides = space.map(() => 0);
  kept.forEach((dim, j) => (strides[dim] = keptStrides[j]));
  return { kept, strides };
}

/**
 * The stores of concatenate `e` into kernel output `output`: each operand's value (over the
 * kernel's space, which is its shape) at the output's strides, from its start along the joined
 * axis.
 */
function partStores(e: JaxprEqn, output: number, operand: (a: Atom) => Expr): Store[] {
  const { dimension } = paramsOf(e, concatenateP);
  const strides = stridesOf(e.outBinders[0].aval.shape);
  let start = 0;
  return e.inputs.map((x) => {
    const offset = start * strides[dimension];
    start += x.aval.shape[dimension];
    const value = operand(x);
    return offset ? { output, value, strides, offset } : { output, value, strides };
  });
}

/** The constant of a literal operand. */
const literal = (l: Literal): Expr => constant(l.aval.dtype, Number(l.value));

/**
 * The loop kernel of fused kernel `k` (inputs and outputs in `k`'s order), verified when
 * `config.verifyPrograms` (as in the tests).
 */
export function lowerKernel(k: Kernel): LoopKernel {
  const space = k.space!;
  const direct = stridesOf(space);
  const inputIndex = new Map<Var, number>(k.inputs.map((v, i) => [v, i]));
  const outputIndex = new Map<Var, number>(k.outputs.map((v, i) => [v, i]));
  const loads: Load[] = [];
  const loadExprs = new Map<string, Expr>();
  const load = (v: Var, strides: readonly number[], offset = 0, padding?: Padding): Expr => {
    const input = inputIndex.get(v);
    if (input === undefined) throw new Error(`lowerKernel: ${v} is not an input of the kernel`);
    const key = `${input}:${strides.join(",")}:${offset}:${JSON.stringify(padding ?? null)}`;
    const known = loadExprs.get(key);
    if (known) return known;
    const spec: Load = {
      input,
      strides,
      ...(offset ? { offset } : {}),
      ...(padding ? { padding } : {}),
    };
    const e: Expr = { kind: "load", dtype: v.aval.dtype, load: loads.push(spec) - 1 };
    loadExprs.set(key, e);
    return e;
  };
  const values = new Map<Var, Expr>();
  const views = new Map<Var, Viewed>();
  const operand = (a: Atom): Expr => {
    if (a instanceof Literal) return literal(a);
    const viewed = views.get(a);
    if (viewed) {
      const { view } = viewed;
      const padding = paddingOf(view);
      // A pad that reads nothing of its operand (an empty one, or all cropped) is its value.
      if (padding?.bounds.some(([from, to]) => from >= to)) {
        return constant(a.aval.dtype, padding.value);
      }
      return load(viewed.source, view.strides, view.offset, padding);
    }
    return values.get(a) ?? load(a, direct);
  };
  const stores: Store[] = [];
  /** Names `v` the loop's `value`, stored where other kernels need it. */
  const define = (v: Var, value: Expr) => {
    values.set(v, value);
    const output = outputIndex.get(v);
    if (output !== undefined) stores.push({ output, value, strides: direct });
  };
  for (const e of k.eqns) {
    const out = e.outBinders[0];
    const name = e.prim.name;
    const reduce = REDUCTIONS[name];
    if (reduce) {
      const { strides } = reductionStrides(
        paramsOf(e, reduceSumP, reduceProdP, reduceMaxP, reduceMinP).axes,
        space,
      );
      stores.push({ output: outputIndex.get(out)!, value: operand(e.inputs[0]), strides, reduce });
      continue;
    }
    if (name === "concatenate") {
      stores.push(...partStores(e, outputIndex.get(out)!, operand));
      continue;
    }
    let value: Expr;
    if (isView(name)) {
      // A view of a constant (a broadcast literal) is that constant; a pad reads memory
      // (fusion.ts).
      const x = e.inputs[0];
      const splat = e.prim === padP ? undefined : x instanceof Literal ? literal(x) : values.get(x);
      const viewed = splat?.kind === "const" ? null : viewOf(e, views);
      if (viewed) views.set(out, viewed);
      // A view is loaded where it is read (an output of the kernel is read by its store).
      if (viewed && !outputIndex.has(out)) continue;
      value = viewed ? operand(out) : splat!;
    } else if (isLowered(name)) {
      const outs = e.outBinders.map((v) => v.aval.dtype as DType);
      const exprs = lowerElementwise(name, e.inputs.map(operand), outs);
      e.outBinders.forEach((v, j) => define(v, exprs[j]));
      continue;
    } else {
      throw new Error(`lowerKernel: ${name} is not fusible`);
    }
    define(out, value);
  }
  const lowered: LoopKernel = {
    space,
    inputs: k.inputs.map((v) => v.aval.dtype),
    outputs: k.outputs.map((v) => v.aval.dtype),
    loads,
    stores,
  };
  if (config.verifyPrograms) verifyLoopKernel(lowered);
  return lowered;
}
