/**
 * `meshgrid`: coordinate arrays from coordinate vectors, Cartesian (`"xy"`) or matrix (`"ij"`)
 * indexed, dense or sparse.
 * @module
 */
import { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import { broadcastInDim, reshape } from "../core/primitives/structural.ts";
import { type ArrayInput, asArray } from "./convert.ts";

/** Options of `meshgrid`. */
export interface MeshgridOptions {
  /** `"xy"` (default): the first two outputs' axes swapped, as for plotting; `"ij"`: in order. */
  indexing?: "xy" | "ij";
  /** Whether outputs keep size 1 along every axis but their own (broadcastable), default false. */
  sparse?: boolean;
}

function isOptions(v: unknown): v is MeshgridOptions {
  return typeof v === "object" && v !== null && !(v instanceof Array) &&
    !globalThis.Array.isArray(v) && !ArrayBuffer.isView(v);
}

/**
 * One array per input vector (inputs are flattened), each varying along its own axis of the
 * grid: with `"ij"` indexing output `i` has shape `[n0, n1, ...]` and varies along axis `i`; with
 * `"xy"` (the default) the first two axes are swapped. An options object may come last.
 *
 * ```ts
 * import { numpy as np } from "../mod.ts";
 * const [x, y] = np.meshgrid(np.array([1, 2, 3]), np.array([4, 5])); // both [2, 3]
 * ```
 */
export function meshgrid(...args: ArrayInput[] | [...ArrayInput[], MeshgridOptions]): Array[] {
  const last = args[args.length - 1];
  const options: MeshgridOptions = isOptions(last) ? last : {};
  checkOptions("np.meshgrid", options, ["indexing", "sparse"]);
  const { indexing = "xy", sparse = false } = options;
  if (indexing !== "xy" && indexing !== "ij") {
    throw new AdjointError(
      "np.meshgrid",
      `indexing is ${describeValue(indexing)}; expected "xy" or "ij"`,
    );
  }
  const xs = (isOptions(last) ? args.slice(0, -1) : args) as ArrayInput[];
  const vectors = xs.map((x) => {
    const a = asArray(x);
    return reshape(a, [a.size]);
  });
  const axisOf = (i: number) => indexing === "xy" && vectors.length >= 2 && i < 2 ? 1 - i : i;
  const shape = vectors.map((_, d) => vectors.find((__, i) => axisOf(i) === d)!.size);
  return vectors.map((v, i) => {
    const ax = axisOf(i);
    if (sparse) return reshape(v, shape.map((n, d) => (d === ax ? n : 1)));
    return broadcastInDim(v, shape, [ax]);
  });
}
