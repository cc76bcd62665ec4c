/**
 * NumPy shape manipulation and static indexing: reshape, transpose, squeeze, expandDims,
 * broadcastTo, concatenate, stack, split, pad, flip, index (basic slicing), take, oneHot.
 * @module
 */
import { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import type { DType } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import * as ew from "../core/primitives/elementwise.ts";
import { take as laxTake } from "../core/primitives/indexing.ts";
import * as st from "../core/primitives/structural.ts";
import { normalizeAxes, normalizeAxis, range, shapeStr, sizeOf } from "../core/shape.ts";
import { array, type ArrayInput, asArray } from "./convert.ts";
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

/** A basic slice `start:stop:step` for `index` (negative values count from the end). */
export interface Slice {
  /** First index (default: 0, or the end for negative steps). */
  start?: number;
  /** One past the last index (default: the end). */
  stop?: number;
  /** Step (default 1; may be negative). */
  step?: number;
}

/** `s(start, stop, step)` builds a `Slice`, like Python's `start:stop:step`. */
export function s(start?: number, stop?: number, step?: number): Slice {
  return { start, stop, step };
}

/** One index entry: an integer, a slice, `null` (new axis), or `"..."` (all remaining axes). */
export type Index = number | Slice | null | "...";

const INDEX_KINDS = 'an integer, a slice np.s(start, stop, step), null (a new axis) or "..."';

/** What each index entry must look like, or an error naming the entry and what to use instead. */
function checkIndexEntry(entry: unknown, position: number): void {
  const bad = (detail: string) =>
    new AdjointError(
      "np.index",
      `index entry ${position} is ${describeValue(entry)}: ${detail}`,
    );
  if (entry === null || entry === "...") return;
  if (entry instanceof Array || globalThis.Array.isArray(entry) || typeof entry === "boolean") {
    throw bad(
      "np.index does basic indexing only (integer-array and boolean-mask indices are not " +
        "supported). Gather along an axis with np.take(x, indices, axis), select with a mask " +
        "by np.where(mask, x, y), and index several axes with one argument each: " +
        "np.index(x, 0, np.s(1, 3))",
    );
  }
  if (typeof entry === "number") {
    if (!Number.isInteger(entry)) throw bad(`expected ${INDEX_KINDS}`);
    return;
  }
  if (typeof entry !== "object") {
    throw bad(`expected ${INDEX_KINDS}; a whole axis is np.s() (Python's \`:\`)`);
  }
  for (const [field, v] of Object.entries(entry)) {
    if (!["start", "stop", "step"].includes(field)) {
      throw bad(`a slice has only start, stop and step; expected ${INDEX_KINDS}`);
    }
    if (v !== undefined && v !== null && !Number.isInteger(v)) {
      throw bad(`slice ${field} must be an integer or undefined, got ${describeValue(v)}`);
    }
  }
}

/**
 * Static basic indexing, NumPy style: `index(x, 0, s(1, 3), "...")` is `x[0, 1:3, ...]`.
 * Integers remove an axis, slices keep it, `null` inserts a size-1 axis. Integer-array and
 * boolean-mask indices are refused: use `take` and `where` for those.
 */
export function index(x: ArrayInput, ...idx: Index[]): Array {
  const a = asArray(x);
  idx.forEach(checkIndexEntry);
  const ellipses = idx.filter((i) => i === "...").length;
  if (ellipses > 1) {
    throw new AdjointError("np.index", `an index can hold at most one "...", got ${ellipses}`);
  }
  const used = idx.filter((i) => i !== null && i !== "...").length;
  if (used > a.ndim) {
    throw new AdjointError(
      "np.index",
      `too many indices (${used}) for ${a.aval}; expected at most ${a.ndim}`,
    );
  }
  const full: Index[] = [];
  for (const i of idx) {
    if (i === "...") { for (let k = 0; k < a.ndim - used; k++) full.push({}); }
    else full.push(i);
  }
  while (full.filter((i) => i !== null).length < a.ndim) full.push({});
  const start: number[] = [], limit: number[] = [], strides: number[] = [], flipAxes: number[] = [];
  const outShape: number[] = [];
  let d = 0;
  for (const i of full) {
    if (i === null) {
      outShape.push(1);
      continue;
    }
    const n = a.shape[d];
    if (typeof i === "number") {
      const k = i < 0 ? i + n : i;
      if (!(k >= 0 && k < n)) {
        throw new AdjointError(
          "np.index",
          `index ${i} is out of bounds for axis ${d} of size ${n}; expected an integer in ` +
            `[${-n}, ${n - 1}]`,
        );
      }
      start.push(k), limit.push(k + 1), strides.push(1);
    } else {
      const sl = i as Slice;
      const step = sl.step ?? 1;
      if (step === 0) throw new AdjointError("np.index", "slice step cannot be zero");
      const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
      const norm = (v: number) => (v < 0 ? v + n : v);
      if (step > 0) {
        const b = clamp(norm(sl.start ?? 0), 0, n), e = clamp(norm(sl.stop ?? n), 0, n);
        start.push(b), limit.push(Math.max(b, e)), strides.push(step);
        outShape.push(Math.max(0, Math.ceil((e - b) / step)));
      } else {
        const b = clamp(sl.start === undefined ? n - 1 : norm(sl.start), -1, n - 1);
        const e = clamp(sl.stop === undefined ? -1 : norm(sl.stop), -1, n - 1);
        const count = Math.max(0, Math.ceil((b - e) / -step));
        start.push(count ? n - 1 - b : 0),
          limit.push(count ? n - 1 - b + (count - 1) * -step + 1 : 0);
        strides.push(-step);
        flipAxes.push(d);
        outShape.push(count);
      }
    }
    d++;
  }
  const flipped = flipAxes.length ? st.rev(a, flipAxes) : a;
  return st.reshape(st.slice(flipped, start, limit, strides), outShape);
}

/**
 * Integer indices as an int32 array: JS numbers must be integers; float and bool arrays are
 * refused rather than truncated.
 */
function integerIndices(op: string, indices: ArrayInput): Array {
  if (!(indices instanceof Array)) {
    const values = ArrayBuffer.isView(indices)
      ? globalThis.Array.from(indices, Number)
      : ([indices] as unknown[]).flat(Infinity);
    if (!values.every(Number.isInteger)) {
      throw new AdjointError(
        op,
        `indices must be integers, got ${describeValue(indices)}`,
      );
    }
    return array(indices, "int32");
  }
  if (indices.dtype !== "int32") {
    throw new AdjointError(
      op,
      `indices must be an integer array, got ${indices.aval}; convert them with ` +
        `np.astype(indices, "int32")${
          indices.dtype === "bool" ? ", or select with a mask by np.where(mask, x, y)" : ""
        }`,
    );
  }
  return indices;
}

/** Gathers elements at integer `indices` along `axis` (of the flattened array if omitted). */
export function take(x: ArrayInput, indices: ArrayInput, axis?: number): Array {
  let a = asArray(x);
  const idx = integerIndices("np.take", indices);
  if (axis === undefined) {
    a = ravel(a);
    axis = 0;
  }
  return laxTake(a, idx, normalizeAxis("np.take", axis, a.ndim));
}

/** One-hot encoding of integer labels: shape `[...labels.shape, numClasses]`. */
export function oneHot(labels: ArrayInput, numClasses: number, dtype: DType = "float32"): Array {
  const l = ew.convert(asArray(labels), "int32");
  const classes = st.broadcastInDim(arange(numClasses), [...l.shape, numClasses], [l.ndim]);
  const ls = st.broadcastInDim(l, [...l.shape, numClasses], range(l.ndim));
  return ew.convert(ew.eq(ls, classes), dtype);
}
