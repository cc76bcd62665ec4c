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
import { copyExport, copyShape } from "./eager_copies.ts";
import { splitRange } from "./split.ts";
import { ELEMENT_BYTES, SUFFIX, type WasmRuntime } from "./runtime.ts";

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

/** Rows of at least this many contiguous bytes are copied by `memory.copy` (hand-written). */
const BULK_BYTES = 512;

/**
 * Whether a copy (merged to `rank` axes, in loop shape `kind`, rows of `rowBytes`) runs the
 * kernel rendered from the IR (eager_copies.ts): of rank 3, not of bools (whose vector loads
 * widen bytes to lanes, where the hand-written kernel moves 16 bytes at once), and not a
 * contiguous copy of rows long enough for `memory.copy`. The others run the hand-written
 * kernels of kernels/assembly/copy.ts.
 */
function rendered(
  dtype: DType,
  rank: number,
  kind: CopyShape,
  rowBytes: number,
  accumulate: boolean,
): boolean {
  if (rank !== 3 || dtype === "bool") return false;
  return accumulate || kind !== "contiguous" || rowBytes < BULK_BYTES;
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
  const rank = s.shape.length;
  const size = ELEMENT_BYTES[dtype];
  const srcPtr = src.buffer.ptr + src.offset * size;
  const dstPtr = dst.buffer.ptr + dst.offset * size;
  const kind = copyShape(s.src[2], s.dst[2]);
  if (rendered(dtype, rank, kind, s.shape[2] * size, accumulate)) {
    const name = copyExport(dtype, size, accumulate, kind);
    const strides = kind === "strided"
      ? [...s.src, ...s.dst]
      : [s.src[0], s.src[1], s.dst[0], s.dst[1]];
    const ptrs = accumulate ? [srcPtr, dstPtr, dstPtr] : [srcPtr, dstPtr];
    const tasks = outerSplit(s.shape, s.dst, rt.threads()).map(([lo, hi]) => ({
      kernel: name,
      args: [...ptrs, lo, hi, s.shape[1], s.shape[2], ...strides],
    }));
    rt.parallel(tasks, accumulate ? "accumulate" : "copy");
    return;
  }
  const name = accumulate ? `accumulate_strided_${SUFFIX[dtype]}` : `copy_strided_${size}`;
  const tasks = outerSplit(s.shape, s.dst, rt.threads()).map(([lo, hi], t) => {
    const meta = rt.metaFor(t);
    rt.writeMeta([hi - lo, ...s.shape.slice(1)], 0, meta);
    rt.writeMeta(s.src, rank, meta);
    rt.writeMeta(s.dst, 2 * rank, meta);
    return {
      kernel: name,
      args: [rank, meta, srcPtr + lo * s.src[0] * size, dstPtr + lo * s.dst[0] * size],
    };
  });
  rt.parallel(tasks, accumulate ? "accumulate" : "copy");
}

/** Fills the first `n` elements of `buf` (and its padding) with `value`. */
export function fill(
  rt: WasmRuntime,
  dtype: DType,
  buf: WasmBuffer,
  value: number,
  n: number,
): void {
  rt.kernel(`fill_${SUFFIX[dtype]}`, "fill")(buf.ptr, value, n);
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
