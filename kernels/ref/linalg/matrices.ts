/**
 * Batches of matrices for the reference linear-algebra kernels: each kernel reads one matrix of
 * a batch into float64 (row-major), works on it, and writes its results back in the output
 * dtype, so float32 inputs are factored with float64 accumulation.
 * @module
 */
import type { TypedArray } from "../../../core/dtype.ts";
import { sizeOf } from "../../../core/shape.ts";

/** Number of `[..., rows, cols]` items in a batch of shape `shape` (the product of its leading axes). */
export function batchCount(shape: readonly number[], coreRank = 2): number {
  return sizeOf(shape.slice(0, shape.length - coreRank));
}

/** Item `b` (of `size` elements) of a batched buffer, as float64. */
export function readItem(x: TypedArray, b: number, size: number): Float64Array {
  return Float64Array.from(x.subarray(b * size, (b + 1) * size) as ArrayLike<number>);
}

/** Writes `item` as item `b` of a batched output buffer. */
export function writeItem(out: TypedArray, b: number, item: ArrayLike<number>): void {
  const at = b * item.length;
  for (let i = 0; i < item.length; i++) out[at + i] = item[i];
}

/** The `rows x cols` top-left block of a row-major `n`-column matrix. */
export function block(a: Float64Array, n: number, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[i * cols + j] = a[i * n + j];
  }
  return out;
}

/** The transpose of a row-major `rows x cols` matrix. */
export function transposed(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  }
  return out;
}

/** The `n x n` identity. */
export function identity(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/** Rotates columns `p` and `q` of a row-major matrix: `[x_p, x_q] <- [c x_p - s x_q, s x_p + c x_q]`. */
export function rotateColumns(
  a: Float64Array,
  rows: number,
  cols: number,
  p: number,
  q: number,
  c: number,
  s: number,
): void {
  for (let k = 0; k < rows; k++) {
    const xp = a[k * cols + p], xq = a[k * cols + q];
    a[k * cols + p] = c * xp - s * xq;
    a[k * cols + q] = s * xp + c * xq;
  }
}

/** Rotates rows `p` and `q` of a row-major matrix: `[x_p; x_q] <- [c x_p - s x_q; s x_p + c x_q]`. */
export function rotateRows(
  a: Float64Array,
  cols: number,
  p: number,
  q: number,
  c: number,
  s: number,
): void {
  for (let k = 0; k < cols; k++) {
    const xp = a[p * cols + k], xq = a[q * cols + k];
    a[p * cols + k] = c * xp - s * xq;
    a[q * cols + k] = s * xp + c * xq;
  }
}

/**
 * The Jacobi rotation `(c, s)` that zeroes the off-diagonal entry of the symmetric 2x2 matrix
 * `[[app, apq], [apq, aqq]]` (Rutishauser's stable choice of the smaller angle).
 */
export function jacobiRotation(app: number, aqq: number, apq: number): [number, number] {
  const theta = (aqq - app) / (2 * apq);
  const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  return [c, t * c];
}

/**
 * Completes the orthonormal columns of `u` (`rows x cols`, row-major) whose flag in `known` is
 * true to an orthonormal basis, filling the other columns by Gram-Schmidt (applied twice) over
 * the unit vectors.
 */
export function completeOrthonormal(
  u: Float64Array,
  rows: number,
  cols: number,
  known: boolean[],
): void {
  const done = known.map((k, j) => (k ? j : -1)).filter((j) => j >= 0);
  let unit = 0;
  for (let j = 0; j < cols; j++) {
    if (known[j]) continue;
    for (; unit < rows; unit++) {
      const v = new Float64Array(rows);
      v[unit] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (const d of done) {
          let dot = 0;
          for (let k = 0; k < rows; k++) dot += u[k * cols + d] * v[k];
          for (let k = 0; k < rows; k++) v[k] -= dot * u[k * cols + d];
        }
      }
      let norm2 = 0;
      for (let k = 0; k < rows; k++) norm2 += v[k] * v[k];
      const norm = Math.sqrt(norm2);
      if (norm > 0.5) {
        for (let k = 0; k < rows; k++) u[k * cols + j] = v[k] / norm;
        done.push(j);
        unit++;
        break;
      }
    }
  }
}
