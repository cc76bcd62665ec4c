/**
 * Forward-mode differentiation. A `JVPTracer` carries a primal value and its tangent (`null` is
 * a symbolic zero); `JVPTrace` applies each primitive's jvp rule.
 * @module
 */
import type { Array, ConcreteArray } from "../array.ts";
import type { ShapedArray } from "../aval.ts";
import type { Params, Primitive } from "../primitive.ts";
import { AdjointError } from "../errors.ts";
import { zerosLike } from "../primitives/constants.ts";
import {
  bind,
  bindCustomVjp,
  type CustomBwdFun,
  type CustomFun,
  type CustomFwdFun,
  type CustomJvpFun,
  fullRaise,
  type MainTrace,
  Trace,
  Tracer,
  withNewMain,
} from "../trace.ts";
import { customLin } from "../primitives/custom_lin.ts";

/** A value with a tangent. */
export class JVPTracer extends Tracer {
  /** A primal/tangent pair belonging to `trace`. */
  constructor(readonly trace: JVPTrace, readonly primal: Array, readonly tangent: Array | null) {
    super();
  }
  /** Type of the primal. */
  get aval(): ShapedArray {
    return this.primal.aval;
  }
  /** The primal's concrete value, if known (so user code may branch on values under grad). */
  override concreteValue(): ConcreteArray | null {
    try {
      return this.primal.concrete("value");
    } catch {
      return null;
    }
  }
  /** For error messages. */
  get transformName(): string {
    return "jvp/grad";
  }
}

/** The forward-mode interpreter. */
export class JVPTrace extends Trace {
  /** A constant: zero tangent. */
  pure(val: Array): Array {
    return new JVPTracer(this, val, null);
  }
  /** A value from an outer trace: zero tangent. */
  lift(val: Array): Array {
    return new JVPTracer(this, val, null);
  }
  /** Applies the primitive's jvp rule (skipped when every input tangent is zero). */
  processPrimitive(prim: Primitive, tracers: Array[], params: Params): Array[] {
    const ts = tracers as JVPTracer[];
    const primals = ts.map((t) => t.primal);
    const tangents = ts.map((t) => t.tangent);
    if (tangents.every((t) => t === null)) {
      return bind(prim, primals, params).map((p) => new JVPTracer(this, p, null));
    }
    if (!prim.jvp) {
      throw new AdjointError(prim.name, "differentiation rule is not implemented");
    }
    const [outs, touts] = prim.jvp(primals, tangents, params);
    return outs.map((p, i) => new JVPTracer(this, p, touts[i]));
  }
  /** Uses the user's jvp rule instead of differentiating the function. */
  override processCustomJvp(fun: CustomFun, jvp: CustomJvpFun, tracers: Array[]): Array[] {
    const ts = tracers as JVPTracer[];
    const primals = ts.map((t) => t.primal);
    if (ts.every((t) => t.tangent === null)) {
      return fun(primals).map((p) => new JVPTracer(this, p, null));
    }
    const [outs, touts] = jvp(primals, ts.map((t, i) => t.tangent ?? zerosLike(primals[i])));
    return outs.map((p, i) => new JVPTracer(this, p, touts[i]));
  }
  /** Runs the user's forward pass; the tangent is a `custom_lin` that transposes to `bwd`. */
  override processCustomVjp(
    fun: CustomFun,
    fwd: CustomFwdFun,
    bwd: CustomBwdFun,
    tracers: Array[],
  ): Array[] {
    const ts = tracers as JVPTracer[];
    const primals = ts.map((t) => t.primal);
    if (ts.every((t) => t.tangent === null)) {
      return bindCustomVjp(fun, fwd, bwd, primals).map((p) => new JVPTracer(this, p, null));
    }
    const [outs, residuals] = fwd(primals);
    const tangents = ts.map((t, i) => t.tangent ?? zerosLike(primals[i]));
    const touts = customLin(residuals, tangents, bwd, outs.map((o) => o.aval));
    return outs.map((p, i) => new JVPTracer(this, p, touts[i]));
  }
}

/** Pushes tangents (`null`: a symbolic zero) through `f` at `primals`: returns primal and tangent outputs. */
export function jvpFlat(
  f: (xs: Array[]) => Array[],
  primals: Array[],
  tangents: (Array | null)[],
): [Array[], Array[]] {
  return withNewMain(JVPTrace, null, (main: MainTrace) => {
    const trace = new JVPTrace(main);
    const ins = primals.map((p, i) => new JVPTracer(trace, p, tangents[i]));
    const outs = f(ins).map((o) => fullRaise(trace, o) as JVPTracer);
    return [outs.map((o) => o.primal), outs.map((o) => o.tangent ?? zerosLike(o.primal))];
  });
}
