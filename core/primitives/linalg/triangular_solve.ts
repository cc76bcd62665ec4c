/**
 * `triangular_solve`: solves `op(A) X = B` (left side) or `X op(A) = B` (right side) for
 * triangular `A`, with `op(A)` = `A` or `A^T`, as lax.linalg.triangular_solve. Linear in `B`
 * (its transpose solves with `op(A)^T`); its jvp in `A` is JAX's:
 * `dX = -op(A)^{-1} op(dA) X` (left) or `-X op(dA) op(A)^{-1}` (right), with `dA` restricted
 * to the triangle that is read.
 * @module
 */
import type { Array } from "../../array.ts";
import { ShapedArray } from "../../aval.ts";
import { AdjointError } from "../../errors.ts";
import { Primitive, UndefPrimal } from "../../primitive.ts";
import { shapeEqual } from "../../shape.ts";
import { bind1 } from "../../trace.ts";
import { batchSameShape } from "../batching.ts";
import { add, neg } from "../elementwise.ts";
import { matrixDims, mm, mT, tril, triu } from "./matrix.ts";
import { checkOptions } from "../../options.ts";

/** Options of a triangular solve (all default false, as in JAX). */
export interface TriangularSolveOptions {
  /** Solve `op(a) x = b` (true) or `x op(a) = b` (false, the default). */
  leftSide?: boolean;
  /** Read `a`'s lower (true) or upper (false, the default) triangle. */
  lower?: boolean;
  /** Use `a^T` for `op(a)`. */
  transposeA?: boolean;
  /** Take `a`'s diagonal as ones, without reading it. */
  unitDiagonal?: boolean;
}

type Flags = Required<TriangularSolveOptions>;
/** Params of triangular_solve: every `TriangularSolveOptions` flag, given. */
export type TriangularSolveParams = {
  leftSide: boolean;
  lower: boolean;
  transposeA: boolean;
  unitDiagonal: boolean;
};

/** Solves triangular systems; params are the `TriangularSolveOptions`, all given. */
export const triangularSolveP: Primitive<"triangular_solve", TriangularSolveParams> = new Primitive(
  "triangular_solve",
);
triangularSolveP.shape = ([a, b], params) => {
  const { leftSide } = params;
  const [m] = matrixDims("triangular_solve", a, true);
  const ok = b.ndim === a.ndim && b.dtype === a.dtype &&
    shapeEqual(a.shape.slice(0, -2), b.shape.slice(0, -2)) &&
    b.shape[b.ndim - (leftSide ? 2 : 1)] === m;
  if (!ok) {
    const want = leftSide ? `[..., ${m}, k]` : `[..., k, ${m}]`;
    throw new AdjointError(
      "triangular_solve",
      `a is ${a}, so b must be ${want} of ${a.dtype} with a's batch axes, got ${b}`,
    );
  }
  return [new ShapedArray(b.shape, b.dtype)];
};
triangularSolveP.batch = batchSameShape(triangularSolveP);
triangularSolveP.jvp = ([a, b], [da, db], p) => {
  const x = bind1(triangularSolveP, [a, b], p);
  const solve = (rhs: Array) => bind1(triangularSolveP, [a, rhs], p);
  const fromB = db && solve(db);
  let fromA: Array | null = null;
  if (da !== null) {
    const k = p.unitDiagonal ? 1 : 0;
    let g = neg(p.lower ? tril(da, -k) : triu(da, k));
    if (p.transposeA) g = mT(g);
    // Solve against the smaller operand: solve(g x) when x is narrower than a, else solve(g) x.
    const [rows, cols] = x.shape.slice(-2);
    if (p.leftSide) fromA = rows > cols ? solve(mm(g, x)) : mm(solve(g), x);
    else fromA = cols > rows ? solve(mm(x, g)) : mm(x, solve(g));
  }
  const t = fromA === null ? fromB : fromB === null ? fromA : add(fromA, fromB);
  return [[x], [t]];
};
triangularSolveP.transpose = ([ct], [a, b], p) => {
  if (a instanceof UndefPrimal || !(b instanceof UndefPrimal)) {
    throw new AdjointError("triangular_solve", "only b can be linear (it is nonlinear in a)");
  }
  if (ct === null) return [null, null];
  return [null, bind1(triangularSolveP, [a, ct], { ...p, transposeA: !p.transposeA })];
};

/**
 * lax.linalg.triangular_solve: `x` with `op(a) x = b` (`leftSide`) or `x op(a) = b` (the
 * default), for triangular `a` `[..., m, m]` (its `lower` or upper triangle read, its diagonal
 * taken as ones with `unitDiagonal`) and `op(a)` = `a` or, with `transposeA`, `a^T`. `b` is
 * `[..., m, k]` (left) or `[..., k, m]` (right) with `a`'s batch axes. Differentiable in both.
 *
 * ```ts
 * import { lax, numpy as np } from "../../../mod.ts";
 * const a = np.array([[2, 0], [1, 1]], "float64");
 * lax.linalg.triangularSolve(a, np.array([[2], [3]], "float64"), { leftSide: true, lower: true })
 *   .toArray(); // [[1], [2]]
 * ```
 */
export function triangularSolve(a: Array, b: Array, options: TriangularSolveOptions = {}): Array {
  checkOptions("lax.linalg.triangularSolve", options, [
    "leftSide",
    "lower",
    "transposeA",
    "unitDiagonal",
  ]);
  const flags: Flags = {
    leftSide: options.leftSide ?? false,
    lower: options.lower ?? false,
    transposeA: options.transposeA ?? false,
    unitDiagonal: options.unitDiagonal ?? false,
  };
  return bind1(triangularSolveP, [a, b], { ...flags });
}
