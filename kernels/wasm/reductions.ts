/**
 * Reductions on the wasm runtime. Axes of size 1 are dropped and neighbouring axes that are both
 * reduced (or both kept) are merged into runs; each reduced run is then one `[outer, r, inner]`
 * kernel pass, outermost run first. Empty reductions give the identity in the dtype, as JAX
 * (`reductionIdentity`). A pass of a reduction rendered from the kernel IR (eager_reductions.ts)
 * runs the loop shape that suits its sizes (`shapeOf`), but for short passes (its hand-written
 * `_short` kernel); the others run the hand-written kernels of kernels/assembly/reduce.ts. Index
 * reductions (argmax, argmin) run two rendered passes (`argReduction`).
 * @module
 */
import { type DType, isFloat } from "../../core/dtype.ts";
import type { ReductionShape } from "../lowering/one_op_reduction.ts";
import {
  accumulatorOf,
  handWrittenExport,
  isShortIndexPass,
  isShortPass,
  positionExport,
  reductionExport,
  renderedShapes,
} from "./eager_reductions.ts";
import { sizeOf } from "../../core/shape.ts";
import { type MonoidReduction, reductionIdentity } from "../../core/reduction_identity.ts";
import type { WasmBuffer } from "./memory.ts";
import type { WasmRule } from "./rule.ts";
import { ELEMENT_BYTES, SUFFIX, type WasmRuntime } from "./runtime.ts";
import { splitRange } from "./split.ts";
import { fill } from "./strided.ts";

interface Run {
  size: number;
  reduced: boolean;
}

/** Merges axes into alternating runs of kept and reduced axes, ignoring axes of size 1. */
function runsOf(shape: readonly number[], axes: readonly number[]): Run[] {
  const runs: Run[] = [];
  shape.forEach((size, d) => {
    if (size === 1) return;
    const reduced = axes.includes(d);
    const last = runs[runs.length - 1];
    if (last && last.reduced === reduced) last.size *= size;
    else runs.push({ size, reduced });
  });
  return runs;
}

/**
 * Runs `kernel(x, out, outer, r, inner, scratch)` over an `[outer, r, inner]` input of
 * `inBytes`-byte elements into `outBytes`-byte outputs, split along `outer` over the threads
 * when large (each task with its own scratch of `inner * 8` bytes; none, address 0, for a
 * kernel that reads none, unless `scratch`).
 */
function launchRows(
  rt: WasmRuntime,
  kernel: string,
  op: string,
  [x, o]: [WasmBuffer, WasmBuffer],
  [inBytes, outBytes]: [number, number],
  [outer, r, inner]: [number, number, number],
  scratch = true,
): void {
  const parts = splitRange(outer, outer * r * inner, rt.threads());
  const spaces = scratch ? parts.map(() => rt.scratch(inner * 8)) : [];
  const tasks = parts.map(([lo, hi], t) => ({
    kernel,
    args: [
      x.ptr + lo * r * inner * inBytes,
      o.ptr + lo * inner * outBytes,
      hi - lo,
      r,
      inner,
      spaces[t]?.ptr ?? 0,
    ],
  }));
  rt.parallel(tasks, op);
  for (const ws of spaces) rt.free(ws);
}

/**
 * The loop shape of an `[outer, r, inner]` pass rendered from the IR: rows for a reduction along
 * the innermost axis, else columns; null for short passes of `dtype` (pooling windows,
 * `isShortPass`), which run the hand-written kernel (see eager_reductions.ts).
 */
function shapeOf(r: number, inner: number, dtype: DType): ReductionShape | null {
  const shape = inner > 1 ? "columns" : "rows";
  return isShortPass(shape, dtype, r, inner) ? null : shape;
}

/**
 * Runs an `[outer, r, inner]` pass of the kernel of `name` rendered from the IR in loop shape
 * `shape`, split along `outer` over the threads when large.
 */
function launchRendered(
  rt: WasmRuntime,
  name: MonoidReduction,
  dtype: DType,
  [x, o]: [WasmBuffer, WasmBuffer],
  [outer, r, inner]: [number, number, number],
  shape: ReductionShape,
): void {
  const kernel = reductionExport(name, dtype, shape);
  const bytes = ELEMENT_BYTES[dtype];
  const parts = splitRange(outer, outer * r * inner, rt.threads());
  const accumulator = accumulatorOf(name, dtype);
  const spaces = accumulator ? parts.map(() => rt.scratch(inner * ELEMENT_BYTES[accumulator])) : [];
  const tasks = parts.map(([lo, hi], t) => {
    const at = [x.ptr + lo * r * inner * bytes, o.ptr + lo * inner * bytes];
    const rows = hi - lo;
    const args = shape === "rows" ? [...at, 0, rows, r] : [...at, 0, rows, r, inner];
    return { kernel, args: spaces.length ? [...args, spaces[t].ptr] : args };
  });
  rt.parallel(tasks, name);
  for (const ws of spaces) rt.free(ws);
}

