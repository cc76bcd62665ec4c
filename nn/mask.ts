/**
 * Masks select which leaves of a parameter pytree a regulariser or weight decay touches: a pytree
 * of booleans with the parameters' structure, or a predicate on each leaf.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { flatten, leaves, type Tree } from "../core/tree.ts";

/** A pytree of booleans shaped like the parameters, or a predicate on each parameter array. */
export type Mask = Tree<boolean> | ((leaf: Array) => boolean);

/** Selects kernels and skips biases: the leaves with two or more axes. */
export const weightsOnly: Mask = (leaf: Array) => leaf.ndim > 1;

/** One boolean per leaf of `params` (all true without a mask). */
export function maskLeaves(op: string, params: Tree, mask?: Mask): boolean[] {
  const ps = leaves(params) as Array[];
  if (mask === undefined) return ps.map(() => true);
  if (typeof mask === "function") return ps.map((p) => mask(p));
  const [flags, def] = flatten(mask);
  if (flags.length !== ps.length || flags.some((f) => typeof f !== "boolean")) {
    throw new AdjointError(
      op,
      `the mask must be a pytree of ${ps.length} booleans shaped like the parameters, ` +
        `got ${def} with ${flags.length} leaves`,
    );
  }
  return flags as boolean[];
}
