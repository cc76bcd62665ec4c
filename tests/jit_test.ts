import assert from "node:assert/strict";
import { type Array, checkpoint, grad, jit, lax, makeJaxpr, numpy as np, vmap } from "../mod.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { assertClose } from "./util/assert_close.ts";

Deno.test("jit simplifies: dead code, common subexpressions and constant folding", async (t) => {
  await t.step("dead code is dropped", () => {
    const f = (x: np.Array) => {
      np.exp(x); // unused
      return np.sin(x);
    };
    const x = np.array([1, 2], "float32");
    assert.match(makeJaxpr(f)(x).toString(), /exp/);
    assert.doesNotMatch(jit(f).lower(x).toString(), /exp/);
  });
  await t.step("repeated subexpressions are computed once", () => {
    const f = (x: np.Array) => np.sin(x).add(np.sin(x));
    const text = jit(f).lower(np.array([1, 2], "float32")).toString();
    assert.equal(text.match(/= sin/g)?.length, 1);
  });
  await t.step("constant subexpressions are folded", () => {
    const c = np.array([1, 2, 3], "float32");
    const f = (x: np.Array) => x.mul(np.exp(c).add(1));
    const text = jit(f).lower(np.array([1, 1, 1], "float32")).toString();
    assert.doesNotMatch(text, /exp/);
    assertClose(jit(f)(np.array([1, 1, 1], "float32")), f(np.array([1, 1, 1], "float32")));
  });
  await t.step("a transposed product is computed directly, with batch axes too", () => {
    const cases: [string, (w: np.Array, x: np.Array) => np.Array, number[], number[]][] = [
      ["weight gradient", (w, x) => grad((w: np.Array) => np.sum(np.tanh(x.matmul(w))))(w), [
        4,
        3,
      ], [5, 4]],
      ["batched", (a, b) => np.transpose(np.matmul(a, b), [0, 2, 1]), [2, 3, 4], [2, 4, 5]],
    ];
    for (const [name, f, ws, xs] of cases) {
      const w = np.linspace(-1, 1, ws.reduce((a, b) => a * b)).reshape(ws);
      const x = np.linspace(-2, 1, xs.reduce((a, b) => a * b)).reshape(xs);
      assert.match(makeJaxpr(f)(w, x).toString(), /transpose/, name);
      assert.doesNotMatch(jit(f).lower(w, x).toString(), /transpose/, name);
      assertClose(jit(f)(w, x), f(w, x));
    }
  });
  await t.step("a transposed operand is read in place when it reads as the product's axes", () => {
    const a = np.linspace(-1, 1, 12).reshape([4, 3]);
    const b = np.linspace(2, -1, 20).reshape([4, 5]);
    const c = np.linspace(-2, 2, 30).reshape([2, 5, 3]);
    const d = np.linspace(0, 1, 24).reshape([2, 4, 3]);
    const cases: [string, (x: np.Array, y: np.Array) => np.Array, np.Array, np.Array, boolean][] = [
      ["x.T @ y", (x, y) => np.matmul(np.transpose(x), y), a, b, true],
      ["x @ y.T", (x, y) => np.matmul(x, np.transpose(y)), a.T, b.T, true],
      ["both", (x, y) => np.matmul(np.transpose(x), np.transpose(y)), a, b.T, true],
      ["batched", (x, y) => np.matmul(x, np.transpose(y, [0, 2, 1])), c, d, true],
      // Free axes that would change order, contracted axes apart in x: the transpose stays.
      [
        "free axes reordered",
        (x, y) => lax.dotGeneral(np.transpose(x, [2, 1, 0]), y, [[[1], [0]], [[], []]]),
        c,
        b.T,
        false,
      ],
      [
        "contracted axes apart",
        (x, y) => lax.dotGeneral(np.transpose(x, [1, 0, 2]), y, [[[1, 2], [0, 1]], [[], []]]),
        d,
        np.linspace(-1, 1, 30).reshape([2, 3, 5]),
        false,
      ],
    ];
    for (const [name, f, x, y, folds] of cases) {
      assert.match(makeJaxpr(f)(x, y).toString(), /transpose/, name);
      const text = jit(f).lower(x, y).toString();
      if (folds) assert.doesNotMatch(text, /transpose/, name);
      else assert.match(text, /transpose/, name);
      assertClose(jit(f)(x, y), f(x, y), undefined, name);
    }
  });
});

Deno.test("jit traces once per signature and retraces on new shapes or static values", () => {
  let traces = 0;
  const f = jit((x: np.Array, n: number) => {
    traces++;
    return x.mul(n);
  }, { staticArgnums: [1] });
  f(np.array([1, 2]), 2);
  f(np.array([3, 4]), 2);
  assert.equal(traces, 1);
  f(np.array([1, 2, 3]), 2);
  assert.equal(traces, 2);
  assertClose(f(np.array([1, 2]), 3), [3, 6]);
  assert.equal(traces, 3);
  f(np.array([1, 2], "float64"), 3);
  assert.equal(traces, 4);
});

