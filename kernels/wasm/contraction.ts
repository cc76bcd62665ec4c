/**
 * dot_general and sliding windows on the wasm runtime.
 *
 * dot_general becomes one batched gemm call, its rows split over the runtime's threads (or,
 * for a small output of great depth, its depth, the partial products then summed): each
 * operand's batch, free and contracting axes are merged into single strided axes when its layout
 * allows (always for the layouts matmul, conv and their transposes produce), so the gemm packs
 * straight from the operand with the right row and column strides; only an operand whose axes
 * cannot be merged is first copied into `[batch, free, contract]` order. patches is a strided
 * gather (after zero padding, if any); patches_transpose is the matching strided accumulation
 * into a zeroed buffer (then cropped).
 *
 * A jitted program may hand dot_general an epilogue (`dotGeneralWithEpilogue`): an addend (a
 * bias broadcast along rows or columns, or a whole array) and relu, applied by the gemm to each
 * tile of the product while it is in cache.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import { type DType, isFloat } from "../../core/dtype.ts";
import type { DotDims, DotGeneralParams } from "../../core/primitives/dot_general.ts";
import type {
  PatchesParams,
  PatchesTransposeParams,
  WindowParams,
} from "../../core/primitives/patches.ts";
import { mergeAxes, type Merged, range, sizeOf, stridesOf } from "../../core/shape.ts";
import { viaRef } from "./fallback.ts";
import type { WasmBuffer } from "./memory.ts";
import type { WasmRule, WasmRuleTable } from "./rule.ts";
import type { ThreadTask } from "./thread_pool.ts";
import { ELEMENT_BYTES, SUFFIX, type WasmRuntime } from "./runtime.ts";
import { splitRange } from "./split.ts";
import { fill, gather, stridedCopy } from "./strided.ts";
import { padInto } from "./structural.ts";

/** An operand as gemm sees it: buffer plus (batch, rows, columns) strided axes. */
interface GemmOperand {
  buffer: WasmBuffer;
  batch: Merged;
  rows: Merged;
  cols: Merged;
  /** Whether `buffer` is a temporary copy to release after the call. */
  copied: boolean;
}

/**
 * Views `x` as `[batch, rows, cols]` over the axis groups given, copying it into that order
 * when the groups cannot be merged in place.
 */
function gemmOperand(
  rt: WasmRuntime,
  x: WasmBuffer,
  aval: ShapedArray,
  groups: [number[], number[], number[]],
): GemmOperand {
  const strides = stridesOf(aval.shape);
  const merged = groups.map((g) => mergeAxes(g, aval.shape, strides));
  if (merged.every((m) => m !== null)) {
    const [batch, rows, cols] = merged as Merged[];
    return { buffer: x, batch, rows, cols, copied: false };
  }
  const order = groups.flat();
  const shape = order.map((a) => aval.shape[a]);
  const buffer = gather(rt, x, aval.dtype, shape, order.map((a) => strides[a]), 0);
  const [b, r, c] = groups.map((g) => sizeOf(g.map((a) => aval.shape[a])));
  return {
    buffer,
    batch: { size: b, stride: r * c },
    rows: { size: r, stride: c },
    cols: { size: c, stride: 1 },
    copied: true,
  };
}

/** A multiple of the gemm micro-tile heights (4 rows for f32, 6 for f64): row ranges are multiples. */
const GEMM_MR = 12;
/** Multiply-adds below which a gemm runs on one thread (waking workers would cost more). */
const GEMM_PARALLEL_MIN = 1 << 16;

/** Columns of the widest gemm micro-tile (8 for f32, 4 for f64): column ranges are multiples. */
const GEMM_NR = 8;

/**
 * How a gemm of `m` x `n` and `work` multiply-adds is shared out: `rows` and `cols` ranges, one
 * of them a single full range. Products of few rows (a convolution's output channels) split
 * their columns, where row ranges would be too few or too uneven (10 rows fit no two ranges of
 * whole micro-tile groups); others split rows, which pack B once per range rather than A.
 */
