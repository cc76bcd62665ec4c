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

Deno.test("lax.reduceWindow pads max and min with their identity in every dtype", async (t) => {
  // Windows of 3 every 2 over [-2, -4, 4, 5, -6] with "SAME" padding: one padded element at each
  // end. A pad of 0 (a -inf that became an int32 0) would give 0 at the first window's max.
  const row = [-2, -4, 4, 5, -6];
  const cases: [string, "max" | "min", number[], number[]][] = [
    ["int32", "max", row, [-2, 5, 5]],
    ["int32", "min", row.map((v) => -v), [2, -5, -5]],
    ["float32", "max", row, [-2, 5, 5]],
    ["bool", "max", [0, 0, 1, 0, 0], [0, 1, 0]],
    ["bool", "min", [1, 1, 0, 1, 1], [1, 0, 1]],
  ];
  for (const [dtype, op, data, want] of cases) {
    await t.step(`${op} of ${dtype}`, () => {
      const x = np.array(data, dtype as "int32");
      const got = lax.reduceWindow(x, op, [3], [2], "SAME");
      assertClose(got.astype("float64").toArray() as number[], want, { atol: 0 });
    });
  }
});

Deno.test("a pad's value is held in the operand's dtype, as convert_element_type gives it", () => {
  const i = np.array([1, 2], "int32");
  assertClose(lax.pad(i, [1], [1], [0], -Infinity).toArray() as number[], [
    -(2 ** 31),
    1,
    2,
    -(2 ** 31),
  ]);
  assertClose(lax.pad(i, [1], [0], [0], 2.7).toArray() as number[], [2, 1, 2]);
  const b = np.array([true, false]);
  assertClose(lax.pad(b, [0], [1], [0], 0.5).astype("int32").toArray() as number[], [1, 0, 1]);
});
