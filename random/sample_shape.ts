/**
 * The checks samplers make on their `shape` argument. Shapes are lists, as in JAX, where
 * `random.normal(key, 3)` is an error too; `[3]` is meant; parameters broadcast to them.
 * @module
 */
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import { broadcastShapes, shapeStr } from "../core/shape.ts";

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

/**
 * The sample shape of a sampler with parameters of `shapes`: `given`, to which every parameter
 * shape must broadcast, or else their broadcast shape.
 */
export function broadcastSampleShape(
  op: string,
  given: readonly number[] | undefined,
  shapes: (readonly number[])[],
): number[] {
  if (given === undefined) return broadcastShapes(op, ...shapes);
  checkSampleShape(op, given);
  const ok = shapes.every((s) =>
    s.length <= given.length &&
    s.every((d, i) => d === 1 || d === given[given.length - s.length + i])
  );
  if (!ok) {
    throw new AdjointError(
      op,
      `parameters of shapes ${shapes.map(shapeStr).join(", ")} do not broadcast to the ` +
        `sample shape ${shapeStr(given)}`,
    );
  }
  return [...given];
}