export function tileSplit(
  m: number,
  n: number,
  work: number,
  threads: number,
): { rows: [number, number][]; cols: [number, number][] } {
  if (m < 2 * GEMM_MR * threads) {
    return { rows: [[0, m]], cols: splitRange(n, work, threads, GEMM_NR, GEMM_PARALLEL_MIN) };
  }
  return { rows: splitRange(m, work, threads, GEMM_MR, GEMM_PARALLEL_MIN), cols: [[0, n]] };
}

/**
 * Depth ranges `[k0, k1)`, one per thread, for a gemm whose output is small next to its depth
 * (a convolution's filter gradient: m x n in the hundreds, k in the thousands): each thread packs
 * only its share of B and the partial products are summed, where a row split would have every
 * thread pack all of B. One range when rows should be split instead.
 */
export function depthSplit(
  m: number,
  n: number,
  k: number,
  batch: number,
  threads: number,
): [number, number][] {
  if (batch !== 1 || k < 8 * Math.max(m, n)) return [[0, k]];
  return splitRange(k, m * n * k, threads, 1, GEMM_PARALLEL_MIN);
}

/** What a gemm does to its product before storing it: `C = act(C + E)`. */
export interface GemmEpilogue {
  /** The addend E with its element strides over the product's axes (0 where broadcast). */
  addend?: { buffer: WasmBuffer; strides: readonly number[] };
  /** Whether the activation is relu (else the identity). */
  relu: boolean;
}

/** An epilogue as the gemm kernel takes it: addend (batch, row, column) strides and activation. */
interface GemmFinish {
  addend: WasmBuffer | null;
  batch: number;
  rows: number;
  cols: number;
  act: number;
}

/** No epilogue. */
const PLAIN: GemmFinish = { addend: null, batch: 0, rows: 0, cols: 0, act: 0 };

/**
 * The kernel's arguments for an epilogue starting at column `j0` (of `bytes`-byte elements):
 * addend address (0: none), strides, activation.
 */
function finishArgs(f: GemmFinish, j0: number, bytes: number): number[] {
  const e = f.addend ? f.addend.ptr + j0 * f.cols * bytes : 0;
  return [e, f.batch, f.rows, f.cols, f.act];
}

/**
 * The epilogue as the gemm kernel takes it, for a product of shape `out` whose first `batch`
 * axes are its batch and next `rows` axes its rows; null when the addend's strides cannot be
 * merged into single batch, row and column strides.
 */
function gemmFinish(
  epilogue: GemmEpilogue,
  out: readonly number[],
  batch: number,
  rows: number,
): GemmFinish | null {
  const act = epilogue.relu ? 1 : 0;
  if (!epilogue.addend) return { ...PLAIN, act };
  const { buffer, strides } = epilogue.addend;
  const axes = range(out.length);
  const groups = [axes.slice(0, batch), axes.slice(batch, batch + rows), axes.slice(batch + rows)];
  const merged = groups.map((g) => mergeAxes(g, out, strides));
  if (merged.some((m) => m === null)) return null;
  const [b, r, c] = merged as Merged[];
  return { addend: buffer, batch: b.stride, rows: r.stride, cols: c.stride, act };
}

/** A range of rows, columns or depths of a gemm. */
type Span = [number, number];

/**
 * The task computing rows `[r0, r1)` x columns `[j0, j1)` of `C = A · B` over depths `[k0, k1)`
 * into `c`.
 */
