/**
 * NumPy indexing: `index(x, ...idx)` (basic slicing, `null` and `"..."`, integer-array and
 * boolean-mask indices with NumPy's placement of the advanced axes), `take` and the slice
 * builder `s`. Advanced indices along several axes gather once, along their flattened axes.
 * @module
 */
import { Array, ConcreteArray } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import type { TypedArray } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import type { Index, IndexArray, Slice } from "../core/index_types.ts";
import { full, scalar } from "../core/primitives/constants.ts";
import * as ew from "../core/primitives/elementwise.ts";
import { take as laxTake } from "../core/primitives/indexing.ts";
import * as st from "../core/primitives/structural.ts";
import { broadcastShapes, normalizeAxis, range, shapeStr, sizeOf } from "../core/shape.ts";
import { array, type ArrayInput, asArray } from "./convert.ts";

/** `s(start, stop, step)` builds a `Slice`, like Python's `start:stop:step`. */
export function s(start?: number, stop?: number, step?: number): Slice {
  return { start, stop, step };
}

const INDEX_KINDS = 'an integer, a slice np.s(start, stop, step), null (a new axis), "...", ' +
  "an integer array or a boolean mask";

/** An index entry after parsing: each but `newaxis` consumes one axis of the operand. */
type Entry =
  | { kind: "int"; value: number }
  | { kind: "slice"; slice: Slice }
  | { kind: "newaxis" }
  | { kind: "array"; indices: Array; maskSize?: number };

function entryError(op: string, entry: unknown, position: number, detail: string): AdjointError {
  return new AdjointError(op, `index entry ${position} is ${describeValue(entry)}: ${detail}`);
}

/** The values of `a` when they are known here (not traced, and readable synchronously). */
function knownValues(a: Array): TypedArray | null {
  if (!(a instanceof ConcreteArray)) return null;
  return a.backend.readSync(a.buffer, a.aval) ?? null;
}

/** An array-like index entry as an int32 array or a bool mask, or an error naming it. */
function indexArray(op: string, entry: IndexArray, position: number): Array {
  if (entry instanceof Array) {
    if (entry.dtype === "int32" || entry.dtype === "bool") return entry;
    throw entryError(
      op,
      entry,
      position,
      `index arrays must be int32 or bool, got ${entry.aval}; convert them with ` +
        `np.astype(indices, "int32")`,
    );
  }
  const values = ArrayBuffer.isView(entry)
    ? globalThis.Array.from(entry as ArrayLike<number>)
    : ([entry] as unknown[]).flat(Infinity);
  if (values.length > 0 && values.every((v) => typeof v === "boolean")) return array(entry, "bool");
  if (values.every((v) => typeof v === "number" && Number.isInteger(v))) {
    return array(entry, "int32");
  }
  throw entryError(op, entry, position, `an index array holds integers or booleans only`);
}

/** Checks a slice object's fields. */
function checkSlice(op: string, entry: object, position: number): Slice {
  for (const [field, v] of Object.entries(entry)) {
    if (!["start", "stop", "step"].includes(field)) {
      throw entryError(
        op,
        entry,
        position,
        `a slice has only start, stop and step; expected ${INDEX_KINDS}`,
      );
    }
    if (v !== undefined && v !== null && !Number.isInteger(v)) {
      throw entryError(
        op,
        entry,
        position,
        `slice ${field} must be an integer or undefined, got ${describeValue(v)}`,
      );
    }
  }
  return entry as Slice;
}

/** The integer positions of the true entries of a concrete mask, one int32 array per axis. */
function maskIndices(op: string, mask: Array, position: number): Array[] {
  const values = knownValues(mask);
  if (!values) {
    throw new AdjointError(
      op,
      `index entry ${position} is a boolean mask ${mask.aval} whose values are not known here ` +
        `(it is traced, e.g. inside jit): the result's shape would depend on them. Select with ` +
        `np.where(mask, x, y), or index with the mask outside jit`,
    );
  }
  const strides = mask.shape.map((_, d) => sizeOf(mask.shape.slice(d + 1)));
  const hits = range(values.length).filter((i) => values[i] !== 0);
  return mask.shape.map((n, d) => {
    const data = Int32Array.from(hits, (i) => Math.floor(i / strides[d]) % n);
    return ConcreteArray.fromHost(data, [hits.length], "int32");
  });
}

