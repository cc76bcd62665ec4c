/**
 * layerNorm, batchNorm, embedding, attention, and the functional maxPool/dropout: closed forms
 * on the host in float64, gradients against finite differences.
 */
import assert from "node:assert/strict";
import { type Array, grad, jit, nn, numpy as np, random } from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import { f64, hostData, numericJvp } from "./util/finite_diff.ts";

const TIGHT = { rtol: 1e-12, atol: 1e-12 };
const FD = { rtol: 1e-7, atol: 1e-8 };
const seq = (n: number, f: (i: number) => number) =>
  globalThis.Array.from({ length: n }, (_, i) => f(i));
const data = (shape: readonly number[], f: (i: number) => number) =>
  f64(seq(shape.reduce((a, b) => a * b, 1), f), shape);
const x24 = data([2, 4], (i) => Math.sin(3 * i + 1) * 2);

/** Checks `grad(F)` against central differences along a fixed direction. */
function checkGrad(F: (x: Array) => Array, x: Array): void {
  const dir = data(x.shape, (i) => Math.cos(i + 0.5));
  const g = grad(F)(x) as Array;
  assertClose(np.sum(g.mul(dir)), numericJvp(F, [x], [dir]) as Array, FD);
}

function hostStandardize(row: number[], eps: number): number[] {
  const m = row.reduce((a, b) => a + b, 0) / row.length;
  const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / row.length;
  return row.map((r) => (r - m) / Math.sqrt(v + eps));
}

Deno.test("standardize and layerNorm against the closed form", () => {
  const rows = [hostData(x24).slice(0, 4), hostData(x24).slice(4)].map((r) => [...r]);
  assertClose(nn.standardize(x24), rows.map((r) => hostStandardize(r, 1e-5)), TIGHT);
  const ln = nn.layerNorm({ dtype: "float64" });
  const [shape, params] = ln.init(random.key(0), [-1, 4]);
  assert.deepEqual(shape, [-1, 4]);
  assertClose(params.scale!, [1, 1, 1, 1]);
  const scale = f64([1, 2, -1, 0.5], [4]), bias = f64([0, 1, 2, 3], [4]);
  const y = ln.apply({ scale, bias }, x24);
  const want = rows.map((r) => hostStandardize(r, 1e-5).map((v, i) => v * [1, 2, -1, 0.5][i] + i));
  assertClose(y, want, TIGHT);
  // Over the last two axes of [2, 2, 2]: each example's 4 values as one group.
  const ln2 = nn.layerNorm({ axis: [-2, -1], useBias: false, dtype: "float64" });
  const [, p2] = ln2.init(random.key(0), [2, 2, 2]);
  assert.equal(p2.bias, undefined);
  assertClose(
    ln2.apply(p2, np.reshape(x24, [2, 2, 2])),
    np.reshape(f64(want.flat().map((v, i) => (v - (i % 4)) / [1, 2, -1, 0.5][i % 4]), [2, 4]), [
      2,
      2,
      2,
    ]),
    TIGHT,
  );
  const c = data([2, 4], (i) => i - 3);
  checkGrad((x) => np.sum(ln.apply({ scale, bias }, x).mul(c)), x24);
  assert.throws(() => nn.layerNorm({ axis: 0 }).init(random.key(0), [2, 4]), /last ones/);
});

