/**
 * The numpy and lax array functions built from structural primitives: cumulative scans
 * against loops (every length, so both branches of the odd/even recursion), sort, argsort and
 * topK against host sorts with ties and NaN, triangles and diagonals against index formulas,
 * einsum against a brute-force sum over every index assignment, and the tiling, joining and
 * outer-product functions against NumPy's documented results. Derivatives are checked against
 * central differences, wasm against ref, and vmap and jit against eager.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, grad, jit, jvp, lax, numpy as np, vmap } from "../mod.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { assertClose } from "./util/assert_close.ts";
import { arrayOf, runs, seededArray, shapes } from "./util/arbitraries.ts";
import { f64, hostData, inner, numericJvp } from "./util/finite_diff.ts";

/** Checks jvp and grad of `f` at `x` against central differences along a seeded direction. */
function checkDerivatives(f: (x: Array) => Array, x: Array, seed = 1): void {
  const v = seededArray(x.shape, seed);
  const [, t] = jvp(f, [x], [v]) as [Array, Array];
  assertClose(t, numericJvp(f, [x], [v]) as Array, { rtol: 1e-6, atol: 1e-7 });
  const u = seededArray(t.shape, seed + 1);
  const g = grad((y: Array) => np.sum(np.multiply(f(y), u)))(x) as Array;
  const want = inner(numericJvp(f, [x], [v]), u);
  assert.ok(
    Math.abs(inner(g, v) - want) <= 1e-6 * (1 + Math.abs(want)),
    `grad: ${inner(g, v)} vs ${want}`,
  );
}

/** `f` on ref and on wasm (eager and jitted) agree (exactly for these exact computations). */
function checkBackends(f: (x: Array) => Array, x: Array, tol = 0): void {
  const host = hostData(x);
  const on = (name: string, g: (x: Array) => Array) =>
    withDefaultBackend(name, () => hostData(g(f64(host, x.shape))));
  const ref = on("ref", f);
  for (
    const [name, got] of [["wasm", on("wasm", f)], [
      "wasm jit",
      on("wasm", jit(f, { compile: "sync" })),
    ]] as const
  ) {
    got.forEach((v, i) =>
      assert.ok(
        Math.abs(v - ref[i]) <= tol * (1 + Math.abs(ref[i])) ||
          (Number.isNaN(v) && Number.isNaN(ref[i])),
        `${name} element ${i}: ${v} vs ${ref[i]}`,
      )
    );
  }
}

/** Running `op` along `axis` of host data of `shape` (from the end with `reverse`). */
function hostScan(
  data: Float64Array,
  shape: number[],
  axis: number,
  op: (a: number, b: number) => number,
  reverse = false,
): number[] {
  const out = globalThis.Array.from(data);
  const n = shape[axis], inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = data.length / Math.max(n * inner, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => o * n * inner + k * inner + i;
      for (let s = 1; s < n; s++) {
        const k = reverse ? n - 1 - s : s, prev = reverse ? k + 1 : k - 1;
        out[at(k)] = op(out[at(prev)], out[at(k)]);
      }
    }
  }
  return out;
}

const SCANS: [
  string,
  (x: Array, axis: number, reverse: boolean) => Array,
  (a: number, b: number) => number,
][] = [
  ["cumsum", lax.cumsum, (a, b) => a + b],
  ["cumprod", lax.cumprod, (a, b) => a * b],
  ["cummax", lax.cummax, (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b))],
  ["cummin", lax.cummin, (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b))],
];

Deno.test("lax.cumsum, cumprod, cummax and cummin match loops along every axis, both directions", async (t) => {
  for (const [name, scan, op] of SCANS) {
    await t.step(name, () => {
      for (let n = 1; n <= 9; n++) {
        for (const reverse of [false, true]) {
          const x = f64(globalThis.Array.from({ length: 2 * n }, (_, i) => ((i * 7) % 5) - 1.5), [
            2,
            n,
          ]);
          assertClose(scan(x, 1, reverse), hostScan(hostData(x), [2, n], 1, op, reverse), {
            rtol: 1e-15,
            atol: 0,
          });
          assertClose(scan(x, 0, reverse), hostScan(hostData(x), [2, n], 0, op, reverse), {
            rtol: 1e-15,
            atol: 0,
          });
        }
      }
      const ints = np.array([[3, -1, 4], [1, -5, 9]]);
      assert.deepEqual(
        scan(ints, 1, false).toArray(),
        [[3, -1, 4], [1, -5, 9]].map((r) => hostScan(Float64Array.from(r), [3], 0, op)),
      );
      assert.equal(scan(ints, 1, false).dtype, "int32");
    });
  }
  await t.step("NaN propagates through cummax", () => {
    assert.deepEqual(lax.cummax(f64([1, NaN, 3], [3])).toArray(), [1, NaN, NaN]);
  });
});

