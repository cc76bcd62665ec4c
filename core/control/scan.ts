/**
 * `scan`: a loop over the leading axis of its inputs carrying state, as JAX's `lax.scan`; also
 * `lax.map`. The primitive's operands are the body's captured values (consts), the initial carry
 * and the scanned inputs `xs`; its outputs are the final carry and the per-step outputs `ys`,
 * stacked along a new leading axis.
 *
 * Differentiation binds one scan carrying primals and tangents together. Partial evaluation
 * splits it, as JAX's: the primal part runs forward and outputs the values the tangent part needs
 * (the residuals: stacked per step, or passed once where they are loop-invariant); the tangent
 * part is staged as a scan over them, and its transpose runs in reverse over them: reverse-mode
 * through time.
 * @module
 */
import type { Array } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { AdjointError } from "../errors.ts";
import { evalJaxpr, type Jaxpr, Literal } from "../jaxpr.ts";
import { type Params, Primitive, UndefPrimal } from "../primitive.ts";
import { indexAxis, moveBatchAxis, stack0 } from "../primitives/batching.ts";
import { full } from "../primitives/constants.ts";
import { add } from "../primitives/elementwise.ts";
import { range } from "../shape.ts";
import { bind } from "../trace.ts";
import { runSubJaxpr } from "./sub_programs.ts";
import { hoistAccumulations } from "./scan_accumulations.ts";
import { backwardPass } from "../transforms/transpose.ts";
import { flattenArrays } from "../transforms/flat.ts";
import { flatten, type Tree, treeDifference, unflatten } from "../tree.ts";
import {
  checkTypes,
  differentiable,
  inAvals,
  jvpJaxpr,
  outAvals,
  partialEvalJaxpr,
  type SplitJaxpr,
  traceFlat,
  traceFun,
  vmapJaxpr,
} from "./sub_jaxpr.ts";

/** Params of `scan`. */
export interface ScanParams extends Params {
  /** The body: `(consts, carry, x) -> (carry, y)`, flat. */
  jaxpr: Jaxpr;
  /** Number of leading operands passed to every step unchanged. */
  numConsts: number;
  /** Number of carried values. */
  numCarry: number;
  /** Number of steps (the leading size of every `xs` and `ys`). */
  length: number;
  /** Whether the steps run from the last index to the first. */
  reverse: boolean;
}

/** The scan primitive. */
export const scanP: Primitive<"scan", ScanParams> = new Primitive("scan");

/** Splits `xs` into consts, carry and scanned inputs. */
function groups<T>(xs: readonly T[], { numConsts, numCarry }: ScanParams): [T[], T[], T[]] {
  return [
    xs.slice(0, numConsts),
    xs.slice(numConsts, numConsts + numCarry),
    xs.slice(numConsts + numCarry),
  ];
}

/** `aval` stacked `length` times along a new leading axis. */
function stacked(aval: ShapedArray, length: number): ShapedArray {
  return new ShapedArray([length, ...aval.shape], aval.dtype);
}

/** One step's type of a scanned input of type `aval`. */
function unstacked(op: string, aval: ShapedArray, length: number): ShapedArray {
  if (aval.ndim === 0 || aval.shape[0] !== length) {
    throw new AdjointError(
      op,
      `every scanned input must have leading size ${length} (the scan's length), got ${aval}`,
    );
  }
  return new ShapedArray(aval.shape.slice(1), aval.dtype);
}

scanP.shape = (avals, p) => {
  const [consts, carry, xs] = groups(avals, p);
  const body = [...consts, ...carry, ...xs.map((x) => unstacked("scan", x, p.length))];
  checkTypes("scan", ["the operands", body], ["the body's inputs", inAvals(p.jaxpr)], "internal");
  const outs = outAvals(p.jaxpr);
  return [...outs.slice(0, p.numCarry), ...outs.slice(p.numCarry).map((y) => stacked(y, p.length))];
};

