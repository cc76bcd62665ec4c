/**
 * Reductions of a dense array viewed as `[outer, r, inner]` over its middle axis, to
 * `[outer, inner]`: the runtime splits any set of reduced axes into such passes. Those of f32
 * sums, products, max and min, of f64 max and min and of i32 sums, products, max and min are
 * rendered from the kernel IR (kernels/wasm/eager_reductions.ts), as are f64 sums and products
 * and bool max and min (any, all) along columns, but for their short passes (`_short`: pooling
 * windows, short rows). Sums and products of f32 accumulate in f64 (as the reference backend
 * does), so their only rounding is the final one. Max and min propagate NaN. Index reductions
 * (argmax, argmin) return the first extreme position as i32, a NaN counting as the extreme; only
 * their short passes are here (the others: the extreme, then its first position, from the IR).
 *
 * `ws` is a workspace of at least `inner * 8` bytes for f32 sums and products and the index
 * reductions (the others read none: 0).
 */

const SUM = 0;
const PROD = 1;
const MAX = 2;
const MIN = 3;

// @ts-ignore: decorator
@inline function combine<T>(op: i32, a: T, b: T): T {
  if (op == SUM) return a + b;
  if (op == PROD) return a * b;
  if (op == MAX) return max<T>(a, b);
  return min<T>(a, b);
}

// @ts-ignore: decorator
@inline function combineVec<T>(op: i32, a: v128, b: v128): v128 {
  if (op == MAX) return v128.max<T>(a, b);
  if (op == MIN) return v128.min<T>(a, b);
  if (sizeof<T>() == 1) return a;
  if (op == SUM) return v128.add<T>(a, b);
  return v128.mul<T>(a, b);
}

/** A second accumulator: the identity for sums and products, a copy of the first for max/min. */
// @ts-ignore: decorator
@inline function spareAccumulator<T>(op: i32, first: v128): v128 {
  if (op == SUM) return v128.splat<T>(<T>0);
  if (op == PROD) return v128.splat<T>(<T>1);
  return first;
}

