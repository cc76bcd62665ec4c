/**
 * Strided element movement for the reference backend: every structural primitive (broadcast,
 * transpose, slice, rev) is a gather with per-axis input strides.
 * @module
 */
import { allocTyped, type DType, type TypedArray } from "../../core/dtype.ts";
import { sizeOf } from "../../core/shape.ts";

/** `out[i] = src[offset + sum_d index_d * strides[d]]` over all indices of `shape`. */
export function gatherStrided(
  src: TypedArray,
  dtype: DType,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): TypedArray {
  const n = sizeOf(shape);
  const out = allocTyped(dtype, n);
  if (n === 0) return out;
  const nd = shape.length;
  if (nd === 0) {
    out[0] = src[offset];
    return out;
  }
  const idx = new Array<number>(nd).fill(0);
  const last = nd - 1;
  const innerN = shape[last], innerS = strides[last];
  let base = offset;
  for (let o = 0; o < n; o += innerN) {
    let p = base;
    for (let i = 0; i < innerN; i++, p += innerS) out[o + i] = src[p];
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}
