/**
 * Reductions over no elements give JAX's results, the identity in the dtype, on every backend,
 * eager and jitted: sums 0, products 1, max and min of floats -inf and inf, of int32 the
 * smallest and largest int32, `any` false and `all` true. (They gave 0 for int32 max and min and
 * false for `all` on ref and eager wasm and webgpu, which stored the float identity in the dtype,
 * while jitted loops started from the identity in the dtype.)
 */
import assert from "node:assert/strict";
import { type Array, ConcreteArray, initWebGPU, jit, numpy as np } from "../mod.ts";
import { allocTyped, type DType } from "../core/dtype.ts";

const gpu = await initWebGPU();
if (!gpu) console.warn("empty reductions on webgpu skipped: no WebGPU adapter");

/** Each case: the reduction, the dtypes it takes, what it gives over nothing by dtype. */
const CASES: [string, (x: Array) => Array, DType[], (d: DType) => number][] = [
  ["sum", (x) => np.sum(x, 1), ["float32", "int32"], () => 0],
  ["prod", (x) => np.prod(x, 1), ["float32", "int32"], () => 1],
  [
    "max",
    (x) => np.max(x, 1),
    ["float32", "int32"],
    (d) => (d === "int32" ? -(2 ** 31) : -Infinity),
  ],
  [
    "min",
    (x) => np.min(x, 1),
    ["float32", "int32"],
    (d) => (d === "int32" ? 2 ** 31 - 1 : Infinity),
  ],
  ["any", (x) => np.any(x, 1), ["bool"], () => 0],
  ["all", (x) => np.all(x, 1), ["bool"], () => 1],
];

const backends = ["ref", "wasm", ...(gpu ? ["webgpu"] : [])];

for (const [name, f, dtypes, want] of CASES) {
  Deno.test(`${name} over no elements gives the identity on ${backends.join(", ")}, eager and jit`, async () => {
    for (const dtype of dtypes) {
      for (const backend of backends) {
        // Axis 1 is empty; the kept axes are not.
        const x = ConcreteArray.fromHost(allocTyped(dtype, 0), [3, 0, 2], dtype, backend);
        const runs: [string, Array][] = [
          ["eager", f(x)],
          ["jit", jit(f, { backend: backend as "ref", compile: "sync" })(x)],
        ];
        for (const [how, y] of runs) {
          assert.deepEqual(y.shape, [3, 2]);
          const got = await (y as ConcreteArray).read();
          const i = [...got].findIndex((v) => !Object.is(v, want(dtype)));
          assert.equal(
            i,
            -1,
            `${name} of ${dtype} on ${backend} (${how}): ${got[i]}, not ${want(dtype)}`,
          );
        }
      }
    }
  });
}
