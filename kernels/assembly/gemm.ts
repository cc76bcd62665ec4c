/**
 * General matrix multiply `C[b] = A[b] · B[b]` for f32 and f64, BLIS style: B is packed into
 * KC x NR column panels, A into MR x KC row panels, and a register-blocked micro-kernel computes
 * one MR x NR tile of C with `relaxed_madd` (fused multiply-add where the CPU has it). A and B are
 * read through arbitrary row and column strides, so every transposition variant packs straight
 * from the operand without materialising a transpose. Edge tiles of any size are computed on
 * zero-padded panels (by half-size micro-kernels when they have at most half the rows or
 * columns) and copied out. A product of few rows reads B's full column panels in place when B's
 * columns are contiguous: packing would cost more than its few uses save. C is dense row-major;
 * each batch is `m * n` elements.
 *
 * An optional epilogue finishes each tile while it is in L1, after its last depth block:
 * `C = act(C + E)` with `E` an addend read through (batch, row, column) element strides (a bias
 * broadcast along rows or columns, or a full matrix) and `act` the identity or relu.
 */

/** Rows of a micro-tile. */
const MR: i32 = 6;
/** Depth of a packed block: a B micro-panel (KC x NR) stays in L1 across the A panels. */
const KC: i32 = 256;
/** Rows of a packed A block (a multiple of MR), sized to stay in L2. */
const MC: i32 = 96;
/** Rows up to which a gemm reads B's full column panels in place instead of packing them. */
const DIRECT_B_ROWS: i32 = 48;
/** Columns of a packed B block. */
const NC: i32 = 2048;

/** Lanes of one v128 of T. */
// @ts-ignore: decorator
@inline function lanes<T>(): i32 {
  return 16 / sizeof<T>();
}

/** Columns of a micro-tile: two vectors. */
// @ts-ignore: decorator
@inline function nr<T>(): i32 {
  return 2 * lanes<T>();
}

/**
 * Stores the transpose of four f32 vectors (rows of four consecutive k) as four vectors at
 * `out`, `out + stride`, ...: vector q holds element q of each row.
 */
