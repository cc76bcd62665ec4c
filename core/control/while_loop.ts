/**
 * `while`: a loop whose number of steps is known only at run time, as JAX's `lax.while_loop`; and
 * `lax.foriLoop`, which is a `scan` when its bounds are JS numbers (so reverse mode works) and a
 * while loop otherwise. The primitive's operands are the condition's captured values, the body's
 * captured values, then the initial carry.
 *
 * Forward mode carries tangents beside the primal values; reverse mode is refused, as in JAX, since
 * the number of steps to store is not known in advance. Under vmap the loop runs while any
 * example's condition holds, and examples that are done keep their carry (JAX's rule).
 * @module
 */
import type { Array } from "../array.ts";
import { AdjointError } from "../errors.ts";
import { evalJaxpr, type Jaxpr } from "../jaxpr.ts";
import { type Params, Primitive } from "../primitive.ts";
import { moveBatchAxis } from "../primitives/batching.ts";
import { full, scalar } from "../primitives/constants.ts";
import { add, convert, lt, select } from "../primitives/elementwise.ts";
import { reduceMax } from "../primitives/reductions.ts";
import { broadcastInDim } from "../primitives/structural.ts";
import { bind } from "../trace.ts";
import { runSubJaxpr } from "./sub_programs.ts";
import { flattenArrays } from "../transforms/flat.ts";
import { flatten, type Tree, treeDifference, unflatten } from "../tree.ts";
import { scan } from "./scan.ts";
import {
  checkTypes,
  differentiable,
  inAvals,
  jvpJaxpr,
  outAvals,
  traceFlat,
  traceFun,
  vmapJaxpr,
} from "./sub_jaxpr.ts";

/** Params of `while`. */
export interface WhileParams extends Params {
  /** `(condConsts, carry) -> bool[]`. */
  cond: Jaxpr;
  /** `(bodyConsts, carry) -> carry`. */
  body: Jaxpr;
  /** Number of operands the condition takes before the carry. */
  numCondConsts: number;
  /** Number of operands the body takes before the carry. */
  numBodyConsts: number;
}

/** The while primitive. */
export const whileP: Primitive<"while", WhileParams> = new Primitive("while");

function groups<T>(xs: readonly T[], p: WhileParams): [T[], T[], T[]] {
  const a = p.numCondConsts, b = a + p.numBodyConsts;
  return [xs.slice(0, a), xs.slice(a, b), xs.slice(b)];
}

const REVERSE_MODE =
  "reverse-mode differentiation does not work for lax.whileLoop or lax.foriLoop with traced " +
  "bounds, since the number of steps to store is unknown; use lax.scan, or lax.foriLoop with " +
  "bounds that are JS numbers (a scan), or forward mode (jvp, jacfwd)";

whileP.shape = (avals, p) => {
  const [cc, bc, carry] = groups(avals, p);
  checkTypes(
    "while",
    ["the operands", [...cc, ...carry]],
    ["cond's inputs", inAvals(p.cond)],
    "internal",
  );
  checkTypes(
    "while",
    ["the operands", [...bc, ...carry]],
    ["body's inputs", inAvals(p.body)],
    "internal",
  );
  return carry;
};

whileP.impl = (args, p) => {
  const [cc, bc, init] = groups(args, p);
  let carry = init;
  while (predicate(runSubJaxpr(p.cond, [...cc, ...carry])[0])) {
    carry = runSubJaxpr(p.body, [...bc, ...carry]);
  }
  return carry;
};

/** The condition's value, read on the host. */
function predicate(x: Array): boolean {
  const c = x.concrete("lax.whileLoop");
  const host = c.backend.readSync(c.buffer, c.aval);
  if (!host) {
    throw new AdjointError(
      "lax.whileLoop",
      `the condition is computed on the ${c.backend.name} backend, which is read only ` +
        `asynchronously, so the loop cannot decide on the host whether to go on; use lax.scan ` +
        `or lax.foriLoop with JS-number bounds there, or run the loop on wasm`,
    );
  }
  return host[0] !== 0;
}

whileP.jvp = (primals, tangents, p) => {
  const outs = bind(whileP, primals, p);
  const [cc, bc, carry] = groups(primals, p);
  const [, bcT, carryT] = groups(tangents, p);
  const constTangent = bc.map((x, i) => bcT[i] !== null && differentiable(x.aval));
  const carryTangent = carry.map((x) => differentiable(x.aval));
  const nb = bc.length, nk = carry.length;
  const j = jvpJaxpr(p.body, [...constTangent, ...carryTangent]);
  const nbt = constTangent.filter(Boolean).length, nkt = carryTangent.filter(Boolean).length;
  const avals = (xs: Array[]) => xs.map((x) => x.aval);
  const kept = <T>(xs: T[], flags: boolean[]) => xs.filter((_, i) => flags[i]);
  // Carry (primal, tangent); the condition looks at the primal part only.
  const cond = traceFlat(
    (xs) => evalJaxpr(p.cond, xs.slice(0, cc.length + nk)),
    [...avals(cc), ...avals(carry), ...kept(avals(carry), carryTangent)],
  );
  const body = traceFlat((xs) => {
    const consts = xs.slice(0, nb), ct = xs.slice(nb, nb + nbt);
    const k = xs.slice(nb + nbt, nb + nbt + nk), kt = xs.slice(nb + nbt + nk);
    const o = evalJaxpr(j, [...consts, ...k, ...ct, ...kt]);
    return [...o.slice(0, nk), ...o.slice(nk, nk + nkt)];
  }, [
    ...avals(bc),
    ...kept(avals(bc), constTangent),
    ...avals(carry),
    ...kept(avals(carry), carryTangent),
  ]);
  const tangentOf = (x: Array, t: Array | null) => t ?? full(x.shape, 0, x.dtype);
  const touts = bind(whileP, [
    ...cc,
    ...bc,
    ...kept(bc.map((x, i) => tangentOf(x, bcT[i])), constTangent),
    ...carry,
    ...kept(carry.map((x, i) => tangentOf(x, carryT[i])), carryTangent),
  ], { cond, body, numCondConsts: cc.length, numBodyConsts: nb + nbt });
  let k = nk;
  return [outs, outs.map((o) => (differentiable(o.aval) ? touts[k++] : null))];
};

