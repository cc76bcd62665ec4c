/**
 * multivariateNormal and orthogonal: sample means and covariances against the given ones, Haar
 * statistics of random orthogonal matrices (which the sign correction is needed for), `Q^T Q = I`
 * in float64, derivatives against finite differences, determinism per key, jit, vmap, ref
 * against the default backend, shapes, dtypes, errors. Fixed keys; bounds ~5 standard errors.
 */
import assert from "node:assert/strict";
import {
  AdjointError,
  type Array,
  grad,
  jit,
  jvp,
  numpy as np,
  random,
  toBackend,
  vmap,
} from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import { hostData, numericJvp } from "./util/finite_diff.ts";

const N = 20000;
const MEAN = [1, -2, 0.5];
const COV = [[2, 0.6, -0.4], [0.6, 1, 0.3], [-0.4, 0.3, 0.5]];

/** Sample mean (`[n]`) and covariance (`[n, n]`, by 1/N) of rows `[N, n]`, on the host. */
function sampleMoments(x: Array): { mean: number[]; cov: number[][] } {
  const [rows, n] = x.shape;
  const d = hostData(x);
  const mean = globalThis.Array.from({ length: n }, (_, j) => {
    let s = 0;
    for (let i = 0; i < rows; i++) s += d[i * n + j];
    return s / rows;
  });
  const cov = mean.map((mj, j) =>
    mean.map((mk, k) => {
      let s = 0;
      for (let i = 0; i < rows; i++) s += (d[i * n + j] - mj) * (d[i * n + k] - mk);
      return s / rows;
    })
  );
  return { mean, cov };
}

/** Asserts sample moments of `x` (`[N, n]`) within 5 standard errors of `mean` and `cov`. */
function assertMoments(x: Array, mean: number[], cov: number[][], what: string) {
  const got = sampleMoments(x);
  const rows = x.shape[0];
  mean.forEach((m, j) => {
    const se = Math.sqrt(cov[j][j] / rows);
    assert.ok(Math.abs(got.mean[j] - m) < 5 * se, `${what}: mean ${j} ${got.mean[j]} vs ${m}`);
  });
  cov.forEach((row, j) =>
    row.forEach((c, k) => {
      const se = Math.sqrt((cov[j][j] * cov[k][k] + c * c) / rows);
      assert.ok(
        Math.abs(got.cov[j][k] - c) < 5 * se,
        `${what}: cov ${j},${k} ${got.cov[j][k]} vs ${c}`,
      );
    })
  );
}

Deno.test("multivariateNormal: sample mean and covariance for each method, float64", () => {
  const mean = np.array(MEAN, "float64"), cov = np.array(COV, "float64");
  for (const method of ["cholesky", "eigh", "svd"] as const) {
    const x = random.multivariateNormal(random.key(7), mean, cov, { shape: [N], method });
    assert.deepEqual([x.shape, x.dtype], [[N, 3], "float64"]);
    assertMoments(x, MEAN, COV, method);
  }
  // The default method is Cholesky: the samples are mean + L z.
  const z = random.normal(random.key(7), [4, 3], { dtype: "float64" });
  const l = np.linalg.cholesky(cov);
  assertClose(
    random.multivariateNormal(random.key(7), mean, cov, { shape: [4] }),
    mean.add(np.matmul(z, l.T)),
    { rtol: 1e-12, atol: 1e-12 },
  );
  // eigh and svd accept a singular covariance: samples lie on its range, x1 = 2 x0.
  const singular = np.array([[1, 2], [2, 4]], "float64");
  for (const method of ["eigh", "svd"] as const) {
    const s = random.multivariateNormal(random.key(3), [0, 0], singular, { shape: [50], method });
    const d = hostData(s);
    for (let i = 0; i < 50; i++) assert.ok(Math.abs(d[2 * i + 1] - 2 * d[2 * i]) < 1e-6, method);
  }
});

