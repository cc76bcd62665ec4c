/**
 * `norm`: vector and matrix norms as jnp.linalg.norm computes them: over one axis a vector
 * p-norm, over two axes a matrix norm (Frobenius, nuclear, spectral, or the induced 1- and
 * ∞-norms), with `keepdims`.
 * @module
 */
import type { Array } from "../../core/array.ts";
import { describeValue } from "../../core/describe.ts";
import { isFloat } from "../../core/dtype.ts";
import { AdjointError } from "../../core/errors.ts";
import { checkOptions } from "../../core/options.ts";
import { full } from "../../core/primitives/constants.ts";
import * as ew from "../../core/primitives/elementwise.ts";
import { svd } from "../../core/primitives/linalg/svd.ts";
import * as red from "../../core/primitives/reductions.ts";
import { reshape, transpose } from "../../core/primitives/structural.ts";
import { normalizeAxis, range } from "../../core/shape.ts";
import { type ArrayInput, asArray } from "../convert.ts";

/** The order of a norm: a number (`Infinity`, `-Infinity` included), `"fro"` or `"nuc"`. */
export type NormOrd = number | "fro" | "nuc" | null;

/** Options of `norm`, as jnp.linalg.norm's keywords. */
export interface NormOptions {
  /** The norm's order (default: 2-norm of vectors, Frobenius norm of matrices). */
  ord?: NormOrd;
  /** One axis (a vector norm), two (a matrix norm), or null: all of a 1-D or 2-D array. */
  axis?: number | [number, number] | null;
  /** Keep the reduced axes with size 1 (default false). */
  keepdims?: boolean;
}

const c = (x: Array, v: number) => full(x.shape, v, x.dtype);

/** `sqrt(sum(x^2))` over `axes`. */
function euclidean(x: Array, axes: number[]): Array {
  return ew.sqrt(red.reduceSum(ew.mul(x, x), axes));
}

/** The vector norm of order `ord` along `axis`. */
function vectorNorm(op: string, x: Array, ord: NormOrd, axis: number): Array {
  const ax = [axis];
  if (ord === null || ord === 2) return euclidean(x, ax);
  if (typeof ord !== "number") {
    throw new AdjointError(
      op,
      `ord ${describeValue(ord)} is a matrix norm; a vector norm takes a number`,
    );
  }
  const abs = ew.abs(x);
  if (ord === Infinity) return red.reduceMax(abs, ax);
  if (ord === -Infinity) return red.reduceMin(abs, ax);
  if (ord === 0) return red.reduceSum(ew.convert(ew.ne(x, c(x, 0)), x.dtype), ax);
  if (ord === 1) return red.reduceSum(abs, ax);
  const sum = red.reduceSum(ew.pow(abs, c(abs, ord)), ax);
  return ew.pow(sum, c(sum, 1 / ord));
}

/** Singular values of the matrices over axes `[row, col]`, moved last: `[..., k]`. */
function singularValues(x: Array, row: number, col: number): Array {
  const rest = range(x.ndim).filter((d) => d !== row && d !== col);
  return svd(transpose(x, [...rest, row, col]), { computeUv: false });
}

/** The matrix norm of order `ord` over axes `row`, `col`. */
function matrixNorm(op: string, x: Array, ord: NormOrd, row: number, col: number): Array {
  if (ord === null || ord === "fro") return euclidean(x, [row, col]);
  if (ord === "nuc" || ord === 2 || ord === -2) {
    const s = singularValues(x, row, col), last = [s.ndim - 1];
    return ord === "nuc"
      ? red.reduceSum(s, last)
      : ord === 2
      ? red.reduceMax(s, last)
      : red.reduceMin(s, last);
  }
  const abs = ew.abs(x);
  const induced: Record<string, () => Array> = {
    "1": () => red.reduceMax(red.reduceSum(abs, [row]), [col - (col > row ? 1 : 0)]),
    "-1": () => red.reduceMin(red.reduceSum(abs, [row]), [col - (col > row ? 1 : 0)]),
    "Infinity": () => red.reduceMax(red.reduceSum(abs, [col]), [row - (row > col ? 1 : 0)]),
    "-Infinity": () => red.reduceMin(red.reduceSum(abs, [col]), [row - (row > col ? 1 : 0)]),
  };
  const f = induced[String(ord)];
  if (!f) {
    throw new AdjointError(
      op,
      `ord ${describeValue(ord)} is not a matrix norm; expected null, "fro", "nuc", 1, -1, 2, ` +
        "-2, Infinity or -Infinity",
    );
  }
  return f();
}

