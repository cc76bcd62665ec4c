/**
 * General matrix multiply `C[b] = A[b] · B[b]` for f32 and f64, BLIS style: B is packed into
 * KC x NR column panels, A into MR x KC row panels, and a register-blocked micro-kernel computes
 * one MR x NR tile of C with `relaxed_madd` (fused multiply-add where the CPU has it). A and B are
 * read through arbitrary row and column strides, so every transposition variant packs straight
 * from the operand without materialising a transpose. Edge tiles of any size are computed on
 * zero-padded panels (by half-size micro-kernels when they have at most half the rows or
 * columns) and copied out. A product of few rows reads B's full column panels in place when B's
 * columns are contiguous and its rows close together: packing would cost more than its few uses
 * save. C is row-major with a given row length (the product's width, or more for a column range
 * of a wider product).
 *
 * An optional epilogue finishes the product after its last depth block: `C = act(C + E)` with
 * `E` an addend read through (batch, row, column) element strides (a bias broadcast along rows or
 * columns, or a full matrix) and `act` the identity or relu. A bias is applied to each tile while
 * it is in L1, a full matrix row by row over each finished block of rows.
 */

/**
 * Depth of a packed block: a B micro-panel (KC x NR, 16 KiB) stays in L1 across the A panels, and
 * each depth block is one pass over C (512 measured 2-3% faster than 256 on 1024^3 and the MLP).
 */
const KC: i32 = 512;
/** Rows of a packed A block (a multiple of both micro-tile heights), sized to stay in L2. */
const MC: i32 = 96;
/** Rows up to which a gemm reads B's full column panels in place instead of packing them... */
const DIRECT_B_ROWS: i32 = 48;
/**
 * ...when B's rows are at most this many bytes apart (a narrow B: a filter gradient's 25 or 250
 * columns). Farther apart, a panel's k steps each read another cache line far from the last and
 * prefetching fails: interleaved, with B row-major, 32x1024x1024 ran 21 GF/s in place against 35
 * packed and 10x25x36864 11 against 16, while 10x36864x25 ran 12-16 in place against 10-14.
 */
const DIRECT_B_STRIDE: i32 = 1024;
/** Columns of a packed B block. */
const NC: i32 = 1024;

/** Lanes of one v128 of T. */
// @ts-ignore: decorator
@inline function lanes<T>(): i32 {
  return 16 / sizeof<T>();
}

/**
 * Rows of a micro-tile: 4 for f32, whose micro-kernel reads the four rows of A as one vector and
 * rotates it; 6 for f64, whose micro-kernel splats each row's element.
 */
