/**
 * Equations that are calls of one of their sub-jaxprs, to be inlined by constant folding: a
 * `pjit` always (its equations then fuse with the rest); a `cond` whose index is a literal (a
 * scalar the function closes over, or one folded), as its taken branch, clamped as `lax.switch`
 * clamps.
 * @module
 */
import { type Atom, type Jaxpr, type JaxprEqn, paramsOf } from "../jaxpr.ts";
import { condP } from "./cond.ts";
import { pjitP } from "./pjit.ts";

/** A jaxpr an equation computes, and the operands to call it with. */
export interface Inlined {
  /** The jaxpr standing for the equation. */
  jaxpr: Jaxpr;
  /** Its operands (atoms of the enclosing jaxpr). */
  inputs: Atom[];
}

/**
 * The jaxpr `e` calls on `inputs` (its operands, already substituted), or `null` where it is not
 * known to call one; `scalar(a)` is the value of `a` where it is a known scalar.
 */
export type InlineRule = (
  e: JaxprEqn,
  inputs: Atom[],
  scalar: (a: Atom) => number | undefined,
) => Inlined | null;

/** A `pjit` is its jaxpr. */
const inlinePjit: InlineRule = (e, inputs) => ({ jaxpr: paramsOf(e, pjitP).jaxpr, inputs });

/** A `cond` with a known index is the branch it names. */
const inlineCond: InlineRule = (e, [index, ...ops], scalar) => {
  const { branches } = paramsOf(e, condP);
  const i = scalar(index);
  if (i === undefined) return null;
  return { jaxpr: branches[Math.min(Math.max(i, 0), branches.length - 1)], inputs: ops };
};

/** The inlining rules, by primitive name. */
export const inlineRules: Readonly<Record<string, InlineRule>> = {
  pjit: inlinePjit,
  cond: inlineCond,
};
