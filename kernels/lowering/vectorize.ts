/**
 * The vectoriser's rules over loop kernels: whether a kernel's innermost loop runs four
 * elements at a time, and how each load and store covers those four. They are rules on the IR
 * (the space, each load's and store's strides); what a backend can do with them (which nodes,
 * dtypes, load patterns and reductions it has vector forms for) it says in a `VectorTarget`.
 *
 * The four elements of a step are either four steps of the innermost axis (`lanes`, when it has
 * at least 4 elements) or, when that axis has 2 elements (the columns of 2x2 pooling windows),
 * two steps of the axis before it (`pairs`); that axis must not be the outermost one, whose range
 * threads split. An indexed view (a gather's load, a scatter's store) takes part only in a lanes
 * loop, along an axis other than its indexed one and its index load's: each step then reads its
 * position once, and a scatter's repeated positions never meet in one vector step.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import {
  type Expr,
  type IndexedAxis,
  type LoopKernel,
  paddedAxes,
  type ReduceOp,
  storeDType,
  topologicalOrder,
} from "./kernel_ir.ts";

/** How a vector step covers four elements of the space. */
export type LoopMode = "lanes" | "pairs";

/**
 * Which four elements a load reads: consecutive ones, one element four times, or (pairs) two
 * consecutive elements each twice.
 */
export type LoadPattern = "contiguous" | "splat" | "pairs";

/**
 * How a reduction store accumulates four values: `lanes`, into four consecutive outputs (a
 * reduction keeping the innermost axis); `across`, into one output (one reducing the innermost
 * axis, four partial results combined after the loop); `pairs`, each pair of the innermost axis
 * into one of two consecutive outputs.
 */
export type ReducePattern = "lanes" | "across" | "pairs";

/** What a backend vectorises. */
export interface VectorTarget {
  /** Whether node `e` (not a load) has a vector form over vector operands. */
  readonly node: (e: Expr) => boolean;
  /** Whether loads and plain stores of `dtype` have vector forms, and loads of each pattern. */
  readonly load: (dtype: DType, pattern: LoadPattern) => boolean;
  /**
   * Whether a reduction by `op` accumulating in `dtype` into an `output` of that dtype or a
   * narrower one (`Store.accumulator`) accumulates four values in `pattern`.
   */
  readonly reduce: (dtype: DType, op: ReduceOp, pattern: ReducePattern, output: DType) => boolean;
}

/** The vector form of a loop kernel: its mode, the pattern of each load and reduction store. */
export interface VectorPlan {
  /** How each step covers four elements. */
  readonly mode: LoopMode;
  /** Pattern of each load the stores read, by load index. */
  readonly loads: ReadonlyMap<number, LoadPattern>;
  /** Pattern of each reduction store, by store index; null for a plain (contiguous) store. */
  readonly stores: readonly (ReducePattern | null)[];
}

/** The vector mode of a space, or null when its innermost loop does not vectorise. */
export function loopMode(space: readonly number[]): LoopMode | null {
  const last = space.length - 1;
  if (space.length > 0 && space[last] >= 4) return "lanes";
  return space.length >= 3 && space[last] === 2 ? "pairs" : null;
}

/** The last two strides (0 where the space has fewer axes). */
const lastTwo = (strides: readonly number[]): [number, number] => [
  strides[strides.length - 2] ?? 0,
  strides[strides.length - 1] ?? 0,
];

/** Which four elements a read at `strides` covers in `mode`, or null for no vector pattern. */
export function loadPattern(strides: readonly number[], mode: LoopMode): LoadPattern | null {
  const [outer, inner] = lastTwo(strides);
  if (mode === "lanes") return inner === 1 ? "contiguous" : inner === 0 ? "splat" : null;
  if (inner === 1 && outer === 2) return "contiguous";
  if (inner === 0 && outer === 0) return "splat";
  return inner === 0 && outer === 1 ? "pairs" : null;
}

/** How a reduction store at `strides` accumulates in `mode`, or null when it has no pattern. */
export function reducePattern(strides: readonly number[], mode: LoopMode): ReducePattern | null {
  const [outer, inner] = lastTwo(strides);
  if (mode === "lanes") return inner === 1 ? "lanes" : inner === 0 ? "across" : null;
  return outer === 1 && inner === 0 ? "pairs" : null;
}

/**
 * Whether an indexed view of `k` along `ix` keeps its position through a vector step in `mode`:
 * a lanes step along an axis that is neither the indexed one nor one its index load moves along.
 */
function steadyPosition(k: LoopKernel, ix: IndexedAxis | undefined, mode: LoopMode): boolean {
  if (!ix) return true;
  const last = k.space.length - 1;
  return mode === "lanes" && ix.axis !== last && k.loads[ix.index].strides[last] === 0;
}

/**
 * The vector plan of `k` on `target`, or null when its space has no vector mode, or some node,
 * load, store or reduction has no vector form there.
 */
export function planVector(k: LoopKernel, target: VectorTarget): VectorPlan | null {
  const mode = loopMode(k.space);
  if (!mode) return null;
  const loads = new Map<number, LoadPattern>();
  for (const e of topologicalOrder(k.stores.map((s) => s.value))) {
    if (e.kind !== "load") {
      if (!target.node(e)) return null;
      continue;
    }
    const l = k.loads[e.load];
    if (!steadyPosition(k, l.gather, mode)) return null;
    const pattern = loadPattern(l.strides, mode);
    if (!pattern || !target.load(e.dtype, pattern)) return null;
    // A pairs step covers two axes, and its loads' setup reads before any test: no padding
    // along them, and no padded pairs loads. A lanes loop runs its fours only where the
    // innermost axis is within every load's bounds (`lanesRange`), the scalar body elsewhere.
    const padded = paddedAxes(k.space, l.padding);
    if (mode === "pairs" && padded.some((d) => d >= k.space.length - 2)) return null;
    if (padded.length && pattern === "pairs") return null;
    loads.set(e.load, pattern);
  }
  const stores: (ReducePattern | null)[] = [];
  for (const s of k.stores) {
    const d = storeDType(k, s);
    if (!steadyPosition(k, s.scatter, mode)) return null;
    if (!s.reduce) {
      if (loadPattern(s.strides, mode) !== "contiguous" || !target.load(d, "contiguous")) {
        return null;
      }
      stores.push(null);
      continue;
    }
    const pattern = reducePattern(s.strides, mode);
    if (!pattern || !target.reduce(d, s.reduce, pattern, k.outputs[s.output])) return null;
    stores.push(pattern);
  }
  return { mode, loads, stores };
}

/**
 * The range `[from, to)` of the innermost axis of `k`'s space within the bounds of every load
 * padded along it, where a lanes loop's fours read no padding; undefined when none is.
 */
export function lanesRange(k: LoopKernel): [number, number] | undefined {
  const last = k.space.length - 1;
  const padded = k.loads.filter((l) => paddedAxes(k.space, l.padding).includes(last));
  if (!padded.length) return undefined;
  return padded.reduce<[number, number]>(([from, to], l) => {
    const [a, b] = l.padding!.bounds[last];
    return [Math.max(from, a), Math.min(to, b)];
  }, [0, k.space[last]]);
}

/**
 * The vector plan of a scan's loop kernel (loop_fusion.ts), whose elements hold their carries in
 * registers across the steps: `planVector`'s in lanes mode only, where its wide run of fours
 * (loop_codegen.ts) also steps along the innermost axis.
 */
export function planLoopVector(k: LoopKernel, target: VectorTarget): VectorPlan | null {
  const plan = planVector(k, target);
  return plan?.mode === "lanes" ? plan : null;
}
