/**
 * Jaxpr simplification before execution: constant folding, common-subexpression elimination,
 * transposed products computed directly, transposed operands read in place, and dead-code
 * elimination. Each pass maps a jaxpr to an equivalent, smaller one.
 * @module
 */
import type { Array } from "../array.ts";
import { type Atom, Jaxpr, JaxprEqn, Literal, Var } from "../jaxpr.ts";
import { bind, Tracer } from "../trace.ts";
import { ConcreteArray } from "../array.ts";
import type { DotDims } from "../primitives/dot_general.ts";
import { mergeAxes, stridesOf } from "../shape.ts";

function literalOf(val: Array): Literal | null {
  if (!(val instanceof ConcreteArray) || val.ndim !== 0) return null;
  const data = val.backend.readSync(val.buffer, val.aval);
  return data ? new Literal(val, Number(data[0])) : null;
}

/** Evaluates equations whose inputs are all constants or literals, once, at compile time. */
export function foldConstants(j: Jaxpr): Jaxpr {
  if (j.consts.some((c) => c instanceof Tracer)) return j;
  const known = new Map<Var, Array>(j.constVars.map((v, i) => [v, j.consts[i]]));
  const subst = new Map<Var, Atom>();
  const atom = (a: Atom): Atom => (a instanceof Var ? subst.get(a) ?? a : a);
  const value = (a: Atom): Array | undefined => (a instanceof Literal ? a.val : known.get(a));
  const eqns: JaxprEqn[] = [];
  for (const e of j.eqns) {
    const inputs = e.inputs.map(atom);
    const vals = inputs.map(value);
    if (!e.prim.properties.expanding && vals.every((v) => v !== undefined) && !e.prim.impl) {
      const outs = bind(e.prim, vals as Array[], e.params);
      e.outBinders.forEach((v, i) => {
        const lit = literalOf(outs[i]);
        if (lit) subst.set(v, lit);
        else known.set(v, outs[i]);
      });
      continue;
    }
    eqns.push(new JaxprEqn(e.prim, inputs, e.params, e.outBinders));
  }
  const outs = j.outs.map(atom);
  const constVars = [...known.keys()];
  return new Jaxpr(constVars, constVars.map((v) => known.get(v)!), j.inBinders, eqns, outs);
}

function paramsKey(params: Record<string, unknown>): string | null {
  let ok = true;
  const s = JSON.stringify(params, (_, v) => {
    if (
      typeof v === "function" ||
      (v !== null && typeof v === "object" && !globalThis.Array.isArray(v) &&
        Object.getPrototypeOf(v) !== Object.prototype)
    ) ok = false;
    return v;
  });
  return ok ? s : null;
}

/** Replaces repeated equations (same primitive, inputs and params) by their first occurrence. */
export function eliminateCommonSubexpressions(j: Jaxpr): Jaxpr {
  const ids = new Map<Var, number>();
  const idOf = (a: Atom) =>
    a instanceof Literal
      ? `L${a.value}:${a.aval.dtype}`
      : `v${ids.get(a) ?? ids.set(a, ids.size).get(a)}`;
  const subst = new Map<Var, Var>();
  const seen = new Map<string, Var[]>();
  const atom = (a: Atom): Atom => (a instanceof Var ? subst.get(a) ?? a : a);
  const eqns: JaxprEqn[] = [];
  for (const e of j.eqns) {
    const inputs = e.inputs.map(atom);
    const pk = paramsKey(e.params);
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
      const [[xc, yc], [xb, yb]] = dot.params.dims as DotDims;
      const order = swappedOrder(
        xb.length,
        x.ndim - xc.length - xb.length,
        y.ndim - yc.length - yb.length,
      );
      if (order.join() === (e.params.permutation as number[]).join()) {
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
    const [[xc, yc], [xb, yb]] = e.params.dims as DotDims;
    const sides: [number[], number[]][] = [[xc, xb], [yc, yb]];
    const inputs = e.inputs.map((a, side) => {
      const t = a instanceof Var ? transposes.get(a) : undefined;
      if (!t) return a;
      const perm = t.params.permutation as number[];
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

/** Drops equations whose outputs are unused, and unused constants. */
export function eliminateDeadCode(j: Jaxpr): Jaxpr {
  const live = new Set<Var>(j.outs.filter((a): a is Var => a instanceof Var));
  const kept: JaxprEqn[] = [];
  for (let i = j.eqns.length - 1; i >= 0; i--) {
    const e = j.eqns[i];
    if (!e.outBinders.some((v) => live.has(v))) continue;
    kept.push(e);
    for (const a of e.inputs) if (a instanceof Var) live.add(a);
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

/** Whether `e` calls a jaxpr (a jitted function called while tracing: `pjit`). */
function isCall(e: JaxprEqn): boolean {
  return e.prim.name === "pjit" && e.params.jaxpr instanceof Jaxpr;
}

/** Replaces each `pjit` equation by the equations of its jaxpr, so they fuse with the rest. */
export function inlineCalls(j: Jaxpr): Jaxpr {
  if (!j.eqns.some(isCall)) return j;
  const subst = new Map<Var, Atom>();
  const atom = (a: Atom): Atom => (a instanceof Var ? subst.get(a) ?? a : a);
  const constVars = [...j.constVars], consts = [...j.consts];
  const eqns: JaxprEqn[] = [];
  for (const e of j.eqns) {
    if (!isCall(e)) {
      eqns.push(new JaxprEqn(e.prim, e.inputs.map(atom), e.params, e.outBinders));
      continue;
    }
    const inner = inlineCalls(e.params.jaxpr as Jaxpr);
    const env = new Map<Var, Atom>();
    const local = (a: Atom): Atom => (a instanceof Var ? env.get(a)! : a);
    inner.constVars.forEach((v, i) => {
      const fresh = new Var(v.aval);
      constVars.push(fresh);
      consts.push(inner.consts[i]);
      env.set(v, fresh);
    });
    inner.inBinders.forEach((v, i) => env.set(v, atom(e.inputs[i])));
    for (const ie of inner.eqns) {
      const outs = ie.outBinders.map((v) => {
        const fresh = new Var(v.aval);
        env.set(v, fresh);
        return fresh;
      });
      eqns.push(new JaxprEqn(ie.prim, ie.inputs.map(local), ie.params, outs));
    }
    e.outBinders.forEach((v, i) => subst.set(v, local(inner.outs[i])));
  }
  return new Jaxpr(constVars, consts, j.inBinders, eqns, j.outs.map(atom));
}

/** All simplifications, in order. */
export function simplify(j: Jaxpr): Jaxpr {
  const folded = foldTransposedDots(
    eliminateCommonSubexpressions(foldConstants(inlineCalls(j))),
  );
  return eliminateDeadCode(foldTransposedOperands(folded));
}