Deno.test("multivariateNormal broadcasts batches of means and covariances", () => {
  // Two distributions: mean [2, 2] and cov [2, 2, 2]; samples [n, 2, 2].
  const means = [[0, 1], [-3, 2]];
  const covs = [[[1, 0.8], [0.8, 1]], [[0.25, -0.1], [-0.1, 4]]];
  const n = 8000;
  const x = random.multivariateNormal(
    random.key(11),
    np.array(means, "float64"),
    np.array(covs, "float64"),
    { shape: [n, 2] },
  );
  assert.deepEqual(x.shape, [n, 2, 2]);
  for (const b of [0, 1]) assertMoments(np.index(x, {}, b), means[b], covs[b], `batch ${b}`);
  // Default shape: the broadcast batch shape of mean and cov.
  const one = random.multivariateNormal(random.key(1), np.zeros([4, 1, 2]), np.eye(2));
  assert.deepEqual([one.shape, one.dtype], [[4, 1, 2], "float32"]);
  const mixed = random.multivariateNormal(
    random.key(1),
    np.zeros([3, 2]),
    np.stack([
      np.eye(2),
      np.eye(2),
    ]).reshape([2, 1, 2, 2]),
  );
  assert.deepEqual(mixed.shape, [2, 3, 2]);
  // Integer means promote to float32; dtype overrides.
  assert.equal(random.multivariateNormal(random.key(1), [0, 0], [[1, 0], [0, 1]]).dtype, "float32");
  assert.equal(
    random.multivariateNormal(random.key(1), [0, 0], np.eye(2), { dtype: "float64" }).dtype,
    "float64",
  );
});

Deno.test("multivariateNormal differentiates with respect to mean and cov (reparametrised)", () => {
  const mean = np.array([0.5, -1], "float64");
  const cov = np.array([[1.5, 0.4], [0.4, 0.8]], "float64");
  const f = (m: Array, c: Array) =>
    np.sum(np.sin(random.multivariateNormal(random.key(5), m, c, { shape: [6] })));
  const [gm, gc] = grad(f, { argnums: [0, 1] })(mean, cov);
  const dm = np.array([0.3, -0.7], "float64"), dc = np.array([[0.2, 0.1], [0.1, -0.3]], "float64");
  const want = numericJvp(f, [mean, cov], [dm, dc]) as Array;
  const got = np.sum(gm.mul(dm)).add(np.sum(gc.mul(dc)));
  assertClose(got, want.reshape([]), { rtol: 1e-7, atol: 1e-9 }, "grad");
  for (const method of ["cholesky", "eigh"] as const) {
    const g = (c: Array) =>
      np.sum(np.sin(random.multivariateNormal(random.key(5), mean, c, { shape: [6], method })));
    assertClose(jvp(g, [cov], [dc])[1] as Array, numericJvp(g, [cov], [dc]) as Array, {
      rtol: 1e-7,
      atol: 1e-9,
    }, method);
  }
});

Deno.test("multivariateNormal and orthogonal: deterministic per key, jit, vmap, ref", () => {
  const mean = np.array(MEAN, "float64"), cov = np.array(COV, "float64");
  const draws = {
    mvn: (k: Array) => random.multivariateNormal(k, mean, cov, { shape: [5] }),
    eigh: (k: Array) => random.multivariateNormal(k, mean, cov, { shape: [5], method: "eigh" }),
    orthogonal: (k: Array) => random.orthogonal(k, 4, { shape: [2], dtype: "float64" }),
  };
  for (const [name, draw] of Object.entries(draws)) {
    const a = draw(random.key(42));
    assert.deepEqual(draw(random.key(42)).toArray(), a.toArray(), name);
    assert.notDeepEqual(draw(random.key(43)).toArray(), a.toArray(), name);
    assertClose(
      jit(draw, { compile: "sync" })(random.key(42)),
      a,
      { rtol: 1e-12, atol: 1e-12 },
      `${name} jit`,
    );
    const keys = random.splitBatch(random.key(1), 3);
    const batched = vmap(draw)(keys);
    random.split(random.key(1), 3).forEach((k, i) =>
      assertClose(np.index(batched, i), draw(k), { rtol: 1e-12, atol: 1e-12 }, `${name} vmap`)
    );
    const onRef = draw(toBackend(random.key(42), "ref"));
    assertClose(onRef, a, { rtol: 1e-12, atol: 1e-12 }, `${name} ref`);
  }
});

/** `q^T q` for each matrix of `q`. */
const gram = (q: Array) => np.matmul(np.moveaxis(q, -1, -2), q);

Deno.test("orthogonal: Q^T Q = I in float64, for square and rectangular shapes", () => {
  const q = random.orthogonal(random.key(0), 5, { shape: [3], dtype: "float64" });
  assert.deepEqual([q.shape, q.dtype], [[3, 5, 5], "float64"]);
  assertClose(gram(q), np.broadcastTo(np.eye(5, 5, 0, "float64"), [3, 5, 5]), {
    atol: 1e-13,
    rtol: 0,
  });
  assertClose(np.matmul(q, np.moveaxis(q, -1, -2)), gram(q), { atol: 1e-13, rtol: 0 });
  const tall = random.orthogonal(random.key(1), 6, { m: 2, dtype: "float64" });
  assert.deepEqual(tall.shape, [6, 2]);
  assertClose(gram(tall), np.eye(2, 2, 0, "float64"), { atol: 1e-13, rtol: 0 });
  const wide = random.orthogonal(random.key(1), 2, { m: 6, dtype: "float64" });
  assert.deepEqual(wide.shape, [2, 6]);
  assertClose(np.matmul(wide, wide.T), np.eye(2, 2, 0, "float64"), { atol: 1e-13, rtol: 0 });
  const f32 = random.orthogonal(random.key(2), 3);
  assert.equal(f32.dtype, "float32");
  assertClose(gram(f32), np.eye(3), { atol: 1e-5, rtol: 0 });
});

