/** linearTranspose: <fT(ct), x> = <ct, f(x)>, closed forms, pytrees, errors. */
import assert from "node:assert/strict";
import { type Array, linearTranspose, numpy as np, ShapedArray, vjp } from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import { inner } from "./util/finite_diff.ts";

const TIGHT = { rtol: 1e-12, atol: 1e-12 };
const A = np.array([[1, 2, 3], [4, 5, 6]], "float64");

Deno.test("the transpose of x -> A x is ct -> A^T ct", () => {
  const fT = linearTranspose((x: Array) => np.matmul(A, x), new ShapedArray([3], "float64"));
  const ct = np.array([1, -2], "float64");
  const [g] = fT(ct) as Array[];
  assertClose(g, [-7, -8, -9], TIGHT);
});

Deno.test("linearTranspose over pytrees satisfies the inner-product identity", () => {
  const f = (p: { a: Array; b: Array }, c: Array) => ({
    u: np.matmul(A, p.a).add(c.mul(3)),
    v: np.sum(p.b).sub(np.sum(p.a)),
  });
  const a = np.array([0.5, -1, 2], "float64"), b = np.array([[1, 2], [3, 4]], "float64");
  const c = np.array([0.1, 0.2], "float64");
  const fT = linearTranspose(f, { a, b }, c);
  const ct = { u: np.array([1, 3], "float64"), v: np.array(-2, "float64") };
  const [pT, cT] = fT(ct) as [{ a: Array; b: Array }, Array];
  const out = f({ a, b }, c);
  const lhs = inner([pT.a, pT.b, cT], [a, b, c]);
  const rhs = inner([out.u, out.v], [ct.u, ct.v]);
  assert.ok(Math.abs(lhs - rhs) < 1e-12, `${lhs} vs ${rhs}`);
  // The same as the vjp of a linear function.
  const [, pull] = vjp(f, { a, b }, c);
  const [pV, cV] = pull(ct) as [{ a: Array; b: Array }, Array];
  assertClose(pT.a, pV.a, TIGHT);
  assertClose(pT.b, pV.b, TIGHT);
  assertClose(cT, cV, TIGHT);
});

Deno.test("an argument the output ignores gets a zero cotangent", () => {
  const fT = linearTranspose((x: Array, _y: Array) => x.mul(2), np.zeros([2]), np.zeros([3]));
  const [gx, gy] = fT(np.array([1, 1], "float32")) as Array[];
  assertClose(gx, [2, 2]);
  assertClose(gy, [0, 0, 0]);
});

Deno.test("linearTranspose errors: nonlinear functions and mismatched cotangents", () => {
  const sq = linearTranspose((x: Array) => x.mul(x), np.zeros([2]));
  assert.throws(() => sq(np.ones([2])), /not linear/);
  const fT = linearTranspose((x: Array) => x.mul(2), np.zeros([2]));
  assert.throws(() => fT(np.ones([3])), /cotangent f32\[3\] does not match output f32\[2\]/);
  assert.throws(() => fT([np.ones([2])]), /different structures/);
});
