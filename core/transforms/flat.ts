/**
 * Adapters between user functions over pytrees and the flat functions over arrays that the
 * interpreters work with.
 * @module
 */
import { Array } from "../array.ts";
import { AdjointError } from "../errors.ts";
import { scalar } from "../primitives/constants.ts";
import { flatten, type Tree, type TreeDef, unflatten } from "../tree.ts";

/** Converts a leaf to an array: arrays pass, JS numbers become float32 and booleans bool. */
export function leafToArray(op: string, x: unknown): Array {
  if (x instanceof Array) return x;
  if (typeof x === "number") return scalar(x, "float32");
  if (typeof x === "boolean") return scalar(x, "bool");
  throw new AdjointError(
    op,
    `expected arrays or numbers as pytree leaves, got ${
      x === null ? "null" : typeof x === "object" ? x.constructor?.name ?? "object" : typeof x
    }`,
  );
}

/** Flattens a tree of arrays (numbers converted), returning leaves and structure. */
export function flattenArrays(op: string, tree: Tree): [Array[], TreeDef] {
  const [leaves, def] = flatten(tree);
  return [leaves.map((l) => leafToArray(op, l)), def];
}

/** The output structure recorded when a flattened function runs. */
export interface OutStore {
  /** Structure of the last output. */
  def?: TreeDef;
}

/**
 * Turns `f(...args)` over pytrees into a function of flat leaves; the output structure is stored
 * in `store` when it runs.
 */
export function flattenFun(
  op: string,
  f: (...args: any[]) => Tree,
  inDef: TreeDef,
  store: OutStore,
): (xs: Array[]) => Array[] {
  return (xs) => {
    const args = unflatten(inDef, xs) as unknown[];
    const [outs, def] = flattenArrays(op, f(...args));
    store.def = def;
    return outs;
  };
}
