/**
 * Loop-invariant values computed once, outside the loop: what a `scan`'s body computes without
 * reading the carry, the scanned inputs or the step (only the loop's constants, the body's own
 * consts and literals) is the same every step. A `y` that is such a value makes its stacked `ys`
 * a `broadcast_in_dim` of one value computed outside instead of a stacked loop output; such a
 * value the steps read (a `sin(w)` of a captured `w`) becomes a constant of the loop. The sibling
 * of forwarding (core/control/forwarding_rules.ts), which reads outputs a body passes through
 * from outside.
 * @module
 */
import type { Array } from "../array.ts";
import { type Atom, Jaxpr, JaxprEqn, Literal, paramsOf, Var } from "../jaxpr.ts";
import { broadcastInDimP } from "../primitives/structural.ts";
import { range } from "../shape.ts";
import { scanP, type ScanParams } from "./scan.ts";

/** An equation whose invariant values are computed outside it. */
export interface Hoisted {
  /** The equation that stays (its invariant outputs then go dead). */
  eqn: JaxprEqn;
  /** For each output of the original equation, where its value now comes from. */
  outs: Atom[];
  /** The equations computing invariant values, to precede `eqn`. */
  before: JaxprEqn[];
  /** The equations computing its invariant outputs from them, to follow `eqn`. */
  after: JaxprEqn[];
  /** The sub-jaxpr consts those equations read, as new consts of the enclosing jaxpr. */
  consts: Map<Var, Array>;
}

/** Computes an equation's loop-invariant values outside it; `null` where it has none. */
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
 * The loop-invariant values of `body` (given `invariant`) read by its step-dependent equations
 * that are worth computing once: made by an equation that computes (not a broadcast, which the
 * body reads as a view in place).
 */
function invariantOperands(body: Jaxpr, invariant: ReadonlySet<Var>): Var[] {
  const computed = new Set(
    body.eqns.filter((e) => !e.prim.properties.expanding).flatMap((e) => e.outBinders),
  );
  const read = body.eqns
    .filter((e) => !e.outBinders.every((v) => invariant.has(v)))
    .flatMap((e) => e.inputs)
    .filter((a): a is Var => a instanceof Var && invariant.has(a) && computed.has(a));
  return [...new Set(read)];
}

/** `body` reading each of `vars` from a new input, inserted after its first `nc` inputs. */
function readAsConsts(body: Jaxpr, nc: number, vars: readonly Var[]): Jaxpr {
  const fresh = new Map(vars.map((v) => [v, new Var(v.aval)]));
  const atom = (a: Atom): Atom => (a instanceof Var ? fresh.get(a) ?? a : a);
  const eqns = body.eqns.map((e) =>
    new JaxprEqn(e.prim, e.inputs.map(atom), e.params, e.outBinders)
  );
  const inBinders = [
    ...body.inBinders.slice(0, nc),
    ...fresh.values(),
    ...body.inBinders.slice(nc),
  ];
  return new Jaxpr(body.constVars, body.consts, inBinders, eqns, body.outs.map(atom));
}

/**
 * `scan`: what the body computes from the scan's constants alone is computed once, before the
 * loop. A value its steps read becomes a new constant of the loop; a `ys` becomes that value
 * broadcast along a new leading axis of the scan's length, after the loop.
 */
const hoistScanInvariants: InvariantRule = (e) => {
  const p = paramsOf(e, scanP);
  const body = p.jaxpr, nc = p.numConsts, nk = p.numCarry;
  const invariant = invariantVars(body, nc);
  const ys = body.outs.map((a, k) => k >= nk && (a instanceof Literal || invariant.has(a)));
  const operands = invariantOperands(body, invariant);
  if (!ys.some(Boolean) && operands.length === 0) return null;
  const consts = new Map<Var, Array>();
  const env = new Map<Var, Atom>(body.inBinders.slice(0, nc).map((v, i) => [v, e.inputs[i]]));
  body.constVars.forEach((v, i) => {
    const fresh = new Var(v.aval);
    env.set(v, fresh);
    consts.set(fresh, body.consts[i]);
  });
  const outer = (a: Atom): Atom => (a instanceof Literal ? a : env.get(a)!);
  const needed = [...body.outs.filter((_, k) => ys[k]), ...operands];
  const before = coneOf(body, needed).map((b) => {
    const outs = b.outBinders.map((v) => env.set(v, new Var(v.aval)).get(v) as Var);
    return new JaxprEqn(b.prim, b.inputs.map(outer), b.params, outs);
  });
  const after: JaxprEqn[] = [];
  const outs = e.outBinders.map((v, k): Atom => {
    if (!ys[k]) return v;
    const y = outer(body.outs[k]);
    const stacked = new Var(v.aval);
    const dims = range(y.aval.ndim).map((d) => d + 1);
    after.push(new JaxprEqn(broadcastInDimP, [y], { shape: [...v.aval.shape], dims }, [stacked]));
    return stacked;
  });
  const read = new Set([...before, ...after].flatMap((b) => b.inputs));
  for (const v of consts.keys()) if (!read.has(v)) consts.delete(v);
  const params: ScanParams = {
    ...p,
    jaxpr: readAsConsts(body, nc, operands),
    numConsts: nc + operands.length,
  };
  const inputs = [...e.inputs.slice(0, nc), ...operands.map(outer), ...e.inputs.slice(nc)];
  const eqn = new JaxprEqn(e.prim, inputs, params, e.outBinders);
  return { eqn, outs, before, after, consts };
};

/** The rules computing loop-invariant outputs outside their loop, by primitive name. */
export const invariantRules: Readonly<Record<string, InvariantRule>> = {
  scan: hoistScanInvariants,
};
