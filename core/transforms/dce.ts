/**
 * Dead-code elimination: equations no output depends on are dropped, and so are constants
 * nothing reads. Equations carrying sub-jaxprs (control flow, calls) shrink by their primitive's
 * rule (core/control/dce_rules.ts), as JAX's `dce_rules`: the outputs nobody reads are removed
 * from the equation and its sub-jaxprs, and then the operands those no longer read.
 * @module
 */
import { Jaxpr, type JaxprEqn, Var } from "../jaxpr.ts";
import { dceRules } from "../control/dce_rules.ts";

/**
 * Shrinks an equation of which only the outputs flagged in `used` are read (at least one is): an
 * equation computing those outputs (binding them, and any others it cannot do without), with
 * only the operands it reads.
 */
export type DceRule = (e: JaxprEqn, used: readonly boolean[]) => JaxprEqn;

/** Drops equations whose outputs are unused, and unused constants. */
export function eliminateDeadCode(j: Jaxpr): Jaxpr {
  const live = new Set<Var>(j.outs.filter((a): a is Var => a instanceof Var));
  const kept: JaxprEqn[] = [];
  for (let i = j.eqns.length - 1; i >= 0; i--) {
    const e = j.eqns[i];
    const used = e.outBinders.map((v) => live.has(v));
    if (!used.some(Boolean)) continue;
    const rule = dceRules[e.prim.name];
    const eqn = rule ? rule(e, used) : e;
    kept.push(eqn);
    for (const a of eqn.inputs) if (a instanceof Var) live.add(a);
  }
  const keep = j.constVars.map((v) => live.has(v));
  return new Jaxpr(
    j.constVars.filter((_, i) => keep[i]),
    j.consts.filter((_, i) => keep[i]),
    j.inBinders,
    kept.reverse(),
    j.outs,
  );
}

/**
 * `j` with only the outputs flagged in `keepOuts`, dead code eliminated; and which of its inputs
 * that still reads (its inputs are all kept: `dropInputs` removes them).
 */
export function pruneOutputs(
  j: Jaxpr,
  keepOuts: readonly boolean[],
): { jaxpr: Jaxpr; usedInputs: boolean[] } {
  const outs = j.outs.filter((_, i) => keepOuts[i]);
  const jaxpr = eliminateDeadCode(new Jaxpr(j.constVars, j.consts, j.inBinders, j.eqns, outs));
  const read = new Set<Var>();
  for (const e of jaxpr.eqns) for (const a of e.inputs) if (a instanceof Var) read.add(a);
  for (const a of jaxpr.outs) if (a instanceof Var) read.add(a);
  return { jaxpr, usedInputs: j.inBinders.map((v) => read.has(v)) };
}

/** `j` without the inputs not flagged in `keep` (which it must not read). */
export function dropInputs(j: Jaxpr, keep: readonly boolean[]): Jaxpr {
  if (keep.every(Boolean)) return j;
  return new Jaxpr(j.constVars, j.consts, j.inBinders.filter((_, i) => keep[i]), j.eqns, j.outs);
}
