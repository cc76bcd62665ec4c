/**
 * Array creation: zeros, ones, full, arange, linspace, eye, the `*Like` variants and copy.
 * @module
 */
import { type Array, ConcreteArray } from "../core/array.ts";
import { allocTyped, type DType } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import { full as laxFull } from "../core/primitives/constants.ts";
import { select } from "../core/primitives/elementwise.ts";
import { shapeStr } from "../core/shape.ts";

function checkShape(op: string, shape: readonly number[]): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new AdjointError(op, `invalid shape ${shapeStr(shape)}; expected non-negative integers`);
  }
}

/** An array of `shape` filled with `value`. */
export function full(
  shape: number | readonly number[],
  value: number | boolean,
  dtype: DType = "float32",
): Array {
  const s = typeof shape === "number" ? [shape] : shape;
  checkShape("np.full", s);
  return laxFull(s, value, dtype);
}

/** Zeros. */
export function zeros(shape: number | readonly number[], dtype: DType = "float32"): Array {
  return full(shape, 0, dtype);
}

/** Ones. */
export function ones(shape: number | readonly number[], dtype: DType = "float32"): Array {
  return full(shape, 1, dtype);
}

/** Filled like `x` (same shape, and dtype unless given). */
export function fullLike(x: Array, value: number | boolean, dtype?: DType): Array {
  return full(x.shape, value, dtype ?? x.dtype);
}

/** Zeros like `x`. */
export function zerosLike(x: Array, dtype?: DType): Array {
  return fullLike(x, 0, dtype);
}

/** Ones like `x`. */
export function onesLike(x: Array, dtype?: DType): Array {
  return fullLike(x, 1, dtype);
}

/**
 * Evenly spaced values in `[start, stop)`: `arange(n)` or `arange(start, stop, step)`.
 * int32 when every argument is an integer, else float32.
 */
export function arange(start: number, stop?: number, step = 1, dtype?: DType): Array {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new AdjointError("np.arange", "step cannot be zero");
  const d = dtype ?? ([start, stop, step].every(Number.isInteger) ? "int32" : "float32");
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = allocTyped(d, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return ConcreteArray.fromHost(data, [n], d);
}

/** `num` evenly spaced values from `start` to `stop` (inclusive unless `endpoint` is false). */
export function linspace(
  start: number,
  stop: number,
  num = 50,
  endpoint = true,
  dtype: DType = "float32",
): Array {
  const data = allocTyped(dtype, num);
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  for (let i = 0; i < num; i++) data[i] = start + i * step;
  if (endpoint && num > 1) data[num - 1] = stop;
  return ConcreteArray.fromHost(data, [num], dtype);
}

/** Identity-like matrix: ones on diagonal `k` of an `n x m` matrix. */
export function eye(n: number, m = n, k = 0, dtype: DType = "float32"): Array {
  const data = allocTyped(dtype, n * m);
  for (let i = 0; i < n; i++) {
    const j = i + k;
    if (j >= 0 && j < m) data[i * m + j] = 1;
  }
  return ConcreteArray.fromHost(data, [n, m], dtype);
}

/**
 * A copy of `x` in a buffer of its own, on the same backend: releasing (or donating) one leaves
 * the other intact. Differentiable (the identity).
 *
 * ```ts
 * import { numpy as np } from "../mod.ts";
 * const y = np.copy(np.array([1, 2]));
 * y.toArray(); // [1, 2]
 * ```
 */
export function copy(x: Array): Array {
  return select(laxFull(x.shape, true, "bool"), x, x);
}
