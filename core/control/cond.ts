/**
 * `cond`: choosing one of several branches by an index known only at run time, as JAX's
 * `lax.cond` and `lax.switch`. The primitive carries one closed jaxpr per branch; its operands are
 * the index, then every branch's inputs (the values the branches captured, then the operands).
 *
 * Differentiation binds two conds: one for the primal outputs, and one computing the tangents
 * from primals and tangents, which partial evaluation stages whole and which transposes branch
 * by branch (each branch recomputes what it needs of the primal). Under vmap, an unbatched index
 * keeps one cond of batched branches; a batched index runs every branch and selects, as JAX does.
 * @module
 */
import type { Array } from "../array.ts";
import { AdjointError } from "../errors.ts";
import { evalJaxpr, type Jaxpr } from "../jaxpr.ts";
import { type Params, Primitive, UndefPrimal } from "../primitive.ts";
import { moveBatchAxis } from "../primitives/batching.ts";
import { full } from "../primitives/constants.ts";
import { convert, eq, max, min, select } from "../primitives/elementwise.ts";
import { broadcastInDim } from "../primitives/structural.ts";
import { bind } from "../trace.ts";
import { runSubJaxpr } from "./sub_programs.ts";
import { flattenArrays } from "../transforms/flat.ts";
import { type Tree, treeDifference, unflatten } from "../tree.ts";
import {
  checkTypes,
  differentiable,
  inAvals,
  outAvals,
  tangentJaxpr,
  traceFlat,
  traceFun,
  transposeJaxpr,
  vmapJaxpr,
} from "./sub_jaxpr.ts";

/** Params of `cond`: one jaxpr per branch, all with the same input and output types. */
export interface CondParams extends Params {
  /** The branches, chosen by the index (clamped to their range). */
  branches: Jaxpr[];
}

/** The cond primitive: `outs = branches[clamp(index)](...operands)`. */
export const condP: Primitive<"cond", CondParams> = new Primitive("cond");

condP.shape = ([index, ...ops], params) => {
  const branches = params.branches;
  if (index.ndim !== 0 || index.dtype !== "int32") {
    throw new AdjointError("cond", `the branch index must be an int32 scalar, got ${index}`);
  }
  for (const b of branches) {
    checkTypes("cond", ["the operands", ops], ["a branch's inputs", inAvals(b)], "internal");
  }
  return outAvals(branches[0]);
};

/**
 * Each output taken from the branch `index` names (clamped to `[0, n)`, as `lax.switch` does),
 * given every branch's `results`; `index` has the outputs' leading `dims`.
 */
function selectBranches(index: Array, results: Array[][], dims: number[]): Array[] {
  const constant = (v: number) => full(index.shape, v, "int32");
  const i = min(max(index, constant(0)), constant(results.length - 1));
  return results[0].map((first, k) =>
    results.slice(1).reduce((acc, r, b) => {
      const pick = broadcastInDim(eq(i, constant(b + 1)), r[k].shape, dims);
      return select(pick, r[k], acc);
    }, first)
  );
}

/**
 * Runs the branch the index names. Where the index cannot be read synchronously (an array
 * computed on webgpu), every branch runs and the outputs are selected on the device.
 */
condP.impl = ([index, ...ops], params) => {
  const branches = params.branches;
  const c = index.concrete("cond");
  const host = c.backend.readSync(c.buffer, c.aval);
  if (!host) return selectBranches(index, branches.map((b) => runSubJaxpr(b, ops)), []);
  return runSubJaxpr(branches[Math.min(Math.max(host[0], 0), branches.length - 1)], ops);
};

condP.jvp = ([index, ...ops], [, ...tangents], params) => {
  const branches = params.branches;
  const outs = bind(condP, [index, ...ops], params);
  const withTangent = ops.map((x, i) => tangents[i] !== null && differentiable(x.aval));
  const jvpBranches = branches.map((b) => tangentJaxpr(b, withTangent));
  const given = tangents.filter((_, i) => withTangent[i]) as Array[];
  const touts = bind(condP, [index, ...ops, ...given], { branches: jvpBranches });
  let k = 0;
  return [outs, outs.map((o) => (differentiable(o.aval) ? touts[k++] : null))];
};

