/**
 * Derivatives with known closed forms, computed independently on the host: elementary
 * functions, softmax cross-entropy, logsumexp, quadratic forms, custom rules, stopGradient,
 * linearize, valueAndGrad options, and gradients over nested parameter pytrees.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Array,
  customJvp,
  customVjp,
  grad,
  jvp,
  linearize,
  numpy as np,
  stopGradient,
  tree,
  valueAndGrad,
  vmap,
} from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import { arrayOf, runs, shapes } from "./util/arbitraries.ts";
import { f64, hostData } from "./util/finite_diff.ts";

const TIGHT = { rtol: 1e-12, atol: 1e-12 };

/** Host-side elementwise map of a float64 array. */
function hostMap(x: Array, fn: (v: number) => number): Array {
  return f64(hostData(x).map(fn), x.shape);
}

function hostSoftmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const vectors = fc.integer({ min: 1, max: 6 }).chain((n) => arrayOf([n], (u) => 4 * u));

Deno.test("elementary derivatives match their closed forms", async (t) => {
  const sumOf = (f: (x: Array) => Array) => (x: Array) => np.sum(f(x));
  await t.step("d/dx sin = cos", () => {
    fc.assert(
      fc.property(shapes().chain((s) => arrayOf(s, (u) => 10 * u)), (x) => {
        assertClose(grad(sumOf(np.sin))(x), hostMap(x, Math.cos), TIGHT);
        assertClose(
          vmap(grad(np.sin))(np.reshape(x, [-1])),
          np.reshape(hostMap(x, Math.cos), [-1]),
          TIGHT,
        );
      }),
      runs(30),
    );
  });
  await t.step("d/dx tanh = 1 - tanh^2", () => {
    fc.assert(
      fc.property(shapes().chain((s) => arrayOf(s, (u) => 5 * u)), (x) => {
        assertClose(grad(sumOf(np.tanh))(x), hostMap(x, (v) => 1 - Math.tanh(v) ** 2), TIGHT);
      }),
      runs(30),
    );
  });
  await t.step("d/dx sigmoid = s (1 - s)", () => {
    fc.assert(
      fc.property(shapes().chain((s) => arrayOf(s, (u) => 8 * u)), (x) => {
        const s = (v: number) => 1 / (1 + Math.exp(-v));
        assertClose(grad(sumOf(np.sigmoid))(x), hostMap(x, (v) => s(v) * (1 - s(v))), TIGHT);
      }),
      runs(30),
    );
  });
  await t.step("d/dx exp = exp, d/dx log = 1/x, d/dx sqrt = 1/(2 sqrt x)", () => {
    const x = f64([0.25, 1, 2.5, 7], [4]);
    assertClose(grad(sumOf(np.exp))(x), hostMap(x, Math.exp), TIGHT);
    assertClose(grad(sumOf(np.log))(x), hostMap(x, (v) => 1 / v), TIGHT);
    assertClose(grad(sumOf(np.sqrt))(x), hostMap(x, (v) => 0.5 / Math.sqrt(v)), TIGHT);
  });
});

Deno.test("grad of softmax cross-entropy is softmax(z) - y", () => {
  fc.assert(
    fc.property(vectors, fc.nat(), (z, label) => {
      const n = z.shape[0];
      const y = np.oneHot(np.array(label % n, "int32"), n, "float64");
      const loss = (logits: Array) =>
        np.negative(np.sum(np.multiply(y, np.subtract(logits, np.logsumexp(logits)))));
      const p = hostSoftmax([...hostData(z)]);
      const expected = p.map((v, i) => v - (i === label % n ? 1 : 0));
      assertClose(grad(loss)(z), expected, TIGHT);
    }),
    runs(40),
  );
});

Deno.test("grad of logsumexp is softmax, also for large inputs", () => {
  fc.assert(
    fc.property(vectors, fc.constantFrom(0, 500, -500), (z, shift) => {
      const shifted = np.add(z, shift);
      assertClose(grad(np.logsumexp)(shifted), hostSoftmax([...hostData(z)]), TIGHT);
    }),
    runs(40),
  );
});

Deno.test("grad of x^T A x is (A + A^T) x", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(arrayOf([n, n]), arrayOf([n]))),
      ([a, x]) => {
        const quad = (v: Array) => np.dot(v, np.matmul(a, v));
        const n = x.shape[0], ad = hostData(a), xd = hostData(x);
        const expected = globalThis.Array.from({ length: n }, (_, i) => {
          let s = 0;
          for (let j = 0; j < n; j++) s += (ad[i * n + j] + ad[j * n + i]) * xd[j];
          return s;
        });
        assertClose(grad(quad)(x), expected, TIGHT);
      },
    ),
    runs(40),
  );
});

