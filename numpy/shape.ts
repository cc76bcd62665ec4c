/**
 * NumPy shape manipulation and static indexing: reshape, transpose, squeeze, expandDims,
 * broadcastTo, concatenate, stack, split, pad, flip, oneHot (indexing is in indexing.ts).
 * @module
 */
import type { Array } from "../core/array.ts";
import type { DType } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import * as ew from "../core/primitives/elementwise.ts";
import * as st from "../core/primitives/structural.ts";
import { normalizeAxes, normalizeAxis, range, shapeStr, sizeOf } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";
import { promoteArgs } from "./promotion.ts";
import { arange } from "./creation.ts";

/** New shape; one entry may be -1 and is then inferred. */
export function reshape(x: ArrayInput, shape: readonly number[]): Array {
  const a = asArray(x);
  const unknown = shape.filter((d) => d === -1).length;
  const known = sizeOf(shape.filter((d) => d !== -1));
  if (
    unknown > 1 || (unknown === 1 && (known === 0 || a.size % known !== 0)) ||
    (unknown === 0 && known !== a.size)
  ) {
    throw new AdjointError(
      "np.reshape",
      `cannot reshape ${a.aval} (size ${a.size}) into shape ${shapeStr(shape)}`,
    );
  }
  return st.reshape(a, shape.map((d) => (d === -1 ? a.size / known : d)));
}

/** Flattens to one dimension. */
export function ravel(x: ArrayInput): Array {
  const a = asArray(x);
  return st.reshape(a, [a.size]);
}

/** Permutes axes (reverses them by default). */
export function transpose(x: ArrayInput, axes?: readonly number[]): Array {
  const a = asArray(x);
  const perm = axes
    ? axes.map((ax) => normalizeAxis("np.transpose", ax, a.ndim))
    : range(a.ndim).reverse();
  return st.transpose(a, perm);
}

/** Moves axis `source` to `destination`. */
export function moveaxis(x: ArrayInput, source: number, destination: number): Array {
  const a = asArray(x);
  return st.moveAxis(
    a,
    normalizeAxis("np.moveaxis", source, a.ndim),
    normalizeAxis("np.moveaxis", destination, a.ndim),
  );
}

/** Removes size-1 axes (all of them, or the given ones, which must have size 1). */
export function squeeze(x: ArrayInput, axis?: number | number[]): Array {
  const a = asArray(x);
  const axes = axis === undefined
    ? range(a.ndim).filter((i) => a.shape[i] === 1)
    : normalizeAxes("np.squeeze", axis, a.ndim);
  for (const ax of axes) {
    if (a.shape[ax] !== 1) {
      throw new AdjointError(
        "np.squeeze",
        `cannot squeeze axis ${ax} of size ${a.shape[ax]} in ${a.aval}`,
      );
    }
  }
  return st.reshape(a, a.shape.filter((_, i) => !axes.includes(i)));
}

/** Inserts size-1 axes at the given positions of the result. */
export function expandDims(x: ArrayInput, axis: number | number[]): Array {
  const a = asArray(x);
  const list = typeof axis === "number" ? [axis] : axis;
  const ndim = a.ndim + list.length;
  const axes = normalizeAxes("np.expandDims", list, ndim);
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < ndim; i++) shape.push(axes.includes(i) ? 1 : a.shape[k++]);
  return st.reshape(a, shape);
}

/** Broadcasts to `shape` with NumPy's rules. */
export function broadcastTo(x: ArrayInput, shape: readonly number[]): Array {
  const a = asArray(x);
  const off = shape.length - a.ndim;
  if (off < 0 || a.shape.some((d, i) => d !== 1 && d !== shape[i + off])) {
    throw new AdjointError(
      "np.broadcastTo",
      `cannot broadcast ${a.aval} to shape ${shapeStr(shape)}`,
    );
  }
  return st.broadcastTo(a, shape);
}

