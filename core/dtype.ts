/**
 * Element types and JAX's type promotion, restricted to the four dtypes Adjoint supports.
 *
 * JS numbers are *weakly typed*: they adopt the dtype of the array they meet, as Python
 * scalars do in JAX (`x.mul(2)` keeps `x` float32, `i.add(1)` keeps `i` int32).
 * @module
 */

/** The element types an array can hold. float32 is the default. */
export type DType = "bool" | "int32" | "float32" | "float64";

/** A typed array that can hold the elements of some dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** All dtypes, from the narrowest to the widest in promotion order. */
export const DTYPES: readonly DType[] = ["bool", "int32", "float32", "float64"];

const SHORT: Record<DType, string> = {
  bool: "bool",
  int32: "i32",
  float32: "f32",
  float64: "f64",
};

/** The short name used in jaxprs and error messages (`f32`, `i32`, ...). */
export function shortName(dtype: DType): string {
  return SHORT[dtype];
}

/** Whether `dtype` is a floating-point type (and so can carry gradients). */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** Whether `x` names one of the supported dtypes. */
export function isDType(x: unknown): x is DType {
  return typeof x === "string" && (DTYPES as readonly string[]).includes(x);
}

/** Allocates a zero-filled typed array for `n` elements of `dtype`. */
export function allocTyped(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
    case "bool":
      return new Uint8Array(n);
  }
}

/** The result dtype of combining two strongly typed operands (JAX's lattice on our subset). */
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/**
 * The dtype a JS number takes when it meets an array of dtype `other`: floats and int32 keep their
 * type (an integer-valued number meeting int32 stays int32), bool yields to the number's kind.
 */
export function weakDType(value: number | boolean, other: DType | null): DType {
  if (typeof value === "boolean") return other ?? "bool";
  const integral = Number.isInteger(value);
  if (other === null || other === "bool") return integral && other === "bool" ? "int32" : "float32";
  if (other === "int32") return integral ? "int32" : "float32";
  return other;
}

/**
 * A number as an element of `dtype`, as `convert_element_type` gives it: float32 rounded,
 * int32 truncated toward zero and saturated at its range (NaN to 0), bool true where nonzero.
 */
export function castScalar(value: number, dtype: DType): number {
  if (dtype === "float64") return value;
  if (dtype === "float32") return Math.fround(value);
  if (dtype === "bool") return +(value !== 0);
  if (Number.isNaN(value)) return 0;
  return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.trunc(value)));
}
