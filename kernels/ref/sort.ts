/**
 * Reference kernel of `sort`, listed in the reference backend's table: a stable sort of index
 * permutations per line, then every operand gathered by it.
 * @module
 */
import { allocTyped, type TypedArray } from "../../core/dtype.ts";
import { sizeOf } from "../../core/shape.ts";
import type { SortParams } from "../../core/primitives/sort.ts";
import type { RefImpl } from "./impl.ts";

/** Total order on numbers with NaN after everything, as lax.sort orders floats. */
function compare(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const sort: RefImpl<SortParams> = (xs, avals, { dimension, numKeys }) => {
  const shape = avals[0].shape, d = dimension as number, k = numKeys as number;
  const n = shape[d];
  const inner = sizeOf(shape.slice(d + 1));
  const outer = sizeOf(shape.slice(0, d));
  const outs: TypedArray[] = xs.map((x, i) => allocTyped(avals[i].dtype, x.length));
  const order = new Array<number>(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * n + j) * inner + i;
      for (let j = 0; j < n; j++) order[j] = j;
      order.sort((p, q) => {
        for (let key = 0; key < k; key++) {
          const c = compare(xs[key][at(p)], xs[key][at(q)]);
          if (c !== 0) return c;
        }
        return p - q;
      });
      for (let j = 0; j < n; j++) {
        const src = at(order[j]), dst = at(j);
        for (let v = 0; v < xs.length; v++) outs[v][dst] = xs[v][src];
      }
    }
  }
  return outs;
};

/** The reference kernel of sort. */
export const sortImpls: { sort: RefImpl<SortParams> } = { sort };
