/**
 * The one hand-written strided copy left (kernels/wasm/strided.ts says why): `dst[Σ i_d
 * dstStride_d] += src[Σ i_d srcStride_d]` of float64 over contiguous rows of 17-32 bytes (3 or 4
 * elements: a 3-wide window's rows in patches_transpose), each row two overlapping v128 adds.
 * Every other strided copy, accumulation and fill is rendered from the kernel IR
 * (kernels/assembly/copies.ts).
 *
 * Shapes and strides arrive in a metadata block of i32: `[shape(rank), srcStrides(rank),
 * dstStrides(rank), scratch(rank)]`, strides in elements, rank >= 3, the innermost strides 1.
 */

/**
 * Adds a contiguous row of 17-32 bytes into `dst`: both of dst's vectors are read before either
 * is written, so their overlap gets the same sums from each.
 */
// @ts-ignore: decorator
@inline function addShortRow(src: usize, dst: usize, tail: usize): void {
  const d0 = v128.load(dst), d1 = v128.load(dst + tail);
  const s0 = v128.load(src), s1 = v128.load(src + tail);
  v128.store(dst + tail, f64x2.add(d1, s1));
  v128.store(dst, f64x2.add(d0, s0));
}

/**
 * `dst += src` of float64 rows of 3 or 4 elements: the last three axes as a 3-d block with their
 * sizes and strides in locals, the others with an odometer (whose state lives in the metadata
 * block).
 */
export function accumulate_short_rows_f64(rank: i32, meta: usize, src: usize, dst: usize): void {
  const shape = meta, sstr = meta + (<usize>rank << 2), dstr = meta + (<usize>rank << 3);
  const idx = meta + <usize>(rank * 12);
  const i1 = <usize>(rank - 1) << 2, i2 = <usize>(rank - 2) << 2, i3 = <usize>(rank - 3) << 2;
  const n1 = load<i32>(shape + i1);
  const n2 = load<i32>(shape + i2), s2 = load<i32>(sstr + i2) << 3;
  const d2 = load<i32>(dstr + i2) << 3;
  const n3 = load<i32>(shape + i3), s3 = load<i32>(sstr + i3) << 3;
  const d3 = load<i32>(dstr + i3) << 3;
  const outer = rank - 3;
  let blocks = 1;
  for (let d = 0; d < outer; d++) {
    store<i32>(idx + (<usize>d << 2), 0);
    blocks *= load<i32>(shape + (<usize>d << 2));
  }
  let so: i32 = 0, dof: i32 = 0;
  const tail = <usize>((n1 << 3) - 16);
  for (let b = 0; b < blocks; b++) {
    let sp3 = src + <usize>(so << 3), dp3 = dst + <usize>(dof << 3);
    for (let a3 = 0; a3 < n3; a3++) {
      let sp = sp3, dp = dp3;
      for (let a2 = 0; a2 < n2; a2++) {
        addShortRow(sp, dp, tail);
        sp += <usize>s2;
        dp += <usize>d2;
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