scanP.impl = (args, p) => {
  const [consts, init, xs] = groups(args, p);
  let carry = init;
  const ys: Array[][] = [];
  for (let t = 0; t < p.length; t++) {
    const i = p.reverse ? p.length - 1 - t : t;
    const outs = runSubJaxpr(p.jaxpr, [...consts, ...carry, ...xs.map((x) => indexAxis(x, 0, i))]);
    carry = outs.slice(0, p.numCarry);
    ys[i] = outs.slice(p.numCarry);
  }
  const yAvals = outAvals(p.jaxpr).slice(p.numCarry);
  const stackedYs = yAvals.map((a, k) =>
    p.length ? stack0(ys.map((y) => y[k])) : full([0, ...a.shape], 0, a.dtype)
  );
  return [...carry, ...stackedYs];
};

scanP.jvp = (primals, tangents, p) => {
  // Every differentiable carry gets a tangent: a zero one may become nonzero in later steps.
  const [constsIn, carryIn, xsIn] = groups(primals.map((x, i) => [x, tangents[i]] as const), p);
  const givenTangent = ([x, t]: readonly [Array, Array | null]) =>
    t !== null && differentiable(x.aval);
  const constT = constsIn.map(givenTangent);
  const carryT = carryIn.map(([x]) => differentiable(x.aval));
  const xsT = xsIn.map(givenTangent);
  const body = p.jaxpr;
  const nIn = body.inBinders.length;
  const j = jvpJaxpr(body, [...constT, ...carryT, ...xsT]);
  // One scan of primals and tangents together, as JAX's: (consts, constsT, carry, carryT, x, xT)
  // -> (carry, carryT, y, yT); partial evaluation splits it again.
  const nc = p.numConsts, nk = p.numCarry;
  const nct = constT.filter(Boolean).length, nkt = carryT.filter(Boolean).length;
  const nOut = body.outs.length;
  const tangentBody = traceFlat((xs) => {
    const consts = xs.slice(0, nc), ct = xs.slice(nc, nc + nct);
    const carry = xs.slice(nc + nct, nc + nct + nk),
      kt = xs.slice(nc + nct + nk, nc + nct + nk + nkt);
    const rest = xs.slice(nc + nct + nk + nkt);
    const nx = nIn - nc - nk;
    const x = rest.slice(0, nx), xt = rest.slice(nx);
    const o = evalJaxpr(j, [...consts, ...carry, ...x, ...ct, ...kt, ...xt]);
    const primalOut = o.slice(0, nOut), tangentOut = o.slice(nOut);
    const carryTOut = tangentOut.slice(0, nkt);
    const yTOut = tangentOut.slice(nkt);
    return [...primalOut.slice(0, nk), ...carryTOut, ...primalOut.slice(nk), ...yTOut];
  }, [
    ...constsIn.map(([x]) => x.aval),
    ...constsIn.filter((_, i) => constT[i]).map(([x]) => x.aval),
    ...carryIn.map(([x]) => x.aval),
    ...carryIn.filter((_, i) => carryT[i]).map(([x]) => x.aval),
    ...xsIn.map(([x]) => unstacked("scan", x.aval, p.length)),
    ...xsIn.filter((_, i) => xsT[i]).map(([x]) => unstacked("scan", x.aval, p.length)),
  ]);
  const tangentOf = ([x, t]: readonly [Array, Array | null]) => t ?? full(x.shape, 0, x.dtype);
  const operands = [
    ...constsIn.map(([x]) => x),
    ...constsIn.filter((_, i) => constT[i]).map(tangentOf),
    ...carryIn.map(([x]) => x),
    ...carryIn.filter((_, i) => carryT[i]).map(tangentOf),
    ...xsIn.map(([x]) => x),
    ...xsIn.filter((_, i) => xsT[i]).map(tangentOf),
  ];
  const touts = bind(scanP, operands, {
    ...p,
    jaxpr: tangentBody,
    numConsts: nc + nct,
    numCarry: nk + nkt,
  });
  const ny = nOut - nk;
  const outs = [...touts.slice(0, nk), ...touts.slice(nk + nkt, nk + nkt + ny)];
  const carryTangents = touts.slice(nk, nk + nkt);
  const yTangents = touts.slice(nk + nkt + ny);
  let a = 0, b = 0;
  return [
    outs,
    outs.map((o, i) => {
      if (!differentiable(o.aval)) return null;
      return i < nk ? carryTangents[a++] : yTangents[b++];
    }),
  ];
};

