/**
 * The jaxpr type checker (core/verify_jaxpr.ts): traced programs, with control flow and
 * gradients, are well typed after every simplification pass; each kind of tampering (a result of
 * the wrong shape or dtype, operands the primitive refuses, a read before the definition, an
 * undefined output, a fault inside a loop body) is caught and named.
 */
import assert from "node:assert/strict";
import { grad, lax, makeJaxpr, numpy as np } from "../mod.ts";
import { ShapedArray } from "../core/aval.ts";
import { Jaxpr, JaxprEqn, Var } from "../core/jaxpr.ts";
import { simplify } from "../core/transforms/simplify.ts";
import { jaxprProblems } from "../core/verify_jaxpr.ts";
import type { Array } from "../mod.ts";

/** A traced program: a scan over the rows of `x` carrying a sum, its gradient, a split. */
function traced(): Jaxpr {
  const loss = (x: Array) => {
    const [sum] = lax.scan((c: Array, row: Array) => [c.add(np.tanh(row)), c], np.zeros([3]), x);
    const [a, b] = np.split(x, 2, 0);
    return np.sum(sum).add(np.sum(a.mul(b)));
  };
  return makeJaxpr(grad(loss))(np.ones([4, 3]));
}

/** `j` with equation `i` replaced by `e`. */
const withEqn = (j: Jaxpr, i: number, e: JaxprEqn): Jaxpr =>
  new Jaxpr(
    j.constVars,
    j.consts,
    j.inBinders,
    j.eqns.map((x, k) => (k === i ? e : x)),
    j.outs,
  );

Deno.test("jaxpr checker: traced programs are well typed, before and after simplification", () => {
  const j = traced();
  assert.deepEqual(jaxprProblems(j), []);
  assert.deepEqual(jaxprProblems(simplify(j)), []);
});

Deno.test("jaxpr checker: each kind of fault is caught and named", () => {
  const j = traced();
  const at = j.eqns.findIndex((e) => e.prim.name === "tanh" || e.prim.name === "mul");
  const e = j.eqns[at];
  const out = e.outBinders[0];
  const scan = j.eqns.findIndex((x) => x.prim.name === "scan");
  const body = j.eqns[scan].params.jaxpr as Jaxpr;
  const inner = body.eqns.findIndex((x) => x.outBinders.length === 1);
  const badBody = withEqn(
    body,
    inner,
    new JaxprEqn(body.eqns[inner].prim, body.eqns[inner].inputs, body.eqns[inner].params, [
      new Var(new ShapedArray([7], body.eqns[inner].outBinders[0].aval.dtype)),
    ]),
  );
  const cases: [string, Jaxpr][] = [
    [
      "results f32[2], expected",
      withEqn(
        j,
        at,
        new JaxprEqn(e.prim, e.inputs, e.params, [new Var(new ShapedArray([2], out.aval.dtype))]),
      ),
    ],
    [
      "results i32",
      withEqn(
        j,
        at,
        new JaxprEqn(e.prim, e.inputs, e.params, [
          new Var(new ShapedArray(out.aval.shape, "int32")),
        ]),
      ),
    ],
    [
      "its operands are refused",
      withEqn(
        j,
        at,
        new JaxprEqn(
          e.prim,
          e.inputs.map((_, k) => new Var(new ShapedArray([9 + k], "float32"))),
          e.params,
          e.outBinders,
        ),
      ),
    ],
    [
      "reads a value not yet defined",
      withEqn(
        j,
        at,
        new JaxprEqn(e.prim, e.inputs.map((a) => new Var(a.aval)), e.params, e.outBinders),
      ),
    ],
    [
      "an output is not defined",
      new Jaxpr(
        j.constVars,
        j.consts,
        j.inBinders,
        j.eqns,
        [new Var(out.aval)],
      ),
    ],
    [
      `equation ${scan} (scan): equation ${inner}`,
      withEqn(
        j,
        scan,
        new JaxprEqn(j.eqns[scan].prim, j.eqns[scan].inputs, {
          ...j.eqns[scan].params,
          jaxpr: badBody,
        }, j.eqns[scan].outBinders),
      ),
    ],
  ];
  for (const [want, bad] of cases) {
    const problems = jaxprProblems(bad);
    assert.ok(problems.some((p) => p.includes(want)), `${want}: got ${JSON.stringify(problems)}`);
  }
});
