/**
 * Turning JS values into arrays: nested number lists, typed arrays, and weakly typed scalars
 * promoted against the arrays they meet.
 * @module
 */
import { Array, ConcreteArray, type NestedNumbers } from "../core/array.ts";
import { allocTyped, type DType, isDType, type TypedArray } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import { convert } from "../core/primitives/elementwise.ts";
import { scalar } from "../core/primitives/constants.ts";

/** What `np.array` accepts: nested JS numbers/booleans, a typed array, or an existing array. */
export type ArrayInput = NestedNumbers | TypedArray | Array;

function inferShape(x: NestedNumbers, path: string, shape: number[], depth: number): void {
  if (!globalThis.Array.isArray(x)) {
    if (depth !== shape.length) {
      throw new AdjointError(
        "np.array",
        `ragged nested list: ${path} is a number where a list was expected`,
      );
    }
    return;
  }
  if (depth === shape.length) shape.push(x.length);
  else if (shape[depth] !== x.length) {
    throw new AdjointError(
      "np.array",
      `ragged nested list: ${path} has length ${x.length}, expected ${shape[depth]}`,
    );
  }
  x.forEach((c, i) => inferShape(c, `${path}[${i}]`, shape, depth + 1));
}

/** The largest magnitude an int32 literal may have (2^31 - 1; -2^31 is also allowed). */
const INT32_MAX = 2 ** 31 - 1;

/**
 * The dtype JAX gives a literal list: bool when every leaf is a boolean, float32 when any number
 * has a fractional part (or is NaN or infinite), int32 otherwise (booleans count as 0 and 1),
 * float32 for an empty list. JS has one number type, so `1.0` is the integer 1: write
 * `np.array([1, 2], "float32")` for floats with integer values.
 */
function literalDType(leaves: readonly unknown[]): DType {
  if (leaves.length === 0) return "float32";
  if (leaves.every((v) => typeof v === "boolean")) return "bool";
  if (leaves.some((v) => typeof v === "number" && !Number.isInteger(v))) return "float32";
  const big = leaves.find((v) => typeof v === "number" && (v > INT32_MAX || v < -INT32_MAX - 1));
  if (big !== undefined) {
    throw new AdjointError(
      "np.array",
      `the integer ${big} does not fit int32, the dtype of a list of integers; pass a dtype, ` +
        `e.g. np.array(x, "float32") or "float64"`,
    );
  }
  return "int32";
}

/**
 * Creates an array from nested JS lists, with JAX's dtypes for literals: `np.array([0, 1])` is
 * int32, `np.array([0.5, 1])` float32, `np.array([true])` bool; an explicit `dtype` wins.
 * Typed arrays keep their dtype (Float64Array: float64, Int32Array: int32, Uint8Array: bool).
 *
 * ```ts
 * import { numpy as np } from "../mod.ts";
 * np.array([0, 1]).dtype; // "int32"
 * np.array([0, 1], "float32").dtype; // "float32"
 * ```
 */
export function array(x: ArrayInput, dtype?: DType): Array {
  if (dtype !== undefined && !isDType(dtype)) {
    throw new AdjointError(
      "np.array",
      `unknown dtype ${JSON.stringify(dtype)}; expected bool, int32, float32 or float64`,
    );
  }
  if (x instanceof Array) return dtype ? convert(x, dtype) : x;
  if (ArrayBuffer.isView(x)) {
    const d = dtype ?? typedDType(x);
    const data = allocTyped(d, x.length);
    data.set(x as ArrayLike<number>);
    return ConcreteArray.fromHost(data, [x.length], d);
  }
  const shape: number[] = [];
  if (globalThis.Array.isArray(x)) shape.push(x.length);
  if (globalThis.Array.isArray(x)) x.forEach((c, i) => inferShape(c, `[${i}]`, shape, 1));
  const flat = globalThis.Array.isArray(x)
    ? (x as unknown[]).flat(Infinity) as (number | boolean)[]
    : [x];
  const bad = flat.findIndex((v) => typeof v !== "number" && typeof v !== "boolean");
  if (bad >= 0) {
    throw new AdjointError("np.array", `expected numbers or booleans, got ${typeof flat[bad]}`);
  }
  const d = dtype ?? literalDType(flat);
  const data = allocTyped(d, flat.length);
  flat.forEach((v, i) => data[i] = Number(v));
  return ConcreteArray.fromHost(data, shape, d);
}

function typedDType(x: ArrayBufferView): DType {
  if (x instanceof Float64Array) return "float64";
  if (x instanceof Int32Array) return "int32";
  if (x instanceof Uint8Array) return "bool";
  return "float32";
}

/** Arrays pass through; JS scalars become arrays of the dtype they would promote to alone. */
export function asArray(x: ArrayInput): Array {
  if (x instanceof Array) return x;
  if (typeof x === "number") return scalar(x, "float32");
  if (typeof x === "boolean") return scalar(x, "bool");
  return array(x);
}
