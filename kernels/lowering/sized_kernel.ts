/**
 * Loop kernels some of whose axes have run-time sizes: the eager kernels of a primitive whose
 * work has a shape (a reduction's `[outer, r, inner]`), rendered once at build time for every
 * size. Such a kernel is an ordinary loop kernel whose space holds, for each run-time axis, a
 * representative size that the vectoriser decides on (at least 4 where the innermost axis is to
 * run four lanes at a time), and the names of the size parameters of the rendered function. Its
 * loads and stores are dense views over the axes along which they do not broadcast, so their
 * strides follow from the sizes: a stride is the product of the sizes of the later axes the view
 * spans (along an indexed axis, kernel_ir.ts `IndexedAxis`, the size of its positions, which a
 * sized kernel may name too: `indexedSize`). Jit kernels (all sizes constant) are never sized.
 * @module
 */
import type { IndexedAxis, LoopKernel } from "./kernel_ir.ts";

/** A loop kernel with run-time sizes (see the module doc). */
export interface SizedLoopKernel extends LoopKernel {
  /**
   * Per axis of the space, the name of its size parameter, or null where the size is the
   * constant in `space`. Axis 0 runs the range `[lo, hi)` the caller gives, so its size is never
   * a parameter.
   */
  readonly sizes: readonly (string | null)[];
  /**
   * The name of the size parameter of every indexed axis's positions (after the axes' sizes),
   * where it is not the constant in the axis.
   */
  readonly indexedSize?: string;
}

/** Whether `k` has run-time sizes. */
export function isSized(k: LoopKernel): k is SizedLoopKernel {
  return "sizes" in k;
}

/** The size of axis `d` of `k`: its parameter's name, or its constant. */
export function axisSize(k: LoopKernel, d: number): number | string {
  return isSized(k) ? k.sizes[d] ?? k.space[d] : k.space[d];
}

/** The size of the positions of indexed axis `ix` of `k`: its parameter's name, or its constant. */
export function indexedSize(k: LoopKernel, ix: IndexedAxis): number | string {
  return (isSized(k) && k.indexedSize) || ix.size;
}

/** The names of `k`'s size parameters, in order: its axes', then its indexed axes'. */
export function sizeParams(k: LoopKernel): string[] {
  if (!isSized(k)) return [];
  const axes = k.sizes.filter((n): n is string => n !== null);
  return k.indexedSize ? [...axes, k.indexedSize] : axes;
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
 * The strides of a view of `k` (indexed along `ix`, if given) as expressions: numbers for a
 * kernel without run-time sizes, else the dense strides over its sizes.
 */
export function strideTerms(
  k: LoopKernel,
  strides: readonly number[],
  ix?: IndexedAxis,
): (number | string)[] {
  if (!isSized(k)) return [...strides];
  const size = (d: number) => (d === ix?.axis ? indexedSize(k, ix) : axisSize(k, d));
  return denseFactors(strides, size).map((f) => (f ? sizeProduct(f) : 0));
}

/**
 * What is malformed in sized kernel `k`, beyond what every loop kernel checks: a size on axis 0
 * or on an axis the space does not have, or a load or store that is not a dense view (or one
 * with run-time strides) at offset 0 without padding.
 */
export function sizedProblems(k: SizedLoopKernel): string[] {
  const problems: string[] = [];
  if (k.sizes.length !== k.space.length) problems.push("sizes: not one per axis of the space");
  if (k.sizes[0]) problems.push("sizes: axis 0 runs the range it is given");
  const dense = (strides: readonly number[], ix?: IndexedAxis) =>
    denseFactors(strides, (d) => (d === ix?.axis ? ix.size : k.space[d])).every((f, d) =>
      strides[d] === (f ? f.reduce((p, n) => p * n, 1) : 0)
    );
  const named = (kind: "loadStrides" | "storeStrides", i: number) =>
    isStrided(k) && k[kind][i].some((n) => n !== null);
  k.loads.forEach((l, i) => {
    if (l.offset || l.padding || (!named("loadStrides", i) && !dense(l.strides, l.gather))) {
      problems.push(`load ${i}: not a dense view`);
    }
  });
  k.stores.forEach((s, i) => {
    if (s.offset || (!named("storeStrides", i) && !dense(s.strides, s.scatter))) {
      problems.push(`store ${i}: not a dense view`);
    }
    const input = inPlaceInput(k, s.output);
    if (input === null || !isStrided(k)) return;
    const l = k.loads.findIndex((l) => l.input === input);
    const same = l >= 0 && k.inputs[input] === k.outputs[s.output] &&
      k.loads[l].strides.join() === s.strides.join() &&
      k.loadStrides[l].join() === k.storeStrides[i].join();
    if (!same) problems.push(`store ${i}: not in place of input ${input}'s view`);
  });
  return problems;
}

/**
 * A sized loop kernel whose loads and stores may also have run-time strides (an eager strided
 * copy's): per load and per store, per axis, the name of its stride parameter (in elements,
 * negative for a reversed axis, 0 for a broadcast one), or null where the view's stride is the
 * dense one of sized kernels. The views' `strides` hold representative values that the
 * vectoriser reads (1 or 0 innermost for a vector form, another value for none); the rendered
 * function takes the stride parameters after its sizes, loads' first, in order.
 */
export interface StridedLoopKernel extends SizedLoopKernel {
  /** Per load, per axis: its stride parameter, or null. */
  readonly loadStrides: readonly (readonly (string | null)[])[];
  /** Per store, per axis: its stride parameter, or null. */
  readonly storeStrides: readonly (readonly (string | null)[])[];
  /**
   * Per output, the input that is its buffer, or null (none when absent): an accumulation's
   * `dst += src`, whose store writes each element its load of that input read, through the same
   * view; the rendered function takes that input's address only.
   */
  readonly inPlace?: readonly (number | null)[];
}

/** The input that output `o` of `k` is (`StridedLoopKernel.inPlace`), or null. */
export function inPlaceInput(k: LoopKernel, o: number): number | null {
  return isStrided(k) ? k.inPlace?.[o] ?? null : null;
}

/** Whether `k` has run-time strides. */
export function isStrided(k: LoopKernel): k is StridedLoopKernel {
  return "loadStrides" in k;
}

/**
 * The names of `k`'s run-time stride parameters, loads' first, in axis order, each once (a load
 * and a store of the same view share them).
 */
export function strideParams(k: LoopKernel): string[] {
  if (!isStrided(k)) return [];
  const names = [...k.loadStrides, ...k.storeStrides].flat();
  return [...new Set(names.filter((n): n is string => n !== null))];
}

/**
 * The strides of load (`kind` "load") or store `i` of `k` as expressions: its stride parameters
 * where it has them, else `strideTerms`'.
 */
export function viewStrideTerms(
  k: LoopKernel,
  kind: "load" | "store",
  i: number,
): (number | string)[] {
  const view = kind === "load" ? k.loads[i] : k.stores[i];
  const ix = "gather" in view ? view.gather : "scatter" in view ? view.scatter : undefined;
  const terms = strideTerms(k, view.strides, ix);
  if (!isStrided(k)) return terms;
  const names = kind === "load" ? k.loadStrides[i] : k.storeStrides[i];
  return terms.map((t, d) => names[d] ?? t);
}
