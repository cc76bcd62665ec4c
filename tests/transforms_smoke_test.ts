import assert from "node:assert/strict";
import { grad, hessian, jacfwd, jacrev, jit, makeJaxpr, numpy as np, vmap } from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";

const f = (x: np.Array) => np.sum(np.tanh(x).mul(x));

Deno.test("grad of sum(tanh(x) * x) is tanh(x) + x(1 - tanh^2 x)", () => {
  const xs = [0.5, -1, 2];
  const expected = xs.map((v) => Math.tanh(v) + v * (1 - Math.tanh(v) ** 2));
  assertClose(grad(f)(np.array(xs, "float64")), expected, { rtol: 1e-12 });
});

Deno.test("makeJaxpr prints JAX's text form", () => {
  assert.equal(
    makeJaxpr(f)(np.array([0.5, -1, 2])).toString(),
    [
      "{ lambda ; a:f32[3]. let",
      "    b:f32[3] = tanh a",
      "    c:f32[3] = mul b a",
      "    d:f32[] = reduce_sum[axes=(0,)] c",
      "  in (d,) }",
    ].join("\n"),
  );
});

Deno.test("transformations compose: jit(grad(grad)), vmap(grad), jacfwd == jacrev", () => {
  const x = np.array(1.0, "float64");
  assertClose(jit(grad(grad(np.sin)))(x), -Math.sin(1), { rtol: 1e-12 });
  const xs = np.array([[1, 2], [3, 4]], "float64");
  assertClose(vmap(grad((v: np.Array) => np.sum(np.sin(v))))(xs), np.cos(xs), { rtol: 1e-12 });
  const v = np.array([0.5, -1, 2], "float64");
  assertClose(jacfwd(np.sin)(v), jacrev(np.sin)(v), { rtol: 1e-12 });
  const h = hessian(f)(v);
  assertClose(h, np.transpose(h), { rtol: 1e-12 });
});