function gemmTask(
  rt: WasmRuntime,
  dtype: DType,
  [A, B]: [GemmOperand, GemmOperand],
  c: WasmBuffer,
  [k0, k1]: Span,
  [[r0, r1], [j0, j1]]: [Span, Span],
  thread: number,
  finish: GemmFinish = PLAIN,
): ThreadTask {
  const sfx = SUFFIX[dtype], bytes = ELEMENT_BYTES[dtype];
  return {
    kernel: `gemm_${sfx}`,
    args: [
      A.batch.size,
      A.buffer.ptr + k0 * A.cols.stride * bytes,
      A.batch.stride,
      A.rows.stride,
      A.cols.stride,
      B.buffer.ptr + (k0 * B.rows.stride + j0 * B.cols.stride) * bytes,
      B.batch.stride,
      B.rows.stride,
      B.cols.stride,
      c.ptr + j0 * bytes,
      A.rows.size,
      j1 - j0,
      k1 - k0,
      rt.workspace(`gemm_${sfx}_workspace`, thread),
      r0,
      r1,
      ...finishArgs(finish, j0, bytes),
      B.cols.size,
    ],
  };
}

/**
 * A depth-split gemm: partial products over the depth ranges on the threads, summed into `c`,
 * then finished.
 */
function sumOfPartials(
  rt: WasmRuntime,
  dtype: DType,
  operands: [GemmOperand, GemmOperand],
  c: WasmBuffer,
  depths: [number, number][],
  finish: GemmFinish,
): void {
  const [m, n] = [operands[0].rows.size, operands[1].cols.size];
  const partials = depths.map((_, t) => (t === 0 ? c : rt.alloc(dtype, m * n)));
  const all: [Span, Span] = [[0, m], [0, n]];
  const tasks = depths.map((ks, t) => gemmTask(rt, dtype, operands, partials[t], ks, all, t));
  rt.parallel(tasks, "dot_general");
  const add = rt.kernel(`add_${SUFFIX[dtype]}`, "dot_general");
  for (const p of partials.slice(1)) {
    add(c.ptr, p.ptr, c.ptr, 0, m * n);
    rt.dispose(p);
  }
  if (finish.addend || finish.act) {
    const { addend, rows, cols, act } = finish;
    const epilogue = rt.kernel(`gemm_epilogue_${SUFFIX[dtype]}`, "dot_general");
    epilogue(c.ptr, m, n, addend ? addend.ptr : 0, rows, cols, act);
  }
}

/**
 * `dot_general` of float operands as one batched gemm, finished by `epilogue`; null when the
 * epilogue's addend cannot be read with single batch, row and column strides.
 */
function floatDot(
  rt: WasmRuntime,
  [x, y]: readonly WasmBuffer[],
  [a, b]: readonly ShapedArray[],
  dims: DotDims,
  out: ShapedArray,
  epilogue?: GemmEpilogue,
): WasmBuffer | null {
  const [[xc, yc], [xb, yb]] = dims;
  const xFree = range(a.ndim).filter((i) => !xc.includes(i) && !xb.includes(i));
  const yFree = range(b.ndim).filter((i) => !yc.includes(i) && !yb.includes(i));
  const finish = epilogue ? gemmFinish(epilogue, out.shape, xb.length, xFree.length) : PLAIN;
  if (!finish) return null;
  const A = gemmOperand(rt, x, a, [xb, xFree, xc]);
  const B = gemmOperand(rt, y, b, [yb, yc, yFree]);
  const c = rt.allocFor(out);
  const [m, n, k] = [A.rows.size, B.cols.size, A.cols.size];
  const depths = depthSplit(m, n, k, A.batch.size, rt.threads());
  if (depths.length > 1) sumOfPartials(rt, out.dtype, [A, B], c, depths, finish);
  else {
    const { rows, cols } = tileSplit(m, n, A.batch.size * m * n * k, rt.threads());
    const tiles = rows.flatMap((r) => cols.map((j): [Span, Span] => [r, j]));
    const tasks = tiles.map((s, t) => gemmTask(rt, out.dtype, [A, B], c, [0, k], s, t, finish));
    rt.parallel(tasks, "dot_general");
  }
  if (A.copied) rt.dispose(A.buffer);
  if (B.copied) rt.dispose(B.buffer);
  return c;
}

