/**
 * take and scatter_add on the wasm runtime: the array is viewed as `[outer, n, inner]` around
 * the indexed axis, and the kernels rendered from the IR (eager_indexing.ts) move its rows,
 * split along `outer` over the threads when large, and set a flag where a position is out of
 * range; the first such position is then found here and raised, the output discarded. Where no
 * row moves (inner or n 0) the positions are checked here alone. The combining scatters and
 * bool scatter-adds go through the reference kernels.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";
import { sizeOf } from "../../core/shape.ts";
import { indexingShape, SCATTER_ADDED, scatterAddExport, takeExport } from "./eager_indexing.ts";
import { viaRef } from "./fallback.ts";
import type { WasmBuffer } from "./memory.ts";
import { refFallback } from "../rule_table.ts";
import type { WasmRule, WasmRuleTable } from "./rule.ts";
import { ELEMENT_BYTES, type WasmRuntime } from "./runtime.ts";
import { splitRange } from "./split.ts";

/**
 * Where one of the `m` positions at `idx` is outside [0, n), disposes `out` and throws the
 * reference backend's error for the first.
 */
function checkPositions(
  rt: WasmRuntime,
  op: string,
  [idx, out]: [WasmBuffer, WasmBuffer],
  m: number,
  n: number,
): void {
  const positions = rt.heap.i32.subarray(idx.ptr >> 2, (idx.ptr >> 2) + m);
  const i = positions.find((p) => !(p >= 0 && p < n));
  if (i === undefined) return;
  rt.dispose(out);
  throw new AdjointError(op, `index ${i} is out of bounds for an axis of size ${n}`);
}

/**
 * Runs `kernel` over `[outer, m, inner]` (`n` positions) from `src` through positions `idx` into
 * `out`; on a position out of range, disposes `out` and throws `op`'s error.
 */
function launch(
  rt: WasmRuntime,
  op: string,
  kernel: string,
  [src, idx, out]: [WasmBuffer, WasmBuffer, WasmBuffer],
  [outer, m, inner, n]: [number, number, number, number],
  srcRows: number,
  bytes: number,
): void {
  if (outer === 0) return;
  if (inner === 0 || n === 0) return checkPositions(rt, op, [idx, out], m, n);
  const flag = rt.scratch(4);
  rt.heap.i32[flag.ptr >> 2] = 0;
  const row = inner * bytes;
  const outRows = op === "take" ? m : n;
  const sizes = inner === 1 ? [m, n] : [m, inner, n];
  const tasks = splitRange(outer, outer * m * inner, rt.threads()).map(([lo, hi]) => ({
    kernel,
    args: [
      src.ptr + lo * srcRows * row,
      idx.ptr,
      out.ptr + lo * outRows * row,
      flag.ptr,
      0,
      hi - lo,
      ...sizes,
    ],
  }));
  rt.parallel(tasks, op);
  const bad = rt.heap.i32[flag.ptr >> 2] !== 0;
  rt.free(flag);
  if (bad) checkPositions(rt, op, [idx, out], m, n);
}

const take: WasmRule = (rt, [x, idx], [a, ia], { axis }, [out]) => {
  const ax = axis as number;
  const n = a.shape[ax], inner = sizeOf(a.shape.slice(ax + 1));
  const bytes = ELEMENT_BYTES[a.dtype];
  const o = rt.allocFor(out);
  const kernel = takeExport(bytes, indexingShape(inner));
  const sizes: [number, number, number, number] = [sizeOf(a.shape.slice(0, ax)), ia.size, inner, n];
  launch(rt, "take", kernel, [x, idx, o], sizes, n, bytes);
  return [o];
};

const numericScatterAdd: WasmRule = (rt, [u, idx], [, ia], { axis }, [out]) => {
  const ax = axis as number;
  const n = out.shape[ax], inner = sizeOf(out.shape.slice(ax + 1)), m = ia.size;
  const bytes = ELEMENT_BYTES[out.dtype];
  const o = rt.allocFor(out);
  const kernel = scatterAddExport(out.dtype, indexingShape(inner));
  const sizes: [number, number, number, number] = [sizeOf(out.shape.slice(0, ax)), m, inner, n];
  launch(rt, "scatter_add", kernel, [u, idx, o], sizes, m, bytes);
  return [o];
};

const refScatterAdd = viaRef("scatter_add");

const scatterAdd: WasmRule = (rt, inputs, inAvals, params, outAvals) =>
  (SCATTER_ADDED.includes(outAvals[0].dtype) ? numericScatterAdd : refScatterAdd)(
    rt,
    inputs,
    inAvals,
    params,
    outAvals,
  );

const NO_SCATTER_KERNEL = refFallback(
  "the combining scatters (.at(idx).set/mul/min/max) have no prebuilt kernel yet",
);

/**
 * Rules of the indexing primitives. The combining scatters (`.at(idx).set/mul/min/max`) have
 * no prebuilt kernel yet and run the reference kernel on copies, explicitly.
 */
export const indexingRules: Pick<
  WasmRuleTable,
  "take" | "scatter_add" | "scatter" | "scatter_mul" | "scatter_min" | "scatter_max"
> = {
  take,
  scatter_add: scatterAdd,
  scatter: NO_SCATTER_KERNEL,
  scatter_mul: NO_SCATTER_KERNEL,
  scatter_min: NO_SCATTER_KERNEL,
  scatter_max: NO_SCATTER_KERNEL,
};
