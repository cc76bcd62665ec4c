import assert from "node:assert/strict";
import { type ConcreteArray, defaultBackendName, jit, numpy as np } from "../mod.ts";
import { formatData } from "../core/array_format.ts";

/** The backend new arrays go to (wasm, or ref when the suite runs with ADJOINT_BACKEND=ref). */
const where = defaultBackendName();

Deno.test("console.log shows an array's type, backend and contents, NumPy-style", () => {
  assert.equal(
    Deno.inspect(np.array([[1, 2, 3], [4, 5, 6]], "float32")),
    `Array(f32[2,3], ${where}) [[1., 2., 3.], [4., 5., 6.]]`,
  );
  assert.equal(Deno.inspect(np.array(3.5)), `Array(f32[], ${where}) 3.5`);
  assert.equal(Deno.inspect(np.array([true, false])), `Array(bool[2], ${where}) [ true, false]`);
  assert.equal(`${np.arange(3)}`, `Array(i32[3], ${where}) [0, 1, 2]`);
  assert.equal(
    Deno.inspect(np.arange(12).reshape([3, 4]).astype("float32").div(7)),
    [
      `Array(f32[3,4], ${where})`,
      "[[0.      , 0.142857, 0.285714, 0.428571],",
      " [0.571429, 0.714286, 0.857143, 1.      ],",
      " [1.142857, 1.285714, 1.428571, 1.571429]]",
    ].join("\n"),
  );
});

Deno.test("arrays of more than 1000 elements print their first and last three per axis", () => {
  assert.equal(
    Deno.inspect(np.arange(2000)),
    `Array(i32[2000], ${where}) [   0,    1,    2, ..., 1997, 1998, 1999]`,
  );
  const lines = Deno.inspect(np.arange(5000).reshape([50, 100])).split("\n");
  assert.equal(lines.length, 8);
  assert.equal(lines[1], "[[   0,    1,    2, ...,   97,   98,   99],");
  assert.equal(lines[4], " ...,");
  assert.equal(lines[7], " [4900, 4901, 4902, ..., 4997, 4998, 4999]]");
});

Deno.test("higher ranks leave a blank line between blocks; special values print as such", () => {
  const text = formatData(Int32Array.from({ length: 8 }, (_, i) => i), [2, 2, 2], "int32");
  assert.equal(text, "[[[0, 1],\n  [2, 3]],\n\n [[4, 5],\n  [6, 7]]]");
  assert.equal(
    formatData(new Float64Array([-0, NaN, -Infinity, 1.5e-9]), [4], "float64"),
    "[      -0.,       NaN, -Infinity,    1.5e-9]",
  );
  // One style for all the floats of an array: integers beside fractions get the same decimals.
  assert.equal(
    formatData(new Float64Array([1, 2.0000000000000004, 3, Math.SQRT2]), [4], "float64"),
    "[1.     , 2.     , 3.     , 1.41421]",
  );
  assert.equal(
    formatData(new Float64Array([1, 2.5, 1e9]), [3], "float64"),
    "[  1e+0, 2.5e+0,   1e+9]",
  );
});

Deno.test("tracers print their type and transformation; released arrays say why", () => {
  let seen = "";
  jit((x: np.Array) => {
    seen = Deno.inspect(x);
    return x;
  })(np.ones([2]));
  assert.equal(seen, "Traced<f32[2]> (inside jit)");
  const x = np.ones([2]) as ConcreteArray;
  x[Symbol.dispose]();
  assert.equal(Deno.inspect(x), `Array(f32[2], ${where}) (was disposed)`);
});
