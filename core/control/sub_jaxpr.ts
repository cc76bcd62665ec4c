/**
 * Sub-jaxprs of higher-order primitives (cond, while, scan): a function traced to a jaxpr whose
 * captured values (closed-over arrays and tracers of outer transformations) become leading
 * inputs, so the primitive passes them as operands and every transformation sees them. Also the
 * transformations of such jaxprs that the primitives' rules build (jvp, vmap, partial
 * evaluation), each by tracing the transformed evaluation into a new jaxpr.
 * @module
 */
import type { Array } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { AdjointError } from "../errors.ts";
import { evalJaxpr, Jaxpr } from "../jaxpr.ts";
import { isFloat } from "../dtype.ts";
import { moveBatchAxis } from "../primitives/batching.ts";
import { UndefPrimal } from "../primitive.ts";
import { Tracer } from "../trace.ts";
import { backwardPass } from "../transforms/transpose.ts";
import { jvpFlat } from "../transforms/jvp.ts";
import { makeJaxprFlat } from "../transforms/make_jaxpr.ts";
import { partialEvalFlat, PartialVal } from "../transforms/partial_eval.ts";
import { vmapFlat } from "../transforms/vmap.ts";
import { type Tree, type TreeDef, unflatten } from "../tree.ts";
import { flattenArrays } from "../transforms/flat.ts";

/** A jaxpr without consts of its own and the values to pass as its first inputs. */
export interface ClosedJaxpr {
  /** The jaxpr: `consts.length` leading inputs, then the function's own. */
  jaxpr: Jaxpr;
  /** The values it captured. */
  consts: Array[];
}

/** `jaxpr` with its consts turned into leading inputs. */
export function hoistConsts(jaxpr: Jaxpr): ClosedJaxpr {
  const open = new Jaxpr([], [], [...jaxpr.constVars, ...jaxpr.inBinders], jaxpr.eqns, jaxpr.outs);
  return { jaxpr: open, consts: jaxpr.consts };
}

/**
 * Traces a flat function of arrays of types `avals` that captures no traced values (a rule's
 * transformed evaluation of a closed jaxpr): constants it creates stay consts of the jaxpr.
 */
export function traceFlat(f: (xs: Array[]) => Array[], avals: ShapedArray[]): Jaxpr {
  const jaxpr = makeJaxprFlat(f, avals);
  if (jaxpr.consts.some((c) => c instanceof Tracer)) {
    throw new AdjointError("control flow", "internal: a transformed sub-jaxpr captured a tracer");
  }
  return jaxpr;
}

/**
 * Traces `f`, a user function of pytrees shaped by `inDef` with leaves of types `avals`; also
 * returns the structure of its output.
 */
export function traceFun(
  op: string,
  f: (...args: any[]) => Tree,
  inDef: TreeDef,
  avals: ShapedArray[],
): ClosedJaxpr & { outDef: TreeDef } {
  let outDef: TreeDef | undefined;
  const jaxpr = makeJaxprFlat((xs) => {
    const [outs, def] = flattenArrays(op, f(...(unflatten(inDef, xs) as unknown[])));
    outDef = def;
    return outs;
  }, avals);
  return { ...hoistConsts(jaxpr), outDef: outDef! };
}

/** Input types of a jaxpr. */
export function inAvals(jaxpr: Jaxpr): ShapedArray[] {
  return jaxpr.inBinders.map((v) => v.aval);
}

/** Output types of a jaxpr. */
export function outAvals(jaxpr: Jaxpr): ShapedArray[] {
  return jaxpr.outs.map((a) => a.aval);
}

/** `(f32[3], i32[])`: a list of types for error messages. */
export function typesStr(avals: readonly ShapedArray[]): string {
  return `(${avals.map(String).join(", ")})`;
}

/**
 * Throws an error of `op` unless `got` has the types `want`; the message names both (`gotWhat`,
 * `wantWhat`) and ends with `fix`.
 */
export function checkTypes(
  op: string,
  [gotWhat, got]: [string, readonly ShapedArray[]],
  [wantWhat, want]: [string, readonly ShapedArray[]],
  fix: string,
): void {
  if (got.length === want.length && got.every((a, i) => a.equals(want[i]))) return;
  throw new AdjointError(
    op,
    `${gotWhat} has types ${typesStr(got)} but ${wantWhat} has ${typesStr(want)}; ${fix}`,
  );
}

/** Whether values of this type have tangents (floats do; integers and bools do not). */
export function differentiable(aval: ShapedArray): boolean {
  return isFloat(aval.dtype);
}

/**
 * The jvp of `jaxpr` as a jaxpr: inputs are its primal inputs, then a tangent for each input
 * flagged in `withTangent` (the others have symbolic zero tangents, so no work is spent on them);
 * outputs are its primal outputs, then a tangent for each
 * differentiable output (zeros where none flows).
 */
