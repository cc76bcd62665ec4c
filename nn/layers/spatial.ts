/**
 * Shared arithmetic of the 2-d spatial layers (convolution and pooling over NCHW inputs):
 * window sizes and strides given as a number or a pair, padding as PyTorch or lax spell it, and
 * the output size of a window sliding over an axis.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";
import { type Padding, padPairs } from "../../lax.ts";
import type { Padding2, Size2 } from "./spatial_types.ts";

/** `[h, w]` from a size or a pair, checked positive. */
export function pair(op: string, what: string, v: Size2): [number, number] {
  const p: [number, number] = typeof v === "number" ? [v, v] : v;
  if (!p.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new AdjointError(op, `expected a positive integer ${what} (or a pair), got ${v}`);
  }
  return p;
}

/** The lax padding spec of a spatial padding. */
export function laxPadding(padding: Padding2): Padding {
  return typeof padding === "number" ? [[padding, padding], [padding, padding]] : padding;
}

/** Output `[h, w]` of windows sliding over spatial sizes `hw`. */
export function slidingOutput(
  op: string,
  hw: readonly number[],
  window: [number, number],
  strides: [number, number],
  padding: Padding2,
  dilation: [number, number] = [1, 1],
): [number, number] {
  if (!hw.every((n) => n > 0)) {
    throw new AdjointError(op, `spatial sizes must be known at init, got [${hw}]`);
  }
  const pads = padPairs(op, laxPadding(padding), hw, window, strides, dilation);
  const out = hw.map((n, i) => {
    const span = (window[i] - 1) * dilation[i] + 1;
    return Math.floor((n + pads[i][0] + pads[i][1] - span) / strides[i]) + 1;
  });
  if (out.some((n) => n < 1)) {
    throw new AdjointError(
      op,
      `window [${window}] does not fit the padded input of spatial size [${hw}]`,
    );
  }
  return out as [number, number];
}
