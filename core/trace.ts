/**
 * The tracing core, after JAX's Autodidax: a stack of interpreters (traces), and `bind`, which
 * hands each primitive application to the innermost trace that owns one of its inputs.
 *
 * Each transformation (jvp, partial evaluation, vmap, jaxpr building) is a `Trace` subclass with
 * its own `Tracer`; the bottom of the stack is `EvalTrace`, which runs kernels on a backend.
 * @module
 */
import { Array, ConcreteArray } from "./array.ts";
import type { ShapedArray } from "./aval.ts";
import { getBackend } from "./backend.ts";
import { config } from "./config.ts";
import { checkFinite } from "./debug_nans.ts";
import { AdjointError, ConcretizationError } from "./errors.ts";
import type { Params, Primitive } from "./primitive.ts";

/** Constructor of a trace type. */
export type TraceType = new (main: MainTrace) => Trace;

/** One level of the interpreter stack. */
export class MainTrace {
  /** A stack entry: its depth, its trace type and per-transformation data. */
  constructor(
    readonly level: number,
    readonly traceType: TraceType,
    readonly globalData: unknown,
  ) {}
}

/** An interpreter: lifts values into its tracers and processes primitives on them. */
export abstract class Trace {
  /** A trace instance for one stack level. */
  constructor(readonly main: MainTrace) {}
  /** Wraps a value from outside any trace. */
  abstract pure(val: Array): Array;
  /** Wraps a tracer of a lower level. */
  abstract lift(val: Array): Array;
  /** Applies a primitive to this trace's tracers. */
  abstract processPrimitive(prim: Primitive, tracers: Array[], params: Params): Array[];
  /**
   * Applies a function with a user-supplied jvp rule. By default the rule is irrelevant and
   * the function is traced through; the JVP and batching traces override this.
   */
  processCustomJvp(fun: CustomFun, _jvp: CustomJvpFun, tracers: Array[]): Array[] {
    return fun(tracers);
  }
  /** Applies a function with user-supplied forward and backward passes (see processCustomJvp). */
  processCustomVjp(fun: CustomFun, _fwd: CustomFwdFun, _bwd: CustomBwdFun, tracers: Array[]) {
    return fun(tracers);
  }
}

/** A flat function over arrays, as custom-derivative rules see it. */
export type CustomFun = (args: Array[]) => Array[];
/** A flat jvp rule: primal and tangent outputs from primal and tangent inputs. */
export type CustomJvpFun = (primals: Array[], tangents: Array[]) => [Array[], Array[]];
/** A flat forward pass: outputs and residuals. */
export type CustomFwdFun = (args: Array[]) => [Array[], Array[]];
/** A flat backward pass: input cotangents from residuals and output cotangents. */
export type CustomBwdFun = (residuals: Array[], cts: Array[]) => Array[];

/** A value being traced by some transformation. */
export abstract class Tracer extends Array {
  /** The trace this tracer belongs to. */
  abstract readonly trace: Trace;
  /** The plainest equivalent value (e.g. a batch tracer with no batch axis is its value). */
  fullLower(): Array {
    return this;
  }
  /** The concrete value if this transformation knows it, else `null`. */
  concreteValue(): ConcreteArray | null {
    return null;
  }
  /** Name of the transformation, for error messages. */
  abstract get transformName(): string;
  /** The concrete value, or a ConcretizationError explaining why it is not available. */
  concrete(what: string): ConcreteArray {
    checkLive(what, this);
    const c = this.concreteValue();
    if (c) return c;
    throw new ConcretizationError(what, String(this.aval), this.transformName);
  }
  /** `Traced<f32[3]>`. */
  override toString(): string {
    return `Traced<${this.aval}> (inside ${this.transformName})`;
  }
}

/** The bottom interpreter: executes primitives on a backend. */
export class EvalTrace extends Trace {
  /** Concrete values need no wrapping. */
  pure(val: Array): Array {
    return val;
  }
  /** Concrete values need no wrapping. */
  lift(val: Array): Array {
    return val;
  }
  /**
   * Runs the primitive's composite implementation or its backend kernel (with
   * `config.debugNans`, checking that it made no NaN or infinity).
   */
  processPrimitive(prim: Primitive, args: Array[], params: Params): Array[] {
    if (prim.impl) return prim.impl(args, params);
    const concrete = onOneBackend(prim.name, args as ConcreteArray[]);
    const backend = concrete.length ? concrete[0].backend : getBackend();
    const inAvals = concrete.map((a) => a.aval);
    const outAvals = prim.shape(inAvals, params);
    const outs = backend.execute(
      prim.name,
      concrete.map((a) => a.buffer),
      inAvals,
      params,
      outAvals,
    );
    const committed = concrete.some((a) => a.committed);
    const results = outs.map((buf, i) => new ConcreteArray(outAvals[i], buf, backend, committed));
    if (config.debugNans) checkFinite(prim.name, concrete, results);
    return results;
  }
}

