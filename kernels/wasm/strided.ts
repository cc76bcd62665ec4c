/**
 * Strided copies on the wasm runtime: `dst[Σ i_d dstStride_d] = src[Σ i_d srcStride_d]` (or
 * `+=`) over all indices of a shape. Axes of size 1 are dropped and adjacent axes that are
 * contiguous in both source and destination are merged before the kernel walks them, so a
 * transpose or broadcast runs over as few, as long, rows as its layout allows.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { sizeOf, stridesOf } from "../../core/shape.ts";
import type { WasmBuffer } from "./memory.ts";
import type { CopyShape } from "../lowering/one_op_copy.ts";
import { copyExport, copyShape, fillExport, MAX_COPY_RANK } from "./eager_copies.ts";
import { splitRange } from "./split.ts";
import { ELEMENT_BYTES, type WasmRuntime } from "./runtime.ts";

/** One side of a strided copy: a buffer, the element offset of index 0, per-axis strides. */
export interface StridedView {
  /** The buffer viewed. */
  buffer: WasmBuffer;
  /** Element offset of the first index. */
  offset: number;
  /** Element stride of each axis (0 broadcasts, negative reverses). */
  strides: readonly number[];
}

/** Shape and strides with size-1 axes dropped and mergeable neighbours merged. */
export function simplifyAxes(
  shape: readonly number[],
  src: readonly number[],
  dst: readonly number[],
): { shape: number[]; src: number[]; dst: number[] } {
  const out = { shape: [] as number[], src: [] as number[], dst: [] as number[] };
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const k = out.shape.length - 1;
    if (
      k >= 0 && out.src[k] === src[d] * shape[d] && out.dst[k] === dst[d] * shape[d]
    ) {
      out.shape[k] *= shape[d];
      out.src[k] = src[d];
      out.dst[k] = dst[d];
    } else {
      out.shape.push(shape[d]);
      out.src.push(src[d]);
      out.dst.push(dst[d]);
    }
  }
  while (out.shape.length < 3) {
    out.shape.unshift(1);
    out.src.unshift(0);
    out.dst.unshift(0);
  }
  return out;
}

/**
 * Ranges of the outermost axis for `threads` tasks, or one range when the copy is small or
 * when slices along that axis could write the same destination element (overlapping windows).
 */
export function outerSplit(
  shape: readonly number[],
  dst: readonly number[],
  threads: number,
): [number, number][] {
  const rest = shape.slice(1).reduce((sum, n, d) => sum + (n - 1) * Math.abs(dst[d + 1]), 0);
  const disjoint = Math.abs(dst[0]) > rest;
  return splitRange(shape[0], disjoint ? sizeOf(shape) : 0, threads);
}

/**
 * Runs the rendered kernel of merged copy `s` (kernel shape `kind`) from `srcPtr` to `dstPtr`
 * (or adds, with `accumulate`), split along the outermost axis across the threads.
 */
function renderedCopy(
  rt: WasmRuntime,
  dtype: DType,
  s: { shape: number[]; src: number[]; dst: number[] },
  kind: CopyShape,
  srcPtr: number,
  dstPtr: number,
  accumulate: boolean,
): void {
  const size = ELEMENT_BYTES[dtype], rank = s.shape.length;
  const kernel = copyExport(dtype, size, accumulate, kind, rank);
  const op = accumulate ? "accumulate" : "copy";
  const args = [srcPtr, dstPtr, 0, 0];
  const range = args.length - 2;
  for (let d = 1; d < rank; d++) args.push(s.shape[d]);
  const strided = kind === "strided" ? rank : rank - 1;
  for (let d = 0; d < strided; d++) args.push(s.src[d]);
  for (let d = 0; d < strided; d++) args.push(s.dst[d]);
  const ranges = outerSplit(s.shape, s.dst, rt.threads());
  if (ranges.length === 1) {
    args[range + 1] = s.shape[0];
    rt.kernel(kernel, op)(...args);
    return;
  }
  const tasks = ranges.map(([lo, hi]) => {
    const a = [...args];
    a[range] = lo;
    a[range + 1] = hi;
    return { kernel, args: a };
  });
  rt.parallel(tasks, op);
}