// @ts-ignore: decorator
@inline function mr<T>(): i32 {
  return sizeof<T>() == 4 ? 4 : 6;
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

/**
 * Packs rows `[0, mc)` x columns `[0, kc)` of A (element strides `rs`, `cs`) into MR-row panels:
 * `dst[(panel * kc + k) * MR + r]`, zero-padding the last panel (filled first, then only its
 * rows copied). f32 rows that are contiguous in k are transposed four k at a time in registers.
 */
function packA<T>(a: usize, rs: i32, cs: i32, mc: i32, kc: i32, dst: usize): void {
  const size = <i32>sizeof<T>();
  const MR = mr<T>();
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
          v128.load(p + 3 * rowBytes), out, 16,
        );
      }
    } else if (rows == MR && rs == 1 && size == 4) {
      for (; k < kc; k++) {
        const p = src + <usize>(k * cs << 2);
        v128.store(panel + <usize>(k * MR << 2), v128.load(p));
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
 * Stores (or adds into C when `acc`) the 4x4 block held by rotated accumulators: lane `i` of
 * `c_j` is element `((i + j) % 4, i)` of the block. Row `r` takes lane `i` from `c_{(r - i) % 4}`,
 * gathered by two levels of shuffles.
 */
// @ts-ignore: decorator
@inline function storeUnrotated(c0: v128, c1: v128, c2: v128, c3: v128, c: usize, ldc: usize, acc: bool): void {
  const u0 = i32x4.shuffle(c0, c2, 0, 1, 6, 7);
  const u1 = i32x4.shuffle(c1, c3, 0, 1, 6, 7);
  const u2 = i32x4.shuffle(c2, c0, 0, 1, 6, 7);
  const u3 = i32x4.shuffle(c3, c1, 0, 1, 6, 7);
  let r0 = i32x4.shuffle(u0, u3, 0, 5, 2, 7);
  let r1 = i32x4.shuffle(u1, u0, 0, 5, 2, 7);
  let r2 = i32x4.shuffle(u2, u1, 0, 5, 2, 7);
  let r3 = i32x4.shuffle(u3, u2, 0, 5, 2, 7);
  if (acc) {
    r0 = f32x4.add(r0, v128.load(c));
    r1 = f32x4.add(r1, v128.load(c + ldc));
    r2 = f32x4.add(r2, v128.load(c + 2 * ldc));
    r3 = f32x4.add(r3, v128.load(c + 3 * ldc));
  }
  v128.store(c, r0);
  v128.store(c + ldc, r1);
  v128.store(c + 2 * ldc, r2);
  v128.store(c + 3 * ldc, r3);
}

/**
 * The f32 micro-kernel: `C[0:4, 0:8] (+)= Apanel · Bpanel` over depth `kc`, with C at `c` and a
 * row stride of `ldc` bytes. Each step loads the four rows' A elements as one vector and
 * multiplies it, rotated by 0-3 lanes, with both B vectors: eight accumulators hold the tile's
 * diagonals and are unrotated once at the end. Three loads per eight multiply-adds, where
 * splatting each row's element costs six loads per eight: V8 bounds-checks every wasm load, so
 * loads, not multiply-adds, bound a splatting kernel. Each element still sums its products in
 * k order. The loop is not unrolled: TurboFan hoists the loads of unrolled steps ahead of their
 * multiply-adds and spills accumulators to the stack (half the speed, measured).
 */
// @ts-ignore: decorator
@inline function microKernelF32(kc: i32, pa: usize, pb: usize, bStep: usize, c: usize, ldc: usize, acc: bool): void {
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, d0 = c0, d1 = c0, d2 = c0, d3 = c0;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb + 16);
    const a = v128.load(pa);
    c0 = f32x4.relaxed_madd(a, b0, c0);
    d0 = f32x4.relaxed_madd(a, b1, d0);
    let r = i32x4.shuffle(a, a, 1, 2, 3, 0);
    c1 = f32x4.relaxed_madd(r, b0, c1);
    d1 = f32x4.relaxed_madd(r, b1, d1);
    r = i32x4.shuffle(a, a, 2, 3, 0, 1);
    c2 = f32x4.relaxed_madd(r, b0, c2);
    d2 = f32x4.relaxed_madd(r, b1, d2);
    r = i32x4.shuffle(a, a, 3, 0, 1, 2);
    c3 = f32x4.relaxed_madd(r, b0, c3);
    d3 = f32x4.relaxed_madd(r, b1, d3);
    pa += 16;
    pb += bStep;
  }
  storeUnrotated(c0, c1, c2, c3, c, ldc, acc);
  storeUnrotated(d0, d1, d2, d3, c + 16, ldc, acc);
}

/**
 * The f64 micro-kernel: `C[0:6, 0:4] (+)= Apanel · Bpanel` over depth `kc`, with C at `c` and a
 * row stride of `ldc` bytes; twelve accumulators, each step splatting the six rows' A elements.
 */
