/**
 * dot_general: the one contraction primitive (matmul, dot, einsum and convolutions lower to it).
 * Output axes are the batch axes, then the lhs free axes, then the rhs free axes.
 * @module
 */
import type { Array } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { AdjointError } from "../errors.ts";
import { Primitive, UndefPrimal } from "../primitive.ts";
import { range, shapeStr } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { add } from "./elementwise.ts";
import { moveAxis } from "./batching.ts";
import { transpose } from "./structural.ts";

/** `[[lhsContract, rhsContract], [lhsBatch, rhsBatch]]`, as in lax.dot_general. */
export type DotDims = [[number[], number[]], [number[], number[]]];

/** Params of dot_general: the contracting and batch dimensions. */
export type DotGeneralParams = { dims: DotDims };

/** The contraction primitive. */
export const dotGeneralP: Primitive<"dot_general", DotGeneralParams> = new Primitive(
  "dot_general",
);

function remaining(n: number, ...removed: number[][]): number[] {
  return range(n).filter((i) => !removed.some((r) => r.includes(i)));
}

function rangesLike(...xs: number[][]): number[][] {
  let start = 0;
  return xs.map((x) => {
    const r = range(x.length).map((i) => i + start);
    start += x.length;
    return r;
  });
}

function argsort(xs: number[]): number[] {
  return range(xs.length).sort((a, b) => xs[a] - xs[b]);
}

dotGeneralP.shape = ([x, y], { dims }) => {
  const [[xc, yc], [xb, yb]] = dims;
  const ok = x.dtype === y.dtype && xc.length === yc.length && xb.length === yb.length &&
    xc.every((a, i) => x.shape[a] === y.shape[yc[i]]) &&
    xb.every((a, i) => x.shape[a] === y.shape[yb[i]]) &&
    [...xc, ...xb].every((a) => a >= 0 && a < x.ndim) &&
    [...yc, ...yb].every((a) => a >= 0 && a < y.ndim);
  if (!ok) {
    throw new AdjointError(
      "dot_general",
      `cannot contract ${x} axes ${shapeStr(xc)} with ${y} axes ${shapeStr(yc)} ` +
        `(batch axes ${shapeStr(xb)} / ${shapeStr(yb)}); expected equal sizes and dtypes`,
    );
  }
  const shape = [
    ...xb.map((a) => x.shape[a]),
    ...remaining(x.ndim, xc, xb).map((a) => x.shape[a]),
    ...remaining(y.ndim, yc, yb).map((a) => y.shape[a]),
  ];
  return [new ShapedArray(shape, x.dtype)];
};

dotGeneralP.jvp = ([x, y], [tx, ty], params) => {
  const out = bind1(dotGeneralP, [x, y], params);
  const a = tx && bind1(dotGeneralP, [tx, y], params);
  const b = ty && bind1(dotGeneralP, [x, ty], params);
  return [[out], [a === null ? b : b === null ? a : add(a, b)]];
};

function transposeLhs(g: Array, xNdim: number, y: Array, dims: DotDims, swapAns: boolean): Array {
  const [[xc, yc], [xb, yb]] = dims;
  const xKept = remaining(xNdim, xc, xb);
  const yKept = remaining(y.ndim, yc, yb);
  const [ansBatch, ansY] = swapAns
    ? rangesLike(xb, yKept, xKept).slice(0, 2)
    : (([b, , y]) => [b, y])(rangesLike(xb, xKept, yKept));
  const out = dotGeneral(g, y, [[ansY, yKept], [ansBatch, yb]]);
  const xcSortedByY = argsort(yc).map((i) => xc[i]);
  return transpose(out, argsort([...xb, ...xKept, ...xcSortedByY]));
}

dotGeneralP.transpose = ([ct], [x, y], { dims }) => {
  if (ct === null) return [null, null];
  const d = dims;
  const [[xc, yc], [xb, yb]] = d;
  if (x instanceof UndefPrimal && y instanceof UndefPrimal) {
    throw new AdjointError("dot_general", "transpose of a product of two linear values");
  }
  if (x instanceof UndefPrimal) return [transposeLhs(ct, x.aval.ndim, y as Array, d, false), null];
  const yAval = (y as UndefPrimal).aval;
  return [null, transposeLhs(ct, yAval.ndim, x as Array, [[yc, xc], [yb, xb]], true)];
};

dotGeneralP.batch = (_, [x, y], [bx, by], params) => {
  const [[xc, yc], [xb, yb]] = params.dims;
  const inc = (a: number) => a + 1;
  if (bx !== null && by !== null) {
    const dims: DotDims = [[xc.map(inc), yc.map(inc)], [[0, ...xb.map(inc)], [0, ...yb.map(inc)]]];
    return [[dotGeneral(moveAxis(x, bx, 0), moveAxis(y, by, 0), dims)], [0]];
  }
  if (bx !== null) {
    const dims: DotDims = [[xc.map(inc), yc], [xb.map(inc), yb]];
    return [[dotGeneral(moveAxis(x, bx, 0), y, dims)], [xb.length]];
  }
  const dims: DotDims = [[xc, yc.map(inc)], [xb, yb.map(inc)]];
  const xFree = x.ndim - xc.length - xb.length;
  return [[dotGeneral(x, moveAxis(y, by!, 0), dims)], [xb.length + xFree]];
};

/** lax.dot_general. */
export function dotGeneral(x: Array, y: Array, dims: DotDims): Array {
  return bind1(dotGeneralP, [x, y], { dims });
}
