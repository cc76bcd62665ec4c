/**
 * A jitted function called inside another transformation is one `pjit` equation: its results
 * equal those of the plain function under every transformation, what runs is compiled (on wasm),
 * and inside an outer `jit` the call is inlined into one program.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type ConcreteArray,
  grad,
  hessian,
  jit,
  jvp,
  makeJaxpr,
  numpy as np,
  vmap,
} from "../mod.ts";
import { jitCallCounts } from "../kernels/wasm/jit_executor.ts";
import { assertClose } from "./util/assert_close.ts";
import { runs, seededArray } from "./util/arbitraries.ts";

type F = (x: np.Array) => np.Array;
const PARTS: F[] = [np.tanh, np.sin, (x) => x.mul(x), np.exp, np.sigmoid];
const TOL = { rtol: 1e-9, atol: 1e-10 };

/** A scalar function from two smooth maps. */
const fOf = ([a, b]: [number, number]) => (x: np.Array) =>
  np.sum(PARTS[a](x).mul(PARTS[b](x.mul(0.7))));

Deno.test("grad, jvp, vmap and hessian of jit(f) equal those of f", () => {
  fc.assert(
    fc.property(fc.tuple(fc.nat(4), fc.nat(4)), fc.nat(1000), (ab, seed) => {
      const f = fOf(ab);
      const jf = jit(f, { compile: "sync" });
      const x = seededArray([4], seed), v = seededArray([4], seed + 1);
      assertClose(grad(jf)(x), grad(f)(x), TOL, "grad");
      assertClose(jvp(jf, [x], [v])[1] as np.Array, jvp(f, [x], [v])[1] as np.Array, TOL, "jvp");
      const xs = seededArray([3, 4], seed + 2);
      assertClose(vmap(jf)(xs), vmap(f)(xs), TOL, "vmap");
      assertClose(vmap(grad(jf))(xs), vmap(grad(f))(xs), TOL, "vmap of grad");
      assertClose(hessian(jf)(x), hessian(f)(x), { rtol: 1e-8, atol: 1e-9 }, "hessian");
    }),
    runs(4),
  );
});

Deno.test("grad(jit(f)) runs compiled programs, transformed once", () => {
  const f = fOf([0, 1]);
  const jf = jit(f, { compile: "sync" });
  const x = np.array([0.3, -1.2, 0.8]);
  const g = grad(jf);
  g(x);
  const before = { ...jitCallCounts };
  assertClose(g(x), grad(f)(x), { rtol: 1e-6, atol: 1e-7 });
  if ((x as ConcreteArray).backend.name === "wasm") {
    // The primal program, then the transposed tangent program: both compiled.
    assert.equal(jitCallCounts.compiled - before.compiled, 2);
    assert.equal(jitCallCounts.interpreted - before.interpreted, 0);
  }
});

Deno.test("inside jit, a jitted call is inlined; a closed-over tracer gets its cotangent", () => {
  const jf = jit(fOf([2, 0]));
  const g = (x: np.Array) => jf(x.mul(2)).add(1);
  const x = seededArray([3], 5);
  assert.match(makeJaxpr(g)(x).toString(), /pjit\[jaxpr=\{ lambda ; a:f64\[3\]\. let/);
  assert.doesNotMatch(jit(g).lower(x).toString(), /pjit/);
  assertClose(
    jit(grad(g), { compile: "sync" })(x),
    grad((x: np.Array) => fOf([2, 0])(x.mul(2)))(x),
    TOL,
  );
  const h = (a: np.Array) =>
    jit((y: np.Array) => np.sum(y.mul(a).mul(a)))(np.array([1, 2, 3], "float64"));
  assertClose(grad(h)(np.array(2, "float64")), [24], TOL);
  assertClose(vmap(grad(h))(np.array([1, 2], "float64")), [12, 24], TOL);
});
