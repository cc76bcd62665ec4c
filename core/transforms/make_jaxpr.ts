/**
 * Staging a function out to a jaxpr: `JaxprTrace` records each primitive application as an
 * equation instead of running it. Used by `makeJaxpr` and `jit`.
 * @module
 */
import { type Array, ConcreteArray } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { type Atom, Jaxpr, JaxprEqn, Literal, Var } from "../jaxpr.ts";
import type { Params, Primitive } from "../primitive.ts";
import {
  fullRaise,
  type MainTrace,
  Trace,
  Tracer,
  withDynamicTrace,
  withNewMain,
} from "../trace.ts";
import { flatten, type Tree } from "../tree.ts";
import { flattenFun, leafToArray, type OutStore } from "./flat.ts";

/** A value known only by its type while a jaxpr is being built. */
export class JaxprTracer extends Tracer {
  /** A tracer of type `aval`. */
  constructor(readonly trace: JaxprTrace, readonly aval: ShapedArray) {
    super();
  }
  /** For error messages. */
  get transformName(): string {
    return "jit";
  }
}

class JaxprBuilder {
  eqns: JaxprEqn[] = [];
  vars = new Map<JaxprTracer, Var>();
  consts = new Map<Array, JaxprTracer>();
}

/** The staging interpreter; its global data is the builder. */
export class JaxprTrace extends Trace {
  private get builder(): JaxprBuilder {
    return this.main.globalData as JaxprBuilder;
  }
  /** A new jaxpr input. */
  newArg(aval: ShapedArray): JaxprTracer {
    const t = new JaxprTracer(this, aval);
    this.builder.vars.set(t, new Var(aval));
    return t;
  }
  private constTracer(val: Array): JaxprTracer {
    let t = this.builder.consts.get(val);
    if (!t) {
      t = new JaxprTracer(this, val.aval);
      this.builder.consts.set(val, t);
      this.builder.vars.set(t, new Var(val.aval));
    }
    return t;
  }
  /** Concrete values become jaxpr constants. */
  pure(val: Array): Array {
    return this.constTracer(val);
  }
  /** Values of outer traces become jaxpr constants. */
  lift(val: Array): Array {
    return this.constTracer(val);
  }
  /** Records an equation. */
  processPrimitive(prim: Primitive, tracers: Array[], params: Params): Array[] {
    const ins = tracers as JaxprTracer[];
    const avalsOut = prim.shape(ins.map((t) => t.aval), params);
    const outs = avalsOut.map((a) => new JaxprTracer(this, a));
    const b = this.builder;
    const outVars = outs.map((o) => {
      const v = new Var(o.aval);
      b.vars.set(o, v);
      return v;
    });
    b.eqns.push(new JaxprEqn(prim, ins.map((t) => b.vars.get(t)!), params, outVars));
    return outs;
  }
}

/** A scalar constant that can be written inline as a literal, or null. */
function asLiteral(val: Array): Literal | null {
  if (!(val instanceof ConcreteArray) || val.ndim !== 0) return null;
  const data = val.backend.readSync(val.buffer, val.aval);
  return data ? new Literal(val, Number(data[0])) : null;
}

function build(b: JaxprBuilder, ins: JaxprTracer[], outs: JaxprTracer[]): Jaxpr {
  const literals = new Map<Var, Literal>();
  const constVars: Var[] = [];
  const consts: Array[] = [];
  for (const [val, t] of b.consts) {
    const v = b.vars.get(t)!;
    const lit = asLiteral(val);
    if (lit) literals.set(v, lit);
    else {
      constVars.push(v);
      consts.push(val);
    }
  }
  const atom = (v: Var): Atom => literals.get(v) ?? v;
  const eqns = b.eqns.map((e) =>
    new JaxprEqn(e.prim, e.inputs.map((a) => atom(a as Var)), e.params, e.outBinders)
  );
  return new Jaxpr(
    constVars,
    consts,
    ins.map((t) => b.vars.get(t)!),
    eqns,
    outs.map((t) => atom(b.vars.get(t)!)),
  );
}

/** Traces a flat function on abstract inputs to a jaxpr. */
export function makeJaxprFlat(f: (xs: Array[]) => Array[], avals: ShapedArray[]): Jaxpr {
  const builder = new JaxprBuilder();
  return withNewMain(JaxprTrace, builder, (main: MainTrace) =>
    withDynamicTrace(main, () => {
      const trace = new JaxprTrace(main);
      const ins = avals.map((a) => trace.newArg(a));
      const outs = f(ins).map((o) => fullRaise(trace, o) as JaxprTracer);
      return build(builder, ins, outs);
    }));
}

/** Abstract value of a leaf: arrays and numbers by their type, `ShapedArray`s as given. */
export function leafAval(op: string, x: unknown): ShapedArray {
  return x instanceof ShapedArray ? x : leafToArray(op, x).aval;
}

/**
 * `makeJaxpr(f)(...args)` traces `f` and returns its jaxpr (print it with `toString()`).
 * Arguments may be arrays, numbers, or `ShapedArray`s standing for arrays of that type.
 */
export function makeJaxpr(f: (...args: any[]) => Tree): (...args: unknown[]) => Jaxpr {
  return (...args) => {
    const [leaves, def] = flatten(args as Tree);
    const store: OutStore = {};
    return makeJaxprFlat(
      flattenFun("makeJaxpr", f, def, store),
      leaves.map((l) => leafAval("makeJaxpr", l)),
    );
  };
}