Deno.test("orthogonal is Haar: entry moments, trace moments and det signs", () => {
  // For Q uniform on O(n): E Q_ij = 0, E Q_ij^2 = 1/n, E tr Q = 0, E (tr Q)^2 = 1, and
  // det Q = +1 or -1 equally often. Without the sign correction Q_00 < 0 always.
  const n = 3, count = 6000;
  const q = random.orthogonal(random.key(9), n, { shape: [count], dtype: "float64" });
  const d = hostData(q);
  for (let e = 0; e < n * n; e++) {
    let s = 0, s2 = 0;
    for (let i = 0; i < count; i++) {
      const v = d[i * n * n + e];
      s += v;
      s2 += v * v;
    }
    const se = Math.sqrt(1 / n / count);
    assert.ok(Math.abs(s / count) < 5 * se, `entry ${e}: mean ${s / count}`);
    assert.ok(Math.abs(s2 / count - 1 / n) < 0.02, `entry ${e}: mean square ${s2 / count}`);
  }
  const traces = hostData(np.sum(q.mul(np.eye(n, n, 0, "float64")), [1, 2]));
  const t1 = traces.reduce((a, b) => a + b, 0) / count;
  const t2 = traces.reduce((a, b) => a + b * b, 0) / count;
  assert.ok(Math.abs(t1) < 5 * Math.sqrt(1 / count), `E tr Q = ${t1}`);
  assert.ok(Math.abs(t2 - 1) < 0.1, `E (tr Q)^2 = ${t2}`);
  const dets = hostData(np.linalg.det(q));
  assert.ok(dets.every((v) => Math.abs(Math.abs(v) - 1) < 1e-12), "det is +-1");
  const positive = dets.filter((v) => v > 0).length / count;
  assert.ok(Math.abs(positive - 0.5) < 5 * Math.sqrt(0.25 / count), `P(det > 0) = ${positive}`);
});

Deno.test("errors name the sampler, what was given and what was expected", () => {
  const k = random.key(0);
  const expect = (f: () => unknown, re: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof AdjointError && re.test(e.message));
  expect(
    () => random.multivariateNormal(k, np.zeros([3]), np.ones([3, 2])),
    /random\.multivariateNormal: expected cov of shape \[\.\.\., 3, 3\] for mean of shape \[3\], got \[3,2\]/,
  );
  expect(
    () => random.multivariateNormal(k, np.zeros([2]), np.eye(3)),
    /expected cov of shape \[\.\.\., 2, 2\] for mean of shape \[2\], got \[3,3\]/,
  );
  expect(() => random.multivariateNormal(k, np.zeros([3]), np.ones([3])), /expected cov/);
  expect(() => random.multivariateNormal(k, 0, np.eye(1)), /expected mean of shape \[\.\.\., n\]/);
  expect(
    () => random.multivariateNormal(k, [0, 0], np.eye(2), { method: "lu" as never }),
    /method must be one of cholesky, eigh, svd, got "lu"/,
  );
  expect(
    () => random.multivariateNormal(k, np.zeros([3, 2]), np.eye(2), { shape: [2] }),
    /do not broadcast to the sample shape \[2\]/,
  );
  expect(
    () => random.multivariateNormal(k, np.zeros([3, 2]), np.ones([2, 2, 2])),
    /cannot be broadcast together/,
  );
  expect(
    () => random.multivariateNormal(k, [0], [[1]], { dtype: "int32" as never }),
    /float dtype/,
  );
  expect(() => random.multivariateNormal(k, [0], [[1]], { size: [2] } as never), /keys among/);
  expect(() => random.orthogonal(k, 0), /expected n as a positive integer, got 0/);
  expect(() => random.orthogonal(k, 2.5), /expected n as a positive integer/);
  expect(() => random.orthogonal(k, 3, { m: -1 }), /expected m as a positive integer/);
  expect(() => random.orthogonal(k, 3, { shape: 2 as never }), /shape must be a list/);
  expect(() => random.orthogonal(k, 3, { dtype: "int32" as never }), /float dtype/);
});
