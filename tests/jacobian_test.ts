/**
 * jacfwd, jacrev and hessian over pytrees with argnums and hasAux: JAX's output structure,
 * closed forms in float64, agreement with composing grad and with finite differences.
 */
import assert from "node:assert/strict";
import { type Array, grad, hessian, jacfwd, jacrev, jit, numpy as np, vmap } from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import { numericJvp } from "./util/finite_diff.ts";

const TIGHT = { rtol: 1e-12, atol: 1e-12 };
const f64 = (x: number[] | number[][]) => np.array(x, "float64");
const diag = (v: Array) => np.eye(v.size, undefined, undefined, "float64").mul(v);

// f(x, y) = { a: x * sin(y0), b: sum(x^2) * y }, x of shape [3], y of shape [2].
const f2 = (x: Array, y: Array) => ({
  a: x.mul(np.sin(np.index(y, 0))),
  b: np.sum(x.mul(x)).mul(y),
});
const xs = [0.5, -1, 2], ys = [0.3, -0.7];
const x = f64(xs), y = f64(ys);
const s = Math.sin(ys[0]), c = Math.cos(ys[0]);
const sq = xs.reduce((t, v) => t + v * v, 0);
const closed = {
  a: [xs.map((_, i) => xs.map((_, j) => (i === j ? s : 0))), xs.map((v) => [v * c, 0])],
  b: [
    ys.map((w) => xs.map((v) => 2 * v * w)),
    ys.map((_, i) => ys.map((_, j) => (i === j ? sq : 0))),
  ],
};

for (const [name, jac] of [["jacfwd", jacfwd], ["jacrev", jacrev]] as const) {
  Deno.test(`${name} nests input structure in output structure, closed forms`, async (t) => {
    await t.step("argnums [0, 1] over an object output", () => {
      const j = jac(f2, { argnums: [0, 1] })(x, y);
      assert.deepEqual(Object.keys(j).sort(), ["a", "b"]);
      assert.deepEqual(j.a.map((l: Array) => l.shape), [[3, 3], [3, 2]]);
      assert.deepEqual(j.b.map((l: Array) => l.shape), [[2, 3], [2, 2]]);
      for (const k of ["a", "b"] as const) {
        for (const i of [0, 1]) assertClose(j[k][i], closed[k][i], TIGHT, `${k}[${i}]`);
      }
    });
    await t.step("argnums 1 (an int) gives arrays, not lists, at the output leaves", () => {
      const j = jac(f2, { argnums: 1 })(x, y);
      assertClose(j.a, closed.a[1], TIGHT);
      assertClose(j.b, closed.b[1], TIGHT);
    });
    await t.step("a pytree argument: {w, b} for w v + b", () => {
      const v = f64([1.5, -2]);
      const p = { w: f64([[1, 2], [3, 4]]), b: f64([0.1, 0.2]) };
      const j = jac((q: typeof p) => np.matmul(q.w, v).add(q.b))(p);
      // d(w v + b)_i / d w_kl = delta_ik v_l, d / d b_k = delta_ik.
      assertClose(j.w, [[[1.5, -2], [0, 0]], [[0, 0], [1.5, -2]]], TIGHT);
      assertClose(j.b, [[1, 0], [0, 1]], TIGHT);
    });
    await t.step("hasAux returns [jacobian, aux]; aux is not differentiated", () => {
      const [j, aux] = jac((v: Array) => [np.sin(v), { sum: np.sum(v), tag: "ok" }], {
        hasAux: true,
      })(x);
      assertClose(j, diag(np.cos(x)), TIGHT);
      assertClose(aux.sum, 1.5, TIGHT);
      assert.equal(aux.tag, "ok");
    });
    await t.step("a scalar output and a scalar input keep their shapes", () => {
      const j = jac((v: Array) => np.exp(v))(np.array(0.5, "float64"));
      assert.deepEqual(j.shape, []);
      assertClose(j, Math.exp(0.5), TIGHT);
    });
    await t.step("matches finite differences along a direction", () => {
      const g = (v: Array) => np.tanh(np.matmul(f64([[1, -2, 0.5], [0.3, 0.4, -1]]), v.mul(v)));
      const dir = f64([0.2, -0.5, 1]);
      const j = jac(g)(x);
      assertClose(np.matmul(j, dir), numericJvp(g, [x], [dir]) as Array, {
        rtol: 1e-8,
        atol: 1e-9,
      });
    });
    await t.step("composes with jit and vmap", () => {
      const g = (v: Array) => np.sin(v).mul(np.sum(v));
      const plain = jac(g)(x);
      assertClose(jit(jac(g))(x), plain, TIGHT);
      const batch = f64([xs, xs.map((v) => -v)]);
      const vm = vmap(jac(g))(batch);
      assertClose(np.index(vm, 0), plain, TIGHT);
      assertClose(np.index(vm, 1), jac(g)(np.negative(x)), TIGHT);
    });
    await t.step("errors name the problem", () => {
      assert.throws(() => jac(f2, { argnums: 2 })(x, y), /argnums 2/);
      assert.throws(() => jac(np.sin)(np.array([1, 2])), /float32 or float64, got i32/);
      assert.throws(
        () => jac((v: Array) => np.argmax(v))(x),
        /outputs must be float32 or float64/,
      );
      assert.throws(() => jac(np.sin, { hasAux: true })(x), /must return \[out, aux\]/);
    });
  });
}

Deno.test("hessian over two arguments is the nested Jacobian of the gradient", () => {
  // F(x, y) = sum(x^2 y): H[0][0] = diag(2y), H[0][1] = H[1][0] = diag(2x), H[1][1] = 0.
  const F = (a: Array, b: Array) => np.sum(a.mul(a).mul(b));
  const a = f64([0.5, -1]), b = f64([2, 3]);
  const h = hessian(F, { argnums: [0, 1] })(a, b);
  assertClose(h[0][0], [[4, 0], [0, 6]], TIGHT);
  assertClose(h[0][1], [[1, 0], [0, -2]], TIGHT);
  assertClose(h[1][0], [[1, 0], [0, -2]], TIGHT);
  assertClose(h[1][1], [[0, 0], [0, 0]], TIGHT);
  // The same as differentiating grad forward and backward.
  const viaGrad = jacrev(grad(F, { argnums: [0, 1] }), { argnums: [0, 1] })(a, b);
  for (const i of [0, 1]) for (const j of [0, 1]) assertClose(h[i][j], viaGrad[i][j], TIGHT);
});

Deno.test("hessian with hasAux returns [hessian, aux]", () => {
  const F = (v: Array) => [np.sum(np.sin(v)), np.max(v)];
  const [h, aux] = hessian(F, { hasAux: true })(x);
  assertClose(h, diag(np.negative(np.sin(x))), TIGHT);
  assertClose(aux, 2, TIGHT);
});

Deno.test("hessian of a pytree argument: blocks keyed by both trees", () => {
  const F = (p: { u: Array; v: Array }) => np.sum(p.u.mul(p.v)).mul(np.sum(p.u));
  const p = { u: f64([1, 2]), v: f64([3, -1]) };
  const h = hessian(F)(p);
  // F = (u.v)(sum u): d2F/du_i du_j = v_i + v_j, d2F/du_i dv_j = delta_ij sum(u) + u_j.
  assertClose(h.u.u, [[6, 2], [2, -2]], TIGHT);
  assertClose(h.u.v, [[4, 2], [1, 5]], TIGHT);
  assertClose(h.v.u, [[4, 1], [2, 5]], TIGHT);
  assertClose(h.v.v, [[0, 0], [0, 0]], TIGHT);
});
