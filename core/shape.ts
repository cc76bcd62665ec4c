/**
 * Shape arithmetic shared by primitives and the numpy layer: sizes, strides, broadcasting, axes.
 * @module
 */
import { AdjointError } from "./errors.ts";

/** A static array shape: one non-negative integer per dimension. */
export type Shape = readonly number[];

/** Number of elements in an array of `shape`. */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of `shape`, in elements. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** A group of axes merged into one: its total size and element stride. */
export interface Merged {
  /** Product of the group's sizes. */
  size: number;
  /** Element stride of the merged axis (that of the group's innermost axis of size > 1). */
  stride: number;
}

/**
 * Merges `axes` (in order) of an array of `shape` read with element `strides` into one strided
 * axis, or null when they are not evenly spaced. Axes of size 1 do not count.
 */
export function mergeAxes(axes: Shape, shape: Shape, strides: Shape): Merged | null {
  const kept = axes.filter((a) => shape[a] !== 1);
  let size = 1;
  for (let i = 0; i < kept.length; i++) {
    if (i > 0 && strides[kept[i - 1]] !== strides[kept[i]] * shape[kept[i]]) return null;
    size *= shape[kept[i]];
  }
  return { size, stride: kept.length ? strides[kept[kept.length - 1]] : 0 };
}

/** Whether two shapes are equal. */
export function shapeEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `[2,3]` as written in errors and jaxprs. */
export function shapeStr(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/** The index of element `flat` (row-major) of an array of `shape`, as `[i,j]`. */
export function elementIndexStr(shape: Shape, flat: number): string {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(flat % shape[d]);
    flat = Math.floor(flat / shape[d]);
  }
  return shapeStr(at);
}

/** NumPy broadcasting of several shapes; throws an error naming `op` when they are incompatible. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = ndim - s.length + i;
      const d = s[i];
      if (d === out[j] || d === 1) continue;
      if (out[j] === 1) out[j] = d;
      else {
        throw new AdjointError(
          op,
          `shapes ${shapes.map(shapeStr).join(", ")} cannot be broadcast together ` +
            `(dimension ${ndim - j} from the end: ${out[j]} vs ${d}); ` +
            `expected equal sizes or size 1`,
        );
      }
    }
  }
  return out;
}

/** Normalises a possibly negative axis for an array of rank `ndim`, with a clear error. */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new AdjointError(
      op,
      `axis ${axis} is out of bounds for an array of rank ${ndim}; expected an integer in ` +
        `[${-ndim}, ${ndim - 1}]`,
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Normalises an axis argument (`undefined` means all axes) to a sorted list of distinct axes. */
export function normalizeAxes(
  op: string,
  axes: number | readonly number[] | undefined | null,
  ndim: number,
): number[] {
  if (axes === undefined || axes === null) return [...Array(ndim).keys()];
  const list = typeof axes === "number" ? [axes] : axes;
  const out = list.map((a) => normalizeAxis(op, a, ndim));
  if (new Set(out).size !== out.length) {
    throw new AdjointError(op, `repeated axis in ${JSON.stringify(list)}`);
  }
  return out.sort((a, b) => a - b);
}

/** `[0, 1, ..., n-1]`. */
export function range(n: number): number[] {
  const out = new globalThis.Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
