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

function firstLeaf(x: NestedNumbers): number | boolean | undefined {
  while (globalThis.Array.isArray(x)) {
    if (x.length === 0) return undefined;
    x = x[0];
  }
  return x;
}

/** Creates an array from nested JS lists (float32 by default, bool for booleans). */
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
  const leaf = firstLeaf(x);
  const d = dtype ?? (typeof leaf === "boolean" ? "bool" : "float32");
  const flat = globalThis.Array.isArray(x)
    ? (x as unknown[]).flat(Infinity) as (number | boolean)[]
    : [x];
  const data = allocTyped(d, flat.length);
  flat.forEach((v, i) => {
    if (typeof v !== "number" && typeof v !== "boolean") {
      throw new AdjointError("np.array", `expected numbers or booleans, got ${typeof v}`);
    }
    data[i] = Number(v);
  });
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
