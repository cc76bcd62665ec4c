import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, grad, jit, lax, numpy as np, random, vmap } from "../mod.ts";
import { threefry2x32 } from "../core/primitives/threefry.ts";
import { assertClose } from "./util/assert_close.ts";

const words = (xs: number[]) => np.array(Int32Array.from(xs));
const unsigned = (x: Array) => (x.toArray() as number[]).map((v) => v >>> 0);

Deno.test("threefry2x32 matches the Random123 known-answer vectors", () => {
  // Salmon et al. (SC 2011), threefry2x32 with 20 rounds: [k0, k1, x0, x1] -> [y0, y1].
  const vectors = [
    [[0, 0, 0, 0], [0x6b200159, 0x99ba4efe]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
    [[0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3], [0xc4923a9c, 0x483df7a0]],
  ];
  const column = (i: number) => words(vectors.map(([input]) => input[i]));
  const [y0, y1] = threefry2x32(column(0), column(1), column(2), column(3));
  assert.deepEqual(unsigned(y0), vectors.map(([, out]) => out[0]));
  assert.deepEqual(unsigned(y1), vectors.map(([, out]) => out[1]));
});

Deno.test("bit primitives agree with JS integer operators", async (t) => {
  const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  const shift = fc.integer({ min: -2, max: 40 });
  const pairs = fc.array(fc.tuple(int32, shift), { minLength: 1, maxLength: 16 });
  const cases: [string, (x: Array, y: Array) => Array, (x: number, s: number) => number][] = [
    ["xor", lax.xor, (x, y) => x ^ y],
    ["shift_left", lax.shiftLeft, (x, s) => (s >= 0 && s < 32 ? x << s : 0)],
    ["shift_right_logical", lax.shiftRightLogical, (x, s) => (s >= 0 && s < 32 ? x >>> s : 0)],
    [
      "shift_right_arithmetic",
      lax.shiftRightArithmetic,
      (x, s) => x >> Math.min(s < 0 ? 31 : s, 31),
    ],
  ];
  for (const [name, op, expected] of cases) {
    await t.step(name, () => {
      fc.assert(fc.property(pairs, (ps) => {
        const out = op(words(ps.map((p) => p[0])), words(ps.map((p) => p[1])));
        assert.deepEqual(out.toArray(), ps.map(([x, s]) => expected(x, s) | 0));
      }));
    });
  }
  await t.step("bitcast_convert_type reinterprets float32 bits and round-trips", () => {
    const x = np.array([1, -2.5, 0, 3e-38]);
    const asInt = lax.bitcastConvertType(x, "int32");
    assert.deepEqual(asInt.toArray(), [
      ...new Int32Array(new Float32Array([1, -2.5, 0, 3e-38]).buffer),
    ]);
    assertClose(lax.bitcastConvertType(asInt, "float32"), x, { rtol: 0, atol: 0 });
    assert.throws(
      () => lax.bitcastConvertType(np.array([1], "float64"), "int32"),
      /equal bit width/,
    );
  });
});

Deno.test("keys: seeds, split and foldIn", async (t) => {
  await t.step("a seed becomes the words [high, low]", () => {
    assert.deepEqual(random.key(0).toArray(), [0, 0]);
    assert.deepEqual(random.key(42).toArray(), [0, 42]);
    assert.deepEqual(random.key(2 ** 32 + 5).toArray(), [1, 5]);
    assert.deepEqual(random.key(-1).toArray(), [0, -1]);
    assert.deepEqual(vmap(random.key)(np.array([3, 7], "int32")).toArray(), [[0, 3], [0, 7]]);
  });
  await t.step("invalid seeds and keys are rejected with the operation named", () => {
    assert.throws(() => random.key(1.5), /random.key: expected an integer seed/);
    assert.throws(
      () => random.uniform(np.array([1, 2], "float32"), [2]),
      /random.bits: expected a PRNG key/,
    );
    assert.throws(() => random.split(np.array([1, 2, 3], "int32")), /random.split/);
  });
  await t.step("split encrypts the counters (0, i) and foldIn(key, i) is split's key i", () => {
    const k = random.key(7);
    const keys = random.split(k, 3);
    assert.equal(keys.length, 3);
    const [k0, k1] = k.toArray() as number[];
    keys.forEach((sub, i) => {
      const [y0, y1] = threefry2x32(words([k0]), words([k1]), words([0]), words([i]));
      assert.deepEqual(sub.toArray(), [
        ...(y0.toArray() as number[]),
        ...(y1.toArray() as number[]),
      ]);
      assert.deepEqual(random.foldIn(k, i).toArray(), sub.toArray());
    });
    assert.deepEqual(random.splitBatch(k, 3).toArray(), keys.map((s) => s.toArray()));
  });
  await t.step("derived keys are distinct", () => {
    const all = random.split(random.key(1), 50).map((s) => String(s.toArray()));
    assert.equal(new Set(all).size, 50);
  });
});

Deno.test("the same key gives the same numbers, eagerly, under jit and under vmap", () => {
  const k = random.key(3);
  const draw = (key: Array) => ({
    u: random.uniform(key, [5]),
    n: random.normal(key, [2, 2], { dtype: "float64" }),
    b: random.bernoulli(key, 0.5, [4]),
    p: random.permutation(key, 6),
  });
  const eager = draw(k);
  const again = draw(random.key(3));
  const jitted = jit(draw)(k);
  for (const name of ["u", "n", "b", "p"] as const) {
    assert.deepEqual(again[name].toArray(), eager[name].toArray(), name);
    assert.deepEqual(jitted[name].toArray(), eager[name].toArray(), name);
  }
  const other = draw(random.key(4));
  assert.notDeepEqual(other.u.toArray(), eager.u.toArray());
  const keys = random.splitBatch(k, 3);
  const batched = vmap(draw)(keys);
  random.split(k, 3).forEach((key, i) => {
    const one = draw(key);
    for (const name of ["u", "n", "b", "p"] as const) {
      assert.deepEqual(np.index(batched[name], i).toArray(), one[name].toArray(), name);
    }
  });
});

/** Sample mean and variance of a float array. */
function moments(x: Array): [number, number] {
  return [np.mean(x).item(), np.variance(x).item()];
}

Deno.test("samplers have the right distributions (large-sample moments)", async (t) => {
  const n = 20000;
  // Standard errors at n = 20000 are about 0.007 * sd; bounds below are ~5 standard errors.
  await t.step("uniform in [minval, maxval), float32 and float64", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const u = random.uniform(random.key(0), [n], { dtype, minval: -1, maxval: 3 });
      assert.equal(u.dtype, dtype);
      const [m, v] = moments(u);
      assert.ok(Math.abs(m - 1) < 0.05, `mean ${m}`);
      assert.ok(Math.abs(v - 16 / 12) < 0.05, `variance ${v}`);
      assert.ok(np.min(u).item() >= -1 && np.max(u).item() < 3);
    }
  });
  await t.step("normal", () => {
    const [m, v] = moments(random.normal(random.key(1), [n]));
    assert.ok(Math.abs(m) < 0.04, `mean ${m}`);
    assert.ok(Math.abs(v - 1) < 0.05, `variance ${v}`);
  });
  await t.step("truncatedNormal stays in bounds with the truncated mean", () => {
    const x = random.truncatedNormal(random.key(2), -1, 2, [n]);
    assert.ok(np.min(x).item() >= -1 && np.max(x).item() <= 2);
    const phi = (z: number) => Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
    // Phi(2) - Phi(-1) = 0.8185946141...
    const expected = (phi(-1) - phi(2)) / 0.8185946141203637;
    assert.ok(Math.abs(np.mean(x).item() - expected) < 0.03);
    const half = random.truncatedNormal(random.key(3), 0, Infinity, [1000]);
    assert.ok(np.min(half).item() >= 0 && np.all(np.isfinite(half)).item() === 1);
  });
  await t.step("bernoulli frequency is p", () => {
    const f = np.mean(random.bernoulli(random.key(4), 0.3, [n])).item();
    assert.ok(Math.abs(f - 0.3) < 0.02, `frequency ${f}`);
    const perElement = random.bernoulli(random.key(5), np.array([0, 1], "float32"));
    assert.deepEqual(perElement.toArray(), [false, true]);
  });
  await t.step("randint covers [minval, maxval) evenly", () => {
    const draws = random.randint(random.key(9), [n], -2, 3);
    assert.equal(draws.dtype, "int32");
    const values = draws.toArray() as number[];
    for (let v = -2; v < 3; v++) {
      const f = values.filter((d) => d === v).length / n;
      assert.ok(Math.abs(f - 0.2) < 0.015, `value ${v}: frequency ${f}`);
    }
    assert.ok(values.every((d) => d >= -2 && d < 3));
    assert.throws(() => random.randint(random.key(0), [2], 3, 3), /minval < maxval/);
  });
  await t.step("gumbel mean is the Euler-Mascheroni constant", () => {
    const m = np.mean(random.gumbel(random.key(6), [n])).item();
    assert.ok(Math.abs(m - 0.5772156649) < 0.05, `mean ${m}`);
  });
  await t.step("categorical frequencies follow softmax(logits)", () => {
    const probs = [0.1, 0.2, 0.7];
    const logits = np.log(np.array([probs, [0.5, 0.25, 0.25]]));
    const draws = random.categorical(random.key(7), logits, -1, [5000, 2]);
    assert.deepEqual(draws.shape, [5000, 2]);
    assert.equal(draws.dtype, "int32");
    const firstColumn = np.index(draws, np.s(), 0);
    probs.forEach((p, c) => {
      const f = np.mean(np.equal(firstColumn, c)).item();
      assert.ok(Math.abs(f - p) < 0.03, `class ${c}: ${f} vs ${p}`);
    });
    const alongAxis0 = random.categorical(random.key(8), np.transpose(logits), 0);
    assert.deepEqual(alongAxis0.shape, [2]);
    assert.throws(() => random.categorical(random.key(0), logits, -1, [3]), /batch shape/);
  });
});

