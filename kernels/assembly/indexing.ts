/**
 * Gather and scatter-add of rows along one axis: the array is viewed as `[outer, n, inner]` and
 * `idx` holds `m` i32 positions into its middle axis. Both return -1 on success, or the position
 * in `idx` of the first index outside `[0, n)` (then nothing is written).
 */

/** Position of the first out-of-range index, or -1 (also when there are no rows to move). */
function firstBadIndex(idx: usize, m: i32, n: i32, outer: i32): i32 {
  if (outer == 0) return -1;
  for (let j = 0; j < m; j++) {
    const i = load<i32>(idx + (<usize>j << 2));
    if (<u32>i >= <u32>n) return j;
  }
  return -1;
}

/** `out[o, j] = x[o, idx[j]]` for single elements of type T (a gather of scalars). */
// @ts-ignore: decorator
@inline function takeElements<T>(x: usize, idx: usize, out: usize, outer: i32, n: i32, m: i32): void {
  const size = <usize>sizeof<T>();
  for (let o = 0; o < outer; o++) {
    const src = x + <usize>(o * n) * size;
    const dst = out + <usize>(o * m) * size;
    for (let j = 0; j < m; j++) {
      const i = load<i32>(idx + (<usize>j << 2));
      store<T>(dst + <usize>j * size, load<T>(src + <usize>i * size));
    }
  }
}

/** `out[o, j, :] = x[o, idx[j], :]` for elements of `size` bytes. */
export function take(
  x: usize, idx: usize, out: usize, outer: i32, n: i32, m: i32, inner: i32, size: i32,
): i32 {
  const bad = firstBadIndex(idx, m, n, outer);
  if (bad >= 0) return bad;
  if (inner == 1 && size == 4) {
    takeElements<u32>(x, idx, out, outer, n, m);
    return -1;
  }
  if (inner == 1 && size == 8) {
    takeElements<u64>(x, idx, out, outer, n, m);
    return -1;
  }
  const row = <usize>(inner * size);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const i = load<i32>(idx + (<usize>j << 2));
      memory.copy(out + <usize>(o * m + j) * row, x + <usize>(o * n + i) * row, row);
    }
  }
  return -1;
}

// @ts-ignore: decorator
@inline function scatterAdd<T>(
  u: usize, idx: usize, out: usize, outer: i32, n: i32, m: i32, inner: i32,
): i32 {
  const bad = firstBadIndex(idx, m, n, outer);
  if (bad >= 0) return bad;
  const size = <i32>sizeof<T>();
  memory.fill(out, 0, <usize>(outer * n * inner * size));
  const L = 16 / size;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const i = load<i32>(idx + (<usize>j << 2));
      const dst = out + <usize>((o * n + i) * inner * size);
      const src = u + <usize>((o * m + j) * inner * size);
      let k = 0;
      for (; k + L <= inner; k += L) {
        const off = <usize>(k * size);
        v128.store(dst + off, v128.add<T>(v128.load(dst + off), v128.load(src + off)));
      }
      for (; k < inner; k++) {
        const off = <usize>(k * size);
        store<T>(dst + off, load<T>(dst + off) + load<T>(src + off));
      }
    }
  }
  return -1;
}

/** `out = 0; out[o, idx[j], :] += u[o, j, :]` for f32. */
export function scatter_add_f32(
  u: usize, idx: usize, out: usize, outer: i32, n: i32, m: i32, inner: i32,
): i32 {
  return scatterAdd<f32>(u, idx, out, outer, n, m, inner);
}
/** Scatter-add for f64. */
export function scatter_add_f64(
  u: usize, idx: usize, out: usize, outer: i32, n: i32, m: i32, inner: i32,
): i32 {
  return scatterAdd<f64>(u, idx, out, outer, n, m, inner);
}
/** Scatter-add for i32. */
export function scatter_add_i32(
  u: usize, idx: usize, out: usize, outer: i32, n: i32, m: i32, inner: i32,
): i32 {
  return scatterAdd<i32>(u, idx, out, outer, n, m, inner);
}