/**
 * The body split by partial evaluation with the inputs flagged in `unknownIn` unknown. A carry
 * known at the start is unknown if a step makes it depend on an unknown value: iterated to the
 * fixpoint, as JAX's scan partial evaluation does. `instantiateYs` flags the per-step outputs
 * that are unknown even if they could be known.
 */
function splitBody(
  p: ScanParams,
  unknownIn: readonly boolean[],
  instantiateYs: boolean,
): { split: SplitJaxpr; carryU: boolean[] } {
  const [constU, carryGiven, xsU] = groups(unknownIn, p);
  const ys = outAvals(p.jaxpr).slice(p.numCarry).map(() => instantiateYs);
  let carryU = carryGiven;
  for (;;) {
    const split = partialEvalJaxpr(p.jaxpr, [...constU, ...carryU, ...xsU], [...carryU, ...ys]);
    const next = carryU.map((u, i) => u || split.outUnknown[i]);
    if (next.every((u, i) => u === carryU[i])) return { split, carryU };
    carryU = next;
  }
}

/** The residuals of a split scan, as its unknown part receives them. */
interface Residuals {
  /** Per residual: whether it is the same at every step (passed once, not stacked). */
  invariant: boolean[];
  /** The invariant residuals' values, in order. */
  consts: Array[];
  /** The others, stacked along the scan axis, in order. */
  stacked: Array[];
}

/** Interleaves invariant residuals `inv` and per-step residuals `step` into residual order. */
function residualsInOrder<T>(invariant: readonly boolean[], inv: T[], step: T[]): T[] {
  let a = 0, b = 0;
  return invariant.map((c) => (c ? inv[a++] : step[b++]));
}

/**
 * Runs the known part of a split scan on the known operands: returns its known outputs (carry,
 * then ys) and the residuals. A residual that is a known const of the body or a constant is
 * passed once instead of stacked per step; one that is a known scanned input is that input, not
 * a stacked copy of it.
 */
function runKnown(
  p: ScanParams,
  split: SplitJaxpr,
  consts: Array[],
  carry: Array[],
  xs: Array[],
): [Array[], Residuals] {
  const k = split.known;
  const nOut = k.outs.length - split.residuals;
  const nc = consts.length, nk = carry.length;
  const sources = k.outs.slice(nOut).map((a): Array | number | null => {
    if (a instanceof Literal) return a.val;
    const c = k.constVars.indexOf(a);
    if (c >= 0) return k.consts[c];
    const i = k.inBinders.indexOf(a);
    if (i >= 0 && i < nc) return consts[i];
    return i >= nc + nk ? i - nc - nk : null;
  });
  const invariant = sources.map((s) => s !== null && typeof s !== "number");
  const perStep = sources.flatMap((s, j) => (s === null ? [nOut + j] : []));
  const body = perStep.length === split.residuals ? k : traceFlat((ins) => {
    const o = evalJaxpr(k, ins);
    return [...o.slice(0, nOut), ...perStep.map((j) => o[j])];
  }, inAvals(k));
  const outs = nOut + perStep.length === 0 ? [] : bind(scanP, [...consts, ...carry, ...xs], {
    ...p,
    jaxpr: body,
    numConsts: nc,
    numCarry: nk,
  });
  const computed = outs.slice(nOut);
  let s = 0;
  const stacked = sources.flatMap((x) =>
    x === null ? [computed[s++]] : typeof x === "number" ? [xs[x]] : []
  );
  const residualConsts = sources.filter((_, j) => invariant[j]) as Array[];
  return [outs.slice(0, nOut), { invariant, consts: residualConsts, stacked }];
}

/**
 * The unknown part of a split scan as a scan body: consts (the invariant residuals, then the
 * unknown consts), the unknown carry, and scanned inputs (the per-step residuals, then the
 * unknown xs).
 */
