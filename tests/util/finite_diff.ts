/**
 * Central finite differences, computed on the host so that they share no code with the
 * transformations they check: `(f(x + eps v) - f(x - eps v)) / 2 eps` along a direction `v`.
 * In float64 with `eps = 1e-5` the error is about 1e-10 for smooth functions of moderate size.
 * @module
 */
import { type Array, ConcreteArray, type DType } from "../../mod.ts";

/** A function of arrays returning one array or a list of arrays. */
export type ArrayFn = (...xs: Array[]) => Array | Array[];

/** The elements of `x` as float64 numbers (booleans as 0/1). */
export function hostData(x: Array): Float64Array {
  return Float64Array.from(x.concrete("hostData").dataSync(), Number);
}

/** A float64 array of `shape` from host numbers. */
export function f64(data: ArrayLike<number>, shape: readonly number[]): Array {
  return ConcreteArray.fromHost(Float64Array.from(data), shape, "float64");
}

function ofDType(data: Float64Array, shape: readonly number[], dtype: DType): Array {
  const typed = dtype === "float32"
    ? Float32Array.from(data)
    : dtype === "int32"
    ? Int32Array.from(data)
    : dtype === "bool"
    ? Uint8Array.from(data)
    : data;
  return ConcreteArray.fromHost(typed, shape, dtype);
}

/** `x + t * v`, elementwise on the host, keeping the dtype of `x`. */
export function axpy(x: Array, v: Array, t: number): Array {
  const xd = hostData(x), vd = hostData(v);
  return ofDType(xd.map((a, i) => a + t * vd[i]), x.shape, x.dtype);
}

function asList(out: Array | Array[]): Array[] {
  return globalThis.Array.isArray(out) ? out : [out];
}

/**
 * Directional derivative of `f` at `xs` along `vs` by central differences, with the structure of
 * `f`'s output (one array or a list), in float64.
 */
export function numericJvp(f: ArrayFn, xs: Array[], vs: Array[], eps = 1e-5): Array | Array[] {
  const plus = f(...xs.map((x, i) => axpy(x, vs[i], eps)));
  const minus = f(...xs.map((x, i) => axpy(x, vs[i], -eps)));
  const ms = asList(minus);
  const diffs = asList(plus).map((p, k) => {
    const pd = hostData(p), md = hostData(ms[k]);
    return f64(pd.map((a, i) => (a - md[i]) / (2 * eps)), p.shape);
  });
  return globalThis.Array.isArray(plus) ? diffs : diffs[0];
}

/** `sum(a * b)` over one array or corresponding arrays of two lists, on the host. */
export function inner(a: Array | Array[], b: Array | Array[]): number {
  const as = asList(a), bs = asList(b);
  if (as.length !== bs.length) throw new Error(`inner: ${as.length} vs ${bs.length} arrays`);
  let s = 0;
  as.forEach((x, k) => {
    const xd = hostData(x), yd = hostData(bs[k]);
    if (xd.length !== yd.length) {
      throw new Error(`inner: shapes [${x.shape}] and [${bs[k].shape}] differ`);
    }
    xd.forEach((v, i) => (s += v * yd[i]));
  });
  return s;
}

/** Sum of absolute values: the scale against which an inner product's error is judged. */
export function absInner(a: Array | Array[], b: Array | Array[]): number {
  const as = asList(a), bs = asList(b);
  let s = 0;
  as.forEach((x, k) => {
    const xd = hostData(x), yd = hostData(bs[k]);
    xd.forEach((v, i) => (s += Math.abs(v * yd[i])));
  });
  return s;
}
