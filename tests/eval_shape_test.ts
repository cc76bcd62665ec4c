/** evalShape: output shapes and dtypes over pytrees, traced on abstract values. */
import assert from "node:assert/strict";
import { evalShape, numpy as np, ShapedArray } from "../mod.ts";

Deno.test("evalShape gives ShapedArrays in the output's structure", () => {
  const out = evalShape(
    (p: { w: np.Array; b: np.Array }, x: np.Array) => ({
      y: np.matmul(x, p.w).add(p.b),
      stats: [np.sum(x), np.argmax(x, 1)],
    }),
    { w: new ShapedArray([3, 4], "float32"), b: new ShapedArray([4], "float32") },
    new ShapedArray([8, 3], "float32"),
  ) as { y: ShapedArray; stats: ShapedArray[] };
  assert.ok(out.y instanceof ShapedArray);
  assert.equal(String(out.y), "f32[8,4]");
  assert.deepEqual(out.stats.map(String), ["f32[]", "i32[8]"]);
});

Deno.test("evalShape accepts concrete arrays and numbers and follows promotion", () => {
  const out = evalShape((a: np.Array, s: number) => a.mul(s), np.zeros([2], "float64"), 3);
  assert.equal(String(out), "f64[2]");
});

Deno.test("evalShape computes nothing that depends on its arguments", () => {
  let calls = 0;
  const out = evalShape((a: np.Array) => {
    calls++;
    // A huge shape costs nothing: only its type is traced.
    return np.reshape(np.broadcastTo(a, [1 << 20, 1 << 10]), [-1]);
  }, new ShapedArray([1 << 10], "float32"));
  assert.equal(calls, 1);
  assert.equal(String(out), `f32[${1 << 30}]`);
});

Deno.test("evalShape reports shape errors of the traced function", () => {
  assert.throws(
    () =>
      evalShape(
        (a: np.Array, b: np.Array) => np.matmul(a, b),
        new ShapedArray([2, 3], "float32"),
        new ShapedArray([4, 5], "float32"),
      ),
    /matmul|dot/,
  );
});