/** Runs one `[outer, r, inner]` pass of reduction `name` on `dtype`. */
function pass(
  rt: WasmRuntime,
  name: MonoidReduction,
  x: WasmBuffer,
  dtype: DType,
  [outer, r, inner]: [number, number, number],
): WasmBuffer {
  const o = rt.alloc(dtype, outer * inner);
  const shape = shapeOf(r, inner, dtype);
  if (shape && renderedShapes(name, dtype).includes(shape)) {
    launchRendered(rt, name, dtype, [x, o], [outer, r, inner], shape);
    return o;
  }
  const bytes = ELEMENT_BYTES[dtype];
  // Only float32 sums and products (accumulated in float64) read a scratch space.
  const scratch = dtype === "float32" && (name === "reduce_sum" || name === "reduce_prod");
  const kernel = handWrittenExport(name, dtype);
  launchRows(rt, kernel, name, [x, o], [bytes, bytes], [outer, r, inner], scratch);
  return o;
}

function reduction(name: MonoidReduction): WasmRule {
  return (rt, [x], [a], { axes }, [out]) => {
    if (a.size === 0) {
      const o = rt.allocFor(out);
      fill(rt, out.dtype, o, reductionIdentity(name, out.dtype), out.size);
      return [o];
    }
    const runs = runsOf(a.shape, axes as number[]);
    // A float sum over axes of size 1 only still adds each element to 0, as ref (-0 + 0 is +0).
    if (name === "reduce_sum" && isFloat(a.dtype) && !runs.some((r) => r.reduced)) {
      return [pass(rt, name, x, a.dtype, [a.size, 1, 1])];
    }
    let cur = rt.share(x);
    // Outermost run first: its passes read whole contiguous rows of what is kept inside it,
    // and leave less data for the inner runs (pooling windows: rows first, then pairs).
    for (let k = 0; k < runs.length; k++) {
      if (!runs[k].reduced) continue;
      const outer = sizeOf(runs.slice(0, k).map((r) => r.size));
      const inner = sizeOf(runs.slice(k + 1).map((r) => r.size));
      const next = pass(rt, name, cur, a.dtype, [outer, runs[k].size, inner]);
      rt.dispose(cur);
      cur = next;
      runs[k].size = 1;
    }
    return [cur];
  };
}

/**
 * Runs the second pass of an index reduction (`firstPosition`) of `x`, an `[outer, r, inner]`
 * operand of `dtype`, given its extreme `m`, into the int32 positions `o`, in loop shape
 * `shape`, split along `outer` over the threads when large.
 */
function launchPositions(
  rt: WasmRuntime,
  dtype: DType,
  [x, m, o]: [WasmBuffer, WasmBuffer, WasmBuffer],
  [outer, r, inner]: [number, number, number],
  shape: ReductionShape,
): void {
  const kernel = positionExport(dtype, shape);
  const bytes = ELEMENT_BYTES[dtype];
  const tasks = splitRange(outer, outer * r * inner, rt.threads()).map(([lo, hi]) => {
    const at = [x.ptr + lo * r * inner * bytes, m.ptr + lo * inner * bytes, o.ptr + lo * inner * 4];
    const rest = [0, hi - lo, r];
    return { kernel, args: shape === "rows" ? [...at, ...rest] : [...at, ...rest, inner] };
  });
  rt.parallel(tasks, "first_position");
}

/**
 * An index reduction (argmax, argmin): the extreme along the axis (a pass of reduce_max or
 * reduce_min, whichever kernel its sizes choose), then the first position holding it (or NaN)
 * from the IR; short ones (`isShortIndexPass`) run the hand-written kernel in one pass.
 */
function argReduction(name: "argmax" | "argmin"): WasmRule {
  return (rt, [x], [a], { axis }, [out]) => {
    const ax = axis as number;
    const dims: [number, number, number] = [
      sizeOf(a.shape.slice(0, ax)),
      a.shape[ax],
      sizeOf(a.shape.slice(ax + 1)),
    ];
    const o = rt.allocFor(out);
    if (out.size === 0) return [o];
    if (isShortIndexPass(dims[1], dims[2], dims[0])) {
      const bytes: [number, number] = [ELEMENT_BYTES[a.dtype], ELEMENT_BYTES[out.dtype]];
      launchRows(rt, `${name}_${SUFFIX[a.dtype]}_short`, name, [x, o], bytes, dims);
      return [o];
    }
    const m = pass(rt, name === "argmax" ? "reduce_max" : "reduce_min", x, a.dtype, dims);
    launchPositions(rt, a.dtype, [x, m, o], dims, dims[2] > 1 ? "columns" : "rows");
    rt.dispose(m);
    return [o];
  };
}

/** Rules of the reduction primitives. */
export const reductionRules: Record<
  "reduce_sum" | "reduce_prod" | "reduce_max" | "reduce_min" | "argmax" | "argmin",
  WasmRule
> = {
  reduce_sum: reduction("reduce_sum"),
  reduce_prod: reduction("reduce_prod"),
  reduce_max: reduction("reduce_max"),
  reduce_min: reduction("reduce_min"),
  argmax: argReduction("argmax"),
  argmin: argReduction("argmin"),
};