/** Joins arrays along an existing axis (dtypes promoted). */
export function concatenate(xs: ArrayInput[], axis = 0): Array {
  if (xs.length === 0) throw new AdjointError("np.concatenate", "need at least one array");
  const arrays = promoteArgs("np.concatenate", xs.map(asArray));
  const ax = normalizeAxis("np.concatenate", axis, arrays[0].ndim);
  for (const a of arrays) {
    if (a.ndim !== arrays[0].ndim || a.shape.some((d, i) => i !== ax && d !== arrays[0].shape[i])) {
      throw new AdjointError(
        "np.concatenate",
        `shapes ${
          arrays.map((b) => shapeStr(b.shape)).join(", ")
        } must agree except along axis ${ax}`,
      );
    }
  }
  return st.concatenate(arrays, ax);
}

/** Joins equally shaped arrays along a new axis. */
export function stack(xs: ArrayInput[], axis = 0): Array {
  if (xs.length === 0) throw new AdjointError("np.stack", "need at least one array");
  const arrays = xs.map(asArray);
  const shape = arrays[0].shape;
  if (arrays.some((a) => shapeStr(a.shape) !== shapeStr(shape))) {
    throw new AdjointError(
      "np.stack",
      `arrays must have the same shape, got ${arrays.map((a) => shapeStr(a.shape)).join(", ")}`,
    );
  }
  const ax = normalizeAxis("np.stack", axis, shape.length + 1);
  return concatenate(arrays.map((a) => expandDims(a, ax)), ax);
}

/** Splits into `sections` equal parts, or at the given indices, along `axis`. */
export function split(x: ArrayInput, sections: number | number[], axis = 0): Array[] {
  const a = asArray(x);
  const ax = normalizeAxis("np.split", axis, a.ndim);
  const n = a.shape[ax];
  let cuts: number[];
  if (typeof sections === "number") {
    if (n % sections !== 0) {
      throw new AdjointError(
        "np.split",
        `axis ${ax} of size ${n} does not split into ${sections} equal parts`,
      );
    }
    cuts = range(sections - 1).map((i) => ((i + 1) * n) / sections);
  } else cuts = sections;
  const bounds = [0, ...cuts, n];
  return range(bounds.length - 1).map((i) => {
    const start = a.shape.map(() => 0), limit = [...a.shape];
    start[ax] = bounds[i];
    limit[ax] = bounds[i + 1];
    return st.slice(a, start, limit);
  });
}

/** Pads with a constant: `width` is one number, one `[before, after]`, or one pair per axis. */
export function pad(
  x: ArrayInput,
  width: number | [number, number] | [number, number][],
  value = 0,
): Array {
  const a = asArray(x);
  const pairs: [number, number][] = typeof width === "number"
    ? a.shape.map(() => [width, width])
    : typeof width[0] === "number"
    ? a.shape.map(() => width as [number, number])
    : width as [number, number][];
  if (pairs.length !== a.ndim || pairs.some(([l, h]) => l < 0 || h < 0)) {
    throw new AdjointError(
      "np.pad",
      `expected one non-negative [before, after] per axis of ${a.aval}`,
    );
  }
  return st.pad(a, pairs.map((p) => p[0]), pairs.map((p) => p[1]), pairs.map(() => 0), value);
}

/** Reverses the order of elements along the given axes (all by default). */
export function flip(x: ArrayInput, axis?: number | number[]): Array {
  const a = asArray(x);
  return st.rev(a, normalizeAxes("np.flip", axis, a.ndim));
}

/** One-hot encoding of integer labels: shape `[...labels.shape, numClasses]`. */
export function oneHot(labels: ArrayInput, numClasses: number, dtype: DType = "float32"): Array {
  const l = ew.convert(asArray(labels), "int32");
  const classes = st.broadcastInDim(arange(numClasses), [...l.shape, numClasses], [l.ndim]);
  const ls = st.broadcastInDim(l, [...l.shape, numClasses], range(l.ndim));
  return ew.convert(ew.eq(ls, classes), dtype);
}
