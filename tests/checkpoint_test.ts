/**
 * `checkpoint(f)`: the same values and derivatives as `f`, with reverse mode keeping only `f`'s
 * inputs (its intermediates are recomputed), also around a scan body.
 */
import assert from "node:assert/strict";
import { AdjointError, checkpoint, grad, jit, lax, makeJaxpr, numpy as np, vmap } from "../mod.ts";
import { linearizeFlat } from "../core/transforms/vjp.ts";
import { assertClose } from "./util/assert_close.ts";
import { seededArray } from "./util/arbitraries.ts";

const TOL = { rtol: 1e-12, atol: 1e-12 };
const deep = (x: np.Array) => np.sin(np.sin(np.sin(np.sin(x)))).mul(np.tanh(x));

Deno.test("checkpoint(f) has f's values and derivatives, under grad, vmap and jit", () => {
  const c = checkpoint(deep);
  const x = seededArray([5], 1);
  const loss = (f: typeof deep) => (x: np.Array) => np.sum(f(x));
  assertClose(c(x), deep(x), TOL);
  assertClose(grad(loss(c))(x), grad(loss(deep))(x), TOL);
  assertClose(
    grad(grad((x: np.Array) => np.sum(c(x.mul(x)))))(np.array(0.3, "float64")),
    grad(grad((x: np.Array) => np.sum(deep(x.mul(x)))))(np.array(0.3, "float64")),
    TOL,
  );
  assertClose(
    vmap(grad(loss(c)))(seededArray([3, 5], 2)),
    vmap(grad(loss(deep)))(seededArray([3, 5], 2)),
    TOL,
  );
  assertClose(jit(grad(loss(c)), { compile: "sync" })(x), grad(loss(deep))(x), TOL);
});

Deno.test("reverse mode keeps a checkpointed function's inputs, not its intermediates", () => {
  const x = seededArray([5], 3);
  const residuals = (f: typeof deep) =>
    linearizeFlat(([y]) => [np.sum(f(y))], [x])[1].consts.filter((c) => c.ndim > 0).length;
  // sin(sin(sin(sin(x)))) * tanh(x) keeps its cosines, the tanh and more.
  assert.ok(residuals(deep) >= 5, `${residuals(deep)}`);
  assert.equal(residuals(checkpoint(deep)), 1, "only x");
  // Around a scan body: per step, the carry and the step's input only.
  const step = (h: np.Array, xt: np.Array): [np.Array, null] => [deep(h.add(xt)), null];
  const run = (body: typeof step) => (h0: np.Array) =>
    np.sum(lax.scan(body, h0, seededArray([6, 5], 4))[0]);
  // The values stacked per step for the backward pass: [6, 5] outputs of the forward scans.
  const kept = (body: typeof step) =>
    makeJaxpr(grad(run(body)))(x).eqns.filter((e) => e.prim.name === "scan")
      .flatMap((e) => e.outBinders).filter((v) => v.aval.shape.join() === "6,5").length;
  assert.ok(kept(checkpoint(step)) < kept(step), `${kept(checkpoint(step))} vs ${kept(step)}`);
  assertClose(grad(run(checkpoint(step)))(x), grad(run(step))(x), TOL);
});

Deno.test("checkpoint policies", () => {
  assert.equal(checkpoint(deep, { policy: "everythingSaveable" }), deep);
  assert.throws(() => checkpoint(deep, { policy: "dots" as never }), AdjointError);
});
