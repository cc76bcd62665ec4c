/**
 * `lax`: the primitive-level API (strict shapes and dtypes, no broadcasting), plus general
 * convolution and window reductions built from the `patches` and `dot_general` primitives.
 * @module
 */
import type { Array } from "./core/array.ts";
import { AdjointError } from "./core/errors.ts";
import { dotGeneral } from "./core/primitives/dot_general.ts";
import { patches, windowOutShape, type WindowParams } from "./core/primitives/patches.ts";
import { reduceMax, reduceMin, reduceSum } from "./core/primitives/reductions.ts";
import { pad, reshape, slice, transpose } from "./core/primitives/structural.ts";
import { div } from "./core/primitives/elementwise.ts";
import { full } from "./core/primitives/constants.ts";
import { range, shapeStr } from "./core/shape.ts";
import { reductionIdentity } from "./core/reduction_identity.ts";
import "./numpy.ts";

export * from "./core/primitives/elementwise.ts";
export * from "./core/primitives/reductions.ts";
export * from "./core/primitives/structural.ts";
export * from "./core/primitives/dot_general.ts";
export * from "./core/primitives/patches.ts";
export * from "./core/primitives/indexing.ts";
export * from "./core/primitives/scatter.ts";
export * from "./core/primitives/bits.ts";
export * from "./core/primitives/sort.ts";
export * from "./core/control/cond.ts";
export * from "./core/control/scan.ts";
export * from "./core/control/while_loop.ts";
export * as linalg from "./core/primitives/linalg/mod.ts";
export * from "./lax/associative_scan.ts";
export * from "./lax/cumulative.ts";
export * from "./lax/top_k.ts";

/** Padding: `"SAME"` (output size = ceil(input / stride)), `"VALID"` (none), or `[lo, hi]` per axis. */
export type Padding = "SAME" | "VALID" | [number, number][];

