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
import { reduceMaxP, reduceMinP, reduceSumP } from "../../core/primitives/reductions.ts";
import { concatenateP } from "../../core/primitives/structural.ts";
import type { Params } from "../../core/primitive.ts";
import {
  STRIDED_VIEWS,
  type StridedView,
  type StridedViewName,
  type ViewRule,
} from "../../core/strided_views.ts";
import { range, stridesOf } from "../../core/shape.ts";
import type { Kernel } from "./fusion.ts";
import type { Expr, Load, LoopKernel, ReduceOp, Store } from "./kernel_ir.ts";
import { constant } from "./ir_builders.ts";
import { isLowered, lowerElementwise } from "./lower_elementwise.ts";
import { verifyLoopKernel } from "./verify_ir.ts";

/** How each fusible reduction accumulates. */
const REDUCTIONS: Readonly<Record<string, ReduceOp>> = {
  reduce_sum: "add",
  reduce_max: "max",
  reduce_min: "min",
};

/** A value read through views: the array in memory, and where each element lies in it. */
interface Viewed {
  /** The kernel input the views read. */
  readonly source: Var;
  /** The value's elements in `source`: strides over the value's axes and an offset. */
  readonly view: StridedView;
}

/**
 * `e`, a view (strided_views.ts) of an input of the kernel or of another view, as the memory it
 * reads.
 */
function viewOf(e: JaxprEqn, views: ReadonlyMap<Var, Viewed>): Viewed {
  const x = e.inputs[0] as Var;
  const inner = views.get(x);
  const rule = STRIDED_VIEWS[e.prim.name as StridedViewName] as ViewRule<Params>;
  const view = rule(x.aval, e.params, e.outBinders[0].aval, inner?.view);
  return { source: inner?.source ?? x, view };
}

/**
 * The strides over `space` at which a reduction over `axes` accumulates into its output (0
 * along the reduced axes), and the axes it keeps.
 */
function reductionStrides(
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
  const load = (v: Var, strides: readonly number[], offset = 0): Expr => {
    const input = inputIndex.get(v);
    if (input === undefined) throw new Error(`lowerKernel: ${v} is not an input of the kernel`);
    const key = `${input}:${strides.join(",")}:${offset}`;
    const known = loadExprs.get(key);
    if (known) return known;
    const spec: Load = offset ? { input, strides, offset } : { input, strides };
    const e: Expr = { kind: "load", dtype: v.aval.dtype, load: loads.push(spec) - 1 };
    loadExprs.set(key, e);
    return e;
  };
  const values = new Map<Var, Expr>();
  const views = new Map<Var, Viewed>();
  const operand = (a: Atom): Expr => {
    if (a instanceof Literal) return literal(a);
    const viewed = views.get(a);
    if (viewed) return load(viewed.source, viewed.view.strides, viewed.view.offset);
    return values.get(a) ?? load(a, direct);
  };
  const stores: Store[] = [];
  for (const e of k.eqns) {
    const out = e.outBinders[0];
    const name = e.prim.name;
    const reduce = REDUCTIONS[name];
    if (reduce) {
      const { strides } = reductionStrides(
        paramsOf(e, reduceSumP, reduceMaxP, reduceMinP).axes,
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
    if (name in STRIDED_VIEWS) {
      // A view of a constant (a broadcast literal) is that constant.
      const x = e.inputs[0];
      const splat = x instanceof Literal ? literal(x) : values.get(x);
      const viewed = splat?.kind === "const" ? null : viewOf(e, views);
      if (viewed) views.set(out, viewed);
      // A view is loaded where it is read (an output of the kernel is read by its store).
      if (viewed && !outputIndex.has(out)) continue;
      value = viewed ? operand(out) : splat!;
    } else if (isLowered(name)) {
      value = lowerElementwise(name, e.inputs.map(operand), out.aval.dtype as DType);
    } else {
      throw new Error(`lowerKernel: ${name} is not fusible`);
    }
    values.set(out, value);
    const output = outputIndex.get(out);
    if (output !== undefined) stores.push({ output, value, strides: direct });
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