condP.transpose = (cts, [index, ...ops], params) => {
  if (index instanceof UndefPrimal) throw new AdjointError("cond", "the index cannot be linear");
  const linear = ops.map((x) => x instanceof UndefPrimal);
  const known = ops.filter((x) => !(x instanceof UndefPrimal)) as Array[];
  const branches = params.branches;
  const ctAvals = outAvals(branches[0]);
  const ctsIn = cts.map((c, i) => c ?? full(ctAvals[i].shape, 0, ctAvals[i].dtype));
  const transposed = branches.map((b) => transposeJaxpr(b, linear));
  const out = bind(condP, [index, ...known, ...ctsIn], { branches: transposed });
  let k = 0;
  return [null, ...linear.map((l) => (l ? out[k++] : null))];
};

condP.batch = (size, [index, ...ops], [indexDim, ...dims], params) => {
  const branches = params.branches;
  if (indexDim === null) {
    const batched = branches.map((b) => vmapJaxpr(b, size, dims));
    const outs = bind(condP, [index, ...ops], { branches: batched });
    return [outs, outs.map(() => 0)];
  }
  // A batched index: every branch runs, and each output picks its example's branch.
  const results = branches.map((b) => evalJaxpr(vmapJaxpr(b, size, dims), ops));
  const outs = selectBranches(moveBatchAxis(index, indexDim, 0, size), results, [0]);
  return [outs, outs.map(() => 0)];
};

/**
 * Traces each branch on the operands' types and binds `cond`; the branches must return pytrees
 * of the same structure and types.
 */
function condCall(
  op: string,
  index: Array,
  branches: ((...args: any[]) => Tree)[],
  operands: unknown[],
) {
  const [leaves, def] = flattenArrays(op, operands as Tree);
  const traced = branches.map((b) => traceFun(op, b, def, leaves.map((l) => l.aval)));
  traced.forEach((t, i) => {
    if (i === 0) return;
    const d = treeDifference(traced[0].outDef, t.outDef);
    if (d) {
      throw new AdjointError(
        op,
        `branch ${i} returns a pytree of another structure than branch 0 ${d}`,
      );
    }
    checkTypes(
      op,
      [`branch ${i}'s output`, outAvals(t.jaxpr)],
      ["branch 0's output", outAvals(traced[0].jaxpr)],
      "every branch must return the same shapes and dtypes (cast or broadcast inside a branch)",
    );
  });
  // Every branch takes every branch's captured values, then the operands.
  const consts = traced.flatMap((t) => t.consts);
  const avals = [...consts.map((c) => c.aval), ...leaves.map((l) => l.aval)];
  const starts = traced.map((_, i) => traced.slice(0, i).reduce((n, t) => n + t.consts.length, 0));
  const jaxprs = traced.map((t, i) =>
    traceFlat((xs) => {
      const own = xs.slice(starts[i], starts[i] + t.consts.length);
      return evalJaxpr(t.jaxpr, [...own, ...xs.slice(consts.length)]);
    }, avals)
  );
  const outs = bind(condP, [index, ...consts, ...leaves], { branches: jaxprs });
  return unflatten(traced[0].outDef, outs);
}

/** The index as an int32 scalar array. */
function indexArray(op: string, index: unknown, what: string): Array {
  const [[x]] = flattenArrays(op, [index] as Tree);
  if (x.ndim !== 0) {
    throw new AdjointError(
      op,
      `${what} must be a scalar, got ${x.aval}; reduce it first (e.g. np.any)`,
    );
  }
  return x.dtype === "int32" ? x : convert(x, "int32");
}

/**
 * `lax.cond(pred, trueFn, falseFn, ...operands)`: `trueFn(...operands)` where `pred` is true,
 * else `falseFn(...operands)`, decided at run time (under `jit` and `vmap` too). Both functions
 * take the same operands (pytrees) and return pytrees of the same structure and types.
 *
 * ```ts
 * import { lax, numpy as np } from "../../mod.ts";
 * lax.cond(np.array(true), (x: np.Array) => x.mul(2), (x: np.Array) => x.neg(), np.array(3));
 * ```
 */
export function cond(
  pred: unknown,
  trueFn: (...args: any[]) => Tree,
  falseFn: (...args: any[]) => Tree,
  ...operands: unknown[]
): any {
  const p = indexArray("lax.cond", pred, "the predicate");
  return condCall("lax.cond", p, [falseFn, trueFn], operands);
}

/**
 * `lax.switch(index, branches, ...operands)`: `branches[index](...operands)`, with the index
 * clamped to the branches' range, as JAX's `lax.switch` (exported as `lax.switch`).
 */
function switchCase(
  index: unknown,
  branches: ((...args: any[]) => Tree)[],
  ...operands: unknown[]
): any {
  if (!branches.length) throw new AdjointError("lax.switch", "at least one branch is needed");
  return condCall("lax.switch", indexArray("lax.switch", index, "the index"), branches, operands);
}

export { switchCase as switch };