/** Parses `idx` for an operand of `shape`: one entry per operand axis, plus new axes. */
function parseIndex(op: string, shape: readonly number[], idx: readonly Index[]): Entry[] {
  const parsed: (Entry | "...")[] = [];
  idx.forEach((entry, position) => {
    if (entry === null) parsed.push({ kind: "newaxis" });
    else if (entry === "...") parsed.push("...");
    else if (typeof entry === "number") {
      if (!Number.isInteger(entry)) {
        throw entryError(op, entry, position, `expected ${INDEX_KINDS}`);
      }
      parsed.push({ kind: "int", value: entry });
    } else if (
      entry instanceof Array || globalThis.Array.isArray(entry) || ArrayBuffer.isView(entry)
    ) {
      const a = indexArray(op, entry as IndexArray, position);
      if (a.dtype === "bool") {
        maskIndices(op, a, position).forEach((indices, d) =>
          parsed.push({ kind: "array", indices, maskSize: a.shape[d] })
        );
      } else parsed.push({ kind: "array", indices: a });
    } else if (typeof entry === "object") {
      parsed.push({ kind: "slice", slice: checkSlice(op, entry, position) });
    } else {
      throw entryError(
        op,
        entry,
        position,
        `expected ${INDEX_KINDS}; a whole axis is np.s() (Python's \`:\`)`,
      );
    }
  });
  const ellipses = parsed.filter((e) => e === "...").length;
  if (ellipses > 1) {
    throw new AdjointError(op, `an index can hold at most one "...", got ${ellipses}`);
  }
  const used = parsed.filter((e) => e !== "..." && e.kind !== "newaxis").length;
  if (used > shape.length) {
    throw new AdjointError(
      op,
      `too many indices (${used}) for an array of shape ${shapeStr(shape)}; expected at most ` +
        `${shape.length}`,
    );
  }
  const fill = (): Entry[] => range(shape.length - used).map(() => ({ kind: "slice", slice: {} }));
  const expanded: Entry[] = parsed.flatMap((e) => (e === "..." ? fill() : [e]));
  const entries = ellipses ? expanded : [...expanded, ...fill()];
  let axis = 0;
  for (const e of entries) {
    if (e.kind === "newaxis") continue;
    if (e.kind === "array" && e.maskSize !== undefined && e.maskSize !== shape[axis]) {
      throw new AdjointError(
        op,
        `a boolean mask of size ${e.maskSize} along axis ${axis} does not match the axis's ` +
          `size ${shape[axis]} in shape ${shapeStr(shape)}; a mask must have the shape of the ` +
          `axes it indexes`,
      );
    }
    axis++;
  }
  return entries;
}

/** Wraps an in-range integer index and checks it, naming the axis. */
function wrapStatic(op: string, i: number, axis: number, n: number): number {
  const k = i < 0 ? i + n : i;
  if (!(k >= 0 && k < n)) {
    throw new AdjointError(
      op,
      `index ${i} is out of bounds for axis ${axis} of size ${n}; expected an integer in ` +
        `[${-n}, ${n - 1}]`,
    );
  }
  return k;
}

/**
 * Integer indices into an axis of size `n` with negative values wrapped (as NumPy and JAX).
 * Known indices are checked here, naming the axis; traced ones are wrapped by `where` and an
 * index still out of range is reported by the gather or scatter kernel.
 */
function wrapIndices(op: string, indices: Array, axis: number, n: number): Array {
  const values = knownValues(indices);
  if (values) {
    const data = Int32Array.from(values, (i) => wrapStatic(op, i, axis, n));
    return ConcreteArray.fromHost(data, indices.shape, "int32");
  }
  const shifted = ew.add(indices, full(indices.shape, n, "int32"));
  return ew.select(ew.lt(indices, full(indices.shape, 0, "int32")), shifted, indices);
}

/** Basic indexing (ints, slices and new axes only) as one strided slice and a reshape. */
function basicIndex(op: string, a: Array, entries: readonly Entry[]): Array {
  const start: number[] = [], limit: number[] = [], strides: number[] = [], flipAxes: number[] = [];
  const outShape: number[] = [];
  let d = 0;
  for (const e of entries) {
    if (e.kind === "newaxis") {
      outShape.push(1);
      continue;
    }
    const n = a.shape[d];
    if (e.kind === "int") {
      const k = wrapStatic(op, e.value, d, n);
      start.push(k), limit.push(k + 1), strides.push(1);
    } else if (e.kind === "slice") {
      const sl = e.slice;
      const step = sl.step ?? 1;
      if (step === 0) throw new AdjointError(op, "slice step cannot be zero");
      const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
      const norm = (v: number) => (v < 0 ? v + n : v);
      if (step > 0) {
        const b = clamp(norm(sl.start ?? 0), 0, n), end = clamp(norm(sl.stop ?? n), 0, n);
        start.push(b), limit.push(Math.max(b, end)), strides.push(step);
        outShape.push(Math.max(0, Math.ceil((end - b) / step)));
      } else {
        const b = clamp(sl.start === undefined ? n - 1 : norm(sl.start), -1, n - 1);
        const end = clamp(sl.stop === undefined ? -1 : norm(sl.stop), -1, n - 1);
        const count = Math.max(0, Math.ceil((b - end) / -step));
        start.push(count ? n - 1 - b : 0),
          limit.push(count ? n - 1 - b + (count - 1) * -step + 1 : 0);
        strides.push(-step);
        flipAxes.push(d);
        outShape.push(count);
      }
    } else throw new AdjointError(op, "an array index reached basic indexing");
    d++;
  }
  const flipped = flipAxes.length ? st.rev(a, flipAxes) : a;
  return st.reshape(st.slice(flipped, start, limit, strides), outShape);
}

