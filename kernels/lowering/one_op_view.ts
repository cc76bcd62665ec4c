/**
 * Eager execution of a structural primitive as a one-op program of the kernel IR, over the
 * primitive's own shapes (for a backend that renders every shape at run time, as WebGPU does):
 * broadcast_in_dim, transpose, slice and rev are one load through their strided view
 * (strided_views.ts) stored densely, a pad without interior padding one load through its padded
 * view (padded_view.ts), as fused kernels read them (lower_kernel.ts); consecutive operands of a
 * concatenate of one shape are one kernel storing each part at its offset, as a fused
 * concatenate is; a pad with interior padding fills its output and then places the operand's
 * kept elements at strides.
 * @module
 */
import { config } from "../../core/config.ts";
import type { DType } from "../../core/dtype.ts";
import type { PaddedView } from "../../core/padded_view.ts";
import type { PadParams } from "../../core/primitives/structural.ts";
import { stridesOf } from "../../core/shape.ts";
import type { StridedView } from "../../core/strided_views.ts";
import { constant } from "./ir_builders.ts";
import type { Expr, LoopKernel, Store } from "./kernel_ir.ts";
import { verifyLoopKernel } from "./verify_ir.ts";

/** `k`, verified when `config.verifyPrograms`. */
function verified(k: LoopKernel): LoopKernel {
  if (config.verifyPrograms) verifyLoopKernel(k);
  return k;
}

const loaded = (dtype: DType): Expr => ({ kind: "load", dtype, load: 0 });

/**
 * The loop kernel storing densely, over `shape`, the elements of a `dtype` input read through
 * `view` (a strided view, or a padded one: a pad's).
 *
 * @example
 * ```ts
 * // A transpose of a [2, 3] operand.
 * loopKernelToString(viewKernel("float32", [3, 2], { strides: [1, 3], offset: 0 }));
 * // loop [3,2] in (float32) out (float32)
 * //   t0: float32 = in0[1,3]
 * //   out0[2,1] = t0
 * ```
 */
export function viewKernel(
  dtype: DType,
  shape: readonly number[],
  view: StridedView | PaddedView,
): LoopKernel {
  const padding = "bounds" in view ? { bounds: view.bounds, value: view.value } : undefined;
  return verified({
    space: shape,
    inputs: [dtype],
    outputs: [dtype],
    loads: [{
      input: 0,
      strides: view.strides,
      ...(view.offset ? { offset: view.offset } : {}),
      ...(padding ? { padding } : {}),
    }],
    stores: [{ output: 0, value: loaded(dtype), strides: stridesOf(shape) }],
  });
}

/**
 * The loop kernel copying the elements of a `dtype` input read through `from` into an output
 * at `to` (strides and offset), over `shape`.
 */
export function placeKernel(
  dtype: DType,
  shape: readonly number[],
  from: StridedView,
  to: StridedView,
): LoopKernel {
  return verified({
    space: shape,
    inputs: [dtype],
    outputs: [dtype],
    loads: [{ input: 0, strides: from.strides, ...(from.offset ? { offset: from.offset } : {}) }],
    stores: [{
      output: 0,
      value: loaded(dtype),
      strides: to.strides,
      ...(to.offset ? { offset: to.offset } : {}),
    }],
  });
}

/** The loop kernel filling `size` elements of a `dtype` output with `value`. */
export function fillKernel(dtype: DType, size: number, value: number): LoopKernel {
  return verified({
    space: [size],
    inputs: [],
    outputs: [dtype],
    loads: [],
    stores: [{ output: 0, value: constant(dtype, value), strides: [1] }],
  });
}

/**
 * The loop kernel of `parts` consecutive operands of a concatenate along `dimension`, of `dtype`
 * and one shape `shape`, the first starting at index `start` along that axis: over that shape,
 * one store per operand into the output of `outShape`, each at its part's offset.
 */
export function partsKernel(
  dtype: DType,
  shape: readonly number[],
  outShape: readonly number[],
  dimension: number,
  start: number,
  parts: number,
): LoopKernel {
  const strides = stridesOf(outShape);
  const offsetOf = (i: number) => (start + i * shape[dimension]) * strides[dimension];
  const stores = Array.from({ length: parts }, (_, i): Store => {
    const value: Expr = { kind: "load", dtype, load: i };
    const offset = offsetOf(i);
    return offset ? { output: 0, value, strides, offset } : { output: 0, value, strides };
  });
  return verified({
    space: shape,
    inputs: stores.map(() => dtype),
    outputs: [dtype],
    loads: stores.map((_, input) => ({ input, strides: stridesOf(shape) })),
    stores,
  });
}

/**
 * Where a pad (`lo`, `interior`; negative `lo` crops) places its operand of `inShape` in its
 * output of `outShape`: the shape of the operand's elements it keeps, where they lie in the
 * operand (`from`) and in the output (`to`), and whether they cover the whole output.
 */
export function padPlacement(
  inShape: readonly number[],
  outShape: readonly number[],
  { lo, interior }: Pick<PadParams, "lo" | "interior">,
): { shape: number[]; from: StridedView; to: StridedView; covers: boolean } {
  const xs = stridesOf(inShape), os = stridesOf(outShape);
  const from: StridedView = { strides: xs, offset: 0 };
  const to: StridedView = { strides: [], offset: 0 };
  const shape = inShape.map((n, d) => {
    const step = interior[d] + 1;
    const first = Math.max(0, Math.ceil(-lo[d] / step));
    const last = Math.min(n - 1, Math.floor((outShape[d] - 1 - lo[d]) / step));
    from.offset += first * xs[d];
    to.strides.push(step * os[d]);
    to.offset += (lo[d] + first * step) * os[d];
    return Math.max(0, last - first + 1);
  });
  return { shape, from, to, covers: shape.every((n, d) => n === outShape[d]) };
}
