/**
 * Reading a mask against a parameter pytree: one flag per leaf, for the regularisers and weight
 * decay that take a `Mask`.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { flatten, leaves, type Tree } from "../core/tree.ts";
import type { Mask } from "./mask.ts";

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