Deno.test("np.cumsum and np.cumprod flatten without an axis, count bools as int32 and take a dtype", () => {
  assert.deepEqual(np.cumsum(np.array([[1, 2], [3, 4]])).toArray(), [1, 3, 6, 10]);
  assert.deepEqual(np.cumsum(np.array([[1, 2], [3, 4]]), -1).toArray(), [[1, 3], [3, 7]]);
  assert.deepEqual(np.cumprod(np.array([[1, 2], [3, 4]]), 0).toArray(), [[1, 2], [3, 8]]);
  const b = np.cumsum(np.array([true, true, false, true]));
  assert.deepEqual([b.toArray(), b.dtype], [[1, 2, 2, 3], "int32"]);
  assert.equal(np.cumsum(np.array([1, 2]), 0, "float64").dtype, "float64");
});

Deno.test("cumulative scans: derivatives, wasm against ref, vmap and jit", async (t) => {
  await t.step("derivatives against central differences (cumprod also with zeros)", () => {
    fc.assert(
      fc.property(
        shapes({ minRank: 1, maxDim: 6 }).chain((s) => arrayOf(s)),
        fc.boolean(),
        (x, reverse) => {
          for (const [, scan] of SCANS.slice(0, 2)) {
            checkDerivatives((y) => scan(y, x.ndim - 1, reverse), x);
          }
        },
      ),
      runs(25),
    );
    checkDerivatives((y) => lax.cumprod(y), f64([2, 0, 3, -1, 0.5], [5]));
    checkDerivatives((y) => lax.cummax(y), f64([0.1, 0.5, -0.3, 0.9, 0.2], [5]));
  });
  await t.step("the gradient of cumsum is a reversed cumsum", () => {
    const g = grad((y: Array) => np.sum(np.multiply(np.cumsum(y), f64([1, 2, 3, 4], [4]))))(
      f64([0, 0, 0, 0], [4]),
    );
    assert.deepEqual(g.toArray(), [10, 9, 7, 4]);
  });
  await t.step("wasm matches ref, eager and jitted", () => {
    const x = f64(globalThis.Array.from({ length: 33 }, (_, i) => Math.sin(i)), [3, 11]);
    for (const [, scan] of SCANS) checkBackends((y) => scan(y, 1, false), x, 1e-15);
  });
  await t.step("vmap over either axis matches the unbatched scan", () => {
    const x = f64(globalThis.Array.from({ length: 12 }, (_, i) => i - 5), [3, 4]);
    assert.deepEqual(vmap((r: Array) => lax.cumsum(r))(x).toArray(), lax.cumsum(x, 1).toArray());
    assert.deepEqual(
      vmap((c: Array) => lax.cummax(c), { inAxes: 1, outAxes: 1 })(x).toArray(),
      lax.cummax(x, 0).toArray(),
    );
  });
});

Deno.test("lax.associativeScan of a non-commutative combine (affine maps) matches the recurrence", () => {
  // (a, b) is the map h -> a h + b; composing earlier then later gives (a1 a2, b1 a2 + b2).
  const compose = (
    [a1, b1]: Array[],
    [a2, b2]: Array[],
  ) => [np.multiply(a1, a2), np.add(np.multiply(b1, a2), b2)];
  for (let n = 1; n <= 8; n++) {
    const a = globalThis.Array.from({ length: n }, (_, i) => 0.5 + i / 7),
      b = globalThis.Array.from({ length: n }, (_, i) => i - 2);
    const [, h] = lax.associativeScan(compose, [f64(a, [n]), f64(b, [n])]);
    let acc = 0;
    const want = a.map((ai, i) => (acc = ai * acc + b[i]));
    assertClose(h, want, { rtol: 1e-14, atol: 1e-14 });
    const [, hr] = lax.associativeScan(compose, [f64(a, [n]), f64(b, [n])], true);
    acc = 0;
    const wantR = [...a].reverse().map((ai, i) => (acc = ai * acc + [...b].reverse()[i])).reverse();
    assertClose(hr, wantR, { rtol: 1e-14, atol: 1e-14 });
  }
});

