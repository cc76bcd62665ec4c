/**
 * exponential, laplace, gamma, loggamma, beta, dirichlet, choice and shuffle: moments against
 * closed forms and Kolmogorov-Smirnov distances (fixed keys; bounds several standard errors
 * wide), determinism, shapes, dtypes, errors.
 */
import assert from "node:assert/strict";
import { type Array, jit, numpy as np, random, vmap } from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import { hostData } from "./util/finite_diff.ts";

const N = 20000;
/** The KS distance of `samples` from `cdf`. */
function ksDistance(samples: Float64Array, cdf: (x: number) => number): number {
  const xs = [...samples].sort((a, b) => a - b);
  let d = 0;
  xs.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / xs.length), Math.abs(f - (i + 1) / xs.length));
  });
  return d;
}
/** Critical KS distance at level ~0.001: 1.95 / sqrt(n). */
const KS = 1.95 / Math.sqrt(N);

function moments(x: Float64Array): { mean: number; variance: number } {
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
  return { mean, variance };
}

/** log Gamma(z) for z > 0 (Lanczos, g = 7), to ~1e-15. */
function lgamma(z: number): number {
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61503916999185,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lgamma(1 - z);
  z -= 1;
  let x = c[0];
  for (let i = 1; i < 9; i++) x += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
}

/** The regularised lower incomplete gamma P(a, x), by its power series. */
function gammaCdf(a: number, x: number): number {
  if (x <= 0) return 0;
  let term = 1 / a, sum = term;
  for (let k = 1; k < 1000 && term > sum * 1e-16; k++) sum += term *= x / (a + k);
  return Math.min(1, Math.exp(a * Math.log(x) - x - lgamma(a)) * sum);
}

Deno.test("exponential and laplace: KS distance and moments in float64", () => {
  const e = hostData(random.exponential(random.key(1), [N], { dtype: "float64" }));
  assert.ok(ksDistance(e, (x) => 1 - Math.exp(-x)) < KS);
  const me = moments(e);
  assert.ok(Math.abs(me.mean - 1) < 0.04 && Math.abs(me.variance - 1) < 0.1, JSON.stringify(me));
  assert.ok(e.every((v) => v >= 0 && Number.isFinite(v)));
  const l = hostData(random.laplace(random.key(2), [N], { dtype: "float64" }));
  const laplaceCdf = (x: number) => (x < 0 ? 0.5 * Math.exp(x) : 1 - 0.5 * Math.exp(-x));
  assert.ok(ksDistance(l, laplaceCdf) < KS);
  const ml = moments(l);
  assert.ok(Math.abs(ml.mean) < 0.06 && Math.abs(ml.variance - 2) < 0.25, JSON.stringify(ml));
  // float32 by default, finite, deterministic.
  const f = random.exponential(random.key(3), [1000]);
  assert.equal(f.dtype, "float32");
  assert.ok(hostData(f).every(Number.isFinite));
  assert.deepEqual(
    random.laplace(random.key(3), [5]).toArray(),
    random.laplace(random.key(3), [5]).toArray(),
  );
});

Deno.test("gamma: KS distance from the gamma CDF for small and large shapes", () => {
  for (const a of [0.3, 1, 2.5, 10]) {
    const g = hostData(random.gamma(random.key(10), a, { shape: [N], dtype: "float64" }));
    assert.ok(g.every((v) => v >= 0 && Number.isFinite(v)), `a = ${a}: non-finite sample`);
    const d = ksDistance(g, (x) => gammaCdf(a, x));
    assert.ok(d < KS, `a = ${a}: KS distance ${d} >= ${KS}`);
    const m = moments(g);
    // Mean and variance a; standard errors sqrt(a / N) and about sqrt((6a + 2a^2) / N).
    assert.ok(Math.abs(m.mean - a) < 6 * Math.sqrt(a / N), `a = ${a}: mean ${m.mean}`);
    assert.ok(
      Math.abs(m.variance - a) < 6 * Math.sqrt((6 * a + 2 * a * a) / N),
      `a = ${a}: var ${m.variance}`,
    );
  }
});

