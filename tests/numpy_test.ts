/**
 * The numpy API against hand-computed values: broadcasting, dtype promotion with weakly typed
 * JS numbers, reductions with axis/keepdims, basic indexing with negative steps, joining and
 * splitting, einsum forms, creation functions, argmax, var/std, oneHot and take.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, type ConcreteArray, grad, jit, numpy as np, toBackend } from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import { runs } from "./util/arbitraries.ts";

const m23 = () => np.array([[1, 2, 3], [4, 5, 6]], "float32");

function same(x: Array, expected: unknown, dtype?: string): void {
  assert.deepEqual(x.toArray(), expected);
  if (dtype) assert.equal(x.dtype, dtype);
}

Deno.test("broadcasting aligns trailing axes and stretches size-1 axes", () => {
  same(np.add(np.array([[10], [20]]), np.array([1, 2, 3])), [[11, 12, 13], [21, 22, 23]]);
  same(np.multiply(m23(), np.array([[2], [3]])), [[2, 4, 6], [12, 15, 18]]);
  same(np.subtract(5, np.array([1, 2])), [4, 3]);
  same(np.where(np.array([true, false]), np.array([[1], [2]]), 0), [[1, 0], [2, 0]]);
  assert.deepEqual(np.add(np.ones([3, 1, 2]), np.ones([4, 1])).shape, [3, 4, 2]);
});

Deno.test("dtype promotion: JS numbers are weakly typed", async (t) => {
  const f32 = np.array([1, 2], "float32"), f64 = np.array([1, 2], "float64");
  const i32 = np.array([1, 2], "int32"), b = np.array([true, false]);
  const cases: [string, Array, string][] = [
    ["f32 * 2 stays f32", np.multiply(f32, 2), "float32"],
    ["f64 * 2.5 stays f64", np.multiply(f64, 2.5), "float64"],
    ["int32 + 1 stays int32", np.add(i32, 1), "int32"],
    ["int32 + 0.5 becomes f32", np.add(i32, 0.5), "float32"],
    ["bool + int32 is int32", np.add(b, i32), "int32"],
    ["bool + 1 is int32", np.add(b, 1), "int32"],
    ["bool * 0.5 is f32", np.multiply(b, 0.5), "float32"],
    ["f32 + f64 is f64", np.add(f32, f64), "float64"],
    ["int32 + f32 is f32", np.add(i32, f32), "float32"],
    ["int32 / int32 is f32 (true division)", np.divide(i32, i32), "float32"],
    ["comparisons are bool", np.less(i32, 1.5), "bool"],
    ["a bare number is f32", np.asArray(3), "float32"],
  ];
  for (const [name, x, dtype] of cases) await t.step(name, () => assert.equal(x.dtype, dtype));
  await t.step("values follow the promoted type", () => {
    same(np.add(i32, 0.5), [1.5, 2.5]);
    same(np.add(b, i32), [2, 2]);
    same(np.divide(np.array([7, -7], "int32"), 2), [3.5, -3.5]);
    same(np.less(i32, 1.5), [true, false]);
  });
});

Deno.test("literals take jnp.array's dtypes: integers int32, any fraction float32, booleans bool", () => {
  const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  const fraction = fc.double({ noInteger: true, noDefaultInfinity: true, noNaN: true })
    .filter((v) => Math.abs(v) < 3e38);
  fc.assert(
    fc.property(
      fc.array(int32, { minLength: 1, maxLength: 6 }),
      fc.array(fraction, { maxLength: 2 }),
      (ints, fractions) => {
        const i = np.array(ints);
        assert.equal(i.dtype, "int32");
        assert.deepEqual(i.toArray(), ints);
        const mixed = [...ints, ...fractions];
        assert.equal(np.array(mixed).dtype, fractions.length ? "float32" : "int32");
        assert.equal(np.array([mixed]).dtype, np.array(mixed).dtype, "nesting does not matter");
        assert.equal(np.array(ints, "float32").dtype, "float32", "an explicit dtype wins");
      },
    ),
    runs(100),
  );
  same(np.array([true, false]), [true, false], "bool");
  same(np.array([true, 2]), [1, 2], "int32");
  same(np.array([1, NaN]), [1, NaN], "float32");
  same(np.array([Infinity, 0]), [Infinity, 0], "float32");
  same(np.array(3), 3, "int32");
  same(np.array(0.5), 0.5, "float32");
  same(np.array([]), [], "float32");
  assert.throws(
    () => np.array([1, 2 ** 31]),
    /np\.array: the integer 2147483648 does not fit int32.*"float32"/,
  );
  assert.equal(np.array([2 ** 31], "float64").item(), 2 ** 31);
});

Deno.test("reductions with axis and keepdims", () => {
  const x = m23();
  same(np.sum(x), 21);
  same(np.sum(x, 0), [5, 7, 9]);
  same(np.sum(x, 1, true), [[6], [15]]);
  same(np.sum(x, [-1, 0]), 21);
  same(np.mean(x, 0), [2.5, 3.5, 4.5]);
  same(np.max(x, 1), [3, 6]);
  same(np.min(x, 0, true), [[1, 2, 3]]);
  same(np.prod(x, 1), [6, 120]);
  same(np.sum(np.array([true, true, false])), 2, "int32");
  same(np.any(np.array([false, true])), true);
  same(np.all(np.array([[true, false], [true, true]]), 1), [false, true]);
  same(np.mean(np.array([1, 2], "int32")), 1.5, "float32");
});

Deno.test("int32 sums and products wrap at every step, on every backend (as C, XLA and wasm)", () => {
  // (-5)^64 and 70000 * 2^31 - 1 taken mod 2^32, from BigInt.
  const wrap = (b: bigint) => Number(BigInt.asIntN(32, b));
  const fives = np.full([64], -5, "int32");
  const big = np.full([70000], 2 ** 31 - 1, "int32");
  for (const backend of ["ref", "wasm"]) {
    same(np.prod(toBackend(fives, backend)), wrap((-5n) ** 64n), "int32");
    same(np.sum(toBackend(big, backend)), wrap(70000n * (2n ** 31n - 1n)), "int32");
  }
});

Deno.test("float to int32 truncates and saturates, NaN to 0, on every backend (as XLA)", () => {
  const xs = [NaN, Infinity, -Infinity, 3e9, -3e9, 2147483647, -2147483648, 2.7, -2.7, -0];
  const want = [
    0,
    2147483647,
    -2147483648,
    2147483647,
    -2147483648,
    2147483647,
    -2147483648,
    2,
    -2,
    0,
  ];
  for (const backend of ["ref", "wasm"]) {
    for (const dtype of ["float32", "float64"] as const) {
      const x = toBackend(np.array(xs, dtype), backend);
      same(x.astype("int32"), want, "int32");
      same(jit((y: Array) => y.mul(1).astype("int32"), { backend })(x), want, "int32");
    }
  }
});

Deno.test("int32 matmul wraps at every product and sum, on every backend", () => {
  let seed = 7;
  const word = () => (seed = (Math.imul(seed, 1664525) + 1013904223) | 0);
  const [M, K, N] = [3, 50, 4];
  const a = globalThis.Array.from({ length: M * K }, word);
  const b = globalThis.Array.from({ length: K * N }, word);
  const want = globalThis.Array.from(
    { length: M },
    (_, m) =>
      globalThis.Array.from({ length: N }, (_, n) => {
        let acc = 0n;
        for (let k = 0; k < K; k++) acc += BigInt(a[m * K + k]) * BigInt(b[k * N + n]);
        return Number(BigInt.asIntN(32, acc));
      }),
  );
  for (const backend of ["ref", "wasm"]) {
    const x = toBackend(np.reshape(np.array(a, "int32"), [M, K]), backend);
    const y = toBackend(np.reshape(np.array(b, "int32"), [K, N]), backend);
    same(np.matmul(x, y), want, "int32");
  }
});

Deno.test("var and std, with ddof", () => {
  const x = np.array([[1, 2, 3, 4], [2, 2, 2, 2]], "float64");
  assertClose(np.var(x, 1), [1.25, 0], { rtol: 1e-12 });
  assertClose(np.std(x, 1), [Math.sqrt(1.25), 0], { rtol: 1e-12 });
  assertClose(np.var(x, 1, false, 1), [5 / 3, 0], { rtol: 1e-12 });
  assertClose(np.var(x), 0.6875, { rtol: 1e-12 });
});

Deno.test("logsumexp is stable for large inputs", () => {
  assertClose(np.logsumexp(np.array([1000, 1000], "float64")), 1000 + Math.LN2, { rtol: 1e-15 });
  assertClose(np.logsumexp(np.array([[0, 0], [-1000, 0]], "float64"), 1), [Math.LN2, 0], {
    atol: 1e-12,
  });
});

Deno.test("argmax and argmin: first occurrence, flattened by default", () => {
  const x = np.array([[1, 5, 5], [7, 0, 7]]);
  same(np.argmax(x), 3, "int32");
  same(np.argmax(x, 1), [1, 0]);
  same(np.argmin(x, 0), [0, 1, 0]);
  same(np.argmax(x, -1, true), [[1], [0]]);
});

Deno.test("index: integers, slices with negative steps, new axes and ellipsis", () => {
  const r = np.arange(10);
  same(np.index(r, np.s(undefined, undefined, -1)), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  same(np.index(r, np.s(8, 2, -2)), [8, 6, 4]);
  same(np.index(r, np.s(-1, -4, -1)), [9, 8, 7]);
  same(np.index(r, np.s(2, 8, 3)), [2, 5]);
  same(np.index(r, np.s(5, 2)), []);
  same(np.index(r, -2), 8);
  const x = np.reshape(np.arange(24), [2, 3, 4]);
  same(np.index(x, 1, np.s(undefined, undefined, -2), -1), [23, 15]);
  same(np.index(x, "...", 0), [[0, 4, 8], [12, 16, 20]]);
  assert.deepEqual(np.index(x, null, 0, "...", null).shape, [1, 3, 4, 1]);
});

Deno.test("index with random slices agrees with plain JS slicing", () => {
  const n = 7;
  const data = globalThis.Array.from({ length: n }, (_, i) => i * 10);
  const reference = (start: number | undefined, stop: number | undefined, step: number) => {
    const norm = (v: number) => (v < 0 ? v + n : v);
    const out: number[] = [];
    if (step > 0) {
      const b = Math.min(Math.max(start === undefined ? 0 : norm(start), 0), n);
      const e = Math.min(Math.max(stop === undefined ? n : norm(stop), 0), n);
      for (let i = b; i < e; i += step) out.push(data[i]);
    } else {
      const b = Math.min(Math.max(start === undefined ? n - 1 : norm(start), -1), n - 1);
      const e = Math.min(Math.max(stop === undefined ? -1 : norm(stop), -1), n - 1);
      for (let i = b; i > e; i += step) out.push(data[i]);
    }
    return out;
  };
  const bound = fc.option(fc.integer({ min: -9, max: 9 }), { nil: undefined });
  fc.assert(
    fc.property(bound, bound, fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0), (a, b, s) => {
      same(np.index(np.array(data, "int32"), np.s(a, b, s)), reference(a, b, s));
    }),
    runs(200),
  );
});

Deno.test("concatenate, stack and split", () => {
  const a = np.array([[1, 2]]), b = np.array([[3, 4], [5, 6]]);
  same(np.concatenate([a, b]), [[1, 2], [3, 4], [5, 6]]);
  same(np.concatenate([np.transpose(a), np.transpose(b)], -1), [[1, 3, 5], [2, 4, 6]]);
  same(np.concatenate([np.array([1], "int32"), np.array([0.5])]), [1, 0.5], "float32");
  same(np.stack([np.array([1, 2]), np.array([3, 4])]), [[1, 2], [3, 4]]);
  same(np.stack([np.array([1, 2]), np.array([3, 4])], 1), [[1, 3], [2, 4]]);
  const parts = np.split(np.arange(6), 3);
  assert.deepEqual(parts.map((p) => p.toArray()), [[0, 1], [2, 3], [4, 5]]);
  const cut = np.split(np.reshape(np.arange(6), [2, 3]), [1], 1);
  assert.deepEqual(cut.map((p) => p.toArray()), [[[0], [3]], [[1, 2], [4, 5]]]);
});

Deno.test("shape functions: reshape with -1, transpose, squeeze, expandDims, pad, flip", () => {
  assert.deepEqual(np.reshape(np.arange(12), [3, -1]).shape, [3, 4]);
  same(np.transpose(m23()), [[1, 4], [2, 5], [3, 6]]);
  assert.deepEqual(np.transpose(np.ones([2, 3, 4]), [2, 0, 1]).shape, [4, 2, 3]);
  assert.deepEqual(np.squeeze(np.ones([1, 3, 1])).shape, [3]);
  assert.deepEqual(np.expandDims(np.ones([3]), [0, -1]).shape, [1, 3, 1]);
  same(np.pad(np.array([1, 2]), [1, 2], 9), [9, 1, 2, 9, 9]);
  same(np.flip(m23(), 1), [[3, 2, 1], [6, 5, 4]]);
  same(np.broadcastTo(np.array([1, 2]), [2, 2]), [[1, 2], [1, 2]]);
});

Deno.test("einsum forms", () => {
  const a = m23(), b = np.array([[1, 0], [0, 1], [1, 1]]);
  same(np.einsum("ij,jk->ik", a, b), [[4, 5], [10, 11]]);
  same(np.einsum("ij->ji", a), [[1, 4], [2, 5], [3, 6]]);
  same(np.einsum("ij->", a), 21);
  same(np.einsum("ij->j", a), [5, 7, 9]);
  same(np.einsum("i,i->", np.array([1, 2, 3]), np.array([4, 5, 6])), 32);
  same(np.einsum("i,j->ij", np.array([1, 2]), np.array([3, 4, 5])), [[3, 4, 5], [6, 8, 10]]);
  same(np.einsum("ij,kj->ik", a, a), [[14, 32], [32, 77]]);
  const batch = np.reshape(np.arange(8), [2, 2, 2]);
  same(np.einsum("bij,bjk->bik", batch, batch), [[[2, 3], [6, 11]], [[46, 55], [66, 79]]]);
  same(np.matmul(a, b), [[4, 5], [10, 11]]);
  same(np.matmul(np.array([1, 2]), np.array([[1, 2], [3, 4]])), [7, 10]);
  same(np.dot(np.array([1, 2]), np.array([3, 4])), 11);
});

Deno.test("creation: arange, linspace, eye, full", () => {
  same(np.arange(5), [0, 1, 2, 3, 4], "int32");
  same(np.arange(2, 11, 3), [2, 5, 8]);
  same(np.arange(1, 2, 0.25), [1, 1.25, 1.5, 1.75], "float32");
  same(np.arange(3, 0, -1), [3, 2, 1]);
  same(np.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1], "float32");
  same(np.linspace(0, 1, 4, false), [0, 0.25, 0.5, 0.75]);
  same(np.eye(2), [[1, 0], [0, 1]]);
  same(np.eye(2, 3, 1), [[0, 1, 0], [0, 0, 1]]);
  same(np.full([2], 7, "int32"), [7, 7], "int32");
  same(np.zerosLike(np.array([1, 2], "float64")), [0, 0], "float64");
});

Deno.test("oneHot and take", () => {
  same(np.oneHot(np.array([2, 0], "int32"), 3), [[0, 0, 1], [1, 0, 0]], "float32");
  same(np.oneHot(np.array(1, "int32"), 2, "int32"), [0, 1], "int32");
  const x = m23();
  same(np.take(x, np.array([2, 0, 2], "int32"), 1), [[3, 1, 3], [6, 4, 6]]);
  same(np.take(x, np.array([[1], [0]], "int32"), 0), [[[4, 5, 6]], [[1, 2, 3]]]);
  same(np.take(x, np.array([5, 0], "int32")), [6, 1]);
});

Deno.test("elementwise functions: clip, where, relu, abs, sign, rounding", () => {
  same(np.clip(np.array([-2, 0.5, 3]), -1, 1), [-1, 0.5, 1]);
  same(np.clip(np.array([-2, 3]), null, 0), [-2, 0]);
  same(np.relu(np.array([-1, 2])), [0, 2]);
  same(np.abs(np.array([-3, 2], "int32")), [3, 2], "int32");
  same(np.sign(np.array([-3, 0, 2])), [-1, 0, 1]);
  same(np.round(np.array([0.5, -0.5, 1.5, 2.5, 2.4])), [0, -0, 2, 2, 2]); // halves to even
  same(np.floor(np.array([-0.5, 1.5])), [-1, 1]);
  same(np.ceil(np.array([-0.5, 1.5])), [-0, 2]);
  same(np.astype(np.array([1.7, -1.7]), "int32"), [1, -1], "int32");
  same(np.maximum(np.array([1, 5]), 3), [3, 5]);
  same(np.power(np.array([2, 3]), 2), [4, 9]);
  same(np.isfinite(np.array([1, Infinity, NaN])), [true, false, false]);
});

Deno.test("copy gives the same values in a buffer of its own, on every backend", () => {
  for (const backend of ["ref", "wasm"]) {
    for (
      const x of [np.array([[1.5, -0, 2]]), np.array([3, -4], "int32"), np.array([true, false])]
    ) {
      const original = toBackend(x, backend) as ConcreteArray;
      const y = np.copy(original);
      assert.equal(y.dtype, original.dtype);
      const want = original.toArray();
      original[Symbol.dispose]();
      assert.deepEqual(y.toArray(), want, `${backend} ${y.dtype}`);
    }
  }
  assert.ok(
    Object.is((np.copy(np.array([-0], "float32")).toArray() as number[])[0], -0),
    "signed zero kept",
  );
  assertClose(grad((x: Array) => np.sum(np.copy(x).mul(x)))(np.array([1, 2], "float32")), [2, 4]);
});