Deno.test("custom derivative rules are used", async (t) => {
  await t.step("customVjp: an identity whose backward pass clips the gradient", () => {
    const clipGradient = customVjp(
      (x: Array) => x,
      (x: Array) => [x, []],
      (_res: unknown, ct: Array) => [np.clip(ct, -1, 1)],
    );
    const x = f64([0.5, -2, 3], [3]);
    const f = (v: Array) => np.sum(np.multiply(clipGradient(v), f64([5, -0.5, -7], [3])));
    assertClose(f(x), 0.5 * 5 + 1 + -21, TIGHT);
    assertClose(grad(f)(x), [1, -0.5, -1], TIGHT);
  });
  await t.step("customJvp: a numerically stable softplus", () => {
    const stable = (x: Array) => np.add(np.maximum(x, 0), np.log1p(np.exp(np.negative(np.abs(x)))));
    const softplus = customJvp(
      stable,
      ([x]: Array[], [t]: Array[]) => [stable(x), np.multiply(t, np.sigmoid(x))],
    );
    const x = f64([-1000, -2, 0, 3, 1000], [5]);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    assertClose(softplus(x), [
      0,
      Math.log1p(Math.exp(-2)),
      Math.LN2,
      3 + Math.log1p(Math.exp(-3)),
      1000,
    ], TIGHT);
    assertClose(grad((v: Array) => np.sum(softplus(v)))(x), hostMap(x, s), TIGHT);
    const [, tangent] = jvp(softplus, [x], [np.onesLike(x)]) as [Array, Array];
    assertClose(tangent, hostMap(x, s), TIGHT);
  });
  await t.step("customJvp: the rule replaces differentiation of the function", () => {
    const naive = (x: Array) => np.log1p(np.exp(x));
    const big = f64([800], [1]);
    const g = (f: (x: Array) => Array) => grad((v: Array) => np.sum(f(v)))(big).toArray();
    assert.ok(Number.isNaN((g(naive) as number[])[0]), "exp overflows: inf / inf");
    const ruled = customJvp(
      naive,
      ([x]: Array[], [t]: Array[]) => [naive(x), np.multiply(t, np.sigmoid(x))],
    );
    assertClose(g(ruled), [1], TIGHT);
  });
});

Deno.test("stopGradient blocks derivatives", () => {
  const x = f64([1.5, -2, 0.25], [3]);
  assertClose(grad((v: Array) => np.sum(np.square(stopGradient(v))))(x), [0, 0, 0]);
  assertClose(grad((v: Array) => np.sum(np.multiply(stopGradient(v), v)))(x), x, TIGHT);
});

Deno.test("linearize gives the same tangents as jvp", () => {
  fc.assert(
    fc.property(
      shapes({ minRank: 1 }).chain((s) => fc.tuple(arrayOf(s), arrayOf(s), arrayOf(s))),
      ([x, v1, v2]) => {
        const f = (a: Array) => np.multiply(np.sin(a), np.exp(np.tanh(a)));
        const [y, fLin] = linearize(f, x);
        assertClose(y as Array, f(x), TIGHT);
        for (const v of [v1, v2]) {
          const [, tangent] = jvp(f, [x], [v]) as [Array, Array];
          assertClose(fLin(v) as Array, tangent, TIGHT);
        }
      },
    ),
    runs(30),
  );
});

Deno.test("valueAndGrad with an argnums list and hasAux", () => {
  const a = f64([1, 2], [2]), b = f64([3, -1], [2]), c = np.array(0.5, "float64");
  const f = (x: Array, y: Array, z: Array) => {
    const loss = np.add(np.sum(np.multiply(np.multiply(x, x), y)), np.multiply(z, z));
    return [loss, { xy: np.multiply(x, y), note: "aux may hold any value" }];
  };
  const [[loss, aux], grads] = valueAndGrad(f, { argnums: [0, 2], hasAux: true })(a, b, c);
  assertClose(loss, 1 * 3 + 4 * -1 + 0.25, TIGHT);
  assertClose(aux.xy, [3, -2], TIGHT);
  assert.equal(aux.note, "aux may hold any value");
  assert.equal(grads.length, 2);
  assertClose(grads[0], [2 * 1 * 3, 2 * 2 * -1], TIGHT);
  assertClose(grads[1], 1, TIGHT);
  const [g, aux2] = grad(f, { argnums: 1, hasAux: true })(a, b, c);
  assertClose(g, [1, 4], TIGHT);
  assertClose(aux2.xy, [3, -2], TIGHT);
});

Deno.test("grad over a nested pytree of parameters keeps its structure", () => {
  const params = {
    w: f64([0.5, -1, 2, 0.25], [2, 2]),
    b: f64([0.1, -0.2], [2]),
    layers: [{ scale: np.array(2, "float64") }, { scale: np.array(-0.5, "float64") }],
  };
  const x = f64([1, 3], [2]);
  const loss = (p: typeof params) => {
    let h = np.add(np.matmul(p.w, x), p.b);
    for (const layer of p.layers) h = np.multiply(h, layer.scale);
    return np.sum(h);
  };
  const g = grad(loss)(params) as typeof params;
  assert.ok(tree.structure(g).equals(tree.structure(params)), `${tree.structure(g)}`);
  const k = 2 * -0.5;
  const h0 = hostData(np.add(np.matmul(params.w, x), params.b));
  assertClose(g.w, [[k * 1, k * 3], [k * 1, k * 3]], TIGHT);
  assertClose(g.b, [k, k], TIGHT);
  const s = h0[0] + h0[1];
  assertClose(g.layers[0].scale, s * -0.5, TIGHT);
  assertClose(g.layers[1].scale, s * 2, TIGHT);
});