Deno.test("gamma broadcasts its shape parameter; loggamma is its log, finite for tiny a", () => {
  const a = np.array([0.5, 2, 8], "float64");
  const g = random.gamma(random.key(4), a, { shape: [4000, 3], dtype: "float64" });
  assert.deepEqual(g.shape, [4000, 3]);
  const means = hostData(np.mean(g, 0));
  [0.5, 2, 8].forEach((v, i) =>
    assert.ok(Math.abs(means[i] - v) < 6 * Math.sqrt(v / 4000), `${means[i]}`)
  );
  assert.deepEqual(random.gamma(random.key(4), a).shape, [3]);
  assertClose(
    np.exp(random.loggamma(random.key(5), a, { dtype: "float64" })),
    random.gamma(random.key(5), a, { dtype: "float64" }),
    { rtol: 1e-12, atol: 0 },
  );
  // a = 1e-3: samples underflow in float32 as values, but their logs are finite; E[log G] =
  // digamma(a) ~ -1/a - 0.5772 for small a.
  const lg = hostData(random.loggamma(random.key(6), 1e-3, { shape: [N] }));
  assert.ok(lg.every(Number.isFinite));
  const mean = lg.reduce((s, v) => s + v, 0) / N;
  assert.ok(Math.abs(mean - (-1000 - 0.5772)) < 6 * 1000 / Math.sqrt(N), `mean log ${mean}`);
  // jit gives the same numbers.
  const jg = jit((k: Array) => random.gamma(k, a, { dtype: "float64" }))(random.key(5));
  assertClose(jg, random.gamma(random.key(5), a, { dtype: "float64" }), { rtol: 1e-10, atol: 0 });
});

Deno.test("beta and dirichlet: moments, support, shapes", () => {
  const b = hostData(random.beta(random.key(7), 2, 5, { shape: [N], dtype: "float64" }));
  const m = moments(b);
  assert.ok(b.every((v) => v >= 0 && v <= 1));
  assert.ok(Math.abs(m.mean - 2 / 7) < 0.005, `mean ${m.mean}`); // se 0.0011
  assert.ok(Math.abs(m.variance - 10 / 392) < 0.002, `var ${m.variance}`);
  // Beta(1, 1) is uniform.
  const u = hostData(random.beta(random.key(8), 1, 1, { shape: [N], dtype: "float64" }));
  assert.ok(ksDistance(u, (x) => Math.min(1, Math.max(0, x))) < KS);
  // Tiny parameters: samples stay in [0, 1] rather than 0 / 0.
  assert.ok(
    hostData(random.beta(random.key(9), 1e-3, 1e-3, { shape: [1000] })).every((v) =>
      v >= 0 && v <= 1
    ),
  );

  const alpha = np.array([1, 2, 3], "float64");
  const d = random.dirichlet(random.key(11), alpha, { shape: [5000], dtype: "float64" });
  assert.deepEqual(d.shape, [5000, 3]);
  assertClose(np.sum(d, -1), np.ones([5000], "float64"), { rtol: 1e-12, atol: 1e-12 });
  const dm = hostData(np.mean(d, 0));
  [1 / 6, 2 / 6, 3 / 6].forEach((v, i) =>
    assert.ok(Math.abs(dm[i] - v) < 0.015, `${dm[i]} vs ${v}`)
  );
  // Var of component i: a_i (a0 - a_i) / (a0^2 (a0 + 1)).
  const dv = hostData(np.var(d, 0));
  [1, 2, 3].forEach((a, i) => {
    const want = a * (6 - a) / (36 * 7);
    assert.ok(Math.abs(dv[i] - want) < 0.1 * want, `${dv[i]} vs ${want}`);
  });
  assert.deepEqual(random.dirichlet(random.key(0), np.ones([2, 4])).shape, [2, 4]);
});

