/**
 * Constant arrays built from a scalar and a broadcast, so that under tracing a constant is a
 * literal plus one `broadcast_in_dim` rather than a large captured buffer.
 * @module
 */
import { type Array, ConcreteArray } from "../array.ts";
import { allocTyped, type DType } from "../dtype.ts";
import type { Shape } from "../shape.ts";
import { broadcastInDim } from "./structural.ts";

/** A rank-0 uncommitted array on the default backend (it follows the arrays it meets). */
export function scalar(value: number | boolean, dtype: DType): ConcreteArray {
  const data = allocTyped(dtype, 1);
  data[0] = Number(value);
  return ConcreteArray.fromHost(data, [], dtype);
}

/** An array of `shape` filled with `value`. */
export function full(shape: Shape, value: number | boolean, dtype: DType): Array {
  return broadcastInDim(scalar(value, dtype), shape, []);
}

/** Zeros with the shape and dtype of `x`. */
export function zerosLike(x: Array): Array {
  return full(x.shape, 0, x.dtype);
}

/** Ones with the shape and dtype of `x`. */
export function onesLike(x: Array): Array {
  return full(x.shape, 1, x.dtype);
}
