/**
 * Jit kernels whose bool stores write an unpadded bool load (contiguous or broadcast) with no
 * arithmetic move those bools as bytes (vector_loops.ts `byteMove`): 16 at a time in the wide
 * loop, 4 in the four-lane loop, one in the scalar remainder. Against ref, bit for bit, at
 * lengths that end in each loop, and the generated source has the byte moves.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, jit, lax, numpy as np, toBackend } from "../mod.ts";

/** Programs whose fused kernels store bool loads as they are, beside other outputs. */
const PROGRAMS: readonly [string, (x: Array) => Array[]][] = [
  [
    "a broadcast beside a not",
    (x) => [lax.broadcastInDim(x, [3, x.shape[0]], [1]), np.logicalNot(x)],
  ],
  ["a comparison and its broadcast", (x) => {
    const c = np.logicalNot(x);
    return [c, lax.broadcastInDim(c, [2, x.shape[0]], [1])];
  }],
];

Deno.test("jit kernels move bools as bytes, equal to ref", () => {
  for (const [name, f] of PROGRAMS) {
    const x = toBackend(
      np.array(Uint8Array.from({ length: 40 }, (_, i) => i % 3 & 1), "bool"),
      "wasm",
    );
    const source = jit(f, { backend: "wasm", compile: "sync" }).lower(x).compiled.assemblyscript;
    assert.match(source, /v128\.store\([^;]*, v128\.load\(/, `${name}: no 16-byte move`);
  }
  fc.assert(
    fc.property(
      fc.constantFrom(...PROGRAMS),
      fc.integer({ min: 1, max: 70 }).chain((n) =>
        fc.array(fc.boolean(), { minLength: n, maxLength: n })
      ),
      ([name, f], bits) => {
        const host = np.array(Uint8Array.from(bits, Number), "bool");
        const got = jit(f, { backend: "wasm", compile: "sync" })(
          toBackend(host, "wasm"),
        ) as Array[];
        const want = f(toBackend(host, "ref"));
        got.forEach((g, i) =>
          assert.deepEqual(g.toArray(), want[i].toArray(), `${name}, ${bits.length}: output ${i}`)
        );
      },
    ),
    { numRuns: 60 },
  );
});
