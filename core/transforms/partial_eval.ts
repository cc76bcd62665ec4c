/**
 * Partial evaluation: runs a function on partly known inputs, computing what is known now and
 * recording the rest as a jaxpr. With jvp on top this is `linearize`: the primal computation runs,
 * the tangent computation (linear) is staged out for later evaluation or transposition.
 * @module
 */
import type { Array, ConcreteArray } from "../array.ts";
import type { ShapedArray } from "../aval.ts";
import { Jaxpr, JaxprEqn, Var } from "../jaxpr.ts";
import type { Params, PartialEvalRule, Primitive } from "../primitive.ts";
import {
  bind,
  fullLower,
  fullRaise,
  type MainTrace,
  Trace,
  Tracer,
  withNewMain,
} from "../trace.ts";

/** Either a known value or an unknown of a given type. */
export class PartialVal {
  private constructor(readonly aval: ShapedArray, readonly value: Array | null) {}
  /** A known value. */
  static known(x: Array): PartialVal {
    return new PartialVal(x.aval, x);
  }
  /** An unknown value of type `aval`. */
  static unknown(aval: ShapedArray): PartialVal {
    return new PartialVal(aval, null);
  }
  /** Whether the value is known. */
  get isKnown(): boolean {
    return this.value !== null;
  }
}

type Recipe =
  | { kind: "lambda" }
  | { kind: "const"; val: Array }
  | { kind: "eqn"; prim: Primitive; inputs: PETracer[]; params: Params; outs: PETracer[] };

/** A partially known value and how an unknown one is computed. */
export class PETracer extends Tracer {
  /** `recipe` is null for known values. */
  constructor(
    readonly trace: PartialEvalTrace,
    readonly pval: PartialVal,
    public recipe: Recipe | null,
  ) {
    super();
  }
  /** Type of the value. */
  get aval(): ShapedArray {
    return this.pval.aval;
  }
  /** Known values lower to themselves. */
  override fullLower(): Array {
    return this.pval.value ? fullLower(this.pval.value) : this;
  }
  /** Known values are concrete when their lower form is. */
  override concreteValue(): ConcreteArray | null {
    if (!this.pval.value) return null;
    try {
      return this.pval.value.concrete("value");
    } catch {
      return null;
    }
  }
  /** For error messages. */
  get transformName(): string {
    return "grad (a value that depends on tangents)";
  }
}

/** The partial-evaluation interpreter. */
export class PartialEvalTrace extends Trace {
  /** A fresh input. */
  newArg(pval: PartialVal): PETracer {
    return new PETracer(this, pval, pval.isKnown ? null : { kind: "lambda" });
  }
  /** Constants are known. */
  pure(val: Array): Array {
    return new PETracer(this, PartialVal.known(val), null);
  }
  /** Values from outer traces are known. */
  lift(val: Array): Array {
    return this.pure(val);
  }
  /** Turns a known value into an unknown that reads a constant. */
  instantiateConst(t: PETracer): PETracer {
    if (!t.pval.isKnown) return t;
    return new PETracer(this, PartialVal.unknown(t.aval), { kind: "const", val: t.pval.value! });
  }
  /** Known inputs: compute now. Any unknown input: record an equation. */
  processPrimitive(prim: Primitive, tracers: Array[], params: Params): Array[] {
    const ts = tracers as PETracer[];
    if (ts.every((t) => t.pval.isKnown)) {
      return bind(prim, ts.map((t) => t.fullLower()), params);
    }
    if (prim.partialEval) return this.#partialEval(prim.partialEval, ts, params);
    return this.#stage(prim, ts.map((t) => this.instantiateConst(t)), params);
  }
  /** Applies a primitive's partial evaluation rule: known outputs now, the rest staged. */
  #partialEval(rule: PartialEvalRule, ts: PETracer[], params: Params): Array[] {
    const known = ts.map((t) => (t.pval.isKnown ? t.pval.value! : null));
    const r = rule(known, ts.map((t) => t.aval), params);
    const inputs = r.staged.inputs.map((x) =>
      this.instantiateConst(typeof x === "number" ? ts[x] : this.pure(x) as PETracer)
    );
    const staged = this.#stage(r.staged.prim, inputs, r.staged.params);
    let k = 0;
    return r.known.map((x) => x ?? staged[k++]);
  }
  /** Records an equation of unknown inputs; its outputs are unknown. */
  #stage(prim: Primitive, inputs: PETracer[], params: Params): PETracer[] {
    const avalsOut = prim.shape(inputs.map((t) => t.aval), params);
    const outs = avalsOut.map((a) => new PETracer(this, PartialVal.unknown(a), null));
    const recipe: Recipe = { kind: "eqn", prim, inputs, params, outs };
    for (const o of outs) o.recipe = recipe;
    return outs;
  }
}