function unknownBody(split: SplitJaxpr, invariant: readonly boolean[], nuc: number, nuk: number) {
  const avals = inAvals(split.unknown);
  const resAvals = avals.slice(0, split.residuals), rest = avals.slice(split.residuals);
  const invAvals = resAvals.filter((_, j) => invariant[j]);
  const stepAvals = resAvals.filter((_, j) => !invariant[j]);
  const ni = invAvals.length, ns = stepAvals.length;
  return traceFlat((xs) => {
    const inv = xs.slice(0, ni), unknownConsts = xs.slice(ni, ni + nuc);
    const carry = xs.slice(ni + nuc, ni + nuc + nuk);
    const step = xs.slice(ni + nuc + nuk, ni + nuc + nuk + ns),
      unknownXs = xs.slice(ni + nuc + nuk + ns);
    const res = residualsInOrder(invariant, inv, step);
    return evalJaxpr(split.unknown, [...res, ...unknownConsts, ...carry, ...unknownXs]);
  }, [
    ...invAvals,
    ...rest.slice(0, nuc),
    ...rest.slice(nuc, nuc + nuk),
    ...stepAvals,
    ...rest.slice(nuc + nuk),
  ]);
}

/** The indices of the flagged entries of `flags`, offset by `from`. */
function flagged(flags: readonly boolean[], from: number): number[] {
  return flags.flatMap((f, i) => (f ? [from + i] : []));
}

/** The entries of `xs` not flagged in `unknown`. */
function knownOf<T>(xs: readonly T[], unknown: readonly boolean[]): T[] {
  return xs.filter((_, i) => !unknown[i]);
}

// Partial evaluation, as JAX's: the known part runs now as a scan computing the known outputs and
// the residuals; the unknown part is staged as a scan over them.
scanP.partialEval = (known, _avals, p) => {
  const unknownIn = known.map((x) => x === null);
  const [constU, , xsU] = groups(unknownIn, p);
  const { split, carryU } = splitBody(p, unknownIn, false);
  const [kc, kk, kx] = groups(known, p) as [Array[], Array[], Array[]];
  const [knownOuts, res] = runKnown(
    p,
    split,
    knownOf(kc, constU),
    knownOf(kk, carryU),
    knownOf(kx, xsU),
  );
  const nuc = constU.filter(Boolean).length, nuk = carryU.filter(Boolean).length;
  let k = 0;
  return {
    known: split.outUnknown.map((u) => (u ? null : knownOuts[k++])),
    staged: {
      prim: scanP,
      inputs: [
        ...res.consts,
        ...flagged(constU, 0),
        ...flagged(carryU, p.numConsts),
        ...res.stacked,
        ...flagged(xsU, p.numConsts + p.numCarry),
      ],
      params: {
        ...p,
        jaxpr: unknownBody(split, res.invariant, nuc, nuk),
        numConsts: res.consts.length + nuc,
        numCarry: nuk,
      } satisfies ScanParams,
    },
  };
};

