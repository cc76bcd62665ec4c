/**
 * Reference kernels of `scatter`, `scatter_mul`, `scatter_min` and `scatter_max`: the operand
 * copied, then each update combined into its row in index order (so the last repeat wins for
 * `scatter`). Min and max propagate NaN, as the elementwise `min` and `max` do.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";
import { sizeOf } from "../../core/shape.ts";
import { mapRules } from "../rule_table.ts";
import type { RefImpl } from "./impl.ts";

/** How an update combines with the value already there. */
type Combine = (old: number, update: number) => number;

const nanMin: Combine = (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));
const nanMax: Combine = (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));

/** The combining rule of each scatter primitive. */
export const SCATTER_COMBINE: Record<
  "scatter" | "scatter_mul" | "scatter_min" | "scatter_max",
  Combine
> = {
  scatter: (_, u) => u,
  scatter_mul: (a, u) => a * u,
  scatter_min: nanMin,
  scatter_max: nanMax,
};

function scatterImpl(name: keyof typeof SCATTER_COMBINE): RefImpl {
  const combine = SCATTER_COMBINE[name];
  return ([x, idx, u], [a], { axis }, [out]) => {
    const ax = axis as number;
    const n = a.shape[ax];
    const inner = sizeOf(a.shape.slice(ax + 1));
    const outer = sizeOf(a.shape.slice(0, ax));
    for (const i of idx) {
      if (!(i >= 0 && i < n)) {
        throw new AdjointError(name, `index ${i} is out of bounds for an axis of size ${n}`);
      }
    }
    const r = x.slice(0, sizeOf(out.shape));
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < idx.length; j++) {
        const dst = (o * n + idx[j]) * inner, src = (o * idx.length + j) * inner;
        for (let k = 0; k < inner; k++) r[dst + k] = combine(r[dst + k], u[src + k]);
      }
    }
    return [r];
  };
}

/** Reference kernels of the combining scatters. */
export const scatterImpls: Record<keyof typeof SCATTER_COMBINE, RefImpl> = mapRules(
  SCATTER_COMBINE,
  (_, name) => scatterImpl(name),
);
