/**
 * Masks select which leaves of a parameter pytree a regulariser or weight decay touches: a pytree
 * of booleans with the parameters' structure, or a predicate on each leaf.
 * @module
 */
import type { Array } from "../core/array.ts";
import type { Tree } from "../core/tree.ts";

/** A pytree of booleans shaped like the parameters, or a predicate on each parameter array. */
export type Mask = Tree<boolean> | ((leaf: Array) => boolean);

/** Selects kernels and skips biases: the leaves with two or more axes. */
export const weightsOnly: Mask = (leaf: Array): boolean => leaf.ndim > 1;