scanP.transpose = (cts, args, p) => {
  const undefined_ = args.map((x) => x instanceof UndefPrimal);
  const [constL, carryGiven, xsL] = groups(undefined_, p);
  const { split, carryU: carryL } = splitBody(p, undefined_, true);
  const [constA, carryA, xsA] = groups(args, p);
  // Forward: the primal part, its residuals (those that change per step stacked).
  const [, res] = runKnown(
    p,
    split,
    knownOf(constA, constL) as Array[],
    knownOf(carryA, carryL) as Array[],
    knownOf(xsA, xsL) as Array[],
  );
  // Backward: the transposed linear part, in the other direction, over the residuals.
  const linearAvals = inAvals(split.unknown).slice(split.residuals);
  const [ctConstAvals, ctCarryAvals] = groups(linearAvals, {
    ...p,
    numConsts: constL.filter(Boolean).length,
    numCarry: carryL.filter(Boolean).length,
  });
  const outTypes = outAvals(split.unknown);
  const ctCarryIn = outTypes.slice(0, ctCarryAvals.length);
  const ctYs = outTypes.slice(ctCarryAvals.length);
  const zerosFor = (a: ShapedArray) => full(a.shape, 0, a.dtype);
  const givenCts = cts.filter((_, i) => split.outUnknown[i]);
  const ctInit = ctCarryIn.map((a, i) => givenCts[i] ?? zerosFor(a));
  const ctYsStacked = ctYs.map((a, i) =>
    givenCts[ctCarryIn.length + i] ?? zerosFor(stacked(a, p.length))
  );
  const resAvals = inAvals(split.unknown).slice(0, split.residuals);
  const invAvals = resAvals.filter((_, j) => res.invariant[j]);
  const stepAvals = resAvals.filter((_, j) => !res.invariant[j]);
  const backBody = traceFlat((xs) => {
    const nI = invAvals.length, nA = ctConstAvals.length, nK = ctCarryIn.length;
    const nS = stepAvals.length;
    const inv = xs.slice(0, nI), acc = xs.slice(nI, nI + nA);
    const ctCarry = xs.slice(nI + nA, nI + nA + nK);
    const step = xs.slice(nI + nA + nK, nI + nA + nK + nS), ctY = xs.slice(nI + nA + nK + nS);
    const undef = linearAvals.map((a) => new UndefPrimal(a));
    const resIn = residualsInOrder(res.invariant, inv, step);
    const ctIn = backwardPass(split.unknown, [...resIn, ...undef], [...ctCarry, ...ctY]);
    const [ctConst, ctCarryPrev, ctX] = groups(ctIn, {
      ...p,
      numConsts: nA,
      numCarry: nK,
    });
    return [...acc.map((a, i) => add(a, ctConst[i])), ...ctCarryPrev, ...ctX];
  }, [...invAvals, ...ctConstAvals, ...ctCarryIn, ...stepAvals, ...ctYs]);
  // The weights' cotangents sum per-step products: those run once, over all steps, afterwards,
  // stacking at most as much again as the loop already reads stacked.
  const nA = ctConstAvals.length, nK = ctCarryIn.length;
  const xsBack = [...res.stacked, ...ctYsStacked];
  const plan = hoistAccumulations(
    backBody,
    { numConsts: res.consts.length, numCarry: nA + nK, length: p.length },
    range(nA),
    xsBack.reduce((n, x) => n + x.size, 0),
  );
  const keptAcc = plan.kept.filter((i) => i < nA);
  const back = bind(scanP, [
    ...res.consts,
    ...keptAcc.map((i) => zerosFor(ctConstAvals[i])),
    ...ctInit,
    ...xsBack,
  ], {
    ...p,
    jaxpr: plan.body,
    numConsts: res.consts.length,
    numCarry: keptAcc.length + nK,
    reverse: !p.reverse,
  });
  const ysBack = back.slice(keptAcc.length + nK);
  const ctConsts = range(nA).map((i) => {
    const h = plan.hoisted.find((a) => a.carry === i);
    return h ? h.finish(zerosFor(ctConstAvals[i]), xsBack, ysBack) : back[keptAcc.indexOf(i)];
  });
  const ctCarry = back.slice(keptAcc.length, keptAcc.length + nK);
  const ctXs = ysBack.slice(0, backBody.outs.length - nA - nK);
  const take = (l: readonly boolean[], vals: Array[], given = l) => {
    let k = 0;
    return l.map((u, i) => {
      const ct = u ? vals[k++] : null;
      return given[i] ? ct : null;
    });
  };
  return [...take(constL, ctConsts), ...take(carryL, ctCarry, carryGiven), ...take(xsL, ctXs)];
};

scanP.batch = (size, args, dims, p) => {
  const [consts, carry, xs] = groups(args, p);
  const [constD, , xsD] = groups(dims, p);
  // Every carry is batched (an unbatched one may meet batched values in the body).
  const carryB = carry.map((c, i) => moveBatchAxis(c, dims[p.numConsts + i], 0, size));
  // Scanned inputs keep the scan axis first, the batch axis second.
  const xsB = xs.map((x, i) => (xsD[i] === null ? x : moveBatchAxis(x, xsD[i], 1, size)));
  const bodyDims = [...constD, ...carry.map(() => 0), ...xsD.map((d) => (d === null ? null : 0))];
  const jaxpr = vmapJaxpr(p.jaxpr, size, bodyDims);
  const outs = bind(scanP, [...consts, ...carryB, ...xsB], { ...p, jaxpr });
  return [outs, outs.map((_, i) => (i < p.numCarry ? 0 : 1))];
};