// @ts-ignore: decorator
@inline function storeTransposed4x4(r0: v128, r1: v128, r2: v128, r3: v128, out: usize, stride: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(out, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(out + stride, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(out + 2 * stride, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(out + 3 * stride, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/** Stores pairs (element q of two f32 rows) at `out + q * stride`, for q = 0..3. */
// @ts-ignore: decorator
@inline function storeTransposed2x4(r0: v128, r1: v128, out: usize, stride: usize): void {
  const lo = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const hi = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  v128.store64_lane(out, lo, 0);
  v128.store64_lane(out + stride, lo, 1);
  v128.store64_lane(out + 2 * stride, hi, 0);
  v128.store64_lane(out + 3 * stride, hi, 1);
}

/**
 * Packs rows `[0, mc)` x columns `[0, kc)` of A (element strides `rs`, `cs`) into MR-row panels:
 * `dst[(panel * kc + k) * MR + r]`, zero-padding the last panel (filled first, then only its
 * rows copied). f32 rows that are contiguous in k are transposed four k at a time in registers.
 */
function packA<T>(a: usize, rs: i32, cs: i32, mc: i32, kc: i32, dst: usize): void {
  const size = <i32>sizeof<T>();
  const rowBytes = <usize>(rs * size);
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    const panel = dst + <usize>(i * kc * size);
    const src = a + <usize>(i * rs * size);
    let k = 0;
    if (rows == MR && cs == 1 && size == 4) {
      for (; k + 4 <= kc; k += 4) {
        const p = src + <usize>(k << 2);
        const out = panel + <usize>(k * MR << 2);
        storeTransposed4x4(
          v128.load(p), v128.load(p + rowBytes), v128.load(p + 2 * rowBytes),
          v128.load(p + 3 * rowBytes), out, 24,
        );
        storeTransposed2x4(v128.load(p + 4 * rowBytes), v128.load(p + 5 * rowBytes), out + 16, 24);
      }
    } else if (rows == MR && rs == 1 && size == 4) {
      for (; k < kc; k++) {
        const p = src + <usize>(k * cs << 2);
        const out = panel + <usize>(k * MR << 2);
        v128.store(out, v128.load(p));
        store<u64>(out + 16, load<u64>(p + 16));
      }
    }
    if (rows < MR) memory.fill(panel, 0, <usize>(kc * MR * size));
    for (; k < kc; k++) {
      const out = panel + <usize>(k * MR * size);
      for (let r = 0; r < rows; r++) {
        store<T>(out + <usize>(r * size), load<T>(src + <usize>((r * rs + k * cs) * size)));
      }
    }
  }
}

/**
 * Packs rows `[0, kc)` x columns `[0, nc)` of B (element strides `rs`, `cs`) into NR-column
 * panels: `dst[(panel * kc + k) * NR + c]`, zero-padding the last panel. f32 columns that are
 * contiguous in k (a transposed B) are transposed four k at a time in registers.
 */
function packB<T>(b: usize, rs: i32, cs: i32, kc: i32, nc: i32, dst: usize): void {
  const size = <i32>sizeof<T>();
  const NR = nr<T>();
  const colBytes = <usize>(cs * size);
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    const panel = dst + <usize>(j * kc * size);
    const src = b + <usize>(j * cs * size);
    let k = 0;
    if (cols == NR && cs == 1) {
      for (; k < kc; k++) {
        const p = src + <usize>(k * rs * size);
        const out = panel + <usize>(k * NR * size);
        v128.store(out, v128.load(p));
        v128.store(out + 16, v128.load(p + 16));
      }
    } else if (cols == NR && rs == 1 && size == 4) {
      for (; k + 4 <= kc; k += 4) {
        const p = src + <usize>(k << 2);
        const out = panel + <usize>(k * NR << 2);
        storeTransposed4x4(
          v128.load(p), v128.load(p + colBytes), v128.load(p + 2 * colBytes),
          v128.load(p + 3 * colBytes), out, 32,
        );
        storeTransposed4x4(
          v128.load(p + 4 * colBytes), v128.load(p + 5 * colBytes),
          v128.load(p + 6 * colBytes), v128.load(p + 7 * colBytes), out + 16, 32,
        );
      }
    }
    if (cols < NR) memory.fill(panel, 0, <usize>(kc * NR * size));
    for (; k < kc; k++) {
      const out = panel + <usize>(k * NR * size);
      for (let c = 0; c < cols; c++) {
        store<T>(out + <usize>(c * size), load<T>(src + <usize>((k * rs + c * cs) * size)));
      }
    }
  }
}

/**
 * The micro-kernel: `C[0:MR, 0:NR] (+)= Apanel · Bpanel` over depth `kc`, with C at `c` and a
 * row stride of `ldc` bytes. Twelve accumulators stay in registers for the whole loop, which is
 * unrolled four times. Addresses are `p + constant`: load offset immediates measured no faster,
 * and neither did turning V8's memory bounds checks off (`--no-wasm-bounds-checks`), so the loop
 * is not bound by address arithmetic or checks.
 */
// @ts-ignore: decorator
@inline function microKernel<T>(kc: i32, pa: usize, pb: usize, bStep: usize, c: usize, ldc: usize, acc: bool): void {
  const size = <usize>sizeof<T>();
  const b2 = 2 * bStep, b3 = 3 * bStep, b4 = 4 * bStep;
  let c00 = v128.splat<T>(<T>0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  let c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  let a = c00, b0 = c00, b1 = c00;
  let k = 0;
  for (; k + 4 <= kc; k += 4) {
    b0 = v128.load(pb + 0);
    b1 = v128.load(pb + 16);
    a = v128.load_splat<T>(pa);
    c00 = v128.relaxed_madd<T>(a, b0, c00);
    c01 = v128.relaxed_madd<T>(a, b1, c01);
    a = v128.load_splat<T>(pa + 1 * size);
    c10 = v128.relaxed_madd<T>(a, b0, c10);
    c11 = v128.relaxed_madd<T>(a, b1, c11);
    a = v128.load_splat<T>(pa + 2 * size);
    c20 = v128.relaxed_madd<T>(a, b0, c20);
    c21 = v128.relaxed_madd<T>(a, b1, c21);
    a = v128.load_splat<T>(pa + 3 * size);
    c30 = v128.relaxed_madd<T>(a, b0, c30);
    c31 = v128.relaxed_madd<T>(a, b1, c31);
    a = v128.load_splat<T>(pa + 4 * size);
    c40 = v128.relaxed_madd<T>(a, b0, c40);
    c41 = v128.relaxed_madd<T>(a, b1, c41);
    a = v128.load_splat<T>(pa + 5 * size);
    c50 = v128.relaxed_madd<T>(a, b0, c50);
    c51 = v128.relaxed_madd<T>(a, b1, c51);
    b0 = v128.load(pb + bStep);
    b1 = v128.load(pb + bStep + 16);
    a = v128.load_splat<T>(pa + 6 * size);
    c00 = v128.relaxed_madd<T>(a, b0, c00);
    c01 = v128.relaxed_madd<T>(a, b1, c01);
    a = v128.load_splat<T>(pa + 7 * size);
    c10 = v128.relaxed_madd<T>(a, b0, c10);
    c11 = v128.relaxed_madd<T>(a, b1, c11);
    a = v128.load_splat<T>(pa + 8 * size);
    c20 = v128.relaxed_madd<T>(a, b0, c20);
    c21 = v128.relaxed_madd<T>(a, b1, c21);
    a = v128.load_splat<T>(pa + 9 * size);
    c30 = v128.relaxed_madd<T>(a, b0, c30);
    c31 = v128.relaxed_madd<T>(a, b1, c31);
    a = v128.load_splat<T>(pa + 10 * size);
    c40 = v128.relaxed_madd<T>(a, b0, c40);
    c41 = v128.relaxed_madd<T>(a, b1, c41);
    a = v128.load_splat<T>(pa + 11 * size);
    c50 = v128.relaxed_madd<T>(a, b0, c50);
    c51 = v128.relaxed_madd<T>(a, b1, c51);
    b0 = v128.load(pb + b2);
    b1 = v128.load(pb + b2 + 16);
    a = v128.load_splat<T>(pa + 12 * size);
    c00 = v128.relaxed_madd<T>(a, b0, c00);
    c01 = v128.relaxed_madd<T>(a, b1, c01);
    a = v128.load_splat<T>(pa + 13 * size);
    c10 = v128.relaxed_madd<T>(a, b0, c10);
    c11 = v128.relaxed_madd<T>(a, b1, c11);
    a = v128.load_splat<T>(pa + 14 * size);
    c20 = v128.relaxed_madd<T>(a, b0, c20);
    c21 = v128.relaxed_madd<T>(a, b1, c21);
    a = v128.load_splat<T>(pa + 15 * size);
    c30 = v128.relaxed_madd<T>(a, b0, c30);
    c31 = v128.relaxed_madd<T>(a, b1, c31);
    a = v128.load_splat<T>(pa + 16 * size);
    c40 = v128.relaxed_madd<T>(a, b0, c40);
    c41 = v128.relaxed_madd<T>(a, b1, c41);
    a = v128.load_splat<T>(pa + 17 * size);
    c50 = v128.relaxed_madd<T>(a, b0, c50);
    c51 = v128.relaxed_madd<T>(a, b1, c51);
    b0 = v128.load(pb + b3);
    b1 = v128.load(pb + b3 + 16);
    a = v128.load_splat<T>(pa + 18 * size);
    c00 = v128.relaxed_madd<T>(a, b0, c00);
    c01 = v128.relaxed_madd<T>(a, b1, c01);
    a = v128.load_splat<T>(pa + 19 * size);
    c10 = v128.relaxed_madd<T>(a, b0, c10);
    c11 = v128.relaxed_madd<T>(a, b1, c11);
    a = v128.load_splat<T>(pa + 20 * size);
    c20 = v128.relaxed_madd<T>(a, b0, c20);
    c21 = v128.relaxed_madd<T>(a, b1, c21);
    a = v128.load_splat<T>(pa + 21 * size);
    c30 = v128.relaxed_madd<T>(a, b0, c30);
    c31 = v128.relaxed_madd<T>(a, b1, c31);
    a = v128.load_splat<T>(pa + 22 * size);
    c40 = v128.relaxed_madd<T>(a, b0, c40);
    c41 = v128.relaxed_madd<T>(a, b1, c41);
    a = v128.load_splat<T>(pa + 23 * size);
    c50 = v128.relaxed_madd<T>(a, b0, c50);
    c51 = v128.relaxed_madd<T>(a, b1, c51);
    pa += 24 * size;
    pb += b4;
  }
  for (; k < kc; k++) {
    b0 = v128.load(pb + 0);
    b1 = v128.load(pb + 16);
    a = v128.load_splat<T>(pa);
    c00 = v128.relaxed_madd<T>(a, b0, c00);
    c01 = v128.relaxed_madd<T>(a, b1, c01);
    a = v128.load_splat<T>(pa + 1 * size);
    c10 = v128.relaxed_madd<T>(a, b0, c10);
    c11 = v128.relaxed_madd<T>(a, b1, c11);
    a = v128.load_splat<T>(pa + 2 * size);
    c20 = v128.relaxed_madd<T>(a, b0, c20);
    c21 = v128.relaxed_madd<T>(a, b1, c21);
    a = v128.load_splat<T>(pa + 3 * size);
    c30 = v128.relaxed_madd<T>(a, b0, c30);
    c31 = v128.relaxed_madd<T>(a, b1, c31);
    a = v128.load_splat<T>(pa + 4 * size);
    c40 = v128.relaxed_madd<T>(a, b0, c40);
    c41 = v128.relaxed_madd<T>(a, b1, c41);
    a = v128.load_splat<T>(pa + 5 * size);
    c50 = v128.relaxed_madd<T>(a, b0, c50);
    c51 = v128.relaxed_madd<T>(a, b1, c51);
    pa += 6 * size;
    pb += bStep;
  }
  if (acc) {
    c00 = v128.add<T>(c00, v128.load(c));
    c01 = v128.add<T>(c01, v128.load(c + 16));
    c10 = v128.add<T>(c10, v128.load(c + ldc));
    c11 = v128.add<T>(c11, v128.load(c + ldc + 16));
    c20 = v128.add<T>(c20, v128.load(c + 2 * ldc));
    c21 = v128.add<T>(c21, v128.load(c + 2 * ldc + 16));
    c30 = v128.add<T>(c30, v128.load(c + 3 * ldc));
    c31 = v128.add<T>(c31, v128.load(c + 3 * ldc + 16));
    c40 = v128.add<T>(c40, v128.load(c + 4 * ldc));
    c41 = v128.add<T>(c41, v128.load(c + 4 * ldc + 16));
    c50 = v128.add<T>(c50, v128.load(c + 5 * ldc));
    c51 = v128.add<T>(c51, v128.load(c + 5 * ldc + 16));
  }
  v128.store(c, c00);
  v128.store(c + 16, c01);
  v128.store(c + ldc, c10);
  v128.store(c + ldc + 16, c11);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc + 16, c21);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc + 16, c31);
  v128.store(c + 4 * ldc, c40);
  v128.store(c + 4 * ldc + 16, c41);
  v128.store(c + 5 * ldc, c50);
  v128.store(c + 5 * ldc + 16, c51);
}

/**
 * The micro-kernel for an edge tile of at most NR / 2 columns: `C[0:MR, 0:NR/2] = Apanel · Bpanel`
 * over depth `kc`, reading only the first vector of each packed B row, so a narrow last column
 * panel (a filter gradient's 25 columns end in one) costs half a full tile.
 */
// @ts-ignore: decorator
@inline function microKernelHalf<T>(kc: i32, pa: usize, pb: usize, bStep: usize, c: usize, ldc: usize): void {
  const size = <usize>sizeof<T>();
  let c0 = v128.splat<T>(<T>0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  for (let k = 0; k < kc; k++) {
    const b = v128.load(pb);
    c0 = v128.relaxed_madd<T>(v128.load_splat<T>(pa), b, c0);
    c1 = v128.relaxed_madd<T>(v128.load_splat<T>(pa + size), b, c1);
    c2 = v128.relaxed_madd<T>(v128.load_splat<T>(pa + 2 * size), b, c2);
    c3 = v128.relaxed_madd<T>(v128.load_splat<T>(pa + 3 * size), b, c3);
    c4 = v128.relaxed_madd<T>(v128.load_splat<T>(pa + 4 * size), b, c4);
    c5 = v128.relaxed_madd<T>(v128.load_splat<T>(pa + 5 * size), b, c5);
    pa += 6 * size;
    pb += bStep;
  }
  v128.store(c, c0);
  v128.store(c + ldc, c1);
  v128.store(c + 2 * ldc, c2);
  v128.store(c + 3 * ldc, c3);
  v128.store(c + 4 * ldc, c4);
  v128.store(c + 5 * ldc, c5);
}

/**
 * The micro-kernel for an edge tile of at most MR / 2 rows: `C[0:MR/2, 0:NR] = Apanel · Bpanel`
 * over depth `kc`, reading the first three rows of each packed A column, so a short last row
 * panel (a 20-row product ends in 2 rows) costs half a full tile.
 */
// @ts-ignore: decorator
@inline function microKernelTop<T>(kc: i32, pa: usize, pb: usize, bStep: usize, c: usize, ldc: usize): void {
  const size = <usize>sizeof<T>();
  let c00 = v128.splat<T>(<T>0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb + 16);
    let a = v128.load_splat<T>(pa);
    c00 = v128.relaxed_madd<T>(a, b0, c00);
    c01 = v128.relaxed_madd<T>(a, b1, c01);
    a = v128.load_splat<T>(pa + size);
    c10 = v128.relaxed_madd<T>(a, b0, c10);
    c11 = v128.relaxed_madd<T>(a, b1, c11);
    a = v128.load_splat<T>(pa + 2 * size);
    c20 = v128.relaxed_madd<T>(a, b0, c20);
    c21 = v128.relaxed_madd<T>(a, b1, c21);
    pa += 6 * size;
    pb += bStep;
  }
  v128.store(c, c00);
  v128.store(c + 16, c01);
  v128.store(c + ldc, c10);
  v128.store(c + ldc + 16, c11);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc + 16, c21);
}

/** Activation codes of an epilogue. */
const ACT_NONE: i32 = 0;
const ACT_RELU: i32 = 1;

/** `v + E`, then the activation, on one vector (NaN-propagating max, as the max primitive). */
// @ts-ignore: decorator
@inline function finish<T>(v: v128, add: v128, hasAddend: bool, act: i32): v128 {
  if (hasAddend) v = v128.add<T>(v, add);
  if (act == ACT_RELU) v = v128.max<T>(v, v128.splat<T>(<T>0));
  return v;
}

/**
 * Applies the epilogue to rows `[0, rows)` x columns `[0, cols)` of C at `c` (row stride `ldc`
 * bytes), whose element (0, 0) reads the addend at `e`.
 */
function applyEpilogue<T>(c: usize, ldc: usize, rows: i32, cols: i32, e: usize, ers: i32, ecs: i32, act: i32): void {
  const size = <usize>sizeof<T>();
  const L = lanes<T>();
  const hasAddend = e != 0;
  for (let r = 0; r < rows; r++) {
    const row = c + <usize>r * ldc;
    const erow = e + <usize>(r * ers) * size;
    let q = 0;
    if (!hasAddend || ecs == 0 || ecs == 1) {
      const splat = hasAddend && ecs == 0 ? v128.splat<T>(load<T>(erow)) : v128.splat<T>(<T>0);
      for (; q + L <= cols; q += L) {
        const at = row + <usize>q * size;
        const add = hasAddend && ecs == 1 ? v128.load(erow + <usize>q * size) : splat;
        v128.store(at, finish<T>(v128.load(at), add, hasAddend, act));
      }
    }
    for (; q < cols; q++) {
      const at = row + <usize>q * size;
      let v = load<T>(at);
      if (hasAddend) v += load<T>(erow + <usize>(q * ecs) * size);
      if (act == ACT_RELU) v = max<T>(v, <T>0);
      store<T>(at, v);
    }
  }
}

/** Bytes of workspace `gemm` needs for elements of `size` bytes: packed A, packed B, one tile. */
function workspaceBytes(size: i32): i32 {
  return (MC * KC + KC * NC + MR * 2 * (16 / size)) * size;
}

/**
 * One product `C = act(A · B + E)` of a batch; `ws` is a workspace of `workspaceBytes` bytes; `e`
 * (0: no addend) is E's element (0, 0).
 */
function gemmOne<T>(
  a: usize, ars: i32, acs: i32,
  b: usize, brs: i32, bcs: i32,
  c: usize, m: i32, n: i32, k: i32, ws: usize,
  e: usize, ers: i32, ecs: i32, act: i32,
): void {
  const size = <i32>sizeof<T>();
  const NR = nr<T>();
  const ldc = <usize>n * size;
  const finishing = e != 0 || act != ACT_NONE;
  if (k == 0) {
    memory.fill(c, 0, <usize>(m * n) * size);
    if (finishing) applyEpilogue<T>(c, ldc, m, n, e, ers, ecs, act);
    return;
  }
  const pa = ws;
  const pb = ws + <usize>(MC * KC) * size;
  const tile = pb + <usize>(KC * NC) * size;
  const tileLd = <usize>NR * size;
  // Depth blocks of equal size (at most KC): no short last block paying a whole pass over C.
  const kcStep = (k + (k + KC - 1) / KC - 1) / ((k + KC - 1) / KC);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcStep) {
      const kc = min(kcStep, k - pc);
      const acc = pc > 0;
      const last = finishing && pc + kc == k;
      // Few rows: each B panel serves few A panels, so full panels are read in place, not packed.
      const direct = bcs == 1 && m <= DIRECT_B_ROWS;
      const edge = nc % NR;
      if (!direct) packB<T>(b + <usize>(pc * brs + jc * bcs) * size, brs, bcs, kc, nc, pb);
      else if (edge) packB<T>(b + <usize>(pc * brs + jc + nc - edge) * size, brs, bcs, kc, edge, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA<T>(a + <usize>(ic * ars + pc * acs) * size, ars, acs, mc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const inPlace = direct && cols == NR;
          const bp = inPlace ? b + <usize>(pc * brs + jc + jr) * size : direct ? pb : pb + <usize>(jr * kc) * size;
          const bStep = inPlace ? <usize>(brs * size) : <usize>(NR * size);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const ap = pa + <usize>(ir * kc) * size;
            const cp = c + <usize>(ic + ir) * ldc + <usize>(jc + jr) * size;
            if (rows == MR && cols == NR) {
              microKernel<T>(kc, ap, bp, bStep, cp, ldc, acc);
            } else {
              if (rows * 2 <= MR) microKernelTop<T>(kc, ap, bp, bStep, tile, tileLd);
              else if (cols * 2 <= NR) microKernelHalf<T>(kc, ap, bp, bStep, tile, tileLd);
              else microKernel<T>(kc, ap, bp, bStep, tile, tileLd, false);
              for (let r = 0; r < rows; r++) {
                for (let q = 0; q < cols; q++) {
                  const dst = cp + <usize>r * ldc + <usize>q * size;
                  const v = load<T>(tile + <usize>r * tileLd + <usize>q * size);
                  store<T>(dst, acc ? load<T>(dst) + v : v);
                }
              }
            }
            if (last) {
              const et = e == 0 ? 0 : e + <usize>((ic + ir) * ers + (jc + jr) * ecs) * size;
              applyEpilogue<T>(cp, ldc, rows, cols, et, ers, ecs, act);
            }
          }
        }
      }
    }
  }
}

