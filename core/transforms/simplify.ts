/**
 * Jaxpr simplification before execution: sub-jaxprs simplified first (branches, loop bodies),
 * constant folding (literal operands moved into sub-jaxprs, calls and branches of known index
 * inlined), forwarding of values that sub-jaxprs pass through, loop-invariant values computed
 * once outside their loop, common-subexpression elimination,
 * transposed products computed directly, transposed operands read in place, sums of padded
 * parts joined into concatenates (join_pads.ts), and dead-code
 * elimination (through control flow too). Each pass maps a jaxpr to an equivalent, smaller one with the same inputs and outputs.
 * @module
 */
import type { Array } from "../array.ts";
import { type Atom, Jaxpr, JaxprEqn, Literal, paramsOf, Var } from "../jaxpr.ts";
import { bind, Tracer } from "../trace.ts";
import { ConcreteArray } from "../array.ts";
import { type DotDims, dotGeneralP } from "../primitives/dot_general.ts";
import { transposeP } from "../primitives/structural.ts";
import { mergeAxes, stridesOf } from "../shape.ts";
import { hasSubJaxprs } from "../control/sub_programs.ts";
import { inlineRules } from "../control/inline_rules.ts";
import { literalRules } from "../control/literal_operands.ts";
import { forwardingRules } from "../control/forwarding_rules.ts";
import { invariantRules } from "../control/invariant_rules.ts";
import { type ConstIds, literalKey, paramsKey } from "./jaxpr_key.ts";
import { eliminateDeadCode } from "./dce.ts";
import { joinPaddedParts } from "./join_pads.ts";
import { config } from "../config.ts";
import { verifyJaxpr } from "../verify_jaxpr.ts";

export { eliminateDeadCode };

function literalOf(val: Array): Literal | null {
  if (!(val instanceof ConcreteArray) || val.ndim !== 0) return null;
  const data = val.backend.readSync(val.buffer, val.aval);
  return data ? new Literal(val, Number(data[0])) : null;
}

/**
 * Evaluates equations whose inputs are all constants or literals, once, at compile time; moves
 * literal operands into the sub-jaxprs that take them; inlines the equations that call a
 * sub-jaxpr (a `pjit`, a `cond` whose index is known) and folds on through them.
 */
export function foldConstants(j: Jaxpr): Jaxpr {
  // Under an outer transformation (traced consts) nothing is evaluated, only inlined.
  const fold = !j.consts.some((c) => c instanceof Tracer);
  const known = new Map<Var, Array>(j.constVars.map((v, i) => [v, j.consts[i]]));
  const subst = new Map<Var, Atom>();
  const atom = (a: Atom): Atom => (a instanceof Var ? subst.get(a) ?? a : a);
  const value = (a: Atom): Array | undefined => {
    const v = a instanceof Literal ? a.val : known.get(a);
    return v instanceof Tracer ? undefined : v;
  };
  const scalar = (a: Atom) => (a instanceof Literal ? a.value : undefined);
  const eqns: JaxprEqn[] = [];
  const emit = (eqn: JaxprEqn): void => {
    const given = new JaxprEqn(eqn.prim, eqn.inputs.map(atom), eqn.params, eqn.outBinders);
    const e = literalRules[eqn.prim.name]?.(given, simplify) ?? given;
    const inputs = e.inputs;
    const inlined = inlineRules[e.prim.name]?.(e, inputs, scalar);
    if (inlined) {
      const { jaxpr, inputs: args } = inlined;
      const env = new Map<Var, Atom>();
      const local = (a: Atom): Atom => (a instanceof Var ? env.get(a)! : a);
      jaxpr.constVars.forEach((v, i) => {
        const fresh = new Var(v.aval);
        known.set(fresh, jaxpr.consts[i]);
        env.set(v, fresh);
      });
      jaxpr.inBinders.forEach((v, i) => env.set(v, args[i]));
      for (const ie of jaxpr.eqns) {
        const outs = ie.outBinders.map((v) => env.set(v, new Var(v.aval)).get(v) as Var);
        emit(new JaxprEqn(ie.prim, ie.inputs.map(local), ie.params, outs));
      }
      e.outBinders.forEach((v, i) => subst.set(v, atom(local(jaxpr.outs[i]))));
      return;
    }
    const vals = inputs.map(value);
    if (
      fold && !e.prim.properties.expanding && vals.every((v) => v !== undefined) && !e.prim.impl
    ) {
      const outs = bind(e.prim, vals as Array[], e.params);
      e.outBinders.forEach((v, i) => {
        const lit = literalOf(outs[i]);
        if (lit) subst.set(v, lit);
        else known.set(v, outs[i]);
      });
      return;
    }
    eqns.push(e);
  };
  j.eqns.forEach(emit);
  const outs = j.outs.map(atom);
  const constVars = [...known.keys()];
  return new Jaxpr(constVars, constVars.map((v) => known.get(v)!), j.inBinders, eqns, outs);
}

