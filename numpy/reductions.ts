/**
 * NumPy reductions with `axis` (number, list, or all by default) and `keepdims`.
 * @module
 */
import type { Array } from "../core/array.ts";
import { isFloat } from "../core/dtype.ts";
import * as ew from "../core/primitives/elementwise.ts";
import * as red from "../core/primitives/reductions.ts";
import { full } from "../core/primitives/constants.ts";
import { broadcastInDim, reshape } from "../core/primitives/structural.ts";
import { normalizeAxes, normalizeAxis, range } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";

/** An axis, a list of axes, or all axes when omitted. */
export type Axis = number | number[] | undefined | null;

function keep(op: string, out: Array, x: Array, axes: number[], keepdims: boolean): Array {
  void op;
  if (!keepdims) return out;
  return reshape(out, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
}

function reducer(op: string, fn: (x: Array, axes: number[]) => Array, widenBool: boolean) {
  return (x: ArrayInput, axis?: Axis, keepdims = false): Array => {
    let a = asArray(x);
    if (widenBool && a.dtype === "bool") a = ew.convert(a, "int32");
    const axes = normalizeAxes(`np.${op}`, axis, a.ndim);
    return keep(op, fn(a, axes), a, axes, keepdims);
  };
}

/** Sum (bool counts as int32). */
export const sum: (x: ArrayInput, axis?: Axis, keepdims?: boolean) => Array = reducer(
  "sum",
  red.reduceSum,
  true,
);
/** Product. */
export const prod: (x: ArrayInput, axis?: Axis, keepdims?: boolean) => Array = reducer(
  "prod",
  red.reduceProd,
  true,
);
/** Maximum. */
export const max: (x: ArrayInput, axis?: Axis, keepdims?: boolean) => Array = reducer(
  "max",
  red.reduceMax,
  false,
);
/** Minimum. */
export const min: (x: ArrayInput, axis?: Axis, keepdims?: boolean) => Array = reducer(
  "min",
  red.reduceMin,
  false,
);

function countOf(x: Array, axes: number[]): number {
  return axes.reduce((n, a) => n * x.shape[a], 1);
}

function floatOf(x: ArrayInput): Array {
  const a = asArray(x);
  return isFloat(a.dtype) ? a : ew.convert(a, "float32");
}

/** Arithmetic mean (float). */
export function mean(x: ArrayInput, axis?: Axis, keepdims = false): Array {
  const a = floatOf(x);
  const axes = normalizeAxes("np.mean", axis, a.ndim);
  const s = sum(a, axes, keepdims);
  return ew.div(s, full(s.shape, countOf(a, axes), a.dtype));
}

/** Variance with `ddof` delta degrees of freedom (default 0). */
export function variance(x: ArrayInput, axis?: Axis, keepdims = false, ddof = 0): Array {
  const a = floatOf(x);
  const axes = normalizeAxes("np.var", axis, a.ndim);
  const m = mean(a, axes, true);
  const d = ew.sub(a, broadcastInDim(m, a.shape, range(a.ndim)));
  const s = sum(ew.mul(d, d), axes, keepdims);
  return ew.div(s, full(s.shape, countOf(a, axes) - ddof, a.dtype));
}

/** Standard deviation. */
export function std(x: ArrayInput, axis?: Axis, keepdims = false, ddof = 0): Array {
  return ew.sqrt(variance(x, axis, keepdims, ddof));
}

/** `log(sum(exp(x)))`, computed stably by shifting by the (gradient-free) maximum. */
export function logsumexp(x: ArrayInput, axis?: Axis, keepdims = false): Array {
  const a = floatOf(x);
  const axes = normalizeAxes("np.logsumexp", axis, a.ndim);
  const mRaw = ew.stopGradient(red.reduceMax(a, axes));
  const finite = ew.lt(ew.abs(mRaw), full(mRaw.shape, Infinity, a.dtype));
  const m = ew.select(finite, mRaw, full(mRaw.shape, 0, a.dtype));
  const kept = range(a.ndim).filter((i) => !axes.includes(i));
  const shifted = ew.sub(a, broadcastInDim(m, a.shape, kept));
  const out = ew.add(ew.log(red.reduceSum(ew.exp(shifted), axes)), m);
  return keep("logsumexp", out, a, axes, keepdims);
}

function argReducer(op: string, fn: (x: Array, axis: number) => Array) {
  return (x: ArrayInput, axis?: number, keepdims = false): Array => {
    let a = asArray(x);
    if (axis === undefined) {
      a = reshape(a, [a.size]);
      axis = 0;
    }
    const ax = normalizeAxis(`np.${op}`, axis, a.ndim);
    return keep(op, fn(a, ax), a, [ax], keepdims);
  };
}

/** Index of the maximum (of the flattened array when `axis` is omitted). */
export const argmax: (x: ArrayInput, axis?: number, keepdims?: boolean) => Array = argReducer(
  "argmax",
  red.argmax,
);
/** Index of the minimum (of the flattened array when `axis` is omitted). */
export const argmin: (x: ArrayInput, axis?: number, keepdims?: boolean) => Array = argReducer(
  "argmin",
  red.argmin,
);

/** Whether any element is true. */
export function any(x: ArrayInput, axis?: Axis, keepdims = false): Array {
  return ew.convert(max(ew.convert(asArray(x), "bool"), axis, keepdims), "bool");
}

/** Whether all elements are true. */
export function all(x: ArrayInput, axis?: Axis, keepdims = false): Array {
  return ew.convert(min(ew.convert(asArray(x), "bool"), axis, keepdims), "bool");
}

export { variance as var };
