import fc from "fast-check";
import { lax, numpy as np } from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";

/** Reduces each VALID window of a row-major array by a direct loop. */
function windowsByLoop(
  data: number[],
  shape: number[],
  op: lax.WindowReduction,
  window: number[],
  strides: number[],
): number[] {
  const outShape = shape.map((n, i) => Math.floor((n - window[i]) / strides[i]) + 1);
  const stridesOf = (s: number[]) => s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));
  const [inStrides, outStrides] = [stridesOf(shape), stridesOf(outShape)];
  const count = window.reduce((a, b) => a * b, 1);
  const size = outShape.reduce((a, b) => a * b, 1);
  return Array.from({ length: size }, (_, o) => {
    const corner = outShape.map((_, d) => Math.floor(o / outStrides[d]) % outShape[d]);
    const values = Array.from({ length: count }, (_, w) => {
      const offset = window.map((_, d) => Math.floor(w / stridesOf(window)[d]) % window[d]);
      return data[corner.reduce((a, c, d) => a + (c * strides[d] + offset[d]) * inStrides[d], 0)];
    });
    if (op === "max") return Math.max(...values);
    if (op === "min") return Math.min(...values);
    const sum = values.reduce((a, b) => a + b, 0);
    return op === "sum" ? sum : sum / count;
  });
}

Deno.test("lax.reduceWindow equals a loop over windows (tiling windows and overlapping ones)", () => {
  const caseArb = fc.integer({ min: 1, max: 4 }).chain((rank) =>
    fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: rank, maxLength: rank }),
      window: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rank, maxLength: rank }),
      strides: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rank, maxLength: rank }),
      tile: fc.boolean(),
      op: fc.constantFrom("max" as const, "min" as const, "sum" as const, "avg" as const),
    })
  ).filter(({ shape, window }) => window.every((w, i) => w <= shape[i]));
  fc.assert(
    fc.property(caseArb, ({ shape, window, strides, tile, op }) => {
      const steps = tile ? window : strides;
      const size = shape.reduce((a, b) => a * b, 1);
      const data = Array.from({ length: size }, (_, i) => Math.sin(1.7 * i + 0.3));
      const x = np.array(data, "float64").reshape(shape);
      const got = lax.reduceWindow(x, op, window, steps, "VALID");
      const want = windowsByLoop(data, shape, op, window, steps);
      assertClose(np.ravel(got).toArray() as number[], want, { rtol: 1e-12, atol: 1e-12 });
    }),
    { numRuns: 150, seed: 11 },
  );
});
