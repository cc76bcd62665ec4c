/**
 * JAX's functional updates, `x.at(...idx).set(v)` (JAX's `x.at[idx].set(v)`), `.add`, `.mul`,
 * `.min`, `.max` and `.get`, for any index `np.index` accepts. The elements an index selects
 * are found by indexing the array of flat positions `0 .. x.size - 1` the same way; the update
 * is then one scatter along the flattened array, so repeated indices combine as in JAX's
 * scatters and every update is differentiable and batchable through the scatter primitives.
 * @module
 */
import { type Array, type ArrayLike, ConcreteArray } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import type { Index, IndexUpdateRef } from "../core/index_types.ts";
import * as ew from "../core/primitives/elementwise.ts";
import { scatterAdd } from "../core/primitives/indexing.ts";
import { scatter, scatterMax, scatterMin, scatterMul } from "../core/primitives/scatter.ts";
import * as st from "../core/primitives/structural.ts";
import { shapeStr } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";
import { index } from "./indexing.ts";

/** A combining scatter along axis 0 of a flat operand. */
type FlatScatter = (operand: Array, positions: Array, updates: Array) => Array;

const addInto: FlatScatter = (x, p, u) => ew.add(x, scatterAdd(u, p, 0, x.shape));

class IndexUpdate implements IndexUpdateRef {
  constructor(readonly x: Array, readonly idx: readonly Index[]) {}

  get(): Array {
    return index(this.x, ...this.idx);
  }
  set(v: ArrayLike): Array {
    return this.#update("set", v, (x, p, u) => scatter(x, p, u, 0));
  }
  add(v: ArrayLike): Array {
    return this.#update("add", v, addInto);
  }
  mul(v: ArrayLike): Array {
    return this.#update("mul", v, (x, p, u) => scatterMul(x, p, u, 0));
  }
  min(v: ArrayLike): Array {
    return this.#update("min", v, (x, p, u) => scatterMin(x, p, u, 0));
  }
  max(v: ArrayLike): Array {
    return this.#update("max", v, (x, p, u) => scatterMax(x, p, u, 0));
  }

  #update(name: string, v: ArrayLike, combine: FlatScatter): Array {
    const x = this.x;
    const flat = Int32Array.from({ length: x.size }, (_, i) => i);
    const positions = index(ConcreteArray.fromHost(flat, x.shape, "int32"), ...this.idx);
    const target = positions.shape;
    const u = ew.convert(asArray(v), x.dtype);
    const off = target.length - u.ndim;
    if (off < 0 || u.shape.some((d, i) => d !== 1 && d !== target[off + i])) {
      throw new AdjointError(
        `at(...).${name}`,
        `values ${u.aval} do not broadcast to the indexed shape ${shapeStr(target)} of ${x.aval}`,
      );
    }
    const updates = st.reshape(st.broadcastTo(u, target), [positions.size]);
    const out = combine(st.reshape(x, [x.size]), st.reshape(positions, [positions.size]), updates);
    return st.reshape(out, x.shape);
  }
}

/**
 * JAX's `x.at[idx]` as a function: `at(x, ...idx).set(v)` is `x.at(...idx).set(v)`. `idx` is
 * anything `np.index` takes; `v` is converted to `x`'s dtype and broadcast to the indexed
 * shape. Repeated indices accumulate for `add`, `mul`, `min` and `max`; for `set` the last
 * repeat wins (JAX leaves the order unspecified). Out-of-range indices are errors, where JAX
 * drops them. The derivative of `mul` with respect to `v` is refused, as in JAX.
 *
 * ```ts
 * import { numpy as np } from "../mod.ts";
 * const x = np.zeros([4]);
 * x.at([0, 0, 2]).add(1).toArray(); // [2, 0, 1, 0]
 * x.at(np.s(1, 3)).set(5).toArray(); // [0, 5, 5, 0]
 * ```
 */
export function at(x: ArrayInput, ...idx: Index[]): IndexUpdateRef {
  return new IndexUpdate(asArray(x), idx);
}