/**
 * Checks that the inputs of one kernel live on one backend. Uncommitted arrays (constants, and
 * what is computed from constants alone) follow the committed arrays they meet; a mismatch
 * between committed arrays is an error.
 */
function onOneBackend(op: string, args: ConcreteArray[]): ConcreteArray[] {
  const home = (args.find((a) => a.committed) ?? args[0])?.backend;
  return args.map((a) => {
    if (a.backend === home) return a;
    const data = a.committed ? undefined : a.backend.readSync(a.buffer, a.aval);
    if (!data) {
      throw new AdjointError(
        op,
        `inputs live on different backends (${home.name} and ${a.backend.name}); ` +
          `move arrays with toBackend first`,
      );
    }
    return new ConcreteArray(a.aval, home.fromHost(data.slice(), a.aval), home, false);
  });
}

const evalMain = new MainTrace(0, EvalTrace, null);
const traceStack: MainTrace[] = [evalMain];
let dynamicTrace: MainTrace = evalMain;

/** Whether no transformation is active: values computed now cannot be captured by a trace. */
export function evaluatingEagerly(): boolean {
  return traceStack.length === 1 && dynamicTrace === evalMain;
}

/** Runs `fn` with a new interpreter level of type `traceType` pushed on the stack. */
export function withNewMain<T>(
  traceType: TraceType,
  globalData: unknown,
  fn: (main: MainTrace) => T,
): T {
  const main = new MainTrace(traceStack.length, traceType, globalData);
  traceStack.push(main);
  try {
    return fn(main);
  } finally {
    traceStack.pop();
  }
}

/** Runs `fn` with `main` as the dynamic trace: operations without traced inputs are staged too. */
export function withDynamicTrace<T>(main: MainTrace, fn: () => T): T {
  const prev = dynamicTrace;
  dynamicTrace = main;
  try {
    return fn();
  } finally {
    dynamicTrace = prev;
  }
}

/** The error for a tracer used after the transformation that created it has returned. */
function escapedError(op: string, t: Tracer): AdjointError {
  return new AdjointError(
    op,
    `a traced array (${t.aval}) escaped from the ${t.transformName} that created it, ` +
      `e.g. by being stored in an outer variable; return it from the function instead`,
  );
}

/** Throws if `t` belongs to a transformation that is no longer running. */
function checkLive(op: string, t: Tracer): void {
  const main = t.trace.main;
  if (traceStack[main.level] !== main) throw escapedError(op, t);
}

function findTopTrace(op: string, xs: Array[]): Trace {
  let top = dynamicTrace;
  for (const x of xs) {
    if (!(x instanceof Tracer)) continue;
    checkLive(op, x);
    if (x.trace.main.level > top.level) top = x.trace.main;
  }
  return new top.traceType(top);
}

/** Brings `val` into `trace`, lifting values from lower levels. */
export function fullRaise(trace: Trace, val: Array): Array {
  if (!(val instanceof Tracer)) return trace.pure(val);
  const level = val.trace.main.level;
  if (val.trace.main === trace.main) return val;
  if (level < trace.main.level) return trace.lift(val);
  throw escapedError("trace", val);
}

/** The plainest form of a value. */
export function fullLower(val: Array): Array {
  return val instanceof Tracer ? val.fullLower() : val;
}

/** Applies a primitive to arrays, dispatching to the innermost active transformation. */
export function bind<P extends Params>(
  prim: Primitive<string, P>,
  args: Array[],
  params: NoInfer<P> = {} as P,
): Array[] {
  const trace = findTopTrace(prim.name, args);
  const tracers = args.map((a) => fullRaise(trace, a));
  return trace.processPrimitive(prim, tracers, params).map(fullLower);
}

/** `bind` for single-output primitives. */
export function bind1<P extends Params>(
  prim: Primitive<string, P>,
  args: Array[],
  params: NoInfer<P> = {} as P,
): Array {
  return bind(prim, args, params)[0];
}

/** Applies a function with a custom jvp rule through the trace stack. */
export function bindCustomJvp(fun: CustomFun, jvp: CustomJvpFun, args: Array[]): Array[] {
  const trace = findTopTrace("customJvp", args);
  const tracers = args.map((a) => fullRaise(trace, a));
  return trace.processCustomJvp(fun, jvp, tracers).map(fullLower);
}

/** Applies a function with custom forward/backward passes through the trace stack. */
export function bindCustomVjp(
  fun: CustomFun,
  fwd: CustomFwdFun,
  bwd: CustomBwdFun,
  args: Array[],
): Array[] {
  const trace = findTopTrace("customVjp", args);
  const tracers = args.map((a) => fullRaise(trace, a));
  return trace.processCustomVjp(fun, fwd, bwd, tracers).map(fullLower);
}

/** The abstract value of any array. */
export function avalOf(x: Array): ShapedArray {
  return x.aval;
}
