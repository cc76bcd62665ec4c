/**
 * The table of array methods (`x.add(y)`, `x.sum()`): core/array.ts calls through it and the
 * numpy layer fills it in, so that core/ does not depend on numpy/.
 * @module
 */
import type { Array, ArrayLike, ConcreteArray, NestedNumbers } from "./array.ts";
import type { DType } from "./dtype.ts";
import type { Index, IndexUpdateRef } from "./index_types.ts";
import type { ArgReductionOptions, Axis, ReductionOptions } from "./reduction_options.ts";

/** The array methods, implemented by the numpy layer. */
export interface ArrayMethods {
  add(x: Array, y: ArrayLike): Array;
  sub(x: Array, y: ArrayLike): Array;
  mul(x: Array, y: ArrayLike): Array;
  div(x: Array, y: ArrayLike): Array;
  pow(x: Array, y: ArrayLike): Array;
  maximum(x: Array, y: ArrayLike): Array;
  minimum(x: Array, y: ArrayLike): Array;
  neg(x: Array): Array;
  exp(x: Array): Array;
  log(x: Array): Array;
  sin(x: Array): Array;
  cos(x: Array): Array;
  tanh(x: Array): Array;
  sqrt(x: Array): Array;
  abs(x: Array): Array;
  square(x: Array): Array;
  relu(x: Array): Array;
  sigmoid(x: Array): Array;
  greater(x: Array, y: ArrayLike): Array;
  greaterEqual(x: Array, y: ArrayLike): Array;
  less(x: Array, y: ArrayLike): Array;
  lessEqual(x: Array, y: ArrayLike): Array;
  equal(x: Array, y: ArrayLike): Array;
  notEqual(x: Array, y: ArrayLike): Array;
  sum(x: Array, axis?: Axis | ReductionOptions, keepdims?: boolean): Array;
  mean(x: Array, axis?: Axis | ReductionOptions, keepdims?: boolean): Array;
  max(x: Array, axis?: Axis | ReductionOptions, keepdims?: boolean): Array;
  min(x: Array, axis?: Axis | ReductionOptions, keepdims?: boolean): Array;
  argmax(x: Array, axis?: number | null | ArgReductionOptions, keepdims?: boolean): Array;
  argmin(x: Array, axis?: number | null | ArgReductionOptions, keepdims?: boolean): Array;
  reshape(x: Array, shape: number[]): Array;
  transpose(x: Array, axes?: number[]): Array;
  squeeze(x: Array, axis?: number | number[]): Array;
  expandDims(x: Array, axis: number | number[]): Array;
  matmul(x: Array, y: Array): Array;
  dot(x: Array, y: Array): Array;
  astype(x: Array, dtype: DType): Array;
  toArray(x: ConcreteArray): NestedNumbers;
  at(x: Array, idx: Index[]): IndexUpdateRef;
}

let methods: ArrayMethods | undefined;

/** Installs the method implementations (called once by the numpy layer). */
export function installArrayMethods(impl: ArrayMethods): void {
  methods = impl;
}

/** The installed methods, or an error if numpy has not been loaded. */
export function arrayMethods(): ArrayMethods {
  if (!methods) throw new Error("Adjoint: array methods used before numpy was loaded");
  return methods;
}