function gemmBatch<T>(
  batch: i32,
  a: usize, abs: i32, ars: i32, acs: i32,
  b: usize, bbs: i32, brs: i32, bcs: i32,
  c: usize, m: i32, n: i32, k: i32, ws: usize, r0: i32, r1: i32,
  e: usize, ebs: i32, ers: i32, ecs: i32, act: i32,
): void {
  const size = <i32>sizeof<T>();
  for (let i = 0; i < batch; i++) {
    gemmOne<T>(
      a + <usize>(i * abs + r0 * ars) * size, ars, acs,
      b + <usize>(i * bbs) * size, brs, bcs,
      c + <usize>(i * m * n + r0 * n) * size, r1 - r0, n, k, ws,
      e == 0 ? 0 : e + <usize>(i * ebs + r0 * ers) * size, ers, ecs, act,
    );
  }
}

/** Workspace bytes `gemm_f32` needs. */
export function gemm_f32_workspace(): i32 {
  return workspaceBytes(4);
}

/** Workspace bytes `gemm_f64` needs. */
export function gemm_f64_workspace(): i32 {
  return workspaceBytes(8);
}

/**
 * Batched f32 gemm: for each of `batch` products, rows `[r0, r1)` of
 * `C[m x n] = act(A[m x k] · B[k x n] + E)` where A is read at `a + i*abs + r*ars + q*acs`
 * (elements), B and the addend E likewise (`e` = 0: no addend; `act` 0: identity, 1: relu); C is
 * dense. Threads compute disjoint row ranges of the same product, each with its own workspace
 * `ws`.
 */
