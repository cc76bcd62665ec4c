/**
 * The check every sampler makes on its `shape` argument. Shapes are lists, as in JAX, where
 * `random.normal(key, 3)` is an error too; `[3]` is meant.
 * @module
 */
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";

/** Returns `shape` when it is a list of non-negative integers, else throws naming `op`. */
export function checkSampleShape(op: string, shape: unknown): readonly number[] {
  const valid = globalThis.Array.isArray(shape) &&
    shape.every((d) => Number.isInteger(d) && d >= 0);
  if (!valid) {
    const hint = Number.isInteger(shape) ? `; for ${shape} samples write [${shape}]` : "";
    throw new AdjointError(
      op,
      `shape must be a list of non-negative integers such as [2, 3], got ` +
        `${describeValue(shape)}${hint}`,
    );
  }
  return shape;
}