Deno.test("jit takes and returns pytrees", () => {
  const f = jit((p: { a: np.Array; b: np.Array[] }) => ({ s: p.a.add(p.b[0]), t: [p.b[1]] }));
  const out = f({ a: np.array([1]), b: [np.array([2]), np.array([3])] });
  assertClose(out.s, [3]);
  assertClose(out.t[0], [3]);
});

Deno.test("jit composes with grad and vmap in both orders", () => {
  const f = (x: np.Array) => np.sum(np.sin(x).mul(x));
  const x = np.array([0.3, -1.2, 2.5], "float64");
  const expected = grad(f)(x);
  assertClose(jit(grad(f))(x), expected, { rtol: 1e-12 });
  assertClose(grad(jit(f))(x), expected, { rtol: 1e-12 });
  const xs = np.array([[0.3, 1], [2, -1]], "float64");
  assertClose(vmap(jit(grad(f)))(xs), jit(vmap(grad(f)))(xs), { rtol: 1e-12 });
});

Deno.test("a value closed over by jit inside grad is differentiated", () => {
  const g = grad((x: np.Array) =>
    np.sum(jit((y: np.Array) => y.mul(x))(np.array([1, 2], "float64")))
  );
  assertClose(g(np.array(3, "float64")), 3, { rtol: 1e-12 });
});

Deno.test("an interpreted program never releases a captured scalar that an identity forwards", () => {
  // A captured scalar is a literal of the jaxpr; `stop_gradient` of it returns that very array,
  // which the interpreter once released after its last use (found by the control-flow property
  // test: a cond branch disposed the caller's array). jit on ref, checkpoint, scan and cond
  // interpret their jaxprs.
  const ways: [string, (f: (x: Array) => Array) => (x: Array) => Array][] = [
    ["jit on ref", (f) => jit(f, { backend: "ref" })],
    ["checkpoint", (f) => checkpoint(f)],
    [
      "scan",
      (f) => (x) => lax.scan((c: Array, _: null) => [f(c), null], x, null, { length: 2 })[0],
    ],
    ["cond", (f) => (x) => lax.cond(np.array(false), (a: Array) => a, f, x)],
  ];
  for (const [name, wrap] of ways) {
    withDefaultBackend("ref", () => {
      const w = np.array(-0.75, "float64");
      const f = (x: Array) => np.add(np.negative(np.stopGradient(w)), x);
      const x = np.array(1, "float64");
      assert.equal(wrap(f)(x).toArray(), name === "scan" ? 2.5 : 1.75, name);
      assert.equal(w.toArray(), -0.75, `${name}: the captured scalar is still usable`);
    });
  }
});

Deno.test("donated arguments are released after the call; outputs and shared arrays stay", async (t) => {
  await t.step("a donated array cannot be used afterwards, and the error says why", () => {
    const step = jit((s: { w: Array }, x: Array) => ({ w: s.w.add(x) }), { donateArgnums: [0] });
    const w = np.array([1, 2, 3]);
    const x = np.array([1, 1, 1]);
    const next = step({ w }, x);
    assert.deepEqual(next.w.toArray(), [2, 3, 4]);
    assert.deepEqual(x.toArray(), [1, 1, 1], "a non-donated argument stays usable");
    assert.throws(() => w.toArray(), /donated to a jitted function/);
  });
  await t.step("an output that is a donated input stays usable", () => {
    const passThrough = jit((a: Array, b: Array) => [a, b.mul(2)], { donateArgnums: [0, 1] });
    const a = np.array([5, 6]);
    const b = np.array([1, 2]);
    const [out, doubled] = passThrough(a, b);
    assert.deepEqual(out.toArray(), [5, 6]);
    assert.deepEqual(doubled.toArray(), [2, 4]);
    assert.throws(() => b.toArray(), /donated/);
  });
  await t.step("an array also passed in a kept position is not released", () => {
    const f = jit((a: Array, b: Array) => a.add(b), { donateArgnums: [0] });
    const a = np.array([1, 2]);
    assert.deepEqual(f(a, a).toArray(), [2, 4]);
    assert.deepEqual(a.toArray(), [1, 2]);
  });
  await t.step("under grad nothing is donated (the backward pass still reads the inputs)", () => {
    const f = jit((w: Array, x: Array) => np.sum(np.sin(w.mul(x))), { donateArgnums: [0, 1] });
    const x = np.array([0.5, 2]);
    const g = grad((w: Array) => f(w, x))(np.array([1, -1], "float32"));
    assertClose(g, [0.5 * Math.cos(0.5), 2 * Math.cos(-2)]);
    assert.deepEqual(x.toArray(), [0.5, 2]);
  });
  await t.step("donating a static argument is an error", () => {
    assert.throws(
      () => jit((a: Array) => a, { staticArgnums: [0], donateArgnums: [0] }),
      /argument 0 cannot be both static and donated/,
    );
  });
});