/** Folds the lanes of `v` with `op` by combining it with lane-swapped copies of itself. */
// @ts-ignore: decorator
@inline function foldLanes<T>(op: i32, v: v128): T {
  v = combineVec<T>(op, v, i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  if (sizeof<T>() <= 4) {
    v = combineVec<T>(op, v, i8x16.shuffle(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11));
  }
  if (sizeof<T>() == 1) {
    v = combineVec<T>(op, v, i8x16.shuffle(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
    v = combineVec<T>(op, v, i8x16.shuffle(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14));
  }
  return v128.extract_lane<T>(v, 0);
}

/**
 * `out[o] = x[2o] op x[2o + 1]` for 4-byte T (e.g. the 2-wide windows of a max pool): four
 * outputs at a time from two vectors, even and odd lanes gathered by shuffles.
 */
// @ts-ignore: decorator
@inline function reducePairs<T>(op: i32, x: usize, out: usize, outer: i32): void {
  let o = 0;
  for (; o + 4 <= outer; o += 4) {
    const v0 = v128.load(x + (<usize>o << 3));
    const v1 = v128.load(x + (<usize>o << 3) + 16);
    const even = i32x4.shuffle(v0, v1, 0, 2, 4, 6);
    const odd = i32x4.shuffle(v0, v1, 1, 3, 5, 7);
    v128.store(out + (<usize>o << 2), combineVec<T>(op, even, odd));
  }
  for (; o < outer; o++) {
    const p = x + (<usize>o << 3);
    store<T>(out + (<usize>o << 2), combine<T>(op, load<T>(p), load<T>(p + 4)));
  }
}

/**
 * `dst = acc op row` over `bytes` bytes (v128s up to `vecEnd`), of `acc` alone without `withRow`,
 * then `+ 0` with `plusZero` (constants where inlined).
 */
// @ts-ignore: decorator
@inline function combineRow<T>(
  op: i32, dst: usize, acc: usize, row: usize, bytes: usize, vecEnd: usize, plusZero: bool, withRow: bool,
): void {
  let i: usize = 0;
  for (; i < vecEnd; i += 16) {
    let a = v128.load(acc + i);
    if (withRow) a = combineVec<T>(op, a, v128.load(row + i));
    if (plusZero) a = combineVec<T>(op, a, v128.splat<T>(<T>0));
    v128.store(dst + i, a);
  }
  for (; i < bytes; i += sizeof<T>()) {
    let a = load<T>(acc + i);
    if (withRow) a = combine<T>(op, a, load<T>(row + i));
    if (plusZero) a = combine<T>(op, a, <T>0);
    store<T>(dst + i, a);
  }
}

/** Accumulator type T is also the element type: f64, i32, u8 and f32 max/min. */
// @ts-ignore: decorator
@inline function reduceSame<T>(op: i32, x: usize, out: usize, outer: i32, r: i32, inner: i32): void {
  const size = <usize>sizeof<T>();
  const L = 16 / sizeof<T>();
  if (inner == 1 && r == 2 && L == 4) {
    reducePairs<T>(op, x, out, outer);
    return;
  }
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const p = x + <usize>o * <usize>r * size;
      let a0 = v128.load(p);
      let a1 = spareAccumulator<T>(op, a0), a2 = a1, a3 = a1;
      let j = 0;
      if (r >= L) {
        j = L;
        for (; j + 4 * L <= r; j += 4 * L) {
          const q = p + <usize>j * size;
          a0 = combineVec<T>(op, a0, v128.load(q));
          a1 = combineVec<T>(op, a1, v128.load(q, 16));
          a2 = combineVec<T>(op, a2, v128.load(q, 32));
          a3 = combineVec<T>(op, a3, v128.load(q, 48));
        }
        for (; j + L <= r; j += L) a0 = combineVec<T>(op, a0, v128.load(p + <usize>j * size));
        const a = combineVec<T>(op, combineVec<T>(op, a0, a1), combineVec<T>(op, a2, a3));
        let s = foldLanes<T>(op, a);
        for (; j < r; j++) s = combine<T>(op, s, load<T>(p + <usize>j * size));
        store<T>(out + <usize>o * size, s);
      } else {
        // A sum starts from 0, as ref's: -0 alone sums to +0.
        let s = op == SUM && isFloat<T>() ? combine<T>(op, <T>0, load<T>(p)) : load<T>(p);
        for (j = 1; j < r; j++) s = combine<T>(op, s, load<T>(p + <usize>j * size));
        store<T>(out + <usize>o * size, s);
      }
    }
    return;
  }
  const rowBytes = <usize>inner * size;
  const vecEnd = <usize>(inner - inner % L) * size;
  for (let o = 0; o < outer; o++) {
    const src = x + <usize>o * <usize>r * rowBytes;
    const dst = out + <usize>o * rowBytes;
    // A float sum from row 0 on is ref's (from 0) but where ref's +0 is -0: its last step adds
    // 0 too (ref's sum is never -0), so that -0s alone sum to +0.
    const plusZero = op == SUM && isFloat<T>();
    if (r == 1) {
      if (plusZero) combineRow<T>(op, dst, src, 0, rowBytes, vecEnd, true, false);
      else memory.copy(dst, src, rowBytes);
      continue;
    }
    // Rows 0 and 1 combine straight into the output: a pooling window's rows are a few dozen
    // bytes, where copying row 0 first (a memory.copy call) cost more than the combining.
    for (let j = 1; j < r; j++) {
      const acc = j == 1 ? src : dst;
      const row = src + <usize>j * rowBytes;
      if (plusZero && j == r - 1) combineRow<T>(op, dst, acc, row, rowBytes, vecEnd, true, true);
      else combineRow<T>(op, dst, acc, row, rowBytes, vecEnd, false, true);
    }
  }
}

/** f32 sums and products, accumulated in f64. */
// @ts-ignore: decorator
@inline function reduceF32Wide(op: i32, x: usize, out: usize, outer: i32, r: i32, inner: i32, ws: usize): void {
  const one: f64 = op == SUM ? 0 : 1;
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const p = x + (<usize>o * <usize>r << 2);
      let a0 = f64x2.splat(one), a1 = a0;
      let j = 0;
      for (; j + 4 <= r; j += 4) {
        const v = v128.load(p + (<usize>j << 2));
        a0 = combineVec<f64>(op, a0, f64x2.promote_low_f32x4(v));
        a1 = combineVec<f64>(op, a1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
      }
      let s = foldLanes<f64>(op, combineVec<f64>(op, a0, a1));
      for (; j < r; j++) s = combine<f64>(op, s, <f64>load<f32>(p + (<usize>j << 2)));
      store<f32>(out + (<usize>o << 2), <f32>s);
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    const src = x + (<usize>o * <usize>r * <usize>inner << 2);
    for (let i = 0; i < inner; i++) store<f64>(ws + (<usize>i << 3), <f64>load<f32>(src + (<usize>i << 2)));
    for (let j = 1; j < r; j++) {
      const row = src + (<usize>j * <usize>inner << 2);
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const v = v128.load(row + (<usize>i << 2));
        const w = ws + (<usize>i << 3);
        v128.store(w, combineVec<f64>(op, v128.load(w), f64x2.promote_low_f32x4(v)));
        v128.store(w, combineVec<f64>(op, v128.load(w, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
      }
      for (; i < inner; i++) {
        const w = ws + (<usize>i << 3);
        store<f64>(w, combine<f64>(op, load<f64>(w), <f64>load<f32>(row + (<usize>i << 2))));
      }
    }
    const dst = out + (<usize>o * <usize>inner << 2);
    // A sum from row 0 on is ref's (from 0) but where ref's +0 is -0 (ref's sum is never -0):
    // adding 0 last makes -0s alone sum to +0.
    for (let i = 0; i < inner; i++) {
      const a = load<f64>(ws + (<usize>i << 3));
      store<f32>(dst + (<usize>i << 2), <f32>(op == SUM ? a + 0 : a));
    }
  }
}

// The other reductions of f32, f64 and i32 are rendered from the kernel IR
// (kernels/wasm/eager_reductions.ts), except their short passes (`_short`, isShortPass there).
export function reduce_max_f32_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, _ws: usize): void {
  reduceSame<f32>(MAX, x, o, outer, r, inner);
}
export function reduce_min_f32_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, _ws: usize): void {
  reduceSame<f32>(MIN, x, o, outer, r, inner);
}
export function reduce_sum_i32_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, _ws: usize): void {
  reduceSame<i32>(SUM, x, o, outer, r, inner);
}
export function reduce_max_i32_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, _ws: usize): void {
  reduceSame<i32>(MAX, x, o, outer, r, inner);
}
export function reduce_min_i32_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, _ws: usize): void {
  reduceSame<i32>(MIN, x, o, outer, r, inner);
}
export function reduce_sum_f32_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, ws: usize): void {
  reduceF32Wide(SUM, x, o, outer, r, inner, ws);
}
export function reduce_prod_f32_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, ws: usize): void {
  reduceF32Wide(PROD, x, o, outer, r, inner, ws);
}
export function reduce_sum_f64(x: usize, o: usize, outer: i32, r: i32, inner: i32, _ws: usize): void {
  reduceSame<f64>(SUM, x, o, outer, r, inner);
}
export function reduce_prod_f64(x: usize, o: usize, outer: i32, r: i32, inner: i32, _ws: usize): void {
  reduceSame<f64>(PROD, x, o, outer, r, inner);
}
export function reduce_max_f64_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, _ws: usize): void {
  reduceSame<f64>(MAX, x, o, outer, r, inner);
}
export function reduce_min_f64_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, _ws: usize): void {
  reduceSame<f64>(MIN, x, o, outer, r, inner);
}
export function reduce_prod_i32_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, _ws: usize): void {
  reduceSame<i32>(PROD, x, o, outer, r, inner);
}
export function reduce_max_u8(x: usize, o: usize, outer: i32, r: i32, inner: i32, _ws: usize): void {
  reduceSame<u8>(MAX, x, o, outer, r, inner);
}
export function reduce_min_u8(x: usize, o: usize, outer: i32, r: i32, inner: i32, _ws: usize): void {
  reduceSame<u8>(MIN, x, o, outer, r, inner);
}

