/**
 * NumPy reductions with `axis` (number, list, or all when omitted or null) and `keepdims`, given
 * positionally (`np.sum(x, -1, true)`) or as an options object (`np.sum(x, { axis: -1 })`).
 * @module
 */
import type { Array } from "../core/array.ts";
import { isFloat } from "../core/dtype.ts";
import * as ew from "../core/primitives/elementwise.ts";
import * as red from "../core/primitives/reductions.ts";
import { full } from "../core/primitives/constants.ts";
import { broadcastInDim, reshape } from "../core/primitives/structural.ts";
import type {
  ArgReductionOptions,
  Axis,
  ReductionOptions,
  VarianceOptions,
} from "../core/reduction_options.ts";
import { normalizeAxes, normalizeAxis, range } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";
import { reductionArgs } from "./reduction_args.ts";

/**
 * A reduction over axes, called as `f(x, axis?, keepdims?)` or `f(x, { axis, keepdims })`;
 * `axis` is a number, a list, or `null` / omitted for all axes.
 */
export type Reducer = (
  x: ArrayInput,
  axis?: Axis | ReductionOptions,
  keepdims?: boolean,
) => Array;

function keep(out: Array, x: Array, axes: number[], keepdims: boolean): Array {
  if (!keepdims) return out;
  return reshape(out, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
}

function reducer(op: string, fn: (x: Array, axes: number[]) => Array, widenBool: boolean): Reducer {
  return (x, ...args) => {
    const { axis, keepdims } = reductionArgs(`np.${op}`, args, ["axis", "keepdims"]);
    let a = asArray(x);
    if (widenBool && a.dtype === "bool") a = ew.convert(a, "int32");
    const axes = normalizeAxes(`np.${op}`, axis, a.ndim);
    return keep(fn(a, axes), a, axes, keepdims);
  };
}

/** Sum (bool counts as int32). */
export const sum: Reducer = reducer("sum", red.reduceSum, true);
/** Product. */
export const prod: Reducer = reducer("prod", red.reduceProd, true);
/** Maximum. */
export const max: Reducer = reducer("max", red.reduceMax, false);
/** Minimum. */
export const min: Reducer = reducer("min", red.reduceMin, false);

function countOf(x: Array, axes: number[]): number {
  return axes.reduce((n, a) => n * x.shape[a], 1);
}

function floatOf(x: ArrayInput): Array {
  const a = asArray(x);
  return isFloat(a.dtype) ? a : ew.convert(a, "float32");
}

/** Arithmetic mean (float), over `axis` as `sum` takes it. */
export function mean(x: ArrayInput, axis?: Axis | ReductionOptions, keepdims?: boolean): Array {
  const args = reductionArgs("np.mean", [axis, keepdims], ["axis", "keepdims"]);
  const a = floatOf(x);
  const axes = normalizeAxes("np.mean", args.axis, a.ndim);
  const s = sum(a, axes, args.keepdims);
  return ew.div(s, full(s.shape, countOf(a, axes), a.dtype));
}

/**
 * Variance with `ddof` delta degrees of freedom (default 0): `var(x, axis, keepdims, ddof)` or
 * `var(x, { axis, keepdims, ddof })`.
 */
export function variance(
  x: ArrayInput,
  axis?: Axis | VarianceOptions,
  keepdims?: boolean,
  ddof?: number,
): Array {
  const args = reductionArgs("np.var", [axis, keepdims, ddof], ["axis", "keepdims", "ddof"]);
  const a = floatOf(x);
  const axes = normalizeAxes("np.var", args.axis, a.ndim);
  const m = mean(a, axes, true);
  const d = ew.sub(a, broadcastInDim(m, a.shape, range(a.ndim)));
  const s = sum(ew.mul(d, d), axes, args.keepdims);
  return ew.div(s, full(s.shape, countOf(a, axes) - args.ddof, a.dtype));
}

/** Standard deviation: the square root of `var`, with the same arguments. */
export function std(
  x: ArrayInput,
  axis?: Axis | VarianceOptions,
  keepdims?: boolean,
  ddof?: number,
): Array {
  const args = reductionArgs("np.std", [axis, keepdims, ddof], ["axis", "keepdims", "ddof"]);
  return ew.sqrt(variance(x, args));
}

/** `log(sum(exp(x)))`, computed stably by shifting by the (gradient-free) maximum. */
export function logsumexp(
  x: ArrayInput,
  axis?: Axis | ReductionOptions,
  keepdims?: boolean,
): Array {
  const args = reductionArgs("np.logsumexp", [axis, keepdims], ["axis", "keepdims"]);
  const a = floatOf(x);
  const axes = normalizeAxes("np.logsumexp", args.axis, a.ndim);
  const mRaw = ew.stopGradient(red.reduceMax(a, axes));
  const finite = ew.lt(ew.abs(mRaw), full(mRaw.shape, Infinity, a.dtype));
  const m = ew.select(finite, mRaw, full(mRaw.shape, 0, a.dtype));
  const kept = range(a.ndim).filter((i) => !axes.includes(i));
  const shifted = ew.sub(a, broadcastInDim(m, a.shape, kept));
  const out = ew.add(ew.log(red.reduceSum(ew.exp(shifted), axes)), m);
  return keep(out, a, axes, args.keepdims);
}

/**
 * An index-of-extremum search, called as `f(x, axis?, keepdims?)` or `f(x, { axis, keepdims })`;
 * `axis` is one number, or `null` / omitted for the flattened array.
 */
export type ArgReducer = (
  x: ArrayInput,
  axis?: number | null | ArgReductionOptions,
  keepdims?: boolean,
) => Array;

function argReducer(op: string, fn: (x: Array, axis: number) => Array): ArgReducer {
  return (x, ...rest) => {
    const args = reductionArgs(`np.${op}`, rest, ["axis", "keepdims"], true);
    const a = asArray(x);
    if (args.axis === undefined || args.axis === null) {
      const out = fn(reshape(a, [a.size]), 0);
      return args.keepdims ? reshape(out, a.shape.map(() => 1)) : out;
    }
    const ax = normalizeAxis(`np.${op}`, args.axis as number, a.ndim);
    return keep(fn(a, ax), a, [ax], args.keepdims);
  };
}

/** Index of the maximum (of the flattened array when `axis` is omitted or null). */
export const argmax: ArgReducer = argReducer("argmax", red.argmax);
/** Index of the minimum (of the flattened array when `axis` is omitted or null). */
export const argmin: ArgReducer = argReducer("argmin", red.argmin);

/** Whether any element is true, over `axis` as `sum` takes it. */
export function any(x: ArrayInput, axis?: Axis | ReductionOptions, keepdims?: boolean): Array {
  return ew.convert(max(ew.convert(asArray(x), "bool"), axis, keepdims), "bool");
}

/** Whether all elements are true, over `axis` as `sum` takes it. */
export function all(x: ArrayInput, axis?: Axis | ReductionOptions, keepdims?: boolean): Array {
  return ew.convert(min(ew.convert(asArray(x), "bool"), axis, keepdims), "bool");
}

export { variance as var };