whileP.transpose = () => {
  throw new AdjointError("lax.whileLoop", REVERSE_MODE);
};

whileP.batch = (size, args, dims, p) => {
  const [cc, bc, carry] = groups(args, p);
  const [ccD, bcD, carryD] = groups(dims, p);
  // Every carry is batched; the loop runs while any example's condition holds.
  const carryB = carry.map((c, i) => moveBatchAxis(c, carryD[i], 0, size));
  const condB = vmapJaxpr(p.cond, size, [...ccD, ...carry.map(() => 0)]);
  const bodyB = vmapJaxpr(p.body, size, [...bcD, ...carry.map(() => 0)]);
  const avals = (xs: Array[]) => xs.map((x) => x.aval);
  const nc = cc.length, nb = bc.length;
  const anyActive = traceFlat((xs) => {
    const [active] = evalJaxpr(condB, xs);
    return [lt(scalarLike(0), reduceMax(convert(active, "int32"), [0]))];
  }, [...avals(cc), ...avals(carryB)]);
  const body = traceFlat((xs) => {
    const ccv = xs.slice(0, nc), bcv = xs.slice(nc, nc + nb), k = xs.slice(nc + nb);
    const [active] = evalJaxpr(condB, [...ccv, ...k]);
    const next = evalJaxpr(bodyB, [...bcv, ...k]);
    return next.map((n, i) => select(broadcastInDim(active, n.shape, [0]), n, k[i]));
  }, [...avals(cc), ...avals(bc), ...avals(carryB)]);
  const outs = bind(whileP, [...cc, ...cc, ...bc, ...carryB], {
    cond: anyActive,
    body,
    numCondConsts: nc,
    numBodyConsts: nc + nb,
  });
  return [outs, outs.map(() => 0)];
};

/** The int32 scalar `v`. */
function scalarLike(v: number): Array {
  return scalar(v, "int32");
}

/**
 * `lax.whileLoop(condFn, bodyFn, init)`: `carry = bodyFn(carry)` while `condFn(carry)` is true,
 * starting from `init` (a pytree); returns the final carry. The body must keep the carry's
 * structure, shapes and dtypes; the condition returns a bool scalar. Differentiable in forward
 * mode (jvp); reverse mode is refused, as in JAX.
 */
export function whileLoop(
  condFn: (carry: any) => unknown,
  bodyFn: (carry: any) => Tree,
  init: Tree,
): any {
  const op = "lax.whileLoop";
  const [leaves, def] = flattenArrays(op, init);
  const [, argDef] = flatten([init] as Tree);
  const avals = leaves.map((l) => l.aval);
  const c = traceFun(op, condFn, argDef, avals);
  const predicate = outAvals(c.jaxpr);
  if (predicate.length !== 1 || predicate[0].ndim !== 0 || predicate[0].dtype !== "bool") {
    throw new AdjointError(
      op,
      `the condition must return one bool scalar, got (${predicate.join(", ")}); compare with ` +
        `np.less or reduce with np.any`,
    );
  }
  const b = traceFun(op, bodyFn, argDef, avals);
  const d = treeDifference(def, b.outDef);
  if (d) throw new AdjointError(op, `the body returns a carry of another structure than init ${d}`);
  checkTypes(
    op,
    ["the carry the body returns", outAvals(b.jaxpr)],
    ["the initial carry", avals],
    "the carry must keep its shapes and dtypes from step to step (cast or broadcast init)",
  );
  const outs = bind(
    whileP,
    [...c.consts, ...b.consts, ...leaves],
    {
      cond: c.jaxpr,
      body: b.jaxpr,
      numCondConsts: c.consts.length,
      numBodyConsts: b.consts.length,
    } satisfies WhileParams,
  );
  return unflatten(def, outs);
}

/**
 * `lax.foriLoop(lower, upper, bodyFn, init)`: `carry = bodyFn(i, carry)` for `i` from `lower` up
 * to `upper - 1` (int32). With bounds that are JS numbers it is a `scan` (reverse mode works);
 * with traced bounds a while loop (forward mode only), as JAX's `fori_loop`.
 */
export function foriLoop(
  lower: number | Array,
  upper: number | Array,
  bodyFn: (i: Array, carry: any) => Tree,
  init: Tree,
): any {
  if (typeof lower === "number" && typeof upper === "number") {
    const steps = Math.max(0, upper - lower);
    const [[, carry]] = scan(
      ([i, c]: [Array, Tree]) => [[add(i, scalarLike(1)), bodyFn(i, c)], null],
      [scalarLike(lower), init],
      null,
      { length: steps },
    );
    return carry;
  }
  const [[lo, hi]] = flattenArrays("lax.foriLoop", [lower, upper]);
  const asInt = (x: Array) => (x.dtype === "int32" ? x : convert(x, "int32"));
  const [, , carry] = whileLoop(
    ([i, end]: [Array, Array]) => lt(i, end),
    ([i, end, c]: [Array, Array, Tree]) => [add(i, scalarLike(1)), end, bodyFn(i, c)],
    [asInt(lo), asInt(hi), init],
  );
  return carry;
}