Deno.test("permutation is a permutation", async (t) => {
  const sorted = (x: Array) => [...(x.toArray() as number[])].sort((a, b) => a - b);
  await t.step("of 0..n-1, for sizes that take one and two shuffle rounds", () => {
    for (const n of [0, 1, 2, 10, 2000]) {
      const p = random.permutation(random.key(n), n);
      assert.equal(p.dtype, "int32");
      assert.deepEqual(sorted(p), [...globalThis.Array(n).keys()]);
    }
    const a = random.permutation(random.key(0), 50).toArray();
    const b = random.permutation(random.key(1), 50).toArray();
    assert.notDeepEqual(a, b);
  });
  await t.step("of an array's slices along an axis", () => {
    const x = np.reshape(np.arange(12), [3, 4]);
    const rows = random.permutation(random.key(5), x);
    assert.deepEqual(
      (rows.toArray() as number[][]).map((r) => r[0]).sort((a, b) => a - b),
      [0, 4, 8],
    );
    const cols = random.permutation(random.key(5), x, 1);
    assert.deepEqual(sorted(np.index(cols, 0)), [0, 1, 2, 3]);
    assert.throws(() => random.permutation(random.key(0), -1), /non-negative integer/);
  });
  await t.step("every position is equally likely", () => {
    const counts = [0, 0, 0, 0];
    const firsts = vmap((k: Array) => random.permutation(k, 4))(
      random.splitBatch(random.key(9), 4000),
    );
    for (const row of firsts.toArray() as number[][]) counts[row[0]]++;
    counts.forEach((c) => assert.ok(Math.abs(c / 4000 - 0.25) < 0.04, `counts ${counts}`));
  });
});

