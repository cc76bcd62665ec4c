/**
 * Transposition of linear jaxprs (reverse mode): cotangents flow from outputs to inputs through
 * each primitive's transpose rule. Equations that do not depend on linear inputs are evaluated
 * forward first.
 * @module
 */
import type { Array } from "../array.ts";
import { AdjointError } from "../errors.ts";
import { type Atom, type Jaxpr, Literal, type Var } from "../jaxpr.ts";
import { UndefPrimal } from "../primitive.ts";
import { add } from "../primitives/elementwise.ts";
import { bind } from "../trace.ts";
import { full } from "../primitives/constants.ts";

/**
 * Evaluates the transpose of `jaxpr` (whose inputs are consts then `args`): given cotangents of
 * the outputs, returns cotangents of the `UndefPrimal` args, in order.
 */
export function backwardPass(
  jaxpr: Jaxpr,
  args: (Array | UndefPrimal)[],
  cts: (Array | null)[],
): Array[] {
  const primal = new Map<Var, Array>();
  jaxpr.constVars.forEach((v, i) => primal.set(v, jaxpr.consts[i]));
  jaxpr.inBinders.forEach((v, i) => {
    const a = args[i];
    if (!(a instanceof UndefPrimal)) primal.set(v, a);
  });
  const read = (a: Atom): Array | UndefPrimal =>
    a instanceof Literal ? a.val : primal.get(a) ?? new UndefPrimal(a.aval);

  const linearEqns = jaxpr.eqns.filter((eqn) => {
    const ins = eqn.inputs.map(read);
    if (ins.some((x) => x instanceof UndefPrimal)) return true;
    const outs = bind(eqn.prim, ins as Array[], eqn.params);
    eqn.outBinders.forEach((v, i) => primal.set(v, outs[i]));
    return false;
  });

  const ctEnv = new Map<Var, Array>();
  const writeCt = (a: Atom, ct: Array | null) => {
    if (a instanceof Literal || ct === null || primal.has(a)) return;
    const prev = ctEnv.get(a);
    ctEnv.set(a, prev ? add(prev, ct) : ct);
  };
  jaxpr.outs.forEach((a, i) => writeCt(a, cts[i]));

  for (let k = linearEqns.length - 1; k >= 0; k--) {
    const eqn = linearEqns[k];
    const ctsOut = eqn.outBinders.map((v) => {
      const c = ctEnv.get(v) ?? null;
      ctEnv.delete(v);
      return c;
    });
    if (ctsOut.every((c) => c === null)) continue;
    if (!eqn.prim.transpose) {
      throw new AdjointError(eqn.prim.name, "transpose rule is not implemented (is it linear?)");
    }
    const ctsIn = eqn.prim.transpose(ctsOut, eqn.inputs.map(read), eqn.params);
    eqn.inputs.forEach((a, i) => writeCt(a, ctsIn[i]));
  }
  return jaxpr.inBinders.flatMap((v, i) => {
    if (!(args[i] instanceof UndefPrimal)) return [];
    return [ctEnv.get(v) ?? full(v.aval.shape, 0, v.aval.dtype)];
  });
}
