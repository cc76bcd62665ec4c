/**
 * Strided element movement: `dst[Σ i_d dstStride_d] = src[Σ i_d srcStride_d]` over every index
 * of a shape, and the accumulating form `+=`. Every structural primitive (broadcast, transpose,
 * slice, rev, pad, concatenate) and sliding windows (patches and its transpose) are such copies;
 * the runtime merges and orders their axes before calling.
 *
 * Shapes and strides arrive in a metadata block of i32: `[shape(rank), srcStrides(rank),
 * dstStrides(rank), scratch(rank)]`, strides in elements (negative for reversed axes), rank >= 3.
 */

/** Rows of at least this many bytes are copied with `memory.copy` (a call, but fast in bulk). */
const BULK_BYTES: i32 = 512;

/** Copies one row of `n` elements with element strides `ss` and `ds`. */
// @ts-ignore: decorator
@inline function copyRow<T>(src: usize, ss: i32, dst: usize, ds: i32, n: i32): void {
  const size = <i32>sizeof<T>();
  if (ss == 1 && ds == 1) {
    const bytes = n * size;
    if (bytes >= BULK_BYTES) {
      memory.copy(dst, src, <usize>bytes);
      return;
    }
    let i = 0;
    for (; i + 16 <= bytes; i += 16) v128.store(dst + <usize>i, v128.load(src + <usize>i));
    for (; i < bytes; i += size) store<T>(dst + <usize>i, load<T>(src + <usize>i));
  } else if (ss == 0 && ds == 1) {
    const v = load<T>(src);
    const vec = v128.splat<T>(v);
    const bytes = n * size;
    let i = 0;
    for (; i + 16 <= bytes; i += 16) v128.store(dst + <usize>i, vec);
    for (; i < bytes; i += size) store<T>(dst + <usize>i, v);
  } else {
    const sb = ss * size, db = ds * size;
    for (let i = 0; i < n; i++) {
      store<T>(dst, load<T>(src));
      src += <usize>sb;
      dst += <usize>db;
    }
  }
}

/** Adds one row of `n` elements into `dst`. */
// @ts-ignore: decorator
@inline function addRow<T>(src: usize, ss: i32, dst: usize, ds: i32, n: i32): void {
  const size = <i32>sizeof<T>();
  let i = 0;
  if (ss == 1 && ds == 1) {
    const bytes = n * size;
    for (; i + 16 <= bytes; i += 16) {
      const d = dst + <usize>i;
      v128.store(d, v128.add<T>(v128.load(d), v128.load(src + <usize>i)));
    }
    for (; i < bytes; i += size) {
      const d = dst + <usize>i;
      store<T>(d, load<T>(d) + load<T>(src + <usize>i));
    }
    return;
  }
  const sb = ss * size, db = ds * size;
  for (; i < n; i++) {
    store<T>(dst, load<T>(dst) + load<T>(src));
    src += <usize>sb;
    dst += <usize>db;
  }
}

/** Copies a contiguous row of 17-32 bytes: bytes [0, 16) and [tail, tail + 16). */
// @ts-ignore: decorator
@inline function copyShortRow(src: usize, dst: usize, tail: usize): void {
  const head = v128.load(src), rest = v128.load(src + tail);
  v128.store(dst + tail, rest);
  v128.store(dst, head);
}

/**
 * Adds a contiguous row of 17-32 bytes into `dst`: both of dst's vectors are read before either
 * is written, so their overlap gets the same sums from each.
 */
// @ts-ignore: decorator
@inline function addShortRow<T>(src: usize, dst: usize, tail: usize): void {
  const d0 = v128.load(dst), d1 = v128.load(dst + tail);
  const s0 = v128.load(src), s1 = v128.load(src + tail);
  v128.store(dst + tail, v128.add<T>(d1, s1));
  v128.store(dst, v128.add<T>(d0, s0));
}

/**
 * Walks all indices: the last three axes as a 3-d block with their sizes and strides in
 * locals, the others with an odometer (whose state lives in the metadata block).
 */
