/**
 * `np.matmul` against a plain triple loop over broadcast batches, with its gradients, for every
 * rank pattern: vectors, matrices, stacks of either side; a matrix on the right is applied to all
 * rows at once, so the gradient of its weight is one product, not one per batch element.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, type ConcreteArray, grad, jit, makeJaxpr, numpy as np } from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import { runs, seededArray } from "./util/arbitraries.ts";

/** Row-major values of `x`. */
const values = (x: Array) => [...(x as ConcreteArray).dataSync()];

/** matmul by definition: broadcast batch dimensions, then sum over k. */
function naiveMatmul(a: Array, b: Array): number[] {
  const [va, vb] = [a.ndim === 1, b.ndim === 1];
  const as = va ? [1, a.shape[0]] : a.shape, bs = vb ? [b.shape[0], 1] : b.shape;
  const [m, k, n] = [as[as.length - 2], as[as.length - 1], bs[bs.length - 1]];
  const ba = as.slice(0, -2), bb = bs.slice(0, -2);
  const nb = Math.max(ba.length, bb.length);
  const pad = (s: number[]) => [...Array_(nb - s.length, 1), ...s];
  const [pa, pb] = [pad(ba), pad(bb)];
  const batch = pa.map((d, i) => Math.max(d, pb[i]));
  const [x, y] = [values(a), values(b)];
  const out: number[] = [];
  const count = batch.reduce((p, d) => p * d, 1);
  for (let t = 0; t < count; t++) {
    const idx = unravel(t, batch);
    const offA = ravel(idx.map((v, i) => (pa[i] === 1 ? 0 : v)), pa) * m * k;
    const offB = ravel(idx.map((v, i) => (pb[i] === 1 ? 0 : v)), pb) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) s += x[offA + i * k + l] * y[offB + l * n + j];
        out.push(s);
      }
    }
  }
  return out;
}

function Array_(n: number, v: number): number[] {
  return globalThis.Array.from({ length: n }, () => v);
}

function unravel(t: number, shape: number[]): number[] {
  const idx = shape.map(() => 0);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = t % shape[i];
    t = Math.floor(t / shape[i]);
  }
  return idx;
}

function ravel(idx: number[], shape: number[]): number {
  return idx.reduce((acc, v, i) => acc * shape[i] + v, 0);
}

/** Batch dimensions of one side: a suffix of the common batch, some of them 1 (broadcast). */
const sideBatch = (batch: number[], drop: number, ones: boolean[]) =>
  batch.slice(Math.min(drop, batch.length)).map((d, i) => (ones[i] ? 1 : d));

const shapesArb = fc.record({
  batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
  dropA: fc.nat(2),
  dropB: fc.nat(2),
  onesA: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  onesB: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  m: fc.integer({ min: 1, max: 3 }),
  k: fc.integer({ min: 1, max: 4 }),
  n: fc.integer({ min: 1, max: 3 }),
  vecA: fc.boolean(),
  vecB: fc.boolean(),
  seed: fc.nat(1e6),
}).map((s) => ({
  a: s.vecA ? [s.k] : [...sideBatch(s.batch, s.dropA, s.onesA), s.m, s.k],
  b: s.vecB ? [s.k] : [...sideBatch(s.batch, s.dropB, s.onesB), s.k, s.n],
  seed: s.seed,
}));

Deno.test("np.matmul equals the triple loop over broadcast batches", () => {
  fc.assert(
    fc.property(shapesArb, ({ a, b, seed }) => {
      const x = seededArray(a, seed), y = seededArray(b, seed + 1);
      assertClose(values(np.matmul(x, y)), naiveMatmul(x, y), { rtol: 1e-12, atol: 1e-12 });
      assertClose(values(jit(np.matmul)(x, y)), naiveMatmul(x, y), { rtol: 1e-12, atol: 1e-12 });
    }),
    runs(60),
  );
});

Deno.test("np.matmul's gradients equal those of the triple loop's linear form", () => {
  fc.assert(
    fc.property(shapesArb, ({ a, b, seed }) => {
      const x = seededArray(a, seed), y = seededArray(b, seed + 1);
      const out = np.matmul(x, y);
      const w = seededArray(out.shape, seed + 2);
      const loss = (x: Array, y: Array) => np.sum(np.matmul(x, y).mul(w));
      // d loss / d y[l, j] = sum of w * x over what y[l, j] multiplies: by linearity, the
      // loss of a one-hot y.
      const gy = grad((y: Array) => loss(x, y))(y);
      const gx = grad((x: Array) => loss(x, y))(x);
      const oneHot = (shape: number[], i: number) => {
        const v = Array_(shape.reduce((p, d) => p * d, 1), 0);
        v[i] = 1;
        return np.reshape(np.array(v, "float64"), shape);
      };
      const wv = values(w);
      const dot = (u: number[]) => u.reduce((s, v, i) => s + v * wv[i], 0);
      const wantY = values(gy).map((_, i) => dot(naiveMatmul(x, oneHot(b, i))));
      const wantX = values(gx).map((_, i) => dot(naiveMatmul(oneHot(a, i), y)));
      assertClose(values(gy), wantY, { rtol: 1e-12, atol: 1e-12 });
      assertClose(values(gx), wantX, { rtol: 1e-12, atol: 1e-12 });
    }),
    runs(40),
  );
});

Deno.test("a stack of rows times a matrix is one product, and so is the weight's gradient", () => {
  const x = seededArray([5, 3, 4], 1), w = seededArray([4, 2], 2);
  const program = makeJaxpr(grad((w: Array) => np.sum(np.tanh(np.matmul(x, w)))))(w);
  const dots = program.eqns.filter((e) => e.prim.name === "dot_general");
  assert.equal(dots.length, 2, program.toString());
  for (const e of dots) assert.ok(e.outBinders[0].aval.ndim <= 3, program.toString());
  // Neither product is batched, and the weight is never broadcast over the stack.
  for (const e of dots) assert.deepEqual((e.params.dims as number[][][])[1], [[], []]);
  assert.ok(
    !program.eqns.some((e) =>
      e.prim.name === "broadcast_in_dim" && e.inputs[0] === program.inBinders[0]
    ),
  );
});
