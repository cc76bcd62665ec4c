/**
 * dot_general as a batched, tiled gemm: `C[b, m, n] = sum_k A[b, m, k] * B[b, k, n]`.
 *
 * Each operand's batch, free and contracting axes must each flatten to one strided index (true
 * of row-major operands and their transposes); an operand whose axes interleave otherwise is
 * first copied into that order (a one-op loop kernel: one_op_view.ts). A workgroup of 16x16
 * invocations computes a tile of C of up to 64x64 (up to 4x4 outputs per invocation; narrower
 * for skinny products), staging 16-deep slices of A and B in workgroup memory so that each
 * loaded element is reused across the tile. Products with few tiles and a long contraction are
 * split along it, and the partial products summed by a one-op reduction (one_op_reduce_axes.ts).
 * @module
 */
import { AdjointError } from "../../core/errors.ts";
import type { DotDims } from "../../core/primitives/dot_general.ts";
import { range, sizeOf, stridesOf } from "../../core/shape.ts";
import { allocFor, type GpuRule } from "./rule.ts";
import type { BufferRef, Kernel } from "./runtime.ts";
import { reduceAxesKernel } from "../lowering/one_op_reduce_axes.ts";
import { viewKernel } from "../lowering/one_op_view.ts";
import { runOneOp } from "./one_op.ts";
import {
  buffer,
  ELEMENT_BYTES,
  type GpuDType,
  KernelParams,
  literal,
  MAX_GROUPS,
  SCALAR,
} from "./wgsl.ts";

/** Largest output tile edge, invocations per tile edge, and contraction slice depth. */
const MAX_TILE = 64, THREADS = 16, DEPTH = 16;

/** Split the contraction when there are fewer tiles than this, into chunks of at least this depth. */
const SPLIT_TILES = 64, SPLIT_DEPTH = 256, MAX_SPLIT = 128;

/** A group of axes flattened to one index: its total size and stride. */
interface Flat {
  size: number;
  stride: number;
}

/** The size and stride of `axes` (in that order) as one index, or null if they do not flatten. */
function flatten(shape: readonly number[], axes: readonly number[]): Flat | null {
  const xs = stridesOf(shape);
  const live = axes.filter((a) => shape[a] !== 1);
  for (let i = 0; i + 1 < live.length; i++) {
    if (xs[live[i]] !== xs[live[i + 1]] * shape[live[i + 1]]) return null;
  }
  const size = sizeOf(axes.map((a) => shape[a]));
  return { size, stride: live.length ? xs[live[live.length - 1]] : 0 };
}

/** An operand viewed as [batch, rows, cols] with one stride per view axis. */
interface Operand {
  buffer: BufferRef;
  batch: Flat;
  rows: Flat;
  cols: Flat;
}

/** The operand's groups, copying it into `[...g0, ...g1, ...g2]` order if they do not flatten. */
function view(
  rt: Parameters<GpuRule>[0],
  x: BufferRef,
  dtype: GpuDType,
  shape: readonly number[],
  groups: [number[], number[], number[]],
  temps: GPUBuffer[],
): Operand {
  const flats = groups.map((g) => flatten(shape, g));
  if (flats.every((f) => f !== null)) {
    const [batch, rows, cols] = flats as Flat[];
    return { buffer: x, batch, rows, cols };
  }
  const order = groups.flat();
  const xs = stridesOf(shape);
  const copy = rt.alloc(sizeOf(shape) * ELEMENT_BYTES);
  temps.push(copy);
  const strides = order.map((a) => xs[a]);
  runOneOp(rt, viewKernel(dtype, order.map((a) => shape[a]), { strides, offset: 0 }), [x], [copy]);
  const sizes = groups.map((g) => sizeOf(g.map((a) => shape[a])));
  return {
    buffer: copy,
    batch: { size: sizes[0], stride: sizes[1] * sizes[2] },
    rows: { size: sizes[1], stride: sizes[2] },
    cols: { size: sizes[2], stride: 1 },
  };
}

/** Tile edge for an output dimension of `n`: 16, 32 or 64, so skinny products waste little. */
function tileFor(n: number): number {
  return n <= THREADS ? THREADS : n <= 2 * THREADS ? 2 * THREADS : MAX_TILE;
}

/**
 * The tiled gemm kernel for the given sizes and operand strides. With `split` > 1 the
 * contraction is cut into `split` chunks computed by separate workgroups, and the output holds
 * `split` partial products `[split, B, M, N]` to be summed.
 */