// ---------------------------------------------------------------- argmax, argmin

/** Whether `v` replaces `best`: strictly better, or the first NaN. */
// @ts-ignore: decorator
@inline function beats<T>(isMax: bool, v: T, best: T): bool {
  if (isFloat<T>()) {
    if (v != v) return best == best;
    if (best != best) return false;
  }
  return isMax ? v > best : v < best;
}

// @ts-ignore: decorator
@inline function argReduce<T>(isMax: bool, x: usize, out: usize, outer: i32, r: i32, inner: i32, ws: usize): void {
  const size = <usize>sizeof<T>();
  for (let o = 0; o < outer; o++) {
    const src = x + <usize>o * <usize>r * <usize>inner * size;
    const dst = out + (<usize>o * <usize>inner << 2);
    if (inner == 1) {
      let best = load<T>(src), bi = 0;
      for (let j = 1; j < r; j++) {
        const v = load<T>(src + <usize>j * size);
        if (beats<T>(isMax, v, best)) {
          best = v;
          bi = j;
        }
      }
      store<i32>(dst, bi);
      continue;
    }
    memory.copy(ws, src, <usize>inner * size);
    memory.fill(dst, 0, <usize>inner << 2);
    for (let j = 1; j < r; j++) {
      const row = src + <usize>j * <usize>inner * size;
      for (let i = 0; i < inner; i++) {
        const v = load<T>(row + <usize>i * size);
        const w = ws + <usize>i * size;
        if (beats<T>(isMax, v, load<T>(w))) {
          store<T>(w, v);
          store<i32>(dst + (<usize>i << 2), j);
        }
      }
    }
  }
}

export function argmax_f32_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, ws: usize): void {
  argReduce<f32>(true, x, o, outer, r, inner, ws);
}
export function argmin_f32_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, ws: usize): void {
  argReduce<f32>(false, x, o, outer, r, inner, ws);
}
export function argmax_f64_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, ws: usize): void {
  argReduce<f64>(true, x, o, outer, r, inner, ws);
}
export function argmin_f64_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, ws: usize): void {
  argReduce<f64>(false, x, o, outer, r, inner, ws);
}
export function argmax_i32_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, ws: usize): void {
  argReduce<i32>(true, x, o, outer, r, inner, ws);
}
export function argmin_i32_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, ws: usize): void {
  argReduce<i32>(false, x, o, outer, r, inner, ws);
}
export function argmax_u8_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, ws: usize): void {
  argReduce<u8>(true, x, o, outer, r, inner, ws);
}
export function argmin_u8_short(x: usize, o: usize, outer: i32, r: i32, inner: i32, ws: usize): void {
  argReduce<u8>(false, x, o, outer, r, inner, ws);
}
