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
import { type ParamsOf, refFallback } from "../rule_table.ts";
import type { WasmRule, WasmRuleTable } from "./rule.ts";
import { ELEMENT_BYTES, type WasmRuntime } from "./runtime.ts";
import { PARALLEL_MIN, splitRange } from "./split.ts";

/**
 * Where one of the `m` positions at `idx` is outside [0, n), disposes `out` and throws the
 * reference backend's error for the first.
 */
function checkPositions(
  rt: WasmRuntime,
  op: string,
  idx: WasmBuffer,
  out: WasmBuffer,
  m: number,
  n: number,
): void {
  const positions = rt.heap.i32.subarray(idx.ptr >> 2, (idx.ptr >> 2) + m);
  const i = positions.find((p) => !(p >= 0 && p < n));
  if (i === undefined) return;
  rt.dispose(out);
  throw new AdjointError(op, `index ${i} is out of bounds for an axis of size ${n}`);
}

/** Each runtime's out-of-range flag (4 bytes, zero between launches). */
const FLAGS = new WeakMap<WasmRuntime, number>();

/** `rt`'s out-of-range flag's address, allocated at the first launch and zeroed. */
function flagOf(rt: WasmRuntime): number {
  let ptr = FLAGS.get(rt);
  if (ptr === undefined) {
    ptr = rt.scratch(4).ptr;
    rt.heap.i32[ptr >> 2] = 0;
    FLAGS.set(rt, ptr);
  }
  return ptr;
}

/**
 * Runs `kernel` over `[outer, m, inner]` (`n` positions) from `src` through positions `idx` into
 * `out`, split along `outer` over the threads when large (a small one is called directly, with
 * nothing allocated); on a position out of range, disposes `out` and throws `op`'s error.
 */
function launch(
  rt: WasmRuntime,
  op: string,
  kernel: string,
  src: WasmBuffer,
  idx: WasmBuffer,
  out: WasmBuffer,
  outer: number,
  m: number,
  inner: number,
  n: number,
): void {
  if (outer === 0) return;
  if (inner === 0 || n === 0) return checkPositions(rt, op, idx, out, m, n);
  const flag = flagOf(rt);
  const work = outer * m * inner;
  if (outer === 1 || work < PARALLEL_MIN || rt.threads() === 1) {
    // Called directly, the kernel returns its flag.
    const fn = rt.kernel(kernel, op);
    const bad = inner === 1
      ? fn(src.ptr, idx.ptr, out.ptr, flag, 0, outer, m, n)
      : fn(src.ptr, idx.ptr, out.ptr, flag, 0, outer, m, inner, n);
    if (bad === 0) return;
  } else {
    const sizes = inner === 1 ? [m, n] : [m, inner, n];
    const tasks = splitRange(outer, work, rt.threads()).map(([lo, hi]) => ({
      kernel,
      args: [src.ptr, idx.ptr, out.ptr, flag, lo, hi, ...sizes],
    }));
    rt.parallel(tasks, op);
    if (rt.heap.i32[flag >> 2] === 0) return;
  }
  rt.heap.i32[flag >> 2] = 0;
  checkPositions(rt, op, idx, out, m, n);
}

/** The widest element (8, 4 or 1 bytes) that rows of `bytes` bytes are a whole number of. */
const unitOf = (bytes: number): number => (bytes % 8 === 0 ? 8 : bytes % 4 === 0 ? 4 : 1);

/**
 * A take moves its rows in the widest elements they are made of (a bool row of 64 bytes as 8
 * float64; rows of 128 bytes or more by `memory.copy`: bulk_rows.ts `gatheredRow`).
 */
const take: WasmRule<ParamsOf<"take">> = (rt, [x, idx], [a, ia], { axis }, [out]) => {
  const n = a.shape[axis], row = sizeOf(a.shape.slice(axis + 1)) * ELEMENT_BYTES[a.dtype];
  const bytes = unitOf(row), inner = row / bytes;
  const o = rt.allocFor(out);
  const outer = sizeOf(a.shape.slice(0, axis));
  launch(rt, "take", takeExport(bytes, indexingShape(inner)), x, idx, o, outer, ia.size, inner, n);
  return [o];
};

const numericScatterAdd: WasmRule<ParamsOf<"scatter_add">> = (
  rt,
  [u, idx],
  [, ia],
  { axis },
  [out],
) => {
  const n = out.shape[axis], inner = sizeOf(out.shape.slice(axis + 1)), m = ia.size;
  const o = rt.allocFor(out);
  const kernel = scatterAddExport(out.dtype, indexingShape(inner));
  launch(rt, "scatter_add", kernel, u, idx, o, sizeOf(out.shape.slice(0, axis)), m, inner, n);
  return [o];
};

const refScatterAdd = viaRef("scatter_add");

const scatterAdd: WasmRule<ParamsOf<"scatter_add">> = (rt, inputs, inAvals, params, outAvals) =>
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