// @ts-ignore: decorator
@inline function microKernelF64(kc: i32, pa: usize, pb: usize, bStep: usize, c: usize, ldc: usize, acc: bool): void {
  let c00 = f64x2.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  let c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb + 16);
    let a = v128.load64_splat(pa);
    c00 = f64x2.relaxed_madd(a, b0, c00);
    c01 = f64x2.relaxed_madd(a, b1, c01);
    a = v128.load64_splat(pa + 8);
    c10 = f64x2.relaxed_madd(a, b0, c10);
    c11 = f64x2.relaxed_madd(a, b1, c11);
    a = v128.load64_splat(pa + 16);
    c20 = f64x2.relaxed_madd(a, b0, c20);
    c21 = f64x2.relaxed_madd(a, b1, c21);
    a = v128.load64_splat(pa + 24);
    c30 = f64x2.relaxed_madd(a, b0, c30);
    c31 = f64x2.relaxed_madd(a, b1, c31);
    a = v128.load64_splat(pa + 32);
    c40 = f64x2.relaxed_madd(a, b0, c40);
    c41 = f64x2.relaxed_madd(a, b1, c41);
    a = v128.load64_splat(pa + 40);
    c50 = f64x2.relaxed_madd(a, b0, c50);
    c51 = f64x2.relaxed_madd(a, b1, c51);
    pa += 48;
    pb += bStep;
  }
  if (acc) {
    c00 = f64x2.add(c00, v128.load(c));
    c01 = f64x2.add(c01, v128.load(c + 16));
    c10 = f64x2.add(c10, v128.load(c + ldc));
    c11 = f64x2.add(c11, v128.load(c + ldc + 16));
    c20 = f64x2.add(c20, v128.load(c + 2 * ldc));
    c21 = f64x2.add(c21, v128.load(c + 2 * ldc + 16));
    c30 = f64x2.add(c30, v128.load(c + 3 * ldc));
    c31 = f64x2.add(c31, v128.load(c + 3 * ldc + 16));
    c40 = f64x2.add(c40, v128.load(c + 4 * ldc));
    c41 = f64x2.add(c41, v128.load(c + 4 * ldc + 16));
    c50 = f64x2.add(c50, v128.load(c + 5 * ldc));
    c51 = f64x2.add(c51, v128.load(c + 5 * ldc + 16));
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

/** The micro-kernel of T for a full `mr x nr` tile. */
// @ts-ignore: decorator
@inline function microKernel<T>(kc: i32, pa: usize, pb: usize, bStep: usize, c: usize, ldc: usize, acc: bool): void {
  if (sizeof<T>() == 4) microKernelF32(kc, pa, pb, bStep, c, ldc, acc);
  else microKernelF64(kc, pa, pb, bStep, c, ldc, acc);
}

/**
 * The micro-kernel for an edge tile of at most NR / 2 columns: `C[0:MR, 0:NR/2] = Apanel · Bpanel`
 * over depth `kc`, reading only the first vector of each packed B row, so a narrow last column
 * panel (a filter gradient's 25 columns end in one) costs half a full tile. f32 rotates A as the
 * full micro-kernel does; f64 splats its six rows.
 */
// @ts-ignore: decorator
@inline function microKernelHalf<T>(kc: i32, pa: usize, pb: usize, bStep: usize, c: usize, ldc: usize): void {
  if (sizeof<T>() == 4) {
    let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
    for (let k = 0; k < kc; k++) {
      const b = v128.load(pb);
      const a = v128.load(pa);
      c0 = f32x4.relaxed_madd(a, b, c0);
      c1 = f32x4.relaxed_madd(i32x4.shuffle(a, a, 1, 2, 3, 0), b, c1);
      c2 = f32x4.relaxed_madd(i32x4.shuffle(a, a, 2, 3, 0, 1), b, c2);
      c3 = f32x4.relaxed_madd(i32x4.shuffle(a, a, 3, 0, 1, 2), b, c3);
      pa += 16;
      pb += bStep;
    }
    storeUnrotated(c0, c1, c2, c3, c, ldc, false);
    return;
  }
  let c0 = f64x2.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  for (let k = 0; k < kc; k++) {
    const b = v128.load(pb);
    c0 = f64x2.relaxed_madd(v128.load64_splat(pa), b, c0);
    c1 = f64x2.relaxed_madd(v128.load64_splat(pa + 8), b, c1);
    c2 = f64x2.relaxed_madd(v128.load64_splat(pa + 16), b, c2);
    c3 = f64x2.relaxed_madd(v128.load64_splat(pa + 24), b, c3);
    c4 = f64x2.relaxed_madd(v128.load64_splat(pa + 32), b, c4);
    c5 = f64x2.relaxed_madd(v128.load64_splat(pa + 40), b, c5);
    pa += 48;
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
 * over depth `kc`, splatting the first MR / 2 rows of each packed A column, so a short last row
 * panel (a 10-row product ends in 2 rows) costs about half a full tile.
 */
// @ts-ignore: decorator
@inline function microKernelTop<T>(kc: i32, pa: usize, pb: usize, bStep: usize, c: usize, ldc: usize): void {
  const size = <usize>sizeof<T>();
  const rows = mr<T>() / 2;
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
    if (rows == 3) {
      a = v128.load_splat<T>(pa + 2 * size);
      c20 = v128.relaxed_madd<T>(a, b0, c20);
      c21 = v128.relaxed_madd<T>(a, b1, c21);
    }
    pa += <usize>mr<T>() * size;
    pb += bStep;
  }
  v128.store(c, c00);
  v128.store(c + 16, c01);
  v128.store(c + ldc, c10);
  v128.store(c + ldc + 16, c11);
  if (rows == 3) {
    v128.store(c + 2 * ldc, c20);
    v128.store(c + 2 * ldc + 16, c21);
  }
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

/** Bytes of workspace `gemm` needs for elements of T: packed A, packed B, one tile. */
function workspaceBytes<T>(): i32 {
  return (MC * KC + KC * NC + mr<T>() * nr<T>()) * sizeof<T>();
}

/**
 * One product `C = act(A · B + E)` of a batch; `ws` is a workspace of `workspaceBytes` bytes; `e`
 * (0: no addend) is E's element (0, 0).
 */
function gemmOne<T>(
  a: usize, ars: i32, acs: i32,
  b: usize, brs: i32, bcs: i32,
  c: usize, m: i32, n: i32, k: i32, ws: usize,
  e: usize, ers: i32, ecs: i32, act: i32, ldcElements: i32,
): void {
  const size = <i32>sizeof<T>();
  const MR = mr<T>();
  const NR = nr<T>();
  const ldc = <usize>ldcElements * size;
  const finishing = e != 0 || act != ACT_NONE;
  if (k == 0) {
    for (let r = 0; r < m; r++) memory.fill(c + <usize>r * ldc, 0, <usize>(n * size));
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
      // Tiles finish as they are stored when the addend is a vector (a bias, which stays in L1)
      // or absent; a full addend is read row by row over each finished block of rows instead:
      // read tile by tile it waits on memory (784x128x128 with a full addend: +16-23% against
      // +8-11% for the block, interleaved A/B).
      const tiles = last && (e == 0 || ers == 0 || ecs == 0);
      // Few rows: each B panel serves few A panels, so full panels are read in place, not packed.
      const direct = bcs == 1 && m <= DIRECT_B_ROWS && brs * size <= DIRECT_B_STRIDE;
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
            if (tiles) {
              const et = e == 0 ? 0 : e + <usize>((ic + ir) * ers + (jc + jr) * ecs) * size;
              applyEpilogue<T>(cp, ldc, rows, cols, et, ers, ecs, act);
            }
          }
        }
        if (last && !tiles) {
          const eb = e + <usize>(ic * ers + jc * ecs) * size;
          applyEpilogue<T>(c + <usize>ic * ldc + <usize>jc * size, ldc, mc, nc, eb, ers, ecs, act);
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
  e: usize, ebs: i32, ers: i32, ecs: i32, act: i32, ldc: i32,
): void {
  const size = <i32>sizeof<T>();
  for (let i = 0; i < batch; i++) {
    gemmOne<T>(
      a + <usize>(i * abs + r0 * ars) * size, ars, acs,
      b + <usize>(i * bbs) * size, brs, bcs,
      c + <usize>(i * m * ldc + r0 * ldc) * size, r1 - r0, n, k, ws,
      e == 0 ? 0 : e + <usize>(i * ebs + r0 * ers) * size, ers, ecs, act, ldc,
    );
  }
}

/** Workspace bytes `gemm_f32` needs. */
export function gemm_f32_workspace(): i32 {
  return workspaceBytes<f32>();
}

/** Workspace bytes `gemm_f64` needs. */
export function gemm_f64_workspace(): i32 {
  return workspaceBytes<f64>();
}

/**
 * Batched f32 gemm: for each of `batch` products, rows `[r0, r1)` of
 * `C[m x n] = act(A[m x k] · B[k x n] + E)` where A is read at `a + i*abs + r*ars + q*acs`
 * (elements), B and the addend E likewise (`e` = 0: no addend; `act` 0: identity, 1: relu); C
 * has rows of `ldc` elements (n, or more when C is a column range of a wider product) and
 * batches of `m * ldc`. Threads compute disjoint row or column ranges of the same product, each
 * with its own workspace `ws`.
 */
export function gemm_f32(
  batch: i32,
  a: usize, abs: i32, ars: i32, acs: i32,
  b: usize, bbs: i32, brs: i32, bcs: i32,
  c: usize, m: i32, n: i32, k: i32, ws: usize, r0: i32, r1: i32,
  e: usize, ebs: i32, ers: i32, ecs: i32, act: i32, ldc: i32,
): void {
  gemmBatch<f32>(batch, a, abs, ars, acs, b, bbs, brs, bcs, c, m, n, k, ws, r0, r1, e, ebs, ers, ecs, act, ldc);
}

/** Batched f64 gemm; arguments as `gemm_f32`. */
export function gemm_f64(
  batch: i32,
  a: usize, abs: i32, ars: i32, acs: i32,
  b: usize, bbs: i32, brs: i32, bcs: i32,
  c: usize, m: i32, n: i32, k: i32, ws: usize, r0: i32, r1: i32,
  e: usize, ebs: i32, ers: i32, ecs: i32, act: i32, ldc: i32,
): void {
  gemmBatch<f64>(batch, a, abs, ars, acs, b, bbs, brs, bcs, c, m, n, k, ws, r0, r1, e, ebs, ers, ecs, act, ldc);
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