/** Options of `lax.scan`. */
export interface ScanOptions {
  /** Number of steps; required when there are no `xs`, else their leading size. */
  length?: number;
  /** Run from the last step to the first (`ys` still indexed by step). */
  reverse?: boolean;
}

/**
 * `lax.scan(f, init, xs, options)`: `f(carry, x)` returns `[carry, y]`; runs it over the leading
 * axis of `xs` (a pytree, or null with `length`) and returns `[finalCarry, ys]`, `ys` stacked
 * along a new leading axis. Carry and outputs are pytrees; the carry must keep its structure,
 * shapes and dtypes. Differentiable in both modes, vectorisable, and one equation in a jaxpr
 * however many steps it runs.
 *
 * ```ts
 * import { lax, numpy as np } from "../../mod.ts";
 * const [total, partials] = lax.scan(
 *   (c: np.Array, x: np.Array) => [c.add(x), c.add(x)],
 *   np.array(0),
 *   np.array([1, 2, 3]),
 * );
 * ```
 */
export function scan(
  f: (carry: any, x: any) => [Tree, Tree],
  init: Tree,
  xs: Tree = null,
  options: ScanOptions = {},
): [any, any] {
  const op = "lax.scan";
  const [initLeaves, carryDef] = flattenArrays(op, init);
  const [xsLeaves] = flattenArrays(op, xs);
  const length = options.length ?? (xsLeaves.length ? xsLeaves[0].shape[0] : undefined);
  if (length === undefined || !Number.isInteger(length) || length < 0) {
    throw new AdjointError(
      op,
      `the number of steps is unknown: give xs with a leading axis or options.length (a ` +
        `non-negative integer), got ${options.length}`,
    );
  }
  if (options.length !== undefined && xsLeaves.length && xsLeaves[0].shape[0] !== length) {
    throw new AdjointError(
      op,
      `options.length is ${length} but xs have leading size ${xsLeaves[0].shape[0]}`,
    );
  }
  const xAvals = xsLeaves.map((x) => unstacked(op, x.aval, length));
  const [, argDef] = flatten([init, xs] as Tree);
  let yDef = argDef;
  const traced = traceFun(
    op,
    (carry: Tree, x: Tree) => {
      const out = f(carry, x);
      if (!globalThis.Array.isArray(out) || out.length !== 2) {
        throw new AdjointError(op, "the body must return [carry, y] (y may be null)");
      }
      const [carryOut, y] = out;
      const [cl, cd] = flatten(carryOut);
      const d = treeDifference(carryDef, cd);
      if (d) {
        throw new AdjointError(
          op,
          `the body returns a carry of another structure than init ${d}`,
        );
      }
      const [, yd] = flatten(y);
      yDef = yd;
      return [...cl, ...flatten(y)[0]] as Tree;
    },
    argDef,
    [...initLeaves.map((l) => l.aval), ...xAvals],
  );
  const carryOut = outAvals(traced.jaxpr).slice(0, initLeaves.length);
  checkTypes(
    op,
    ["the carry the body returns", carryOut],
    ["the initial carry", initLeaves.map((l) => l.aval)],
    "the carry must keep its shapes and dtypes from step to step (cast or broadcast init)",
  );
  const outs = bind(
    scanP,
    [...traced.consts, ...initLeaves, ...xsLeaves],
    {
      jaxpr: traced.jaxpr,
      numConsts: traced.consts.length,
      numCarry: initLeaves.length,
      length,
      reverse: options.reverse ?? false,
    } satisfies ScanParams,
  );
  return [
    unflatten(carryDef, outs.slice(0, initLeaves.length)),
    unflatten(yDef, outs.slice(initLeaves.length)),
  ];
}

/** `lax.map(f, xs)`: `f` applied to each slice of `xs` along its leading axis, results stacked. */
export function map(f: (x: any) => Tree, xs: Tree): any {
  return scan((_: null, x: Tree) => [null, f(x)], null, xs)[1];
}
