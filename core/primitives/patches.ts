/**
 * Sliding windows. `patches` gathers every window of an array into new trailing axes (im2col in
 * n dimensions); it is linear, and its transpose `patches_transpose` scatter-adds windows back.
 * Convolution is patches followed by dot_general; pooling is patches followed by a reduction.
 * @module
 */
import type { Array } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { AdjointError } from "../errors.ts";
import { Primitive, type UndefPrimal } from "../primitive.ts";
import { shapeStr } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { moveAxis } from "./batching.ts";
import { reshape } from "./structural.ts";

/** Window geometry, one entry per input axis. */
export interface WindowParams {
  /** Window size along each axis. */
  window: number[];
  /** Step between windows. */
  strides: number[];
  /** `[lo, hi]` zero padding. */
  padding: [number, number][];
  /** Spacing between window elements (rhs dilation). */
  dilation: number[];
}

/** Params of patches: the window geometry. */
export type PatchesParams = { [K in keyof WindowParams]: WindowParams[K] };
/** Params of patches_transpose: the window geometry and the shape of the patches' input. */
export type PatchesTransposeParams = PatchesParams & { inputShape: number[] };

/** Number of windows along each axis. */
export function windowOutShape(shape: readonly number[], p: WindowParams): number[] {
  return shape.map((d, i) => {
    const span = (p.window[i] - 1) * p.dilation[i] + 1;
    return Math.floor((d + p.padding[i][0] + p.padding[i][1] - span) / p.strides[i]) + 1;
  });
}

function checkWindow(op: string, shape: readonly number[], p: WindowParams): number[] {
  const n = shape.length;
  const lengthsOk = [p.window, p.strides, p.padding, p.dilation].every((a) => a.length === n);
  const out = lengthsOk ? windowOutShape(shape, p) : [];
  if (!lengthsOk || out.some((d) => d < 0) || p.strides.some((s) => s < 1)) {
    throw new AdjointError(
      op,
      `window ${shapeStr(p.window)} with strides ${shapeStr(p.strides)}, padding ${
        JSON.stringify(p.padding)
      } and dilation ${shapeStr(p.dilation)} does not fit an input of shape ${
        shapeStr(shape)
      }; expected one entry per axis and a padded input at least as large as the window`,
    );
  }
  return out;
}

/** Extracts all windows: output shape `[...windowCounts, ...windowSizes]`. */
export const patchesP: Primitive<"patches", PatchesParams> = new Primitive("patches", {
  expanding: true,
});
/** Scatter-adds windows back into an array of shape `inputShape`. */
export const patchesTransposeP: Primitive<"patches_transpose", PatchesTransposeParams> =
  new Primitive("patches_transpose", { expanding: true });

patchesP.shape = ([x], p) => {
  return [new ShapedArray([...checkWindow("patches", x.shape, p), ...p.window], x.dtype)];
};
patchesP.jvp = ([x], [t], params) => [
  [bind1(patchesP, [x], params)],
  [t && bind1(patchesP, [t], params)],
];
patchesP.transpose = ([ct], [x], params) => [
  ct && patchesTranspose(ct, (x as UndefPrimal).aval.shape, params),
];
patchesP.batch = (_, [x], [bd], p) => {
  const out = patches(moveAxis(x, bd!, 0), {
    window: [1, ...p.window],
    strides: [1, ...p.strides],
    padding: [[0, 0], ...p.padding],
    dilation: [1, ...p.dilation],
  });
  const n = x.ndim;
  return [[reshape(out, out.shape.filter((_, i) => i !== n))], [0]];
};

patchesTransposeP.shape = ([ct], p) => {
  const inputShape = p.inputShape;
  const out = checkWindow("patches_transpose", inputShape, p);
  const expected = [...out, ...p.window];
  if (ct.ndim !== expected.length || ct.shape.some((d, i) => d !== expected[i])) {
    throw new AdjointError(
      "patches_transpose",
      `expected windows of shape ${shapeStr(expected)}, got ${ct}`,
    );
  }
  return [new ShapedArray(inputShape, ct.dtype)];
};
patchesTransposeP.jvp = ([x], [t], params) => [
  [bind1(patchesTransposeP, [x], params)],
  [t && bind1(patchesTransposeP, [t], params)],
];
patchesTransposeP.transpose = ([ct], _, params) => [ct && patches(ct, params)];
patchesTransposeP.batch = (axisSize, [x], [bd], p) => {
  const moved = moveAxis(x, bd!, 0);
  const n = p.window.length;
  const shape = [...moved.shape];
  shape.splice(n + 1, 0, 1);
  const out = patchesTranspose(reshape(moved, shape), [
    axisSize,
    ...p.inputShape,
  ], {
    window: [1, ...p.window],
    strides: [1, ...p.strides],
    padding: [[0, 0], ...p.padding],
    dilation: [1, ...p.dilation],
  });
  return [[out], [0]];
};

function normalize(p: WindowParams): PatchesParams {
  return {
    window: [...p.window],
    strides: [...p.strides],
    padding: p.padding.map(([lo, hi]) => [lo, hi]),
    dilation: [...p.dilation],
  };
}

/** Extracts sliding windows of `x`. */
export function patches(x: Array, p: WindowParams): Array {
  return bind1(patchesP, [x], normalize(p));
}

/** Sums windows back into an array of `inputShape` (the transpose of `patches`). */
export function patchesTranspose(ct: Array, inputShape: readonly number[], p: WindowParams): Array {
  return bind1(patchesTransposeP, [ct], { ...normalize(p), inputShape: [...inputShape] });
}
