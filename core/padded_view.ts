/**
 * `pad` without interior padding as a view: output element `i` reads its operand at
 * `offset + sum_d i_d * strides[d]` where every `i_d` lies in `bounds[d]`, and is the padding
 * value elsewhere. Negative padding crops, as a slice does. Fused kernels read such pads in place
 * (kernels/lowering/fusion.ts).
 * @module
 */
import type { ShapedArray } from "./aval.ts";
import type { PadParams } from "./primitives/structural.ts";
import { contiguousView, type StridedView } from "./strided_views.ts";

/** A strided view whose points outside `bounds` read `value` instead. */
export interface PaddedView extends StridedView {
  /** Per output axis, the range `[from, to)` of points that read the operand (within the axis). */
  bounds: [number, number][];
  /** What the other points read. */
  value: number;
}

/** Whether a pad is a view: no interior padding. */
export function padIsView({ interior }: PadParams): boolean {
  return interior.every((n) => n === 0);
}

/**
 * The view of a pad (without interior padding) of `operand`, itself read through `at` (its
 * strides over the operand's axes and offset; default: the operand in place).
 */
export function padView(
  operand: ShapedArray,
  { lo, value }: PadParams,
  out: ShapedArray,
  at: StridedView = contiguousView(operand),
): PaddedView {
  const offset = lo.reduce((acc, l, d) => acc - l * at.strides[d], at.offset);
  const bounds = out.shape.map((n, d): [number, number] => {
    const from = Math.min(n, Math.max(0, lo[d]));
    return [from, Math.max(from, Math.min(n, lo[d] + operand.shape[d]))];
  });
  return { strides: [...at.strides], offset, bounds, value };
}