/**
 * Copies (or with `accumulate`, adds) the elements of `src` into `dst` over `shape`; large
 * copies are split along their outermost axis across the kernel threads.
 */
export function stridedCopy(
  rt: WasmRuntime,
  dtype: DType,
  shape: readonly number[],
  src: StridedView,
  dst: StridedView,
  accumulate = false,
): void {
  if (sizeOf(shape) === 0) return;
  const s = simplifyAxes(shape, src.strides, dst.strides);
  const size = ELEMENT_BYTES[dtype];
  const srcPtr = src.buffer.ptr + src.offset * size;
  const dstPtr = dst.buffer.ptr + dst.offset * size;
  const lead = s.shape.length - MAX_COPY_RANK;
  if (lead <= 0) {
    mergedCopy(rt, dtype, s, srcPtr, dstPtr, accumulate);
    return;
  }
  // Above the rendered ranks: a copy of the innermost axes at each index of the leading ones.
  const inner = { shape: s.shape.slice(lead), src: s.src.slice(lead), dst: s.dst.slice(lead) };
  const index = Array<number>(lead).fill(0);
  for (let n = sizeOf(s.shape.slice(0, lead)); n > 0; n--) {
    const at = (strides: number[]) => index.reduce((o, i, d) => o + i * strides[d], 0) * size;
    mergedCopy(rt, dtype, inner, srcPtr + at(s.src), dstPtr + at(s.dst), accumulate);
    for (let d = lead - 1; d >= 0 && ++index[d] === s.shape[d]; d--) index[d] = 0;
  }
}

/**
 * Copies (`accumulate`: adds) merged copy `s`, of rank 3 to `MAX_COPY_RANK`, by the kernel
 * rendered from the IR for its rank and loop shape (eager_copies.ts): bools as byte moves
 * (vector_loops.ts `byteMove`), contiguous rows of at least 512 bytes as `memory.copy`
 * (bulk_rows.ts `bulkRow`), rows of 17-32 bytes as two overlapping v128 steps (`shortRow`),
 * each loop's addresses from the loop around it (`stridedNest`).
 */
function mergedCopy(
  rt: WasmRuntime,
  dtype: DType,
  s: { shape: number[]; src: number[]; dst: number[] },
  srcPtr: number,
  dstPtr: number,
  accumulate: boolean,
): void {
  const last = s.shape.length - 1, size = ELEMENT_BYTES[dtype];
  const kind = copyShape(s.src[last], s.dst[last], s.shape[last], size, accumulate);
  renderedCopy(rt, dtype, s, kind, srcPtr, dstPtr, accumulate);
}

/**
 * Fills the first `n` elements of `buf` and its padding (to the next 16 bytes) with `value`,
 * by the fill kernel rendered from the IR (kernels/lowering/one_op_fill.ts).
 */
export function fill(
  rt: WasmRuntime,
  dtype: DType,
  buf: WasmBuffer,
  value: number,
  n: number,
): void {
  const size = ELEMENT_BYTES[dtype], padded = (Math.ceil((n * size) / 16) * 16) / size;
  rt.kernel(fillExport(dtype), "fill")(buf.ptr, 0, padded, value);
}

/** Whether strides walk the first elements of a buffer in order (axes of size 1 aside). */
function isDenseOrder(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] === 1) continue;
    if (strides[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/**
 * A dense buffer of `shape` gathered from `x` with per-axis strides from an offset. When that
 * reads `x`'s leading elements in order (a transpose that only moves axes of size 1, a prefix
 * slice, a broadcast that only adds axes of size 1), the result views `x`'s block: no copy.
 */
export function gather(
  rt: WasmRuntime,
  x: WasmBuffer,
  dtype: DType,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): WasmBuffer {
  if (offset === 0 && isDenseOrder(shape, strides)) return rt.share(x);
  const o = rt.alloc(dtype, sizeOf(shape));
  stridedCopy(rt, dtype, shape, { buffer: x, offset, strides }, {
    buffer: o,
    offset: 0,
    strides: stridesOf(shape),
  });
  return o;
}
