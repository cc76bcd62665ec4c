/**
 * Matrix helpers for the linear-algebra primitives' rules: batched products and transposes over
 * the last two axes, triangles, diagonals and row permutations, built from structural,
 * elementwise and dot_general primitives (so each is differentiable and batchable), and the
 * shape check every decomposition shares.
 * @module
 */
import { type Array, ConcreteArray } from "../../array.ts";
import { ShapedArray } from "../../aval.ts";
import { allocTyped, type DType, isFloat } from "../../dtype.ts";
import { AdjointError } from "../../errors.ts";
import { range } from "../../shape.ts";
import { dotGeneral } from "../dot_general.ts";
import { convert, eq, mul } from "../elementwise.ts";
import { reduceSum } from "../reductions.ts";
import { broadcastInDim, transpose } from "../structural.ts";

/**
 * Checks that `x` is a float32/float64 matrix or batch of matrices `[..., m, n]` (square when
 * `square`) and returns its last two sizes.
 */
export function matrixDims(op: string, x: ShapedArray, square: boolean): [number, number] {
  const [m, n] = x.shape.slice(-2);
  if (x.ndim < 2 || !isFloat(x.dtype) || (square && m !== n)) {
    const what = square ? "a square matrix [..., n, n]" : "a matrix [..., m, n]";
    throw new AdjointError(
      op,
      `expected ${what} (or a batch of them) of float32 or float64, got ${x}`,
    );
  }
  return [m, n];
}

/** Swaps the last two axes. */
export function mT(x: Array): Array {
  const p = range(x.ndim);
  [p[x.ndim - 2], p[x.ndim - 1]] = [x.ndim - 1, x.ndim - 2];
  return transpose(x, p);
}

/** Batched matrix product `a @ b` over equal leading axes. */
export function mm(a: Array, b: Array): Array {
  const nb = a.ndim - 2;
  return dotGeneral(a, b, [[[nb + 1], [nb]], [range(nb), range(nb)]]);
}

/** An `[m, n]` constant of `dtype` with `f(i, j)` at each position. */
function constMatrix(m: number, n: number, dtype: DType, f: (i: number, j: number) => number) {
  const data = allocTyped(dtype, m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) data[i * n + j] = f(i, j);
  return ConcreteArray.fromHost(data, [m, n], dtype);
}

/** `x` scaled by the constant `f(i, j)` at each matrix position `(i, j)` (e.g. a triangle mask). */
export function scaleEntries(x: Array, f: (i: number, j: number) => number): Array {
  const [m, n] = x.shape.slice(-2);
  const c = constMatrix(m, n, x.dtype, f);
  return mul(x, broadcastInDim(c, x.shape, [x.ndim - 2, x.ndim - 1]));
}

/** The lower triangle of each matrix, on and below diagonal `k` (`np.tril`). */
export function tril(x: Array, k = 0): Array {
  return scaleEntries(x, (i, j) => (j - i <= k ? 1 : 0));
}

/** The upper triangle of each matrix, on and above diagonal `k` (`np.triu`). */
export function triu(x: Array, k = 0): Array {
  return scaleEntries(x, (i, j) => (j - i >= k ? 1 : 0));
}

/** The `[n, n]` identity of `dtype`, broadcast to `[...batch, n, n]`. */
export function eye(n: number, dtype: DType, batch: readonly number[] = []): Array {
  const e = constMatrix(n, n, dtype, (i, j) => (i === j ? 1 : 0));
  return broadcastInDim(e, [...batch, n, n], [batch.length, batch.length + 1]);
}

/** The diagonal of each square matrix: `[..., n, n] -> [..., n]`. */
export function diagonal(x: Array): Array {
  return reduceSum(scaleEntries(x, (i, j) => (i === j ? 1 : 0)), [x.ndim - 1]);
}

/** Square matrices with `v` (`[..., n]`) on their diagonals. */
export function diagEmbed(v: Array): Array {
  const n = v.shape[v.ndim - 1];
  const batch = v.shape.slice(0, -1);
  const rows = broadcastInDim(v, [...batch, n, n], [...range(batch.length), batch.length + 1]);
  return mul(rows, eye(n, v.dtype, batch));
}

/** `x[..., permutation[i], :]`: rows of each matrix reordered by an int32 `[..., m]` array. */
export function permuteRows(x: Array, permutation: Array): Array {
  const m = permutation.shape[permutation.ndim - 1];
  const batch = permutation.shape.slice(0, -1), nb = batch.length;
  const shape = [...batch, m, m];
  const iota = ConcreteArray.fromHost(Int32Array.from(range(m)), [m], "int32");
  const hit = eq(
    broadcastInDim(permutation, shape, range(nb + 1)),
    broadcastInDim(iota, shape, [nb + 1]),
  );
  return mm(convert(hit, x.dtype), x);
}

/** The avals `[...batch, ...core]` of `dtype`. */
export function batched(batch: readonly number[], core: number[], dtype: DType): ShapedArray {
  return new ShapedArray([...batch, ...core], dtype);
}