/**
 * Advanced indexing: the basic entries first (array entries keep their axis whole), then one
 * gather along the advanced axes flattened into one. The broadcast index shape replaces them
 * where they stood if they are adjacent in the index, else it comes first (NumPy's rule).
 */
function advancedIndex(op: string, a: Array, entries: readonly Entry[]): Array {
  // With any array index, integers are advanced indices too (0-d arrays), as in NumPy.
  let axis = 0;
  const asArrays: Entry[] = entries.map((e) => {
    if (e.kind === "newaxis") return e;
    const n = a.shape[axis++];
    if (e.kind !== "int") return e;
    return { kind: "array", indices: scalar(wrapStatic(op, e.value, axis - 1, n), "int32") };
  });
  const basic: Entry[] = asArrays.map((
    e,
  ) => (e.kind === "array" ? { kind: "slice", slice: {} } : e));
  const y = basicIndex(op, a, basic);
  const where: number[] = [], arrays: Array[] = [], slots: number[] = [];
  let ydim = 0, adim = 0;
  asArrays.forEach((e, slot) => {
    if (e.kind === "array") {
      where.push(ydim);
      slots.push(slot);
      arrays.push(wrapIndices(op, e.indices, adim, a.shape[adim]));
    }
    if (e.kind !== "newaxis") adim++;
    ydim++;
  });
  const bshape = broadcastShapes(op, ...arrays.map((i) => i.shape));
  const contiguous = slots.every((s, k) => s === slots[0] + k);
  const front = contiguous ? where[0] : 0;
  const rest = range(y.ndim).filter((d) => !where.includes(d));
  const perm = contiguous ? range(y.ndim) : [...where, ...rest];
  const moved = contiguous ? y : st.transpose(y, perm);
  const sizes = where.map((d) => y.shape[d]);
  const flat = st.reshape(moved, [
    ...moved.shape.slice(0, front),
    sizeOf(sizes),
    ...moved.shape.slice(front + where.length),
  ]);
  const strides = sizes.map((_, k) => sizeOf(sizes.slice(k + 1)));
  const b = arrays.map((i) => st.broadcastTo(i, bshape));
  let linear = b.reduce(
    (acc, i, k) => ew.add(acc, ew.mul(i, full(bshape, strides[k], "int32"))),
    full(bshape, 0, "int32"),
  );
  if (arrays.length > 1 && !arrays.every((i) => knownValues(i) !== null)) {
    // A traced index out of range along one axis could land in range of the flattened axes:
    // send it out of range of them too, so that the gather reports it.
    const ok = b.map((i, k) =>
      ew.and(
        ew.ge(i, full(bshape, 0, "int32")),
        ew.lt(i, full(bshape, sizes[k], "int32")),
      )
    ).reduce((p, q) => ew.and(p, q));
    linear = ew.select(ok, linear, full(bshape, -1, "int32"));
  }
  return laxTake(flat, linear, front);
}

/**
 * NumPy indexing: `index(x, 0, s(1, 3), "...")` is `x[0, 1:3, ...]`. Integers remove an axis,
 * slices keep it, `null` inserts a size-1 axis and `"..."` stands for the remaining axes.
 * Integer arrays (negative values count from the end) gather along their axes: they broadcast
 * together and their shape replaces those axes where they stood if they are adjacent in the
 * index, else it comes first, as in NumPy and JAX (an integer beside an array index counts as
 * a 0-d array). A boolean mask selects its true elements (like its `nonzero()` indices) and
 * needs known values, so it is refused under `jit`. Out-of-range integers and indices are
 * errors (JAX would clamp them), not clamped.
 *
 * ```ts
 * import { numpy as np } from "../mod.ts";
 * const x = np.arange(12).reshape([3, 4]);
 * np.index(x, [0, 2], np.s(1, 3)).toArray(); // [[1, 2], [9, 10]]
 * np.index(x, [0, -1], [1, 3]).toArray(); // [1, 11]
 * ```
 */
export function index(x: ArrayInput, ...idx: Index[]): Array {
  const a = asArray(x);
  const entries = parseIndex("np.index", a.shape, idx);
  return entries.some((e) => e.kind === "array")
    ? advancedIndex("np.index", a, entries)
    : basicIndex("np.index", a, entries);
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

/**
 * Gathers elements at integer `indices` along `axis` (of the flattened array if omitted).
 * Negative indices count from the end, as in JAX's default mode; an index outside `[-n, n)` is
 * an error where JAX's default (`mode="fill"`) would return NaN for it.
 */
export function take(x: ArrayInput, indices: ArrayInput, axis?: number): Array {
  let a = asArray(x);
  const idx = integerIndices("np.take", indices);
  if (axis === undefined) {
    a = st.reshape(a, [a.size]);
    axis = 0;
  }
  const ax = normalizeAxis("np.take", axis, a.ndim);
  return laxTake(a, wrapIndices("np.take", idx, ax, a.shape[ax]), ax);
}