// @ts-ignore: decorator
@inline function walk<T>(accumulate: bool, rank: i32, meta: usize, src: usize, dst: usize): void {
  const size = <i32>sizeof<T>();
  const shape = meta, sstr = meta + (<usize>rank << 2), dstr = meta + (<usize>rank << 3);
  const idx = meta + <usize>(rank * 12);
  const i1 = <usize>(rank - 1) << 2, i2 = <usize>(rank - 2) << 2, i3 = <usize>(rank - 3) << 2;
  const n1 = load<i32>(shape + i1), s1 = load<i32>(sstr + i1), d1 = load<i32>(dstr + i1);
  const n2 = load<i32>(shape + i2), s2 = load<i32>(sstr + i2) * size;
  const d2 = load<i32>(dstr + i2) * size;
  const n3 = load<i32>(shape + i3), s3 = load<i32>(sstr + i3) * size;
  const d3 = load<i32>(dstr + i3) * size;
  const outer = rank - 3;
  let blocks = 1;
  for (let d = 0; d < outer; d++) {
    store<i32>(idx + (<usize>d << 2), 0);
    blocks *= load<i32>(shape + (<usize>d << 2));
  }
  let so: i32 = 0, dof: i32 = 0;
  // Short contiguous rows (a 5-wide window's rows): two overlapping vectors per row.
  const short = s1 == 1 && d1 == 1 && n1 * size > 16 && n1 * size <= 32;
  const tail = <usize>(n1 * size - 16);
  for (let b = 0; b < blocks; b++) {
    let sp3 = src + <usize>(so * size), dp3 = dst + <usize>(dof * size);
    for (let a3 = 0; a3 < n3; a3++) {
      let sp = sp3, dp = dp3;
      if (short) {
        for (let a2 = 0; a2 < n2; a2++) {
          if (accumulate) addShortRow<T>(sp, dp, tail);
          else copyShortRow(sp, dp, tail);
          sp += <usize>s2;
          dp += <usize>d2;
        }
      } else {
        for (let a2 = 0; a2 < n2; a2++) {
          if (accumulate) addRow<T>(sp, s1, dp, d1, n1);
          else copyRow<T>(sp, s1, dp, d1, n1);
          sp += <usize>s2;
          dp += <usize>d2;
        }
      }
      sp3 += <usize>s3;
      dp3 += <usize>d3;
    }
    for (let d = outer - 1; d >= 0; d--) {
      const pi = idx + (<usize>d << 2);
      const i = load<i32>(pi) + 1;
      const ss = load<i32>(sstr + (<usize>d << 2)), ds = load<i32>(dstr + (<usize>d << 2));
      so += ss;
      dof += ds;
      const n = load<i32>(shape + (<usize>d << 2));
      if (i < n) {
        store<i32>(pi, i);
        break;
      }
      so -= ss * n;
      dof -= ds * n;
      store<i32>(pi, 0);
    }
  }
}

/** Strided copy of 1-byte elements. */
export function copy_strided_1(rank: i32, meta: usize, src: usize, dst: usize): void {
  walk<u8>(false, rank, meta, src, dst);
}
/** Strided copy of 4-byte elements. */
export function copy_strided_4(rank: i32, meta: usize, src: usize, dst: usize): void {
  walk<u32>(false, rank, meta, src, dst);
}
/** Strided copy of 8-byte elements. */
export function copy_strided_8(rank: i32, meta: usize, src: usize, dst: usize): void {
  walk<u64>(false, rank, meta, src, dst);
}
/** Strided `dst += src` of f32. */
export function accumulate_strided_f32(rank: i32, meta: usize, src: usize, dst: usize): void {
  walk<f32>(true, rank, meta, src, dst);
}
/** Strided `dst += src` of f64. */
export function accumulate_strided_f64(rank: i32, meta: usize, src: usize, dst: usize): void {
  walk<f64>(true, rank, meta, src, dst);
}
/** Strided `dst += src` of i32. */
export function accumulate_strided_i32(rank: i32, meta: usize, src: usize, dst: usize): void {
  walk<i32>(true, rank, meta, src, dst);
}