Deno.test("batchNorm: batch statistics and a running update in training, running ones at inference", () => {
  const bn = nn.batchNorm({ momentum: 0.25, dtype: "float64" });
  const x = data([3, 2, 2], (i) => Math.sin(i * 1.3) * 3 + i * 0.1); // N=3, C=2, L=2
  const [, params, state0] = bn.init(random.key(0), [-1, 2, 2]);
  assertClose(params.scale, [1, 1]);
  assertClose(params.bias, [0, 0]);
  assertClose(state0.mean, [0, 0]);
  assertClose(state0.var, [1, 1]);
  const scale = f64([2, -1], [2]), bias = f64([0.5, 1], [2]);
  const p = { scale, bias };
  const [y, state1] = bn.apply(p, state0, x, { training: true });
  const xs = hostData(x);
  const channel = (c: number) => seq(6, (k) => xs[Math.floor(k / 2) * 4 + c * 2 + (k % 2)]);
  const want = new Float64Array(12);
  const means: number[] = [], unbiased: number[] = [];
  for (const c of [0, 1]) {
    const v = channel(c);
    const m = v.reduce((a, b) => a + b, 0) / 6;
    const ss = v.reduce((a, b) => a + (b - m) ** 2, 0);
    means.push(m);
    unbiased.push(ss / 5);
    for (let k = 0; k < 6; k++) {
      const idx = Math.floor(k / 2) * 4 + c * 2 + (k % 2);
      want[idx] = (xs[idx] - m) / Math.sqrt(ss / 6 + 1e-5) * [2, -1][c] + [0.5, 1][c];
    }
  }
  assertClose(y, f64(want, [3, 2, 2]), TIGHT);
  assertClose(state1.mean, means.map((m) => 0.25 * m), TIGHT);
  assertClose(state1.var, unbiased.map((v) => 0.75 + 0.25 * v), TIGHT);
  // Inference: normalise by the running statistics, state unchanged.
  const [yEval, same] = bn.apply(p, state1, x);
  assert.equal(same, state1);
  const rm = hostData(state1.mean), rv = hostData(state1.var);
  assertClose(
    yEval,
    f64(
      xs.map((v, i) => {
        const c = Math.floor(i / 2) % 2;
        return (v - rm[c]) / Math.sqrt(rv[c] + 1e-5) * [2, -1][c] + [0.5, 1][c];
      }),
      [3, 2, 2],
    ),
    TIGHT,
  );
  // Gradients flow through the batch statistics in training; the step jits with its state.
  const cw = data([3, 2, 2], (i) => i % 5 - 2);
  checkGrad((v) => np.sum(bn.apply(p, state0, v, { training: true })[0].mul(cw)), x);
  const step = jit((s: typeof state0, v: Array) => bn.apply(p, s, v, { training: true }));
  const [yj, sj] = step(state0, x);
  assertClose(yj, y, TIGHT);
  assertClose(sj.var, state1.var, TIGHT);
  assert.throws(
    () => bn.apply(p, state0, data([1, 2, 1], (i) => i), { training: true }),
    /more than one value/,
  );
});

Deno.test("embedding looks rows up and accumulates their gradients", () => {
  const emb = nn.embedding(5, 3, { dtype: "float64" });
  const [shape, params] = emb.init(random.key(1), [-1, 4]);
  assert.deepEqual(shape, [-1, 4, 3]);
  assert.deepEqual(params.table.shape, [5, 3]);
  const ids = np.array([[0, 4, 4], [2, 0, 1]], "int32");
  const table = data([5, 3], (i) => i * 0.5 - 3);
  const rows = hostData(table);
  const want = [[0, 4, 4], [2, 0, 1]].map((r) =>
    r.map((id) => [...rows.slice(id * 3, id * 3 + 3)])
  );
  assertClose(emb.apply({ table }, ids), want, TIGHT);
  const g = grad((t: Array) => np.sum(emb.apply({ table: t }, ids)))(table);
  assertClose(g, [[2, 2, 2], [1, 1, 1], [1, 1, 1], [0, 0, 0], [2, 2, 2]], TIGHT);
  assert.throws(() => emb.apply({ table }, f64([1, 2], [2])), /integer indices/);
});

/** Attention on the host: q [T, N, H], k, v [S, N, H]. */
function hostAttention(q: Array, k: Array, v: Array, causal: boolean): Float64Array {
  const [t, n, h] = q.shape, s = k.shape[0];
  const qd = hostData(q), kd = hostData(k), vd = hostData(v);
  const out = new Float64Array(t * n * h);
  for (let head = 0; head < n; head++) {
    for (let i = 0; i < t; i++) {
      const logits = seq(s, (j) => {
        if (causal && j > i) return -Infinity;
        let d = 0;
        for (let e = 0; e < h; e++) d += qd[(i * n + head) * h + e] * kd[(j * n + head) * h + e];
        return d / Math.sqrt(h);
      });
      const m = Math.max(...logits);
      const w = logits.map((l) => Math.exp(l - m));
      const z = w.reduce((a, b) => a + b, 0);
      for (let e = 0; e < h; e++) {
        out[(i * n + head) * h + e] = w.reduce(
          (a, wj, j) => a + wj / z * vd[(j * n + head) * h + e],
          0,
        );
      }
    }
  }
  return out;
}