Deno.test("lax.sort sorts by keys, stably, and differentiates through the permutation", () => {
  const keys = np.array([[3, 1, 2, 1], [0, -1, 5, 2]], "int32");
  const vals = np.array([[10, 11, 12, 13], [20, 21, 22, 23]]);
  const [k, v] = lax.sort([keys, vals], 1, 1);
  assert.deepEqual(k.toArray(), [[1, 1, 2, 3], [-1, 0, 2, 5]]);
  assert.deepEqual(v.toArray(), [[11, 13, 12, 10], [21, 20, 23, 22]]);
  const [byColumn] = lax.sort([np.array([[3, 1], [2, 4]])], 0);
  assert.deepEqual(byColumn.toArray(), [[2, 1], [3, 4]]);
  assert.deepEqual(
    vmap((x: Array) => lax.sort([x], 0)[0])(np.array([[2, NaN, 1], [0, 3, -1]])).toArray(),
    [[1, 2, NaN], [-1, 0, 3]],
  );
  const w = np.array([1, 10, 100], "float64");
  const f = (x: Array) => np.sum(lax.sort([x], 0)[0].mul(w));
  // sort([0.5, -1, 2]) = [-1, 0.5, 2]: x1 gets weight 1, x0 weight 10, x2 weight 100.
  assertClose(grad(f)(np.array([0.5, -1, 2], "float64")), [10, 1, 100], { rtol: 1e-12 });
});
