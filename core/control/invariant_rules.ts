/**
 * Loop-invariant outputs computed once, outside the loop: a `scan` output `y` that reads neither
 * the carry, the scanned inputs nor the step (only the loop's constants, the body's own consts and
 * literals) is the same every step, so its stacked `ys` is a `broadcast_in_dim` of one value
 * computed after the loop instead of a stacked loop output. The sibling of forwarding
 * (core/control/forwarding_rules.ts), which reads outputs a body passes through from outside.
 * @module
 */
import type { Array } from "../array.ts";
import { type Atom, type Jaxpr, JaxprEqn, Literal, Var } from "../jaxpr.ts";
import { broadcastInDimP } from "../primitives/structural.ts";
import { range } from "../shape.ts";
import type { ScanParams } from "./scan.ts";

/** An equation whose invariant outputs are computed outside it. */
export interface Hoisted {
  /** The equation that stays (its invariant outputs then go dead). */
  eqn: JaxprEqn;
  /** For each output of the original equation, where its value now comes from. */
  outs: Atom[];
  /** The equations computing the invariant outputs, to follow `eqn`. */
  after: JaxprEqn[];
  /** The sub-jaxpr consts those equations read, as new consts of the enclosing jaxpr. */
  consts: Map<Var, Array>;
}

/** Computes an equation's loop-invariant outputs outside it; `null` where it has none. */
export type InvariantRule = (e: JaxprEqn) => Hoisted | null;

/** Which variables of `j` depend only on its consts and its first `n` inputs (and literals). */
function invariantVars(j: Jaxpr, n: number): Set<Var> {
  const invariant = new Set<Var>([...j.constVars, ...j.inBinders.slice(0, n)]);
  const known = (a: Atom) => a instanceof Literal || invariant.has(a);
  for (const e of j.eqns) {
    if (e.inputs.every(known)) e.outBinders.forEach((v) => invariant.add(v));
  }
  return invariant;
}

/** The equations of `j` that `outs` need, in order. */
function coneOf(j: Jaxpr, outs: readonly Atom[]): JaxprEqn[] {
  const needed = new Set<Var>(outs.filter((a): a is Var => a instanceof Var));
  const cone: JaxprEqn[] = [];
  for (let i = j.eqns.length - 1; i >= 0; i--) {
    const e = j.eqns[i];
    if (!e.outBinders.some((v) => needed.has(v))) continue;
    cone.push(e);
    e.inputs.forEach((a) => a instanceof Var && needed.add(a));
  }
  return cone.reverse();
}

/**
 * `scan`: each `ys` whose step value is loop-invariant is that value, computed once from the
 * scan's constants, broadcast along a new leading axis of the scan's length.
 */
const hoistScanYs: InvariantRule = (e) => {
  const p = e.params as ScanParams;
  const body = p.jaxpr, nc = p.numConsts, nk = p.numCarry;
  const invariant = invariantVars(body, nc);
  const ys = body.outs.map((a, k) => k >= nk && (a instanceof Literal || invariant.has(a)));
  if (!ys.some(Boolean)) return null;
  const consts = new Map<Var, Array>();
  const env = new Map<Var, Atom>(body.inBinders.slice(0, nc).map((v, i) => [v, e.inputs[i]]));
  body.constVars.forEach((v, i) => {
    const fresh = new Var(v.aval);
    env.set(v, fresh);
    consts.set(fresh, body.consts[i]);
  });
  const outer = (a: Atom): Atom => (a instanceof Literal ? a : env.get(a)!);
  const after = coneOf(body, body.outs.filter((_, k) => ys[k])).map((b) => {
    const outs = b.outBinders.map((v) => env.set(v, new Var(v.aval)).get(v) as Var);
    return new JaxprEqn(b.prim, b.inputs.map(outer), b.params, outs);
  });
  const outs = e.outBinders.map((v, k): Atom => {
    if (!ys[k]) return v;
    const y = outer(body.outs[k]);
    const stacked = new Var(v.aval);
    const dims = range(y.aval.ndim).map((d) => d + 1);
    after.push(new JaxprEqn(broadcastInDimP, [y], { shape: [...v.aval.shape], dims }, [stacked]));
    return stacked;
  });
  const read = new Set(after.flatMap((b) => b.inputs));
  for (const v of consts.keys()) if (!read.has(v)) consts.delete(v);
  return { eqn: e, outs, after, consts };
};

/** The rules computing loop-invariant outputs outside their loop, by primitive name. */
export const invariantRules: Readonly<Record<string, InvariantRule>> = {
  scan: hoistScanYs,
};