/** Resolves a padding spec to explicit `[lo, hi]` pairs for the given sizes. */
export function padPairs(
  op: string,
  padding: Padding,
  sizes: readonly number[],
  window: readonly number[],
  strides: readonly number[],
  dilation: readonly number[],
): [number, number][] {
  if (padding === "VALID") return sizes.map(() => [0, 0]);
  if (padding === "SAME") {
    return sizes.map((n, i) => {
      const out = Math.ceil(n / strides[i]);
      const span = (window[i] - 1) * dilation[i] + 1;
      const total = Math.max((out - 1) * strides[i] + span - n, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  if (padding.length !== sizes.length) {
    throw new AdjointError(
      op,
      `expected ${sizes.length} [lo, hi] padding pairs, got ${padding.length}`,
    );
  }
  return padding;
}

/** Options of `conv`. */
export interface ConvOptions {
  /** Window strides per spatial axis (default 1). */
  strides?: number[];
  /** Padding (default `"VALID"`). */
  padding?: Padding;
  /** Input dilation per spatial axis (transposed convolution). */
  lhsDilation?: number[];
  /** Kernel dilation per spatial axis (atrous convolution). */
  rhsDilation?: number[];
  /** Number of feature groups (depthwise when equal to the input channels). */
  featureGroupCount?: number;
}

/**
 * N-d general convolution (cross-correlation, as lax.conv_general_dilated) in NC(spatial) layout:
 * `lhs` is `[N, C, ...spatial]`, `rhs` is `[O, C / groups, ...kernel]`, output `[N, O, ...]`.
 */
export function conv(lhs: Array, rhs: Array, options: ConvOptions = {}): Array {
  const ns = lhs.ndim - 2;
  const [n, c] = lhs.shape;
  const [o, cg] = rhs.shape;
  const groups = options.featureGroupCount ?? 1;
  const k = rhs.shape.slice(2);
  if (
    ns < 1 || rhs.ndim !== lhs.ndim || lhs.dtype !== rhs.dtype || c !== cg * groups ||
    o % groups !== 0
  ) {
    throw new AdjointError(
      "conv",
      `input ${lhs.aval} and kernel ${rhs.aval} do not match with ${groups} feature group(s); ` +
        `expected input [N, C, ...spatial], kernel [O, C / groups, ...window] of the same rank ` +
        `and dtype, with O divisible by the groups`,
    );
  }
  const ones = range(ns).map(() => 1);
  const strides = options.strides ?? ones;
  const lhsDil = options.lhsDilation ?? ones;
  const rhsDil = options.rhsDilation ?? ones;
  let x = lhs;
  if (lhsDil.some((d) => d > 1)) {
    x = pad(x, [0, 0, ...ones.map(() => 0)], [0, 0, ...ones.map(() => 0)], [
      0,
      0,
      ...lhsDil.map((d) => d - 1),
    ]);
  }
  const pads = padPairs("conv", options.padding ?? "VALID", x.shape.slice(2), k, strides, rhsDil);
  const window: WindowParams = {
    window: [1, c, ...k],
    strides: [1, 1, ...strides],
    padding: [[0, 0], [0, 0], ...pads],
    dilation: [1, 1, ...rhsDil],
  };
  const out = windowOutShape(x.shape, window).slice(2);
  if (out.some((d) => d <= 0)) {
    throw new AdjointError(
      "conv",
      `kernel ${shapeStr(k)} is larger than the padded input ${x.aval}`,
    );
  }
  const p = reshape(patches(x, window), [n, ...out, groups, cg, ...k]);
  const w = reshape(rhs, [groups, o / groups, cg, ...k]);
  const lhsContract = range(ns + 1).map((i) => ns + 2 + i);
  const rhsContract = range(ns + 1).map((i) => 2 + i);
  // Filters first: the product's rows are the few output channels and its columns the many
  // output positions, so its tiles are full, and the transpose to NCHW moves whole images.
  const y = dotGeneral(w, p, [[rhsContract, lhsContract], [[0], [ns + 1]]]);
  // y: [G, O/G, N, ...out] -> [N, G, O/G, ...out]
  const t = transpose(y, [2, 0, 1, ...range(ns).map((i) => 3 + i)]);
  return reshape(t, [n, o, ...out]);
}

/** Reduction applied by `reduceWindow`. */
export type WindowReduction = "max" | "min" | "sum" | "avg";

/** Reduces `x` along `axes` as `op` says (avg divides by `count`). */
function reduceBy(x: Array, op: WindowReduction, axes: number[], count: number): Array {
  if (op === "max") return reduceMax(x, axes);
  if (op === "min") return reduceMin(x, axes);
  const s = reduceSum(x, axes);
  return op === "sum" ? s : div(s, full(s.shape, count, s.dtype));
}

/**
 * Windows that tile `x` (strides equal to the window, no padding; a remainder is dropped): the
 * windows are axes of a reshape of `x`, so no patches are copied and the gradient stays in
 * `x`'s layout.
 */
function reduceTiles(x: Array, op: WindowReduction, window: number[]): Array {
  const counts = x.shape.map((n, i) => Math.floor(n / window[i]));
  const used = slice(x, counts.map(() => 0), counts.map((c, i) => c * window[i]));
  // Axes without a window merge into the next windowed axis: [N, C, H, W] with a 2x2 window
  // becomes [N * C * H/2, 2, W/2, 2], reduced over axes 1 and 3.
  const shape: number[] = [], axes: number[] = [];
  let lead = 1;
  counts.forEach((c, i) => {
    if (window[i] === 1) {
      lead *= c;
      return;
    }
    shape.push(lead * c, window[i]);
    axes.push(shape.length - 1);
    lead = 1;
  });
  if (lead > 1 || shape.length === 0) shape.push(lead);
  const count = window.reduce((a, b) => a * b, 1);
  return reshape(reduceBy(reshape(used, shape), op, axes, count), counts);
}

/**
 * Reduces each window of `x` (window, strides and padding given for every axis).
 * Max/min pad with their identity in x's dtype (-inf/+inf for floats, the least and greatest
 * int32, false and true for bool); avg divides by the full window size.
 */
export function reduceWindow(
  x: Array,
  op: WindowReduction,
  window: number[],
  strides: number[] = window,
  padding: Padding = "VALID",
): Array {
  if (window.length !== x.ndim || strides.length !== x.ndim) {
    throw new AdjointError(
      "reduceWindow",
      `window ${shapeStr(window)} and strides ${
        shapeStr(strides)
      } must have one entry per axis of ${x.aval}`,
    );
  }
  const ones = window.map(() => 1);
  const pads = padPairs("reduceWindow", padding, x.shape, window, strides, ones);
  const tiles = window.every((w, i) => strides[i] === w) && pads.every(([lo, hi]) => !lo && !hi);
  if (tiles) return reduceTiles(x, op, window);
  const fill = op === "max" || op === "min" ? reductionIdentity(`reduce_${op}`, x.dtype) : 0;
  const padded = pad(x, pads.map((p) => p[0]), pads.map((p) => p[1]), ones.map(() => 0), fill);
  const params: WindowParams = { window, strides, padding: ones.map(() => [0, 0]), dilation: ones };
  const w = patches(padded, params);
  const axes = range(x.ndim).map((i) => x.ndim + i);
  return reduceBy(w, op, axes, window.reduce((a, b) => a * b, 1));
}