Deno.test("dotProductAttention against the closed form, causal or not, with its gradient", () => {
  const q = data([4, 2, 3], (i) => Math.sin(i)), k = data([4, 2, 3], (i) => Math.cos(2 * i));
  const v = data([4, 2, 3], (i) => i * 0.1 - 1);
  for (const causal of [false, true]) {
    const got = nn.dotProductAttention(q, k, v, { isCausal: causal });
    assertClose(got, f64(hostAttention(q, k, v, causal), [4, 2, 3]), TIGHT);
    // With a batch axis, each example is its own attention.
    const batched = nn.dotProductAttention(
      np.reshape(q, [1, 4, 2, 3]),
      np.reshape(k, [1, 4, 2, 3]),
      np.reshape(v, [1, 4, 2, 3]),
      { isCausal: causal },
    );
    assertClose(np.reshape(batched, [4, 2, 3]), got, TIGHT);
  }
  // An explicit mask equal to the causal one gives the same result.
  const tri = np.greaterEqual(np.reshape(np.arange(4), [4, 1]), np.reshape(np.arange(4), [1, 4]));
  assertClose(
    nn.dotProductAttention(q, k, v, { mask: tri }),
    nn.dotProductAttention(q, k, v, { isCausal: true }),
    TIGHT,
  );
  const c = data([4, 2, 3], (i) => (i % 3) - 1);
  checkGrad((x) => np.sum(nn.dotProductAttention(x, k, v, { isCausal: true }).mul(c)), q);
  checkGrad((x) => np.sum(nn.dotProductAttention(q, x, v).mul(c)), k);
  assert.throws(() => nn.dotProductAttention(q, np.ones([4, 2, 5]), v), /expected query/);
});

Deno.test("multiHeadAttention is its projections around dotProductAttention; causal ignores the future", () => {
  const mha = nn.multiHeadAttention(2, { causal: true, dtype: "float64" });
  const [shape, params] = mha.init(random.key(3), [-1, 5, 4]);
  assert.deepEqual(shape, [-1, 5, 4]);
  assert.deepEqual(params.query.w.shape, [4, 4]);
  const x = data([2, 5, 4], (i) => Math.sin(0.7 * i));
  const proj = (p: { w: Array; b: Array }) => np.reshape(np.matmul(x, p.w).add(p.b), [2, 5, 2, 2]);
  const heads = nn.dotProductAttention(proj(params.query), proj(params.key), proj(params.value), {
    isCausal: true,
  });
  const want = np.matmul(np.reshape(heads, [2, 5, 4]), params.out.w).add(params.out.b);
  const y = mha.apply(params, x);
  assertClose(y, want, TIGHT);
  // Changing the last position leaves the outputs at earlier positions as they were.
  const changed = np.where(np.equal(np.reshape(np.arange(5), [1, 5, 1]), 4), 10, x);
  const y2 = mha.apply(params, changed);
  assertClose(
    np.take(y2, np.arange(4), 1),
    np.take(y, np.arange(4), 1),
    TIGHT,
  );
  checkGrad((v) => np.sum(mha.apply(params, v).mul(np.sin(v))), x);
  assert.throws(
    () => nn.multiHeadAttention(3).init(random.key(0), [1, 2, 4]),
    /multiple of 3 heads/,
  );
});

Deno.test("functional maxPool/avgPool match the layers; dropout(x, rate, key) matches the layer", () => {
  const x = data([1, 2, 4, 4], (i) => Math.sin(i * 1.1));
  assertClose(nn.maxPool(x, [2, 2]), nn.maxPool2d(2).apply(null, x), TIGHT);
  assertClose(
    nn.avgPool(x, [2, 2], { strides: [1, 1] }),
    nn.avgPool2d(2, { stride: 1 }).apply(null, x),
    TIGHT,
  );
  // A 1-d window over the last axis.
  const row = f64([1, 5, 2, 0, 3, 3], [1, 6]);
  assertClose(nn.maxPool(row, [2]), [[5, 2, 3]], TIGHT);
  assertClose(nn.maxPool(row, [3], { strides: [1], padding: "SAME" }), [[5, 5, 5, 3, 3, 3]], TIGHT);
  assert.throws(() => nn.maxPool(row, [2, 2, 2]), /at most rank 2/);

  const key = random.key(7);
  const ones = np.ones([50, 40], "float64");
  const d = nn.dropout(ones, 0.25, key);
  assertClose(d, nn.dropout(0.25).apply(null, ones, { key, training: true }), TIGHT);
  assertClose(nn.dropout(ones, 0.25, key), d, TIGHT); // same key, same mask
  const vals = hostData(d);
  assert.ok(vals.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-12));
  const kept = vals.filter((v) => v !== 0).length / vals.length;
  assert.ok(Math.abs(kept - 0.75) < 0.05, `kept fraction ${kept}`); // sd ~ 0.01
  assert.throws(() => nn.dropout(ones, 1, key), /drop rate/);
});