export function gemm_f32(
  batch: i32,
  a: usize, abs: i32, ars: i32, acs: i32,
  b: usize, bbs: i32, brs: i32, bcs: i32,
  c: usize, m: i32, n: i32, k: i32, ws: usize, r0: i32, r1: i32,
  e: usize, ebs: i32, ers: i32, ecs: i32, act: i32,
): void {
  gemmBatch<f32>(batch, a, abs, ars, acs, b, bbs, brs, bcs, c, m, n, k, ws, r0, r1, e, ebs, ers, ecs, act);
}

/** Batched f64 gemm; arguments as `gemm_f32`. */
export function gemm_f64(
  batch: i32,
  a: usize, abs: i32, ars: i32, acs: i32,
  b: usize, bbs: i32, brs: i32, bcs: i32,
  c: usize, m: i32, n: i32, k: i32, ws: usize, r0: i32, r1: i32,
  e: usize, ebs: i32, ers: i32, ecs: i32, act: i32,
): void {
  gemmBatch<f64>(batch, a, abs, ars, acs, b, bbs, brs, bcs, c, m, n, k, ws, r0, r1, e, ebs, ers, ecs, act);
}

/**
 * The epilogue of a gemm alone, over a dense `m x n` f32 matrix at `c`: `C = act(C + E)` (E at
 * `e` with row and column element strides; `e` = 0: none). For products whose depth was split
 * over threads and summed afterwards.
 */
export function gemm_epilogue_f32(c: usize, m: i32, n: i32, e: usize, ers: i32, ecs: i32, act: i32): void {
  applyEpilogue<f32>(c, <usize>(n << 2), m, n, e, ers, ecs, act);
}

/** The epilogue of an f64 gemm alone; arguments as `gemm_epilogue_f32`. */
export function gemm_epilogue_f64(c: usize, m: i32, n: i32, e: usize, ers: i32, ecs: i32, act: i32): void {
  applyEpilogue<f64>(c, <usize>(n << 3), m, n, e, ers, ecs, act);
}
