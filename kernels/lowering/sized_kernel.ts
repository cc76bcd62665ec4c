/**
 * Loop kernels some of whose axes have run-time sizes: the eager kernels of a primitive whose
 * work has a shape (a reduction's `[outer, r, inner]`), rendered once at build time for every
 * size. Such a kernel is an ordinary loop kernel whose space holds, for each run-time axis, a
 * representative size that the vectoriser decides on (at least 4 where the innermost axis is to
 * run four lanes at a time), and the names of the size parameters of the rendered function. Its
 * loads and stores are dense views over the axes along which they do not broadcast, so their
 * strides follow from the sizes: a stride is the product of the sizes of the later axes the view
 * spans. Jit kernels (all sizes constant) are never sized.
 * @module
 */
import type { LoopKernel } from "./kernel_ir.ts";

/** A loop kernel with run-time sizes (see the module doc). */
export interface SizedLoopKernel extends LoopKernel {
  /**
   * Per axis of the space, the name of its size parameter, or null where the size is the
   * constant in `space`. Axis 0 runs the range `[lo, hi)` the caller gives, so its size is never
   * a parameter.
   */
  readonly sizes: readonly (string | null)[];
}

/** Whether `k` has run-time sizes. */
export function isSized(k: LoopKernel): k is SizedLoopKernel {
  return "sizes" in k;
}

/** The size of axis `d` of `k`: its parameter's name, or its constant. */
export function axisSize(k: LoopKernel, d: number): number | string {
  return isSized(k) ? k.sizes[d] ?? k.space[d] : k.space[d];
}

/**
 * The factors of each stride of a dense view over the axes along which `strides` is nonzero:
 * the sizes (`size(e)`) of the later such axes; null along the others (stride 0).
 */
export function denseFactors<S>(
  strides: readonly number[],
  size: (d: number) => S,
): (S[] | null)[] {
  return strides.map((s, d) => {
    if (s === 0) return null;
    const later: S[] = [];
    for (let e = d + 1; e < strides.length; e++) if (strides[e] !== 0) later.push(size(e));
    return later;
  });
}

/** The product of `sizes` as an expression: its constants multiplied out, then its names. */
export function sizeProduct(sizes: readonly (number | string)[]): number | string {
  const c = sizes.reduce<number>((p, n) => (typeof n === "number" ? p * n : p), 1);
  const names = sizes.filter((n) => typeof n === "string");
  if (!names.length) return c;
  return [...(c === 1 ? [] : [`${c}`]), ...names].join(" * ");
}

/**
 * The strides of a view of `k` as expressions: numbers for a kernel without run-time sizes,
 * else the dense strides over its sizes.
 */
export function strideTerms(k: LoopKernel, strides: readonly number[]): (number | string)[] {
  if (!isSized(k)) return [...strides];
  return denseFactors(strides, (d) => axisSize(k, d)).map((f) => (f ? sizeProduct(f) : 0));
}

/**
 * What is malformed in sized kernel `k`, beyond what every loop kernel checks: a size on axis 0
 * or on an axis the space does not have, or a load or store that is not a dense view at offset
 * 0 without padding.
 */
export function sizedProblems(k: SizedLoopKernel): string[] {
  const problems: string[] = [];
  if (k.sizes.length !== k.space.length) problems.push("sizes: not one per axis of the space");
  if (k.sizes[0]) problems.push("sizes: axis 0 runs the range it is given");
  const dense = (strides: readonly number[]) =>
    denseFactors(strides, (d) => k.space[d]).every((f, d) =>
      strides[d] === (f ? f.reduce((p, n) => p * n, 1) : 0)
    );
  k.loads.forEach((l, i) => {
    if (!dense(l.strides) || l.offset || l.padding) problems.push(`load ${i}: not a dense view`);
  });
  k.stores.forEach((s, i) => {
    if (!dense(s.strides) || s.offset) problems.push(`store ${i}: not a dense view`);
  });
  return problems;
}