/**
 * Reads each output a sub-jaxpr passes through (an operand, a literal) from where it comes
 * instead, by the primitive's forwarding rule (core/control/forwarding_rules.ts).
 */
export function forwardOutputs(j: Jaxpr): Jaxpr {
  const subst = new Map<Var, Atom>();
  const atom = (a: Atom): Atom => (a instanceof Var ? subst.get(a) ?? a : a);
  const eqns = j.eqns.map((e) => {
    const substituted = new JaxprEqn(e.prim, e.inputs.map(atom), e.params, e.outBinders);
    const forwarded = forwardingRules[e.prim.name]?.(substituted);
    if (!forwarded) return substituted;
    e.outBinders.forEach((v, i) => forwarded.outs[i] !== v && subst.set(v, forwarded.outs[i]));
    // A carry made a loop constant may be a literal, to move into the loop.
    return literalRules[e.prim.name]?.(forwarded.eqn, simplify) ?? forwarded.eqn;
  });
  return new Jaxpr(j.constVars, j.consts, j.inBinders, eqns, j.outs.map(atom));
}

/**
 * Computes what a sub-jaxpr computes from its constants alone once, outside it, by the
 * primitive's rule (core/control/invariant_rules.ts): a `scan`'s constant `ys` becomes a
 * broadcast after the loop, an invariant value its steps read a constant of the loop.
 */
export function hoistLoopInvariants(j: Jaxpr): Jaxpr {
  const subst = new Map<Var, Atom>();
  const atom = (a: Atom): Atom => (a instanceof Var ? subst.get(a) ?? a : a);
  const consts = new Map<Var, Array>(j.constVars.map((v, i) => [v, j.consts[i]]));
  const eqns = j.eqns.flatMap((e) => {
    const substituted = new JaxprEqn(e.prim, e.inputs.map(atom), e.params, e.outBinders);
    const hoisted = invariantRules[e.prim.name]?.(substituted);
    if (!hoisted) return [substituted];
    e.outBinders.forEach((v, i) => hoisted.outs[i] !== v && subst.set(v, hoisted.outs[i]));
    hoisted.consts.forEach((c, v) => consts.set(v, c));
    return [...hoisted.before, hoisted.eqn, ...hoisted.after];
  });
  const constVars = [...consts.keys()];
  const values = constVars.map((v) => consts.get(v)!);
  return new Jaxpr(constVars, values, j.inBinders, eqns, j.outs.map(atom));
}

/**
 * `j` with each sub-jaxpr of its equations (branches, loop bodies, called jaxprs) simplified,
 * their inputs and outputs unchanged.
 */
export function simplifySubJaxprs(j: Jaxpr): Jaxpr {
  if (!j.eqns.some(hasSubJaxprs)) return j;
  const sub = (v: unknown): unknown =>
    v instanceof Jaxpr ? simplify(v) : globalThis.Array.isArray(v) ? v.map(sub) : v;
  const eqns = j.eqns.map((e) => {
    if (!hasSubJaxprs(e)) return e;
    const params = Object.fromEntries(Object.entries(e.params).map(([k, v]) => [k, sub(v)]));
    return new JaxprEqn(e.prim, e.inputs, params, e.outBinders);
  });
  return new Jaxpr(j.constVars, j.consts, j.inBinders, eqns, j.outs);
}

/**
 * Replaces repeated equations (same primitive, inputs and params, sub-jaxprs compared by
 * structure) by their first occurrence.
 */
export function eliminateCommonSubexpressions(j: Jaxpr): Jaxpr {
  const ids = new Map<Var, number>();
  const constIds: ConstIds = new Map();
  const idOf = (a: Atom) =>
    a instanceof Literal ? literalKey(a) : `v${ids.get(a) ?? ids.set(a, ids.size).get(a)}`;
  const subst = new Map<Var, Var>();
  const seen = new Map<string, Var[]>();
  const atom = (a: Atom): Atom => (a instanceof Var ? subst.get(a) ?? a : a);
  const eqns: JaxprEqn[] = [];
  for (const e of j.eqns) {
    const inputs = e.inputs.map(atom);
    const pk = paramsKey(e.params, constIds);
    const inputKeys = inputs.map(idOf);
    if (e.prim.properties.commutative) inputKeys.sort(); // `mul a b` is `mul b a`
    const key = pk === null ? null : `${e.prim.name}|${inputKeys.join(",")}|${pk}`;
    const prev = key === null ? undefined : seen.get(key);
    if (prev) {
      e.outBinders.forEach((v, i) => subst.set(v, prev[i]));
      continue;
    }
    if (key !== null) seen.set(key, e.outBinders);
    eqns.push(new JaxprEqn(e.prim, inputs, e.params, e.outBinders));
  }
  return new Jaxpr(j.constVars, j.consts, j.inBinders, eqns, j.outs.map(atom));
}

/**
 * The axis order of `dot_general(y, x)` within `dot_general(x, y)`'s output: batch axes stay,
 * the two groups of free axes trade places.
 */
