/**
 * Walking the pytrees a gradient transformation is given: a map over corresponding leaves of
 * updates, state and params, zeros shaped like the params, and the check that params were passed.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { assertSameStructure, flatten, type Tree, unflatten } from "../core/tree.ts";
import * as np from "../numpy.ts";

/**
 * Applies `fn` to corresponding leaves of trees of one structure, where `fn` returns `k` arrays:
 * returns `k` trees with that structure.
 */
export function mapLeaves(
  op: string,
  k: number,
  fn: (...leaves: Array[]) => Array[],
  tree: Tree,
  ...rest: Tree[]
): Tree[] {
  const [first, def] = flatten(tree);
  const others = rest.map((t) => {
    const [ls, d] = flatten(t);
    assertSameStructure(op, def, d, "updates, state and params");
    return ls;
  });
  const results = (first as Array[]).map((leaf, i) =>
    fn(leaf, ...others.map((o) => o[i] as Array))
  );
  return globalThis.Array.from({ length: k }, (_, j) => unflatten(def, results.map((r) => r[j])));
}

/** Zeros shaped like every leaf of `params`. */
export function zerosLikeTree(params: Tree): Tree {
  return mapLeaves("optim.init", 1, (p) => [np.zerosLike(p)], params)[0];
}

/** The params a transformation needs, or an error naming it. */
export function requireParams(op: string, params: Tree | undefined): Tree {
  if (params === undefined) {
    throw new AdjointError(op, "update needs the current params: update(grads, state, params)");
  }
  return params;
}