export function jvpJaxpr(jaxpr: Jaxpr, withTangent: readonly boolean[]): Jaxpr {
  const avals = inAvals(jaxpr);
  const tangentAvals = avals.filter((_, i) => withTangent[i]);
  return traceFlat((xs) => {
    const primals = xs.slice(0, avals.length);
    let k = avals.length;
    const tangents = primals.map((_, i) => (withTangent[i] ? xs[k++] : null));
    const [outs, touts] = jvpFlat((ys) => evalJaxpr(jaxpr, ys), primals, tangents);
    return [...outs, ...touts.filter((_, i) => differentiable(outs[i].aval))];
  }, [...avals, ...tangentAvals]);
}

/**
 * The tangent part of `jaxpr`'s jvp: inputs as `jvpJaxpr`'s (primals, then the flagged tangents),
 * outputs only the tangents of the differentiable outputs.
 */
export function tangentJaxpr(jaxpr: Jaxpr, withTangent: readonly boolean[]): Jaxpr {
  const j = jvpJaxpr(jaxpr, withTangent);
  const nOut = jaxpr.outs.length;
  return traceFlat((xs) => evalJaxpr(j, xs).slice(nOut), inAvals(j));
}

/**
 * The transpose of `jaxpr` with respect to its inputs flagged in `linear` (it must be linear in
 * them): inputs are the other inputs, then a cotangent per output; outputs are the cotangents of
 * the linear inputs (zeros where none flows).
 */
export function transposeJaxpr(jaxpr: Jaxpr, linear: readonly boolean[]): Jaxpr {
  const avals = inAvals(jaxpr);
  const known = avals.filter((_, i) => !linear[i]);
  return traceFlat((xs) => {
    let k = 0;
    const args = avals.map((a, i) => (linear[i] ? new UndefPrimal(a) : xs[k++]));
    return backwardPass(jaxpr, args, xs.slice(known.length));
  }, [...known, ...outAvals(jaxpr)]);
}

/**
 * `build()`, computed once per `jaxpr` and `key` (a rule's transformed sub-jaxpr, so that a
 * compiled program is made once for it, not at every call).
 */
export function memoJaxpr(jaxpr: Jaxpr, key: string, build: () => Jaxpr): Jaxpr {
  let table = memo.get(jaxpr);
  if (!table) memo.set(jaxpr, table = new Map());
  let j = table.get(key);
  if (!j) table.set(key, j = build());
  return j;
}

const memo = new WeakMap<Jaxpr, Map<string, Jaxpr>>();

/** The batched type of `aval` with a batch axis of `size` at `dim` (`null`: unbatched). */
export function batchedAval(aval: ShapedArray, dim: number | null, size: number): ShapedArray {
  if (dim === null) return aval;
  const shape = [...aval.shape];
  shape.splice(dim, 0, size);
  return new ShapedArray(shape, aval.dtype);
}

/**
 * `jaxpr` vectorised over a batch of `size`: input `i` has its batch axis at `dims[i]` (or none);
 * every output has it first.
 */
export function vmapJaxpr(jaxpr: Jaxpr, size: number, dims: readonly (number | null)[]): Jaxpr {
  const avals = inAvals(jaxpr).map((a, i) => batchedAval(a, dims[i], size));
  if (dims.every((d) => d === null)) {
    return traceFlat(
      (xs) => evalJaxpr(jaxpr, xs).map((o) => moveBatchAxis(o, null, 0, size)),
      avals,
    );
  }
  return traceFlat((xs) => vmapFlat((ys) => evalJaxpr(jaxpr, ys), [...dims], xs), avals);
}

/** A jaxpr split by partial evaluation (see `partialEvalJaxpr`). */
export interface SplitJaxpr {
  /** From the known inputs to the known outputs, then the residuals. */
  known: Jaxpr;
  /** From the residuals, then the unknown inputs, to the unknown outputs. */
  unknown: Jaxpr;
  /** Which outputs are unknown. */
  outUnknown: boolean[];
  /** Number of residuals. */
  residuals: number;
}

/**
 * Splits `jaxpr` into what can be computed from the inputs not flagged in `unknownIn` and what
 * needs the flagged ones; outputs flagged in `instantiate` are unknown even if they could be
 * known. The residuals are the known values the unknown part reads.
 */
export function partialEvalJaxpr(
  jaxpr: Jaxpr,
  unknownIn: readonly boolean[],
  instantiate: readonly boolean[],
): SplitJaxpr {
  const avals = inAvals(jaxpr);
  let unknown: Jaxpr | undefined;
  let outUnknown: boolean[] = [];
  const known = traceFlat((knownXs) => {
    let k = 0;
    const pvals = avals.map((a, i) =>
      unknownIn[i] ? PartialVal.unknown(a) : PartialVal.known(knownXs[k++])
    );
    const [staged, pouts] = partialEvalFlat(
      (xs) => evalJaxpr(jaxpr, xs),
      pvals,
      (i) => instantiate[i],
    );
    unknown = staged;
    outUnknown = pouts.map((p) => !p.isKnown);
    return [...pouts.filter((p) => p.isKnown).map((p) => p.value!), ...staged.consts];
  }, avals.filter((_, i) => !unknownIn[i]));
  const open = hoistConsts(unknown!).jaxpr;
  return { known, unknown: open, outUnknown, residuals: unknown!.consts.length };
}
