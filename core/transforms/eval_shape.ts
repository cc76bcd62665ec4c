/**
 * `evalShape` (jax.eval_shape): the shapes and dtypes of a function's outputs, found by tracing
 * it on abstract values, without computing them.
 * @module
 */
import type { ShapedArray } from "../aval.ts";
import { flatten, type Tree, type TreeDef, unflatten } from "../tree.ts";
import { flattenArrays } from "./flat.ts";
import { leafAval, makeJaxprFlat } from "./make_jaxpr.ts";

/**
 * `evalShape(f, ...args)` returns `f(...args)`'s output pytree with a `ShapedArray` (shape and
 * dtype) at each leaf. Arguments are pytrees of arrays, numbers, or `ShapedArray`s standing for
 * arrays of that type; nothing of `f` is computed beyond what does not depend on them.
 *
 * ```ts
 * import { evalShape, numpy as np, ShapedArray } from "../../mod.ts";
 * evalShape((x: np.Array) => np.sum(x, 0), new ShapedArray([3, 4], "float32")); // f32[4]
 * ```
 */
export function evalShape(f: (...args: any[]) => any, ...args: unknown[]): Tree<ShapedArray> {
  const [leaves, def] = flatten(args as Tree);
  let outDef: TreeDef | undefined;
  let avals: ShapedArray[] = [];
  makeJaxprFlat((xs) => {
    const [outs, d] = flattenArrays("evalShape", f(...(unflatten(def, xs) as unknown[])));
    outDef = d;
    avals = outs.map((o) => o.aval);
    return outs;
  }, leaves.map((l) => leafAval("evalShape", l)));
  return unflatten(outDef!, avals);
}
