/**
 * Forwarding through control flow and calls, as JAX's forwarding optimisations: an output of a
 * sub-jaxpr that is one of its inputs (or a literal) is read outside from the operand instead,
 * so the equation's own output goes dead. A loop carry its body passes through unchanged becomes
 * a loop constant (its final value is its initial one); a `scan` output that is the step's slice
 * of a scanned input is that input.
 * @module
 */
import { type Atom, Jaxpr, JaxprEqn, Literal, paramsOf, type Var } from "../jaxpr.ts";
import { literalKey } from "../transforms/jaxpr_key.ts";
import { checkpointP } from "./checkpoint.ts";
import { condP } from "./cond.ts";
import { scanP, type ScanParams } from "./scan.ts";
import { whileP, type WhileParams } from "./while_loop.ts";

/** An equation rewritten by forwarding, and the atom each of its original outputs is now. */
export interface Forwarded {
  /** The equation that stays. */
  eqn: JaxprEqn;
  /** For each output of the original equation, where its value now comes from. */
  outs: Atom[];
}

/** Forwards what an equation's sub-jaxprs pass through; `null` where nothing is. */
export type ForwardRule = (e: JaxprEqn) => Forwarded | null;

/** The outer atom output `k` of `j` is when it is input `i` (`args[i]`) or a literal. */
function passedThrough(j: Jaxpr, k: number, args: readonly Atom[]): Atom | null {
  const out = j.outs[k];
  if (out instanceof Literal) return out;
  const i = j.inBinders.indexOf(out);
  return i < 0 ? null : args[i];
}

/** `e` with each output replaced by `via(k)` where that is not `null`; `null` if none is. */
function forwardEach(e: JaxprEqn, via: (k: number) => Atom | null): Forwarded | null {
  const outs = e.outBinders.map((v, k) => via(k) ?? v);
  return outs.some((a, k) => a !== e.outBinders[k]) ? { eqn: e, outs } : null;
}

/** A `checkpoint` call's outputs that are its operands (a `pjit` is inlined before). */
const forwardCall: ForwardRule = (e) =>
  forwardEach(e, (k) => passedThrough(paramsOf(e, checkpointP).jaxpr, k, e.inputs));

/** The outer value every branch returns, when they agree on one. */
const forwardCond: ForwardRule = (e) => {
  const { branches } = paramsOf(e, condP);
  const ops = e.inputs.slice(1);
  const same = (a: Atom | null, b: Atom | null) =>
    a !== null && b !== null &&
    (a === b || (a instanceof Literal && b instanceof Literal && literalKey(a) === literalKey(b)));
  return forwardEach(e, (k) => {
    const first = passedThrough(branches[0], k, ops);
    return branches.every((b) => same(passedThrough(b, k, ops), first)) ? first : null;
  });
};

/** Reorders `xs` (`n` carries from `offset`): the flagged carries move to just before `offset`. */
function carriesFirst<T>(xs: readonly T[], offset: number, flags: readonly boolean[]): T[] {
  const carries = xs.slice(offset, offset + flags.length);
  return [
    ...xs.slice(0, offset),
    ...carries.filter((_, i) => flags[i]),
    ...carries.filter((_, i) => !flags[i]),
    ...xs.slice(offset + flags.length),
  ];
}

/** Which carries `body` (carries at inputs `offset..`, outputs `0..`) returns unchanged. */
function unchangedCarries(body: Jaxpr, offset: number, n: number): boolean[] {
  return globalThis.Array.from(
    { length: n },
    (_, i) => body.outs[i] === body.inBinders[offset + i],
  );
}

/** `body` with the flagged carries as loop constants: inputs before the others, outputs gone. */
function carriesAsConsts(body: Jaxpr, offset: number, flags: readonly boolean[]): Jaxpr {
  return new Jaxpr(
    body.constVars,
    body.consts,
    carriesFirst(body.inBinders, offset, flags),
    body.eqns,
    [
      ...body.outs.slice(0, flags.length).filter((_, i) => !flags[i]),
      ...body.outs.slice(flags.length),
    ],
  );
}

/**
 * `scan`: a carry passed through unchanged becomes a constant and its final value the initial
 * one; a `ys` that is the step's `x` is `xs`; with at least one step, a carry the body sets to a
 * constant or literal ends as that.
 */
const forwardScan: ForwardRule = (e) => {
  const p = paramsOf(e, scanP);
  const nc = p.numConsts, nk = p.numCarry, body = p.jaxpr;
  const fixed = unchangedCarries(body, nc, nk);
  const inputs = e.inputs;
  const via = (k: number): Atom | null => {
    if (k < nk && fixed[k]) return inputs[nc + k];
    const a = passedThrough(body, k, inputs);
    if (a === null) return null;
    const i = body.inBinders.indexOf(body.outs[k] as Var);
    if (k < nk) return p.length > 0 && (a instanceof Literal || i < nc) ? a : null;
    return i >= nc + nk ? a : null;
  };
  const outs = e.outBinders.map((v, k) => via(k) ?? v);
  if (outs.every((a, k) => a === e.outBinders[k])) return null;
  if (!fixed.some(Boolean)) return { eqn: e, outs };
  const m = fixed.filter(Boolean).length;
  const params: ScanParams = {
    ...p,
    jaxpr: carriesAsConsts(body, nc, fixed),
    numConsts: nc + m,
    numCarry: nk - m,
  };
  const binders = e.outBinders.filter((_, k) => k >= nk || !fixed[k]);
  const eqn = new JaxprEqn(e.prim, carriesFirst(inputs, nc, fixed), params, binders);
  return { eqn, outs };
};

/**
 * `while`: a carry the body passes through unchanged becomes a constant of the condition and
 * the body, and its final value is the initial one.
 */
const forwardWhile: ForwardRule = (e) => {
  const p = paramsOf(e, whileP);
  const ncc = p.numCondConsts, nbc = p.numBodyConsts, nk = e.outBinders.length;
  const fixed = unchangedCarries(p.body, nbc, nk);
  if (!fixed.some(Boolean)) return null;
  const m = fixed.filter(Boolean).length;
  const cc = e.inputs.slice(0, ncc), bc = e.inputs.slice(ncc, ncc + nbc);
  const carry = e.inputs.slice(ncc + nbc);
  const still = carry.filter((_, i) => fixed[i]), moving = carry.filter((_, i) => !fixed[i]);
  const params: WhileParams = {
    ...p,
    cond: new Jaxpr(
      p.cond.constVars,
      p.cond.consts,
      carriesFirst(p.cond.inBinders, ncc, fixed),
      p.cond.eqns,
      p.cond.outs,
    ),
    body: carriesAsConsts(p.body, nbc, fixed),
    numCondConsts: ncc + m,
    numBodyConsts: nbc + m,
  };
  const inputs = [...cc, ...still, ...bc, ...still, ...moving];
  const eqn = new JaxprEqn(e.prim, inputs, params, e.outBinders.filter((_, i) => !fixed[i]));
  return { eqn, outs: e.outBinders.map((v, i) => (fixed[i] ? carry[i] : v)) };
};

/** The forwarding rules of primitives carrying sub-jaxprs, by primitive name. */
export const forwardingRules: Readonly<Record<string, ForwardRule>> = {
  scan: forwardScan,
  while: forwardWhile,
  cond: forwardCond,
  checkpoint: forwardCall,
};
