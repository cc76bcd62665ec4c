/**
 * Reference kernels for dot_general and sliding windows (patches and its transpose).
 * @module
 */
import { allocTyped } from "../../core/dtype.ts";
import type { DotDims } from "../../core/primitives/dot_general.ts";
import type {
  PatchesParams,
  PatchesTransposeParams,
  WindowParams,
} from "../../core/primitives/patches.ts";
import { range, sizeOf, stridesOf } from "../../core/shape.ts";
import type { RefImpl, RefKernelTable } from "./impl.ts";
import { gatherStrided } from "./strided.ts";

/** Permutes `x` so its axes come in `order` (a transpose via strided gather). */
function permute(x: ArrayLike<number>, shape: readonly number[], order: number[]): Float64Array {
  const xs = stridesOf(shape);
  return gatherStrided(
    Float64Array.from(x),
    "float64",
    order.map((i) => shape[i]),
    order.map((i) => xs[i]),
    0,
  ) as Float64Array;
}

const dotGeneral: RefImpl = ([x, y], [a, b], { dims }, [out]) => {
  const [[xc, yc], [xb, yb]] = dims as DotDims;
  const xFree = range(a.ndim).filter((i) => !xc.includes(i) && !xb.includes(i));
  const yFree = range(b.ndim).filter((i) => !yc.includes(i) && !yb.includes(i));
  const B = sizeOf(xb.map((i) => a.shape[i]));
  const M = sizeOf(xFree.map((i) => a.shape[i]));
  const K = sizeOf(xc.map((i) => a.shape[i]));
  const N = sizeOf(yFree.map((i) => b.shape[i]));
  const lhs = permute(x, a.shape, [...xb, ...xFree, ...xc]);
  const rhs = permute(y, b.shape, [...yb, ...yc, ...yFree]);
  const r = allocTyped(out.dtype, B * M * N);
  // int32 wraps at every product and sum, as the primitive says: a float64 row would round
  // products of int32s past 2^53 before the final wrap.
  const int = out.dtype === "int32";
  const row = int ? new Int32Array(N) : new Float64Array(N);
  for (let bi = 0; bi < B; bi++) {
    for (let m = 0; m < M; m++) {
      row.fill(0);
      const lo = (bi * M + m) * K;
      for (let k = 0; k < K; k++) {
        const v = lhs[lo + k];
        if (v === 0) continue;
        const ro = (bi * K + k) * N;
        if (int) { for (let n = 0; n < N; n++) row[n] += Math.imul(v, rhs[ro + n]); }
        else for (let n = 0; n < N; n++) row[n] += v * rhs[ro + n];
      }
      r.set(row, (bi * M + m) * N);
    }
  }
  return [r];
};

/** Calls `visit(inputOffset, patchOffset)` for every in-bounds (window position, element) pair. */
function forEachWindowElement(
  inShape: readonly number[],
  outShape: readonly number[],
  p: WindowParams,
  visit: (src: number, dst: number) => void,
): void {
  const nd = inShape.length;
  const counts = outShape.slice(0, nd);
  const full = [...counts, ...p.window];
  const inStrides = stridesOf(inShape);
  const total = sizeOf(full);
  const idx = new Array<number>(2 * nd).fill(0);
  for (let dst = 0; dst < total; dst++) {
    let src = 0, inside = true;
    for (let d = 0; d < nd; d++) {
      const i = idx[d] * p.strides[d] - p.padding[d][0] + idx[nd + d] * p.dilation[d];
      if (i < 0 || i >= inShape[d]) {
        inside = false;
        break;
      }
      src += i * inStrides[d];
    }
    if (inside) visit(src, dst);
    for (let d = 2 * nd - 1; d >= 0; d--) {
      if (++idx[d] < full[d]) break;
      idx[d] = 0;
    }
  }
}

const patches: RefImpl<PatchesParams> = ([x], [a], params, [out]) => {
  const r = allocTyped(out.dtype, sizeOf(out.shape));
  forEachWindowElement(a.shape, out.shape, params, (src, dst) => {
    r[dst] = x[src];
  });
  return [r];
};

const patchesTranspose: RefImpl<PatchesTransposeParams> = ([ct], [a], params, [out]) => {
  const acc = new Float64Array(sizeOf(out.shape));
  forEachWindowElement(out.shape, a.shape, params, (src, dst) => {
    acc[src] += ct[dst];
  });
  const r = allocTyped(out.dtype, acc.length);
  r.set(acc);
  return [r];
};

/** Reference kernels of the contraction and window primitives. */
export const contractionImpls: Pick<
  RefKernelTable,
  "dot_general" | "patches" | "patches_transpose"
> = {
  dot_general: dotGeneral,
  patches,
  patches_transpose: patchesTranspose,
};