export function gemmKernel(
  dtype: GpuDType,
  B: number,
  M: number,
  N: number,
  K: number,
  a: { b: number; m: number; k: number },
  b: { b: number; k: number; n: number },
  split = 1,
): Kernel {
  const T = SCALAR[dtype];
  const zero = literal(0, dtype);
  const TM = tileFor(M), TN = tileFor(N);
  const PM = TM / THREADS, PN = TN / THREADS, LANES = THREADS * THREADS;
  const groups: [number, number, number] = [Math.ceil(N / TN), Math.ceil(M / TM), B * split];
  if (groups.some((g) => g > MAX_GROUPS)) {
    throw new AdjointError(
      "dot_general",
      `a ${B}x${M}x${N} product exceeds the webgpu dispatch limit of ${MAX_GROUPS} tiles per axis`,
    );
  }
  const p = new KernelParams();
  const [m_, n_, k_, b_] = [p.uint(M), p.uint(N), p.uint(K), p.uint(B)];
  const source = `${buffer(0, "lhs", dtype)}
${buffer(1, "rhs", dtype)}
${buffer(2, "out", dtype, true)}
${p.declare(3)}
var<workgroup> tileA: array<${T}, ${DEPTH * TM}>;
var<workgroup> tileB: array<${T}, ${DEPTH * TN}>;
@compute @workgroup_size(${THREADS}, ${THREADS})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let M = ${m_};
  let N = ${n_};
  let batch = wid.z % ${b_};
  let chunk = ${p.uint(Math.ceil(K / split / DEPTH) * DEPTH)};
  let kStart = (wid.z / ${b_}) * chunk;
  let K = min(${k_}, kStart + chunk);
  let m0 = wid.y * ${TM}u;
  let n0 = wid.x * ${TN}u;
  let aBase = i32(batch) * ${p.int(a.b)};
  let bBase = i32(batch) * ${p.int(b.b)};
  let aM = ${p.int(a.m)};
  let aK = ${p.int(a.k)};
  let bK = ${p.int(b.k)};
  let bN = ${p.int(b.n)};
  let tid = lid.y * ${THREADS}u + lid.x;
  var acc: array<array<${T}, ${PN}>, ${PM}>;
  for (var i = 0u; i < ${PM}u; i++) {
    for (var j = 0u; j < ${PN}u; j++) { acc[i][j] = ${zero}; }
  }
  for (var k0 = kStart; k0 < K; k0 += ${DEPTH}u) {
    for (var l = 0u; l < ${(DEPTH * TM) / LANES}u; l++) {
      let e = tid + l * ${LANES}u;
      let am = m0 + e / ${DEPTH}u;
      let ak = k0 + e % ${DEPTH}u;
      var va = ${zero};
      if (am < M && ak < K) { va = lhs[aBase + i32(am) * aM + i32(ak) * aK]; }
      tileA[(e % ${DEPTH}u) * ${TM}u + e / ${DEPTH}u] = va;
    }
    for (var l = 0u; l < ${(DEPTH * TN) / LANES}u; l++) {
      let e = tid + l * ${LANES}u;
      let bk = k0 + e / ${TN}u;
      let bn = n0 + e % ${TN}u;
      var vb = ${zero};
      if (bk < K && bn < N) { vb = rhs[bBase + i32(bk) * bK + i32(bn) * bN]; }
      tileB[e] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${DEPTH}u; kk++) {
      var ra: array<${T}, ${PM}>;
      var rb: array<${T}, ${PN}>;
      for (var i = 0u; i < ${PM}u; i++) { ra[i] = tileA[kk * ${TM}u + lid.y + i * ${THREADS}u]; }
      for (var j = 0u; j < ${PN}u; j++) { rb[j] = tileB[kk * ${TN}u + lid.x + j * ${THREADS}u]; }
      for (var i = 0u; i < ${PM}u; i++) {
        for (var j = 0u; j < ${PN}u; j++) { acc[i][j] += ra[i] * rb[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < ${PM}u; i++) {
    let m = m0 + lid.y + i * ${THREADS}u;
    for (var j = 0u; j < ${PN}u; j++) {
      let n = n0 + lid.x + j * ${THREADS}u;
      if (m < M && n < N) { out[(wid.z * M + m) * N + n] = acc[i][j]; }
    }
  }
}`;
  return { source, groups, params: p.values };
}

const dotGeneral: GpuRule = (rt, [x, y], [xa, ya], { dims }, [out]) => {
  const [[xc, yc], [xb, yb]] = dims as DotDims;
  const dtype = out.dtype as GpuDType;
  if (dtype === "bool") {
    throw new AdjointError("dot_general", "no webgpu kernel for bool operands; convert first");
  }
  const xFree = range(xa.ndim).filter((i) => !xc.includes(i) && !xb.includes(i));
  const yFree = range(ya.ndim).filter((i) => !yc.includes(i) && !yb.includes(i));
  const temps: GPUBuffer[] = [];
  const a = view(rt, x, dtype, xa.shape, [xb, xFree, xc], temps);
  const b = view(rt, y, dtype, ya.shape, [yb, yc, yFree], temps);
  const result = allocFor(rt, out);
  const B = a.batch.size, M = a.rows.size, K = a.cols.size, N = b.cols.size;
  const split = splitFor(B * Math.ceil(M / tileFor(M)) * Math.ceil(N / tileFor(N)), K);
  const kernel = gemmKernel(
    dtype,
    B,
    M,
    N,
    K,
    { b: a.batch.stride, m: a.rows.stride, k: a.cols.stride },
    { b: b.batch.stride, k: b.rows.stride, n: b.cols.stride },
    split,
  );
  if (split === 1) {
    rt.run(kernel, [a.buffer, b.buffer, result]);
  } else {
    const partial = rt.alloc(split * out.size * ELEMENT_BYTES);
    temps.push(partial);
    rt.run(kernel, [a.buffer, b.buffer, partial]);
    runOneOp(rt, reduceAxesKernel("add", dtype, [split, out.size], [0]), [partial], [result]);
  }
  temps.forEach((t) => rt.release(t));
  return [result];
};

/**
 * How many chunks to cut the contraction into: products with few output tiles and a long
 * contraction (weight gradients: a small matrix summed over a whole batch) would otherwise run
 * on a handful of workgroups, each looping over all of K.
 */
function splitFor(tiles: number, K: number): number {
  if (tiles >= SPLIT_TILES || K < 2 * SPLIT_DEPTH) return 1;
  return Math.min(Math.floor(K / SPLIT_DEPTH), Math.ceil(SPLIT_TILES / tiles), MAX_SPLIT);
}

/** WebGPU rule of dot_general. */
export const contractionRules: Record<"dot_general", GpuRule> = { dot_general: dotGeneral };
