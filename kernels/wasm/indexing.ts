/**
 * take and scatter_add on the wasm runtime: the array is viewed as `[outer, n, inner]` around
 * the indexed axis; the kernels check every index before moving anything. The combining
 * scatters go through the reference kernels.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";
import { sizeOf } from "../../core/shape.ts";
import { viaRef } from "./fallback.ts";
import type { WasmBuffer } from "./memory.ts";
import { refFallback } from "../rule_table.ts";
import type { WasmRule, WasmRuleTable } from "./rule.ts";
import { ELEMENT_BYTES, SUFFIX, type WasmRuntime } from "./runtime.ts";

/** Throws the reference backend's error for an out-of-range index at position `bad`. */
function checkResult(rt: WasmRuntime, op: string, bad: number, idx: WasmBuffer, n: number): void {
  if (bad < 0) return;
  const i = rt.heap.i32[(idx.ptr >> 2) + bad];
  throw new AdjointError(op, `index ${i} is out of bounds for an axis of size ${n}`);
}

const take: WasmRule = (rt, [x, idx], [a, ia], { axis }, [out]) => {
  const ax = axis as number;
  const n = a.shape[ax];
  const o = rt.allocFor(out);
  const bad = rt.kernel("take", "take")(
    x.ptr,
    idx.ptr,
    o.ptr,
    sizeOf(a.shape.slice(0, ax)),
    n,
    ia.size,
    sizeOf(a.shape.slice(ax + 1)),
    ELEMENT_BYTES[a.dtype],
  );
  if (bad >= 0) rt.dispose(o);
  checkResult(rt, "take", bad, idx, n);
  return [o];
};

const numericScatterAdd: WasmRule = (rt, [u, idx], [, ia], { axis }, [out]) => {
  const ax = axis as number;
  const n = out.shape[ax];
  const o = rt.allocFor(out);
  const bad = rt.kernel(`scatter_add_${SUFFIX[out.dtype]}`, "scatter_add")(
    u.ptr,
    idx.ptr,
    o.ptr,
    sizeOf(out.shape.slice(0, ax)),
    n,
    ia.size,
    sizeOf(out.shape.slice(ax + 1)),
  );
  if (bad >= 0) rt.dispose(o);
  checkResult(rt, "scatter_add", bad, idx, n);
  return [o];
};

const refScatterAdd = viaRef("scatter_add");

const scatterAdd: WasmRule = (rt, inputs, inAvals, params, outAvals) =>
  (outAvals[0].dtype === "bool" ? refScatterAdd : numericScatterAdd)(
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
