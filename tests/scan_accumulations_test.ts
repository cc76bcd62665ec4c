/**
 * The transpose of a scan sums its weights' per-step cotangents after the loop, as one contraction
 * over the stacked steps (core/control/scan_accumulations.ts): the gradients equal the unrolled
 * loop's, in float64 on the default backend and jitted, and the backward loop no longer carries
 * the weights' cotangents.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, grad, jit, lax, makeJaxpr, numpy as np } from "../mod.ts";
import { evalJaxpr, type Jaxpr } from "../core/jaxpr.ts";
import { hoistAccumulations } from "../core/control/scan_accumulations.ts";
import { assertClose } from "./util/assert_close.ts";
import { runs, seededArray } from "./util/arbitraries.ts";

type Params = { wh: Array; wx: Array; b: Array; v: Array };

/**
 * An RNN step reading its weights in the patterns a transpose accumulates: `h W` (a product
 * whose cotangent is `h^T dz`), `x W` with a scanned x, a bias (a sum over the batch), and `v`
 * scaled by the step's own state (an operand the loop does not stack yet).
 */
function step(p: Params, kind: number) {
  return (h: Array, x: Array): [Array, Array] => {
    let z = h.matmul(p.wh).add(x.matmul(p.wx)).add(p.b);
    if (kind === 1) z = z.add(np.sin(h).mul(p.v));
    if (kind === 2) z = z.add(np.sum(h.matmul(p.wh), 0));
    const h2 = np.tanh(z);
    return [h2, np.sum(h2.mul(h2), 1)];
  };
}

function scanLoss(kind: number, reverse: boolean) {
  return (p: Params, h0: Array, xs: Array) => {
    const [h, ys] = lax.scan(step(p, kind), h0, xs, { reverse });
    return np.sum(h).add(np.sum(ys.mul(ys)));
  };
}

function unrolledLoss(kind: number, reverse: boolean) {
  return (p: Params, h0: Array, xs: Array) => {
    let h = h0, total = np.array(0, "float64");
    const n = xs.shape[0];
    for (let t = 0; t < n; t++) {
      const [h2, y] = step(p, kind)(h, np.index(xs, reverse ? n - 1 - t : t));
      h = h2;
      total = total.add(np.sum(y.mul(y)));
    }
    return np.sum(h).add(total);
  };
}

const caseArb = fc.record({
  steps: fc.integer({ min: 1, max: 5 }),
  batch: fc.integer({ min: 1, max: 3 }),
  hidden: fc.integer({ min: 1, max: 4 }),
  inputs: fc.integer({ min: 1, max: 3 }),
  kind: fc.constantFrom(0, 1, 2),
  reverse: fc.boolean(),
  seed: fc.nat(1e6),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function inputsOf(c: Case) {
  const p: Params = {
    wh: seededArray([c.hidden, c.hidden], c.seed),
    wx: seededArray([c.inputs, c.hidden], c.seed + 1),
    b: seededArray([c.hidden], c.seed + 2),
    v: seededArray([c.batch, c.hidden], c.seed + 3),
  };
  return [
    p,
    seededArray([c.batch, c.hidden], c.seed + 4),
    seededArray(
      [c.steps, c.batch, c.inputs],
      c.seed + 5,
    ),
  ] as const;
}

Deno.test("gradients through a scan with hoisted accumulations equal the unrolled loop's", () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const [p, h0, xs] = inputsOf(c);
      const want = grad(unrolledLoss(c.kind, c.reverse))(p, h0, xs);
      const loss = scanLoss(c.kind, c.reverse);
      for (const got of [grad(loss)(p, h0, xs), jit(grad(loss))(p, h0, xs)]) {
        for (const k of ["wh", "wx", "b", "v"] as const) {
          assertClose(
            got[k],
            want[k],
            { rtol: 1e-10, atol: 1e-12 },
            `${k} of ${JSON.stringify(c)}`,
          );
        }
      }
    }),
    runs(40),
  );
});

/** The scan equations of a jaxpr, outermost first. */
function scans(j: Jaxpr) {
  return j.eqns.filter((e) => e.prim.name === "scan");
}

Deno.test("the backward loop carries the hidden state's cotangent only", () => {
  const [p, h0, xs] = inputsOf({
    steps: 4,
    batch: 2,
    hidden: 3,
    inputs: 2,
    kind: 0,
    reverse: false,
    seed: 7,
  });
  const program = makeJaxpr(grad(scanLoss(0, false)))(p, h0, xs);
  const [, back] = scans(program);
  // Carries: wh's, wx's and b's cotangents (hoisted) and h's (kept).
  assert.equal(back.params.numCarry, 1, program.toString());
  const after = program.eqns.slice(program.eqns.indexOf(back) + 1);
  const contractsSteps = after.filter((e) =>
    e.prim.name === "dot_general" &&
    (e.params.dims as number[][][])[0][0].includes(0)
  );
  assert.ok(contractsSteps.length >= 2, program.toString());
});

/** A scan body `(acc, x) -> [acc + sin(x)^T x, x]` as a jaxpr (one carry, one scanned input). */
function accumulatingBody(): Jaxpr {
  const acc = np.zeros([3, 3], "float64"), x = np.zeros([2, 3], "float64");
  return makeJaxpr((acc: Array, x: Array) => [acc.add(np.sin(x).T.matmul(x)), x])(acc, x);
}

/** Runs a scan of `body` (one carry) from `init` over `xs`. */
function runBody(body: Jaxpr, init: Array, xs: Array): [Array, Array[]] {
  const [carry, ...ys] = lax.scan(
    (c: Array, x: Array) => {
      const [c2, ...y] = evalJaxpr(body, [c, x]);
      return [c2, y];
    },
    init,
    xs,
  ) as unknown as [Array, Array[]];
  return [carry, ys.flat()];
}

Deno.test("an accumulation is hoisted only within the room allowed for extra stacked outputs", () => {
  const body = accumulatingBody();
  const layout = { numConsts: 0, numCarry: 1, length: 5 };
  const init = seededArray([3, 3], 1), xs = seededArray([5, 2, 3], 2);
  // sin(x) is not stacked by the loop: hoisting stacks it, 5 x 6 elements.
  assert.equal(hoistAccumulations(body, layout, [0], 29).hoisted.length, 0);
  const plan = hoistAccumulations(body, layout, [0], 30);
  assert.equal(plan.hoisted.length, 1);
  assert.deepEqual(plan.kept, []);
  const [want] = runBody(body, init, xs);
  const [, ...ys] = lax.scan(
    (_: Array, x: Array) => [np.array(0, "float64"), evalJaxpr(plan.body, [x])],
    np.array(0, "float64"),
    xs,
  ) as unknown as [Array, Array[]];
  const got = plan.hoisted[0].finish(init, [xs], ys.flat());
  assertClose(got, want, { rtol: 1e-12, atol: 1e-12 });
});