Deno.test("sort, argsort and topK order as NumPy and JAX, with ties stable and NaN largest", () => {
  const v = [3, 1, NaN, 2, 1, -0, 3, -Infinity];
  const x = f64(v, [v.length]);
  const idx = v.map((_, i) => i);
  const byValue = (i: number, j: number) =>
    Number.isNaN(v[i]) ? 1 : Number.isNaN(v[j]) ? -1 : v[i] - v[j];
  const cmp = (i: number, j: number) => byValue(i, j) || i - j;
  const asc = [...idx].sort(cmp);
  assert.deepEqual(np.argsort(x).toArray(), asc);
  assert.deepEqual(np.sort(x).toArray(), asc.map((i) => v[i]));
  const desc = [...idx].sort((i, j) => byValue(j, i) || i - j);
  assert.deepEqual(np.argsort(x, { descending: true }).toArray(), desc);
  assert.deepEqual(np.sort(x, { descending: true }).toArray(), desc.map((i) => v[i]));
  const [values, indices] = lax.topK(x, 3);
  assert.deepEqual([values.toArray(), indices.toArray()], [[NaN, 3, 3], [2, 0, 6]]);
  const m = np.array([[3, 1, 2], [0, 5, 4]]);
  assert.deepEqual(np.sort(m, 0).toArray(), [[0, 1, 2], [3, 5, 4]]);
  assert.deepEqual(np.sort(m, null).toArray(), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(np.argsort(m).toArray(), [[1, 2, 0], [0, 2, 1]]);
  assert.deepEqual(lax.topK(m, 2).map((a) => a.toArray()), [[[3, 2], [5, 4]], [[0, 2], [1, 2]]]);
  assert.throws(() => lax.topK(m, 4), /lax.topK: expected .* k in \[0, 3\]/);
  assert.throws(() => np.sort(m, { axes: 0 } as never), /np.sort: unknown option "axes"/);
});

Deno.test("sort and topK are differentiable, batch under vmap and agree on wasm", () => {
  const x = f64([0.3, -0.2, 0.9, 0.1, 0.5, -0.7], [2, 3]);
  checkDerivatives((y) => lax.topK(y, 2)[0], x);
  checkDerivatives((y) => np.sort(y, { descending: true }), x);
  assert.deepEqual(vmap((r: Array) => lax.topK(r, 1)[1])(x).toArray(), [[2], [1]]);
  checkBackends((y) => {
    const [values, indices] = lax.topK(y, 2);
    const order = np.astype(np.argsort(y, { descending: true }), "float64");
    return np.concatenate([values, np.astype(indices, "float64"), order], 1);
  }, x);
});

/** Host `[..., n, m]` data of a seeded float64 array. */
const seeded = (shape: number[], seed = 3) => seededArray(shape, seed);

Deno.test("tril, triu and tri keep the entries on their side of diagonal k, over leading axes", () => {
  const x = seeded([2, 3, 4]);
  const d = hostData(x);
  for (const k of [-3, -1, 0, 1, 2, 5]) {
    const keep = (i: number, j: number, lower: boolean) => (lower ? j <= i + k : j >= i + k);
    for (const lower of [true, false]) {
      const want = globalThis.Array.from(
        d,
        (v, f) => (keep(Math.floor(f / 4) % 3, f % 4, lower) ? v : 0),
      );
      assertClose((lower ? np.tril : np.triu)(x, k), f64(want, [2, 3, 4]), { rtol: 0, atol: 0 });
    }
    assert.deepEqual(
      np.tri(3, 4, k).toArray(),
      [0, 1, 2].map((i) => [0, 1, 2, 3].map((j) => +(j <= i + k))),
    );
  }
  checkDerivatives((y) => np.triu(y, 1), x);
  assert.throws(
    () => np.tril(np.array([1, 2])),
    /np.tril: expected an array of at least 2 dimensions/,
  );
});

Deno.test("diagonal, diag and trace read and build diagonals at every offset", () => {
  const x = seeded([3, 4]);
  const d = hostData(x);
  for (const k of [-3, -2, -1, 0, 1, 2, 3, 4]) {
    const want: number[] = [];
    for (let i = 0; i < 3; i++) if (i + k >= 0 && i + k < 4) want.push(d[i * 4 + i + k]);
    assertClose(np.diagonal(x, k), f64(want, [want.length]), { rtol: 0, atol: 0 });
    assertClose(np.diag(x, k), f64(want, [want.length]), { rtol: 0, atol: 0 });
    assertClose(np.trace(x, k), [want.reduce((a, b) => a + b, 0)], { rtol: 1e-15, atol: 1e-15 });
    const v = f64([1, 2, 3], [3]);
    const n = 3 + Math.abs(k);
    const built = globalThis.Array.from(
      { length: n },
      (_, i) =>
        globalThis.Array.from(
          { length: n },
          (_, j) => (j - i === k ? [1, 2, 3][Math.min(i, j)] : 0),
        ),
    );
    assert.deepEqual(np.diag(v, k).toArray(), built);
  }
  const b = seeded([2, 3, 3]);
  assertClose(np.diagonal(b, 0, 1, 2), np.einsum("bii->bi", b), { rtol: 0, atol: 0 });
  assertClose(np.trace(b, 0, -2, -1), np.einsum("bii->b", b), { rtol: 1e-15, atol: 0 });
  assert.deepEqual(np.diagonal(b, 0, 0, 2).shape, [3, 2]);
  checkDerivatives((y) => np.diagonal(y, 1), x);
  checkDerivatives((y) => np.diag(np.diagonal(y, -1), 1), x);
  checkBackends((y) => np.add(np.diag(np.diagonal(y)), np.trace(y)), seeded([3, 3]));
  assert.deepEqual(np.trace(np.array([[true, true], [false, true]])).toArray(), 2);
});

/** Brute-force einsum on the host: sums the product over every assignment of the letters. */
function hostEinsum(inputs: string[], output: string, ops: Array[]): number[] {
  const letters = [...new Set(inputs.join("") + output)];
  const size = new Map<string, number>();
  inputs.forEach((t, i) =>
    [...t].forEach((c, k) => size.set(c, Math.max(size.get(c) ?? 1, ops[i].shape[k])))
  );
  const data = ops.map(hostData);
  const outShape = [...output].map((c) => size.get(c)!);
  const out: number[] = new globalThis.Array(outShape.reduce((a, b) => a * b, 1)).fill(0);
  const assign = new Map<string, number>();
  const flat = (t: string, shape: readonly number[]) =>
    [...t].reduce((f, c, k) => f * shape[k] + (shape[k] === 1 ? 0 : assign.get(c)!), 0);
  const visit = (l: number): void => {
    if (l === letters.length) {
      const p = inputs.reduce((acc, t, i) => acc * data[i][flat(t, ops[i].shape)], 1);
      out[flat(output, outShape)] += p;
      return;
    }
    for (let v = 0; v < size.get(letters[l])!; v++) {
      assign.set(letters[l], v);
      visit(l + 1);
    }
  };
  visit(0);
  return out;
}

Deno.test("einsum matches a brute-force sum: diagonals, ellipses, broadcasting, many operands", async (t) => {
  const cases: [string, string[], string, number[][]][] = [
    ["ii->i", ["ii"], "i", [[3, 3]]],
    ["ii->", ["ii"], "", [[3, 3]]],
    ["ii", ["ii"], "", [[3, 3]]],
    ["iij->ji", ["iij"], "ji", [[2, 2, 3]]],
    ["ijij->ij", ["ijij"], "ij", [[2, 3, 2, 3]]],
    ["ij,jk", ["ij", "jk"], "ik", [[2, 3], [3, 4]]],
    ["i,i", ["i", "i"], "", [[4], [4]]],
    ["i,j->ij", ["i", "j"], "ij", [[2], [3]]],
    ["ij,jk,kl->il", ["ij", "jk", "kl"], "il", [[2, 3], [3, 4], [4, 2]]],
    ["ab,bc,cd,da->", ["ab", "bc", "cd", "da"], "", [[2, 3], [3, 2], [2, 4], [4, 2]]],
    ["ii,ij,j->", ["ii", "ij", "j"], "", [[3, 3], [3, 2], [2]]],
    ["...ij,...jk->...ik", ["xyij", "xyjk"], "xyik", [[2, 1, 2, 3], [2, 4, 3, 2]]],
    ["...ij,jk", ["yij", "jk"], "yik", [[2, 2, 3], [3, 2]]],
    ["i...,i...->...", ["iy", "iy"], "y", [[3, 4], [3, 1]]],
    ["...i->...", ["xyi"], "xy", [[2, 3, 4]]],
    ["...,...", ["xy", "xy"], "xy", [[2, 3], [3]]],
  ];
  for (const [spec, inputs, output, shapes_] of cases) {
    await t.step(spec, () => {
      const ops = shapes_.map((s, i) => seeded(s, 10 + i));
      // The host oracle labels ellipsis axes with letters; align operands of lower rank by
      // giving them leading size-1 axes.
      const rank = (
        s: number[],
        t: string,
      ) => [...globalThis.Array(t.length - s.length).fill(1), ...s];
      const hostOps = ops.map((o, i) => np.reshape(o, rank(shapes_[i], inputs[i])));
      const want = hostEinsum(inputs, output, hostOps);
      const got = np.einsum(spec, ...ops);
      assertClose(globalThis.Array.from(hostData(got)), want, { rtol: 1e-13, atol: 1e-13 });
      checkDerivatives((y) => np.einsum(spec, y, ...ops.slice(1)), ops[0]);
    });
  }
  await t.step("errors name the subscripts", () => {
    const a = seeded([2, 3]);
    assert.throws(() => np.einsum("ij->ii", a), /np.einsum: "ij->ii": output letter "i" repeats/);
    assert.throws(() => np.einsum("ij->k", a), /output letter "k" is not in any input/);
    assert.throws(() => np.einsum("ii", a), /repeats "i" over axes of sizes 2 and 3/);
    assert.throws(() => np.einsum("ij,jk", a, a), /"j" has size 3 in an earlier operand and 2/);
    assert.throws(() => np.einsum("ijk", a), /does not match "ijk"/);
  });
  await t.step("vmap, jit and wasm agree with eager ref", () => {
    const a = seeded([3, 3, 3]);
    assertClose(vmap((m: Array) => np.einsum("ii->", m))(a), np.einsum("bii->b", a), {
      rtol: 1e-15,
      atol: 0,
    });
    checkBackends((y) => np.einsum("ij,jk,ki->i", y, y, y), seeded([3, 3]), 1e-14);
  });
});

Deno.test("tile, repeat, roll and the stacks give NumPy's documented results", () => {
  const a = np.array([0, 1, 2]);
  assert.deepEqual(np.tile(a, 2).toArray(), [0, 1, 2, 0, 1, 2]);
  assert.deepEqual(np.tile(a, [2, 2]).toArray(), [[0, 1, 2, 0, 1, 2], [0, 1, 2, 0, 1, 2]]);
  assert.deepEqual(np.tile(np.array([[1, 2], [3, 4]]), 2).toArray(), [[1, 2, 1, 2], [3, 4, 3, 4]]);
  assert.deepEqual(np.tile(a, [2, 1, 2]).shape, [2, 1, 6]);
  const x = np.array([[1, 2], [3, 4]]);
  assert.deepEqual(np.repeat(3, 4).toArray(), [3, 3, 3, 3]);
  assert.deepEqual(np.repeat(x, 2).toArray(), [1, 1, 2, 2, 3, 3, 4, 4]);
  assert.deepEqual(np.repeat(x, 3, 1).toArray(), [[1, 1, 1, 2, 2, 2], [3, 3, 3, 4, 4, 4]]);
  assert.deepEqual(np.repeat(x, [1, 2], 0).toArray(), [[1, 2], [3, 4], [3, 4]]);
  assert.throws(
    () => np.repeat(x, [1, 2, 3], 0),
    /np.repeat: expected one repeat count per element/,
  );
  const r = np.arange(10);
  assert.deepEqual(np.roll(r, 2).toArray(), [8, 9, 0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(np.roll(r, -12).toArray(), [2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  const r2 = np.reshape(r, [2, 5]);
  assert.deepEqual(np.roll(r2, 1).toArray(), [[9, 0, 1, 2, 3], [4, 5, 6, 7, 8]]);
  assert.deepEqual(np.roll(r2, 1, 0).toArray(), [[5, 6, 7, 8, 9], [0, 1, 2, 3, 4]]);
  assert.deepEqual(np.roll(r2, [1, 1], [1, 0]).toArray(), [[9, 5, 6, 7, 8], [4, 0, 1, 2, 3]]);
  assert.deepEqual(np.hstack([np.array([1, 2, 3]), np.array([4, 5, 6])]).toArray(), [
    1,
    2,
    3,
    4,
    5,
    6,
  ]);
  assert.deepEqual(np.hstack([np.array([[1], [2]]), np.array([[4], [5]])]).toArray(), [[1, 4], [
    2,
    5,
  ]]);
  assert.deepEqual(np.vstack([np.array([1, 2, 3]), np.array([4, 5, 6])]).toArray(), [[1, 2, 3], [
    4,
    5,
    6,
  ]]);
  assert.deepEqual(np.dstack([np.array([1, 2, 3]), np.array([2, 3, 4])]).toArray(), [[[1, 2], [
    2,
    3,
  ], [3, 4]]]);
  assert.equal(np.vstack([np.array([1], "int32"), np.array([0.5], "float64")]).dtype, "float64");
  const y = seeded([3, 4]);
  checkDerivatives((z) => np.roll(np.tile(np.repeat(z, [2, 0, 1], 0), [1, 2]), [1, -3], [0, 1]), y);
  checkBackends((z) => np.vstack([np.roll(z, 5), np.repeat(z, 2, 1).reshape([6, 4])]), y);
});

Deno.test("outer, kron and meshgrid give NumPy's documented results", () => {
  assert.deepEqual(np.outer(np.array([1, 2]), np.array([[1, 2], [3, 4]])).toArray(), [
    [1, 2, 3, 4],
    [2, 4, 6, 8],
  ]);
  assert.deepEqual(np.kron(np.array([1, 10, 100]), np.array([5, 6, 7])).toArray(), [
    5,
    6,
    7,
    50,
    60,
    70,
    500,
    600,
    700,
  ]);
  assert.deepEqual(
    np.kron(np.eye(2, 2, 0, "int32"), np.ones([2, 2], "int32")).toArray(),
    [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]],
  );
  const k = np.kron(seeded([2, 5, 1, 3]), seeded([3, 1, 2], 4));
  assert.deepEqual(k.shape, [2, 15, 1, 6]);
  const [xv, yv] = np.meshgrid(np.array([0, 0.5, 1]), np.array([0, 1]));
  assert.deepEqual(xv.toArray(), [[0, 0.5, 1], [0, 0.5, 1]]);
  assert.deepEqual(yv.toArray(), [[0, 0, 0], [1, 1, 1]]);
  const ij = np.meshgrid(np.array([1, 2, 3]), np.array([4, 5]), np.array([6, 7, 8, 9]), {
    indexing: "ij",
  });
  assert.deepEqual(ij.map((g) => g.shape), [[3, 2, 4], [3, 2, 4], [3, 2, 4]]);
  const xy = np.meshgrid(np.array([1, 2, 3]), np.array([4, 5]), np.array([6, 7, 8, 9]));
  assert.deepEqual(xy.map((g) => g.shape), [[2, 3, 4], [2, 3, 4], [2, 3, 4]]);
  const sparse = np.meshgrid(np.array([1, 2, 3]), np.array([4, 5]), { sparse: true });
  assert.deepEqual(sparse.map((g) => g.shape), [[1, 3], [2, 1]]);
  assert.throws(
    () => np.meshgrid(np.array([1]), { indexing: "yx" as never }),
    /np.meshgrid: indexing is "yx"/,
  );
  checkDerivatives((z) => np.kron(z, np.outer(z, np.array([1, -2], "float64"))), seeded([3]));
});