/**
 * `act(dot_general(x, y) + addend)` in one gemm, the addend and activation applied to each tile
 * of the product; null when the product is not float or the addend's layout does not allow it
 * (the caller then computes the equations one by one).
 */
export function dotGeneralWithEpilogue(
  rt: WasmRuntime,
  inputs: readonly WasmBuffer[],
  inAvals: readonly ShapedArray[],
  dims: DotDims,
  out: ShapedArray,
  epilogue: GemmEpilogue,
): WasmBuffer | null {
  if (!isFloat(out.dtype)) return null;
  return floatDot(rt, inputs, inAvals, dims, out, epilogue);
}

const refDot = viaRef("dot_general");

const dotGeneral: WasmRule<DotGeneralParams> = (rt, inputs, inAvals, params, outAvals) =>
  isFloat(outAvals[0].dtype)
    ? [floatDot(rt, inputs, inAvals, params.dims, outAvals[0])!]
    : refDot(rt, inputs, inAvals, params, outAvals);

function isPadded(p: WindowParams): boolean {
  return p.padding.some(([lo, hi]) => lo !== 0 || hi !== 0);
}

/** Element strides, in a (padded) input of `shape`, of each axis of the windows array. */
function windowStrides(shape: readonly number[], p: WindowParams): number[] {
  const xs = stridesOf(shape);
  return [...xs.map((s, d) => p.strides[d] * s), ...xs.map((s, d) => p.dilation[d] * s)];
}

function paddedShape(shape: readonly number[], p: WindowParams): number[] {
  return shape.map((d, i) => d + p.padding[i][0] + p.padding[i][1]);
}

const patches: WasmRule<PatchesParams> = (rt, [x], [a], p, [out]) => {
  const nd = a.ndim;
  let src = x, shape: readonly number[] = a.shape;
  if (isPadded(p)) {
    shape = paddedShape(a.shape, p);
    const zeros = range(nd).map(() => 0);
    src = padInto(rt, x, a.dtype, a.shape, shape, p.padding.map(([lo]) => lo), zeros, 0);
  }
  const o = gather(rt, src, out.dtype, out.shape, windowStrides(shape, p), 0);
  if (src !== x) rt.dispose(src);
  return [o];
};

const accumulateWindows: WasmRule<PatchesTransposeParams> = (rt, [ct], [c], p, [out]) => {
  const shape = isPadded(p) ? paddedShape(out.shape, p) : out.shape;
  const acc = rt.alloc(out.dtype, sizeOf(shape));
  fill(rt, out.dtype, acc, 0, sizeOf(shape));
  stridedCopy(
    rt,
    out.dtype,
    c.shape,
    { buffer: ct, offset: 0, strides: stridesOf(c.shape) },
    { buffer: acc, offset: 0, strides: windowStrides(shape, p) },
    true,
  );
  if (shape === out.shape) return [acc];
  const zeros = range(out.ndim).map(() => 0);
  const cropped = padInto(
    rt,
    acc,
    out.dtype,
    shape,
    out.shape,
    p.padding.map(([lo]) => -lo),
    zeros,
    0,
  );
  rt.dispose(acc);
  return [cropped];
};

const refPatchesTranspose = viaRef("patches_transpose");

const patchesTranspose: WasmRule<PatchesTransposeParams> = (
  rt,
  inputs,
  inAvals,
  params,
  outAvals,
) =>
  (outAvals[0].dtype === "bool" ? refPatchesTranspose : accumulateWindows)(
    rt,
    inputs,
    inAvals,
    params,
    outAvals,
  );

/** Rules of the contraction and window primitives. */
export const contractionRules: Pick<
  WasmRuleTable,
  "dot_general" | "patches" | "patches_transpose"
> = {
  dot_general: dotGeneral,
  patches,
  patches_transpose: patchesTranspose,
};
