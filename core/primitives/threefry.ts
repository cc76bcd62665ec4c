/**
 * The threefry2x32 primitive: the Threefry-2x32 block cipher with 20 rounds (Salmon et al.,
 * "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the counter-based generator JAX uses.
 * It maps a key `(k0, k1)` and a counter `(x0, x1)` of 32-bit words to two pseudo-random words;
 * every element is independent, so it batches like any elementwise operation, and every backend
 * that implements the cipher produces the same bits for the same key.
 *
 * Words are int32 arrays holding the unsigned bit patterns.
 * @module
 */
import type { Array } from "../array.ts";
import { AdjointError } from "../errors.ts";
import { type NoParams, Primitive } from "../primitive.ts";
import { batchSameShape } from "./batching.ts";
import { broadcastTo } from "./structural.ts";
import { shapeEqual } from "../shape.ts";
import { bind } from "../trace.ts";

/** `threefry2x32(k0, k1, x0, x1) -> (y0, y1)`, elementwise over int32 arrays of one shape. */
export const threefry2x32P: Primitive<"threefry2x32", NoParams> = new Primitive(
  "threefry2x32",
  { elementwise: true },
);
threefry2x32P.shape = (avals) => {
  const [first] = avals;
  if (avals.some((a) => a.dtype !== "int32" || !shapeEqual(a.shape, first.shape))) {
    throw new AdjointError(
      "threefry2x32",
      `expected four int32 arrays of one shape (key words, counter words), got ${avals.join(", ")}`,
    );
  }
  return [first, first];
};
threefry2x32P.batch = batchSameShape(threefry2x32P);
threefry2x32P.jvp = (primals) => [bind(threefry2x32P, primals), [null, null]];

/**
 * Encrypts counters `(x0, x1)` under key `(k0, k1)`. The key words may be scalars (they are
 * broadcast to the counters' shape); the counters must share one shape.
 */
export function threefry2x32(k0: Array, k1: Array, x0: Array, x1: Array): [Array, Array] {
  const shape = x0.shape;
  const [y0, y1] = bind(threefry2x32P, [
    broadcastTo(k0, shape),
    broadcastTo(k1, shape),
    x0,
    x1,
  ]);
  return [y0, y1];
}