function parents(t: PETracer): PETracer[] {
  return t.recipe?.kind === "eqn" ? t.recipe.inputs : [];
}

/** Tracers reachable from `outs`, each after its parents (iterative depth-first post-order). */
function toposort(outs: PETracer[]): PETracer[] {
  const order: PETracer[] = [];
  const state = new Map<PETracer, number>();
  for (const root of outs) {
    const stack: [PETracer, number][] = [[root, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [t, i] = top;
      if (i === 0) {
        if (state.has(t)) {
          stack.pop();
          continue;
        }
        state.set(t, 1);
      }
      const ps = parents(t);
      if (i < ps.length) {
        top[1] = i + 1;
        if (!state.has(ps[i])) stack.push([ps[i], 0]);
      } else {
        stack.pop();
        order.push(t);
      }
    }
  }
  return order;
}

/** Builds the jaxpr computing unknown `outs` from unknown `ins` (known values become consts). */
export function tracersToJaxpr(ins: PETracer[], outs: PETracer[]): Jaxpr {
  const toVar = new Map<PETracer, Var>(ins.map((t) => [t, new Var(t.aval)]));
  const constVars = new Map<Array, Var>();
  const eqns: JaxprEqn[] = [];
  const done = new Set<Recipe>();
  for (const t of toposort(outs)) {
    const r = t.recipe!;
    if (r.kind === "lambda") {
      if (!toVar.has(t)) throw new Error("partial_eval: an input tracer is not a jaxpr input");
    } else if (r.kind === "const") {
      let v = constVars.get(r.val);
      if (!v) constVars.set(r.val, v = new Var(r.val.aval));
      toVar.set(t, v);
    } else if (!done.has(r)) {
      done.add(r);
      const outVars = r.outs.map((o) => {
        const v = new Var(o.aval);
        toVar.set(o, v);
        return v;
      });
      eqns.push(new JaxprEqn(r.prim, r.inputs.map((i) => toVar.get(i)!), r.params, outVars));
    }
  }
  return new Jaxpr(
    [...constVars.values()],
    [...constVars.keys()],
    ins.map((t) => toVar.get(t)!),
    eqns,
    outs.map((t) => toVar.get(t)!),
  );
}

/**
 * Runs `f` on partial values. Returns the output partial values and a jaxpr from the unknown
 * inputs to the unknown outputs; outputs flagged in `instantiate` are always unknown.
 */
export function partialEvalFlat(
  f: (xs: Array[]) => Array[],
  pvalsIn: PartialVal[],
  instantiate: (i: number) => boolean,
): [Jaxpr, PartialVal[]] {
  return withNewMain(PartialEvalTrace, null, (main: MainTrace) => {
    const trace = new PartialEvalTrace(main);
    const ins = pvalsIn.map((p) => trace.newArg(p));
    const outs = f(ins).map((o, i) => {
      const t = fullRaise(trace, o) as PETracer;
      return instantiate(i) ? trace.instantiateConst(t) : t;
    });
    const jaxpr = tracersToJaxpr(
      ins.filter((t) => !t.pval.isKnown),
      outs.filter((t) => !t.pval.isKnown),
    );
    return [jaxpr, outs.map((t) => t.pval)];
  });
}