Deno.test("choice: with and without replacement, weighted, along an axis", () => {
  const distinct = random.choice(random.key(1), 10, { shape: [10], replace: false });
  assert.equal(distinct.dtype, "int32");
  assert.deepEqual([...hostData(distinct)].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const uniformDraws = hostData(random.choice(random.key(2), 4, { shape: [N] }));
  const p = [0.1, 0.2, 0.3, 0.4];
  const weighted = hostData(random.choice(random.key(3), 4, { shape: [N], p: np.array(p) }));
  for (let i = 0; i < 4; i++) {
    const fu = uniformDraws.filter((v) => v === i).length / N;
    const fw = weighted.filter((v) => v === i).length / N;
    assert.ok(Math.abs(fu - 0.25) < 0.02, `uniform ${i}: ${fu}`); // se 0.003
    assert.ok(Math.abs(fw - p[i]) < 0.02, `weighted ${i}: ${fw}`);
  }
  // Weighted without replacement: the first draw follows p; all draws are distinct.
  // (2000 keys at once under vmap.)
  const firsts = [0, 0, 0, 0];
  const draws = vmap((k: Array) =>
    random.choice(k, 4, { shape: [3], replace: false, p: np.array(p) })
  )(
    random.splitBatch(random.key(4), 2000),
  );
  const flat = hostData(draws);
  for (let r = 0; r < 2000; r++) {
    assert.equal(new Set(flat.slice(3 * r, 3 * r + 3)).size, 3);
    firsts[flat[3 * r]]++;
  }
  firsts.forEach((c, i) => assert.ok(Math.abs(c / 2000 - p[i]) < 0.05, `first ${i}: ${c / 2000}`));
  // Slices of an array along an axis.
  const x = np.reshape(np.arange(12), [3, 4]);
  const cols = random.choice(random.key(5), x, { shape: [2, 2], axis: 1 });
  assert.deepEqual(cols.shape, [3, 2, 2]);
  const c = hostData(cols);
  for (let j = 0; j < 4; j++) assert.deepEqual([c[j] + 4, c[j] + 8], [c[4 + j], c[8 + j]]);
  assert.deepEqual(random.choice(random.key(5), 7).shape, []);
});

Deno.test("shuffle is permutation along an axis; samplers are deterministic per key", () => {
  const x = np.reshape(np.arange(20), [5, 4]);
  assert.deepEqual(
    random.shuffle(random.key(1), x, 1).toArray(),
    random.permutation(random.key(1), x, 1).toArray(),
  );
  for (
    const draw of [
      (k: Array) => random.gamma(k, 2, { shape: [8] }),
      (k: Array) => random.beta(k, 2, 3, { shape: [8] }),
      (k: Array) => random.choice(k, 100, { shape: [8], replace: false }),
      (k: Array) => random.exponential(k, [8]),
    ]
  ) {
    assert.deepEqual(draw(random.key(42)).toArray(), draw(random.key(42)).toArray());
    assert.notDeepEqual(draw(random.key(42)).toArray(), draw(random.key(43)).toArray());
  }
});

/** The largest distance between the empirical and the exact CDF of integer samples. */
function discreteKs(samples: Float64Array, pmf: (k: number) => number): number {
  const max = Math.max(...samples);
  const counts = new Float64Array(max + 1);
  for (const v of samples) counts[v]++;
  let emp = 0, exact = 0, d = 0;
  for (let k = 0; k <= max; k++) {
    emp += counts[k] / samples.length;
    exact += pmf(k);
    d = Math.max(d, Math.abs(emp - exact));
  }
  return d;
}

Deno.test("poisson: exact distribution on both sides of the switch of method at rate 10", () => {
  for (const lam of [0.5, 3, 9.9, 10, 50, 1000]) {
    const x = random.poisson(random.key(20), np.array(lam, "float64"), { shape: [N] });
    assert.equal(x.dtype, "int32");
    const xs = hostData(x);
    assert.ok(xs.every((v) => Number.isInteger(v) && v >= 0), `lam ${lam}: bad sample`);
    const d = discreteKs(xs, (k) => Math.exp(k * Math.log(lam) - lam - lgamma(k + 1)));
    assert.ok(d < KS, `lam ${lam}: CDF distance ${d} >= ${KS}`);
    const m = moments(xs);
    assert.ok(Math.abs(m.mean - lam) < 6 * Math.sqrt(lam / N), `lam ${lam}: mean ${m.mean}`);
    assert.ok(
      Math.abs(m.variance - lam) < 6 * Math.sqrt((lam + 2 * lam * lam) / N),
      `lam ${lam}: var ${m.variance}`,
    );
  }
  // Rate 0 gives 0; rates broadcast; float32 rates; deterministic.
  assert.deepEqual(random.poisson(random.key(1), 0, { shape: [5] }).toArray(), [0, 0, 0, 0, 0]);
  const mixed = random.poisson(random.key(2), np.array([1, 100]), { shape: [4000, 2] });
  const mm = hostData(np.mean(np.astype(mixed, "float32"), 0));
  assert.ok(Math.abs(mm[0] - 1) < 0.1 && Math.abs(mm[1] - 100) < 1, `${mm}`);
  assert.deepEqual(
    random.poisson(random.key(3), 20, { shape: [6] }).toArray(),
    random.poisson(random.key(3), 20, { shape: [6] }).toArray(),
  );
  const rates = np.array([0, 2, 9.5, 10, 300]);
  assert.deepEqual(
    jit((k: Array) => random.poisson(k, rates))(random.key(4)).toArray(),
    random.poisson(random.key(4), rates).toArray(),
  );
  assert.throws(
    () => random.poisson(random.key(0), np.ones([3]), { shape: [2] }),
    /does not broadcast/,
  );
});

Deno.test("errors name the sampler and the problem", () => {
  const k = random.key(0);
  assert.throws(
    () => random.choice(k, 3, { shape: [4], replace: false }),
    /cannot draw 4 items without replacement from a population of 3/,
  );
  assert.throws(
    () => random.choice(k, 3, { p: np.array([0.5, 0.5]) }),
    /p must be a float array of shape \[3\]/,
  );
  assert.throws(() => random.choice(k, 3, { size: [2] } as never), /keys among/);
  assert.throws(
    () => random.gamma(k, np.ones([3]), { shape: [2] }),
    /do not broadcast to the sample shape \[2\]/,
  );
  assert.throws(() => random.exponential(k, [2], { dtype: "int32" as never }), /float dtype/);
  assert.throws(() => random.dirichlet(k, np.array(1)), /last axis of concentrations/);
  assert.throws(() => random.beta(k, "2" as never, 1), /expected a as a number or an array/);
});
