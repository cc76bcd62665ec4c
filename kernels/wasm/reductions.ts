/**
 * Reductions on the wasm runtime. Axes of size 1 are dropped and neighbouring axes that are both
 * reduced (or both kept) are merged into runs; each reduced run is then one `[outer, r, inner]`
 * kernel pass, innermost run first. Empty reductions produce what the reference backend does
 * (its identity element, stored in the output dtype).
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { sizeOf } from "../../core/shape.ts";
import type { WasmBuffer } from "./memory.ts";
import type { WasmRule } from "./rule.ts";
import { SUFFIX, type WasmRuntime } from "./runtime.ts";
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

/** Identity element of each reduction, as the reference backend stores it per dtype. */
function emptyValue(name: string, dtype: DType): number {
  const init = name === "reduce_sum"
    ? 0
    : name === "reduce_prod"
    ? 1
    : name === "reduce_max"
    ? -Infinity
    : Infinity;
  return Number.isFinite(init) || dtype === "float32" || dtype === "float64" ? init : 0;
}

/** Runs one `[outer, r, inner]` pass of reduction kernel `kernel`. */
function pass(
  rt: WasmRuntime,
  kernel: string,
  op: string,
  x: WasmBuffer,
  dtype: DType,
  outer: number,
  r: number,
  inner: number,
): WasmBuffer {
  const o = rt.alloc(dtype, outer * inner);
  const ws = rt.scratch(inner * 8);
  rt.kernel(kernel, op)(x.ptr, o.ptr, outer, r, inner, ws.ptr);
  rt.free(ws);
  return o;
}

function reduction(name: string): WasmRule {
  return (rt, [x], [a], { axes }, [out]) => {
    const kernel = `${name}_${SUFFIX[a.dtype]}`;
    if (a.size === 0) {
      const o = rt.allocFor(out);
      fill(rt, out.dtype, o, emptyValue(name, out.dtype), out.size);
      return [o];
    }
    const runs = runsOf(a.shape, axes as number[]);
    let cur = rt.share(x);
    for (let k = runs.length - 1; k >= 0; k--) {
      if (!runs[k].reduced) continue;
      const outer = sizeOf(runs.slice(0, k).map((r) => r.size));
      const inner = sizeOf(runs.slice(k + 1).map((r) => r.size));
      const next = pass(rt, kernel, name, cur, a.dtype, outer, runs[k].size, inner);
      rt.dispose(cur);
      cur = next;
      runs[k].size = 1;
    }
    return [cur];
  };
}

function argReduction(name: string): WasmRule {
  return (rt, [x], [a], { axis }, [out]) => {
    const ax = axis as number;
    const outer = sizeOf(a.shape.slice(0, ax));
    const inner = sizeOf(a.shape.slice(ax + 1));
    const o = rt.allocFor(out);
    const ws = rt.scratch(inner * 8);
    rt.kernel(`${name}_${SUFFIX[a.dtype]}`, name)(x.ptr, o.ptr, outer, a.shape[ax], inner, ws.ptr);
    rt.free(ws);
    return [o];
  };
}

/** Rules of the reduction primitives. */
export const reductionRules: Record<string, WasmRule> = {
  reduce_sum: reduction("reduce_sum"),
  reduce_prod: reduction("reduce_prod"),
  reduce_max: reduction("reduce_max"),
  reduce_min: reduction("reduce_min"),
  argmax: argReduction("argmax"),
  argmin: argReduction("argmin"),
};