function swappedOrder(batch: number, xFree: number, yFree: number): number[] {
  const axes = (start: number, n: number) =>
    globalThis.Array.from({ length: n }, (_, i) => start + i);
  return [...axes(0, batch), ...axes(batch + xFree, yFree), ...axes(batch, xFree)];
}

/**
 * Rewrites `transpose(dot_general(x, y))` as `dot_general(y, x)` when the transpose only swaps
 * the operands' free axes and nothing else reads the product (reverse mode makes these: the
 * gradient of a weight matrix), saving a copy of the product.
 */
export function foldTransposedDots(j: Jaxpr): Jaxpr {
  const uses = new Map<Var, number>();
  const use = (a: Atom) => a instanceof Var && uses.set(a, (uses.get(a) ?? 0) + 1);
  j.eqns.forEach((e) => e.inputs.forEach(use));
  j.outs.forEach(use);
  const dots = new Map<Var, JaxprEqn>();
  const eqns: JaxprEqn[] = [];
  for (const e of j.eqns) {
    if (e.prim.name === "dot_general") dots.set(e.outBinders[0], e);
    const dot = e.prim.name === "transpose" ? dots.get(e.inputs[0] as Var) : undefined;
    if (dot && uses.get(dot.outBinders[0]) === 1) {
      const [x, y] = dot.inputs.map((a) => a.aval);
      const [[xc, yc], [xb, yb]] = paramsOf(dot, dotGeneralP).dims;
      const order = swappedOrder(
        xb.length,
        x.ndim - xc.length - xb.length,
        y.ndim - yc.length - yb.length,
      );
      if (order.join() === paramsOf(e, transposeP).permutation.join()) {
        const dims: DotDims = [[yc, xc], [yb, xb]];
        const swapped = new JaxprEqn(dot.prim, [dot.inputs[1], dot.inputs[0]], {
          ...dot.params,
          dims,
        }, e.outBinders);
        eqns[eqns.indexOf(dot)] = swapped;
        continue;
      }
    }
    eqns.push(e);
  }
  return new Jaxpr(j.constVars, j.consts, j.inBinders, eqns, j.outs);
}

/**
 * Reads `dot_general(transpose(x), y)` as `dot_general(x, y)` with the permutation moved into the
 * dimension numbers, when the operand's free axes keep their order (so the product's layout is
 * unchanged) and its batch, free and contracted axes each still read as one axis of `x`: `x.T @
 * y` and `x @ y.T` then read their operands in place, through strides, instead of first copying
 * a transpose. A transpose nothing else reads is then dead code.
 */
export function foldTransposedOperands(j: Jaxpr): Jaxpr {
  const transposes = new Map<Var, JaxprEqn>();
  const eqns = j.eqns.map((e) => {
    if (e.prim.name === "transpose") transposes.set(e.outBinders[0], e);
    if (e.prim.name !== "dot_general") return e;
    const [[xc, yc], [xb, yb]] = paramsOf(e, dotGeneralP).dims;
    const sides: [number[], number[]][] = [[xc, xb], [yc, yb]];
    const inputs = e.inputs.map((a, side) => {
      const t = a instanceof Var ? transposes.get(a) : undefined;
      if (!t) return a;
      const perm = paramsOf(t, transposeP).permutation;
      const [contract, batch] = sides[side];
      const free = perm.filter((_, i) => !contract.includes(i) && !batch.includes(i));
      const moved: [number[], number[]] = [contract.map((i) => perm[i]), batch.map((i) => perm[i])];
      const shape = t.inputs[0].aval.shape;
      const strides = stridesOf(shape);
      const inPlace = [...moved, free].every((axes) => mergeAxes(axes, shape, strides) !== null);
      if (!inPlace || free.some((axis, i) => i > 0 && axis < free[i - 1])) return a;
      sides[side] = moved;
      return t.inputs[0];
    });
    if (inputs.every((a, i) => a === e.inputs[i])) return e;
    const [[xc2, xb2], [yc2, yb2]] = sides;
    const dims: DotDims = [[xc2, yc2], [xb2, yb2]];
    return new JaxprEqn(e.prim, inputs, { ...e.params, dims }, e.outBinders);
  });
  return new Jaxpr(j.constVars, j.consts, j.inBinders, eqns, j.outs);
}

/** The simplifications, in the order `simplify` runs them. */
const PASSES: readonly ((j: Jaxpr) => Jaxpr)[] = [
  simplifySubJaxprs,
  foldConstants,
  forwardOutputs,
  hoistLoopInvariants,
  eliminateCommonSubexpressions,
  foldTransposedDots,
  foldTransposedOperands,
  joinPaddedParts,
  eliminateDeadCode,
];

/**
 * All simplifications, in order; each result type-checked (verify_jaxpr.ts) when
 * `config.verifyPrograms`.
 */
export function simplify(j: Jaxpr): Jaxpr {
  return PASSES.reduce((acc, pass) => {
    const next = pass(acc);
    if (config.verifyPrograms) verifyJaxpr(next, pass.name);
    return next;
  }, j);
}
