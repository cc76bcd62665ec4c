/**
 * What the generator knows about each value of a random program: its shape and dtype (so every
 * node it writes is well typed), a bound on its magnitude (so exp and products cannot overflow),
 * and whether every backend must compute it exactly.
 *
 * Exactness is what lets a program compare, round, sort or take the argmax of a value: those
 * turn an ulp of difference into a different answer. A value is exact when it is `k * 2^-g` with
 * `|k| < 2^m` and `m` fits the mantissa: inputs are quarters, and sums, products, maxima and data
 * movement of exact values stay exact in any order of evaluation. Transcendental functions and
 * most divisions make a value inexact.
 * @module
 */
import type { DType } from "../../mod.ts";

/** `value = k * 2^-g` with `|k| < 2^m`. */
export interface Exact {
  g: number;
  m: number;
}

/** Shape, dtype, magnitude bound and exactness of a value. */
export interface VType {
  shape: number[];
  dtype: DType;
  /** An upper bound on `|value|`. */
  bound: number;
  exact: Exact | null;
}

/** Mantissa bits of each dtype; int32 wraps instead (every int32 result is exact). */
const MANTISSA: Record<DType, number> = { bool: 1, int32: 31, float32: 24, float64: 53 };

/** Whether `dtype` is float32 or float64. */
export function isFloatDType(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** Elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** `e` if it still fits `dtype` exactly (ints wrap but stay exact), else null. */
export function fit(dtype: DType, e: Exact | null): Exact | null {
  if (!e) return null;
  if (dtype === "int32" || dtype === "bool") return { g: 0, m: Math.min(e.m, 31) };
  return e.m <= MANTISSA[dtype] && e.g <= 100 ? e : null;
}

/** The bound an exact value implies. */
export function exactBound(e: Exact): number {
  return 2 ** (e.m - e.g);
}

/** A value type; exact values get the bound their exactness implies when it is tighter. */
export function vtype(
  shape: number[],
  dtype: DType,
  bound: number,
  exact: Exact | null,
): VType {
  const e = fit(dtype, exact);
  const b = dtype === "bool" ? 1 : e ? Math.min(bound, exactBound(e)) : bound;
  return { shape, dtype, bound: b, exact: e };
}

/** Exactness of `a + b` (and `a - b`). */
export function exactAdd(a: Exact | null, b: Exact | null): Exact | null {
  if (!a || !b) return null;
  const g = Math.max(a.g, b.g);
  return { g, m: Math.max(a.m + g - a.g, b.m + g - b.g) + 1 };
}

/** Exactness of `a * b`. */
export function exactMul(a: Exact | null, b: Exact | null): Exact | null {
  if (!a || !b) return null;
  return { g: a.g + b.g, m: a.m + b.m };
}

/** Exactness of a sum of `n` terms each exact as `a`. */
export function exactSum(a: Exact | null, n: number): Exact | null {
  if (!a) return null;
  return { g: a.g, m: a.m + Math.ceil(Math.log2(Math.max(n, 1))) };
}

/** Exactness of a product of `n` factors each exact as `a`. */
export function exactPow(a: Exact | null, n: number): Exact | null {
  if (!a) return null;
  return { g: a.g * n, m: a.m * n };
}

/** Exactness of a value chosen from `a` or `b` (max, min, where, concatenation). */
export function exactEither(a: Exact | null, b: Exact | null): Exact | null {
  if (!a || !b) return null;
  const g = Math.max(a.g, b.g);
  return { g, m: Math.max(a.m + g - a.g, b.m + g - b.g) };
}

/** Exactness of a JS number literal (quarters and small integers are exact). */
export function exactLiteral(v: number): Exact | null {
  for (let g = 0; g <= 4; g++) {
    const k = v * 2 ** g;
    if (Number.isInteger(k)) return { g, m: Math.max(1, Math.ceil(Math.log2(Math.abs(k) + 1))) };
  }
  return null;
}

/** Exactness of literal data (quarters and small integers are exact). */
export function exactOfData(data: readonly number[], dtype: DType): Exact | null {
  if (dtype === "bool") return { g: 0, m: 1 };
  let g = 0, maxAbs = 0;
  for (const v of data) {
    const e = exactLiteral(v);
    if (!e) return null;
    g = Math.max(g, e.g);
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  return fit(dtype, { g, m: Math.max(1, Math.ceil(Math.log2(maxAbs * 2 ** g + 1))) });
}