/** The axes a norm reduces: `axis` normalised, or all axes of a 1-D or 2-D `x` for null. */
function normAxes(op: string, x: Array, axis: NormOptions["axis"], ord: NormOrd): number[] {
  if (axis === null || axis === undefined) {
    if (ord === null || x.ndim <= 2) return range(x.ndim);
    throw new AdjointError(
      op,
      `ord ${describeValue(ord)} needs a 1-D or 2-D array or an axis, got ${x.aval}`,
    );
  }
  const list = typeof axis === "number" ? [axis] : axis;
  if (!globalThis.Array.isArray(list) || list.length < 1 || list.length > 2) {
    throw new AdjointError(op, `axis is ${describeValue(axis)}; expected one axis or two`);
  }
  const axes = list.map((a) => normalizeAxis(op, a, x.ndim));
  if (axes.length === 2 && axes[0] === axes[1]) {
    throw new AdjointError(op, `axis names one axis twice: ${describeValue(axis)}`);
  }
  return axes;
}

/**
 * The norm of `x` (jnp.linalg.norm): with one axis the vector norm of order `ord` (default 2;
 * `Infinity`, `-Infinity`, 0 counts nonzeros, any other p gives `sum(|x|^p)^(1/p)`); with two
 * axes the matrix norm (default and `"fro"` Frobenius, `"nuc"` the sum of singular values, 2 and
 * -2 the largest and smallest, 1 and -1 the largest and smallest column sum of `|x|`,
 * `Infinity`/`-Infinity` the same over rows). Without `axis`, all of a 1-D or 2-D `x`, or,
 * without `ord`, the 2-norm of `x` flattened. Called as `norm(x, ord?, axis?, keepdims?)` or
 * `norm(x, { ord, axis, keepdims })`.
 *
 * ```ts
 * import { numpy as np } from "../../mod.ts";
 * np.linalg.norm(np.array([3, 4], "float64")).item(); // 5
 * np.linalg.norm(np.array([[1, -2], [3, 4]], "float64"), 1).item(); // 6
 * np.linalg.norm(np.array([[1, 2], [3, 4]], "float64"), { axis: 1 }).toArray(); // [2.236, 5]
 * ```
 */
export function norm(
  x: ArrayInput,
  ord?: NormOrd | NormOptions,
  axis?: number | [number, number] | null,
  keepdims?: boolean,
): Array {
  const op = "np.linalg.norm";
  let options: NormOptions = { ord: ord as NormOrd, axis, keepdims };
  if (typeof ord === "object" && ord !== null) {
    checkOptions(op, ord, ["ord", "axis", "keepdims"]);
    if (axis !== undefined || keepdims !== undefined) {
      throw new AdjointError(
        op,
        "got an options object and more arguments; pass all in the object",
      );
    }
    options = ord;
  }
  let a = asArray(x);
  if (!isFloat(a.dtype)) a = ew.convert(a, "float32");
  const o = options.ord ?? null;
  const axes = normAxes(op, a, options.axis, o);
  let out: Array;
  if (options.axis == null && o === null) out = euclidean(a, axes);
  else if (axes.length === 1) out = vectorNorm(op, a, o, axes[0]);
  else out = matrixNorm(op, a, o, axes[0], axes[1]);
  if (!options.keepdims) return out;
  return reshape(out, a.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
}
