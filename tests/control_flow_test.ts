/**
 * Control flow primitives against what they stand for: `scan` against the unrolled loop, `cond`
 * against `np.where` of both branches, `foriLoop` against a JS loop, `whileLoop` against closed
 * forms; values, jvp, vjp and vmap, eager and jitted, in float64; and their errors.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  AdjointError,
  type ConcreteArray,
  grad,
  initWebGPU,
  jit,
  jvp,
  lax,
  makeJaxpr,
  numpy as np,
  toBackend,
  toBackendAsync,
  vjp,
  vmap,
  wasmMemoryStats,
} from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import { runs, seededArray } from "./util/arbitraries.ts";
import { numericJvp } from "./util/finite_diff.ts";
import { jitCallCounts } from "../kernels/wasm/jit_executor.ts";
import { gpuJitCallCounts } from "../kernels/webgpu/compile/executor.ts";
import { gpuLoopFusion } from "../kernels/webgpu/compile/loops.ts";
import { flatten, type Tree } from "../core/tree.ts";

type F = (x: np.Array) => np.Array;
/** Smooth elementwise maps the random bodies are built from. */
const SMOOTH: F[] = [
  np.tanh,
  np.sin,
  (x) => x.mul(x).mul(0.5),
  (x) => np.exp(x.mul(-0.3)),
  np.sigmoid,
];

/** A recurrent step `(h, x) -> [h', y]` from two map indices and a mixing weight. */
function stepOf([a, b]: [number, number], w: np.Array) {
  return (h: np.Array, x: np.Array): [np.Array, np.Array] => {
    const h2 = SMOOTH[a](h.mul(w).add(x));
    return [h2, SMOOTH[b](h2).sub(x)];
  };
}

/** The same loop unrolled in JavaScript. */
function unrolled(step: ReturnType<typeof stepOf>, h0: np.Array, xs: np.Array, reverse = false) {
  let h = h0;
  const ys: np.Array[] = [];
  const n = xs.shape[0];
  for (let t = 0; t < n; t++) {
    const i = reverse ? n - 1 - t : t;
    const [h2, y] = step(h, np.index(xs, i));
    h = h2;
    ys[i] = y;
  }
  return [h, np.stack(ys)] as const;
}

const TOL = { rtol: 1e-9, atol: 1e-9 };

/** The output tangent of `f` at `primals` along `tangents`. */
function tangent(
  f: (...xs: any[]) => np.Array,
  primals: np.Array[],
  tangents: np.Array[],
): np.Array {
  return jvp(f, primals, tangents)[1] as np.Array;
}
const bodies = fc.tuple(fc.nat(SMOOTH.length - 1), fc.nat(SMOOTH.length - 1));

Deno.test("scan equals the unrolled loop: values, jvp, vjp, vmap, jit", () => {
  fc.assert(
    fc.property(
      bodies,
      fc.integer({ min: 1, max: 5 }),
      fc.boolean(),
      fc.nat(1000),
      (ab, n, reverse, seed) => {
        const w = seededArray([3], seed);
        const step = stepOf(ab, w);
        const loss = (scanned: boolean) => (h0: np.Array, xs: np.Array) => {
          const [h, ys] = scanned
            ? lax.scan(step, h0, xs, { reverse })
            : unrolled(step, h0, xs, reverse);
          return np.sum(h.mul(h)).add(np.sum(ys.mul(ys.mul(0.5))));
        };
        const h0 = seededArray([3], seed + 1), xs = seededArray([n, 3], seed + 2);
        const [s, u] = [loss(true), loss(false)];
        assertClose(s(h0, xs), u(h0, xs), TOL, "value");
        const [gs, gu] = [
          grad(s, { argnums: [0, 1] })(h0, xs),
          grad(u, { argnums: [0, 1] })(h0, xs),
        ];
        gs.forEach((g: np.Array, i: number) => assertClose(g, gu[i], TOL, `grad ${i}`));
        const th = seededArray([3], seed + 3), tx = seededArray([n, 3], seed + 4);
        assertClose(tangent(s, [h0, xs], [th, tx]), tangent(u, [h0, xs], [th, tx]), TOL, "jvp");
        const hb = seededArray([2, 3], seed + 5);
        assertClose(
          vmap(s, { inAxes: [0, null] })(hb, xs),
          vmap(u, { inAxes: [0, null] })(hb, xs),
          TOL,
          "vmap",
        );
        const gb = vmap(grad(s), { inAxes: [0, null] })(hb, xs);
        assertClose(gb, vmap(grad(u), { inAxes: [0, null] })(hb, xs), TOL, "vmap of grad");
        assertClose(jit(grad(s), { compile: "sync" })(h0, xs), gu[0], TOL, "jit of grad");
      },
    ),
    runs(12),
  );
});

Deno.test("under jit on wasm, loop bodies and branches run as compiled programs, and agree", () => {
  const w = np.array([[0.5, -0.3], [0.8, 0.1]]);
  const step = (h: np.Array, x: np.Array): [np.Array, np.Array] => {
    const h2 = np.tanh(np.matmul(h, w).add(x));
    return [h2, lax.cond(np.greater(np.sum(h2), 0), np.exp, np.sin, h2)];
  };
  const loss = (scanned: boolean) => (h0: np.Array, xs: np.Array) => {
    const [h, ys] = scanned ? lax.scan(step, h0, xs) : unrolled(step, h0, xs);
    return np.sum(h.mul(h)).add(np.sum(ys));
  };
  const xs = np.array(Array.from({ length: 24 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]));
  const h0 = np.array([0.1, -0.2]);
  const before = jitCallCounts.compiled;
  const g = jit(grad(loss(true)), { compile: "sync" });
  const got = g(h0, xs);
  if ((h0 as ConcreteArray).backend.name === "wasm") {
    // One call of the outer program, then one per step forward and backward at least.
    assert.ok(jitCallCounts.compiled - before >= 1 + 2 * 24, `${jitCallCounts.compiled - before}`);
  }
  const want = grad(loss(false))(h0, xs);
  assertClose(got, want, { rtol: 1e-5, atol: 1e-6 });
  assertClose(g(h0, xs), want, { rtol: 1e-5, atol: 1e-6 }, "a second call");
});

/** Asserts two pytrees of arrays hold the same values exactly. */
function assertTreeEqual(a: unknown, b: unknown, message: string): void {
  const [xs] = flatten(a as Tree), [ys] = flatten(b as Tree);
  assert.equal(xs.length, ys.length, message);
  xs.forEach((x, i) =>
    assertClose(x as np.Array, ys[i] as np.Array, { rtol: 0, atol: 0 }, message)
  );
}

Deno.test("compiled loops on wasm: slices in place, passthroughs, duplicates, reverse", () => {
  // Bodies that return their scanned slice as carry and as y, a carry twice, an int input, and
  // run in reverse; the wasm executor runs them on views of xs and frees carries step by step.
  const w = np.array([1, 2, 3], "float32");
  const f = (c0: np.Array, xs: np.Array, ks: np.Array) => {
    const [last, ys] = lax.scan(
      (c: np.Array, [x, k]: np.Array[]) => [x, [x, c.mul(x), k, c]],
      c0,
      [xs, ks],
      { reverse: true },
    );
    const [acc, zs] = lax.scan(
      (a: np.Array, x: np.Array) => {
        const b = a.add(np.sin(x));
        return [b, [b, b]];
      },
      c0,
      xs,
    );
    const [n] = lax.whileLoop(
      ([i]: np.Array[]) => np.less(i, 5),
      ([i, v]: np.Array[]) => [i.add(1), v.mul(1.5)],
      [np.array(0, "int32"), c0],
    );
    const [none, empty] = lax.scan(
      (a: np.Array, x: np.Array) => [a, x],
      c0,
      np.zeros([0, 3], "float32"),
    );
    // Results that are constants of the body: a literal, a closed-over array, the carry's init.
    const [k, consts] = lax.scan(
      (a: np.Array, x: np.Array) => [w, [np.array(2, "float32"), w, np.sum(a.add(x))]],
      c0,
      xs,
    );
    const picked = lax.cond(np.greater(np.sum(c0), 0), (a: np.Array) => a, np.sin, w);
    return [last, ys, acc, zs, n, none, empty, k, consts, picked];
  };
  const args: [np.Array, np.Array, np.Array] = [
    np.array([0.5, -1, 2], "float32"),
    np.array(Array.from({ length: 7 }, (_, i) => [i, -i / 2, Math.sin(i)]), "float32"),
    np.array([3, 1, 4, 1, 5, 9, 2], "int32"),
  ];
  const want = f(...toBackend(args, "ref"));
  for (const backend of ["wasm", "ref"]) {
    const g = jit(f, { compile: "sync", backend });
    const inputs = toBackend(args, backend);
    for (const call of ["first", "second"]) {
      assertTreeEqual(toBackend(g(...inputs), "ref"), want, `${backend}, ${call} call`);
    }
  }
});

Deno.test("compiled loops on wasm: a body with nothing to compile hands out results it owns", () => {
  // The backward scan of this gradient has a body of no equations returning the literal 0.0 as
  // its carry; interpreted (nothing to compile), it once returned the literal's own array, which
  // the loop freed after the first step (found by the control-flow property test).
  const f = (c: np.Array) =>
    lax.foriLoop(0, 3, (_: np.Array, c: np.Array) => np.negative(np.stopGradient(c)), c);
  const g = (c: np.Array) => [f(c), grad((c: np.Array) => np.sum(f(c)))(c)];
  const x = np.array(0.25, "float64");
  const want = g(toBackend(x, "ref"));
  const jitted = jit(g, { compile: "sync", backend: "wasm" });
  for (const call of ["first", "second"]) {
    assertTreeEqual(toBackend(jitted(toBackend(x, "wasm")), "ref"), want, `${call} call`);
  }
});

Deno.test("a compiled scan on wasm holds a few carries at once, not one per step", () => {
  const n = 1 << 14, steps = 100;
  const f = (c0: np.Array) =>
    lax.scan((c: np.Array, _: null) => [np.sin(c).add(1), null], c0, null, { length: steps })[0];
  const c0 = toBackend(np.ones([n], "float32"), "wasm");
  const g = jit(f, { compile: "sync", backend: "wasm" });
  g(c0);
  const before = wasmMemoryStats({ resetPeak: true }).liveBytes;
  const out = g(c0);
  const peak = wasmMemoryStats().peakLiveBytes - before;
  const carryBytes = 4 * n;
  assert.ok(peak <= 8 * carryBytes, `${peak / carryBytes} carries at the peak`);
  assertClose(out, toBackend(f(toBackend(c0, "ref")), "wasm"), { rtol: 1e-6, atol: 1e-6 });
});

Deno.test("scan's gradient matches finite differences, and second derivatives compose", () => {
  const w = seededArray([3], 7);
  const step = stepOf([0, 1], w);
  const f = (h0: np.Array) => {
    const [h, ys] = lax.scan(step, h0, seededArray([4, 3], 8));
    return np.sum(h).add(np.sum(ys));
  };
  const h0 = seededArray([3], 9), v = seededArray([3], 10);
  const g = grad(f)(h0);
  assertClose(np.sum(g.mul(v)), np.sum(numericJvp(f, [h0], [v]) as np.Array), {
    rtol: 1e-7,
    atol: 1e-8,
  });
  const hvp = tangent(grad(f), [h0], [v]);
  assertClose(hvp, numericJvp(grad(f), [h0], [v]) as np.Array, { rtol: 1e-6, atol: 1e-7 });
});

Deno.test("grad of a scan runs its forward once and passes loop-invariant residuals once", () => {
  const xs = seededArray([5, 2, 3], 21), h0 = seededArray([2, 3], 22), w0 = seededArray([3, 3], 23);
  const loss = (step: (h: np.Array, x: np.Array) => [np.Array, np.Array], h: np.Array) => {
    const [hT, ys] = lax.scan(step, h, xs);
    return np.sum(hT.mul(hT)).add(np.sum(np.sin(ys)));
  };
  const stepW = (w: np.Array) => (h: np.Array, x: np.Array): [np.Array, np.Array] => {
    const h2 = np.tanh(h.matmul(w).add(x));
    return [h2, h2.mul(x)];
  };
  const f = (w: np.Array, h: np.Array) => loss(stepW(w), h);
  const jaxpr = makeJaxpr(grad(f, { argnums: [0, 1] }))(w0, h0);
  const scans = jaxpr.eqns.filter((e) => e.prim.name === "scan");
  assert.equal(scans.length, 2, jaxpr.toString());
  const stackedW = jaxpr.eqns.flatMap((e) => e.outBinders).filter((v) =>
    v.aval.shape.join() === "5,3,3"
  );
  assert.deepEqual(stackedW, [], "w is stacked per step as a residual");
  // The same gradients as the unrolled loop, and as finite differences.
  const unrolledLoss = (w: np.Array, h: np.Array) => {
    const [hT, ys] = unrolled(stepW(w), h, xs);
    return np.sum(hT.mul(hT)).add(np.sum(np.sin(ys)));
  };
  const [gw, gh] = grad(f, { argnums: [0, 1] })(w0, h0) as np.Array[];
  const [uw, uh] = grad(unrolledLoss, { argnums: [0, 1] })(w0, h0) as np.Array[];
  assertClose(gw, uw, TOL);
  assertClose(gh, uh, TOL);
  const v = seededArray([3, 3], 24);
  assertClose(
    np.sum(gw.mul(v)),
    np.sum(numericJvp((w: np.Array) => f(w, h0), [w0], [v]) as np.Array),
    { rtol: 1e-7, atol: 1e-8 },
  );
});

Deno.test("a scan's jitted gradient is the same program whatever the number of steps", () => {
  const w = seededArray([3, 3], 31);
  const f = (h0: np.Array, xs: np.Array) => {
    const [h, ys] = lax.scan(
      (h: np.Array, x: np.Array) => {
        const h2 = np.tanh(h.matmul(w).add(x));
        return [h2, np.sum(h2.mul(h2))];
      },
      h0,
      xs,
    );
    return np.sum(h).add(np.sum(ys));
  };
  // The jaxpr and the backend's kernel program differ only in the lengths they name (the
  // generated code may not: its loops specialise on sizes).
  const lowered = (n: number) => {
    const l = jit(grad(f)).lower(seededArray([2, 3], 32), seededArray([n, 2, 3], 33));
    const text = [l.toString(), l.compiled.program ?? ""].join("\n");
    return text.replace(new RegExp(`(?<=[[(,=])${n}(?=[\\]),\\s])`, "g"), "N");
  };
  assert.equal(lowered(40), lowered(7));
  // w is closed over: its tangent is a symbolic zero, not a zero matrix multiplied every step.
  assert.doesNotMatch(lowered(7), /f64\[3,3\] = broadcast_in_dim\[shape=\(3,3\) dims=\(\)\] 0\.0/);
});

Deno.test("scan takes pytrees, length without xs, and lax.map maps", () => {
  const [carry, ys] = lax.scan(
    ({ a, b }: { a: np.Array; b: np.Array }) => [{ a: a.add(b), b: b.mul(2) }, [a, b]],
    { a: np.array(1), b: np.array(1) },
    null,
    { length: 4 },
  );
  assert.deepEqual([carry.a.toArray(), carry.b.toArray()], [16, 16]);
  assert.deepEqual(ys[0].toArray(), [1, 2, 4, 8]);
  assert.deepEqual(lax.map((x: np.Array) => np.sum(x), np.array([[1, 2], [3, 4]])).toArray(), [
    3,
    7,
  ]);
  const [c0, y0] = lax.scan(
    (c: np.Array, x: np.Array) => [c.add(x), c],
    np.array(5),
    np.zeros([0], "int32"),
  );
  assert.deepEqual([c0.toArray(), y0.shape], [5, [0]]);
});

Deno.test("cond equals np.where of both branches: values, grads, vmap over the predicate, jit", () => {
  fc.assert(
    fc.property(bodies, fc.nat(1000), (ab, seed) => {
      const [f, g] = [SMOOTH[ab[0]], SMOOTH[ab[1]]];
      const x = seededArray([3], seed);
      for (const p of [true, false]) {
        const c = (x: np.Array) => np.sum(lax.cond(np.array(p), f, g, x));
        const w = (x: np.Array) => np.sum(np.where(np.array(p), f(x), g(x)));
        assertClose(c(x), w(x), TOL);
        assertClose(grad(c)(x), grad(w)(x), TOL);
        assertClose(jit(grad(c), { compile: "sync" })(x), grad(w)(x), TOL);
      }
      const preds = np.array([true, false, true]);
      const cb = vmap((p: np.Array, x: np.Array) => lax.cond(p, f, g, x));
      assertClose(cb(preds, x), np.where(preds, f(x), g(x)), TOL);
      const gb = vmap(grad((x: np.Array, p: np.Array) => lax.cond(p, f, g, x)));
      assertClose(gb(x, preds), np.where(preds, vmap(grad(f))(x), vmap(grad(g))(x)), TOL);
    }),
    runs(10),
  );
});

Deno.test("switch clamps its index; cond and switch take pytrees and closures", () => {
  const branches = [
    (x: np.Array) => x.add(1),
    (x: np.Array) => x.mul(10),
    (x: np.Array) => x.neg(),
  ];
  for (const [i, want] of [[-3, 3], [0, 3], [1, 20], [2, -2], [9, -2]]) {
    assert.equal(lax.switch(np.array(i), branches, np.array(2)).toArray(), want);
  }
  const k = np.array(3);
  const out = lax.cond(
    np.array(false),
    (t: { a: np.Array }) => ({ a: t.a.mul(k) }),
    (t: { a: np.Array }) => ({ a: t.a.add(k) }),
    { a: np.array(2) },
  );
  assert.equal(out.a.toArray(), 5);
  // A captured tracer (k under grad) gets its cotangent.
  const dk = grad((k: np.Array) =>
    lax.cond(np.array(true), (x: np.Array) => x.mul(k), (x: np.Array) => x, np.array(2, "float32"))
  )(np.array(3, "float32"));
  assert.equal(dk.toArray(), 2);
});

Deno.test("foriLoop equals a JS loop; with static bounds it differentiates in reverse mode", () => {
  const f = (x: np.Array) =>
    lax.foriLoop(
      0,
      5,
      (i: np.Array, c: np.Array) => c.mul(x).add(np.astype(i, "float64")),
      np.array(1, "float64"),
    );
  const host = (x: number) => {
    let c = 1;
    for (let i = 0; i < 5; i++) c = c * x + i;
    return c;
  };
  const x = np.array(0.5, "float64");
  assertClose(f(x), [host(0.5)], TOL);
  assertClose(grad(f)(x), [(host(0.5 + 1e-6) - host(0.5 - 1e-6)) / 2e-6], {
    rtol: 1e-7,
    atol: 1e-7,
  });
  // Traced bounds: a while loop.
  const g = (x: np.Array, n: np.Array) =>
    lax.foriLoop(0, n, (_: np.Array, c: np.Array) => c.mul(x), np.array(1, "float64"));
  assertClose(jit(g)(x, np.array(3)), [0.125], TOL);
  assertClose(
    tangent((x: np.Array) => g(x, np.array(3)), [x], [np.array(1, "float64")]),
    [0.75],
    TOL,
  );
});

/** Newton's method for sqrt(a), to a tolerance. */
const newton = (a: np.Array) =>
  lax.whileLoop(
    ([x, i]: [np.Array, np.Array]) =>
      np.logicalAnd(np.greater(np.abs(x.mul(x).sub(a)), 1e-12), np.less(i, 60)),
    ([x, i]: [np.Array, np.Array]) => [x.sub(x.mul(x).sub(a).div(x.mul(2))), i.add(1)],
    [a, np.array(0)],
  )[0];

Deno.test("whileLoop: Newton's sqrt, its jvp, vmap with a batched predicate, jit", () => {
  const a = np.array(2, "float64");
  assertClose(newton(a), [Math.SQRT2], TOL);
  assertClose(tangent(newton, [a], [np.array(1, "float64")]), [0.5 / Math.SQRT2], {
    rtol: 1e-8,
    atol: 1e-10,
  });
  assertClose(jit(newton)(a), [Math.SQRT2], TOL);
  const as = np.array([1, 4, 9, 2, 100], "float64");
  assertClose(vmap(newton)(as), [1, 2, 3, Math.SQRT2, 10], TOL);
  assertClose(jit(vmap(newton))(as), [1, 2, 3, Math.SQRT2, 10], TOL);
  // Examples whose condition fails early keep their carry while the others go on.
  const count = (n: np.Array) =>
    lax.whileLoop((c: np.Array) => np.less(c, n), (c: np.Array) => c.add(1), np.array(0));
  assert.deepEqual(vmap(count)(np.array([1, 5, 3, 0])).toArray(), [1, 5, 3, 0]);
});

Deno.test("reverse mode through whileLoop is refused with JAX's advice", () => {
  assert.throws(
    () => grad(newton)(np.array(2, "float64")),
    (e: unknown) =>
      e instanceof AdjointError && /lax\.scan/.test(e.message) && /foriLoop/.test(e.message),
  );
  assert.throws(() => vjp(newton, np.array(2, "float64"))[1](np.array(1, "float64")), AdjointError);
});

Deno.test("errors name the primitive, both types and the fix", () => {
  const expect = (f: () => unknown, re: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof AdjointError && re.test(e.message));
  expect(
    () =>
      lax.scan(
        (c: np.Array, x: np.Array) => [np.astype(c, "float32").add(x), x],
        np.array(0),
        np.array([1, 2]),
      ),
    /lax\.scan: the carry the body returns has types \(f32\[\]\) but the initial carry has \(i32\[\]\)/,
  );
  expect(
    () =>
      lax.cond(
        np.array(true),
        (x: np.Array) => x,
        (x: np.Array) => np.astype(x, "float64"),
        np.array(1, "float32"),
      ),
    /lax\.cond: branch 1's output has types \(f32\[\]\) but branch 0's output has \(f64\[\]\)/,
  );
  expect(
    () => lax.cond(np.array([true, false]), (x: np.Array) => x, (x: np.Array) => x, np.array(1)),
    /predicate must be a scalar, got bool\[2\]/,
  );
  expect(
    () => lax.whileLoop((c: np.Array) => c, (c: np.Array) => c, np.array(1)),
    /condition must return one bool scalar/,
  );
  expect(
    () => lax.scan((c: np.Array, x: np.Array) => [c, x], np.array(0)),
    /number of steps is unknown/,
  );
  expect(
    () => lax.scan((c: np.Array) => c as never, np.array(0), np.array([1])),
    /must return \[carry, y\]/,
  );
});

Deno.test("jaxprs print control flow with its sub-jaxprs, one equation however many steps", () => {
  const step = (c: np.Array, x: np.Array): [np.Array, np.Array] => [c.add(x), np.sin(c)];
  const text = makeJaxpr((xs: np.Array) => lax.scan(step, np.array(0, "float32"), xs))(
    np.zeros([100]),
  ).toString();
  assert.match(text, /scan\[jaxpr=\{ lambda ; a:f32\[\] b:f32\[\]\. let/);
  assert.match(text, /numCarry=1 length=100 reverse=false\]/);
  assert.ok(text.split("\n").length < 12, text);
  const c = makeJaxpr((x: np.Array) => lax.cond(np.greater(x, 0), np.sin, np.cos, x))(
    np.array(1, "float32"),
  );
  assert.match(c.toString(), /cond\[branches=\(\{ lambda ; a:f32\[\]\. let\n\s+b:f32\[\] = cos a/);
});

Deno.test("jitted control flow on webgpu (bodies compiled, the rest op by op) agrees with ref", async (t) => {
  if (!(await initWebGPU())) {
    return void t.step({ name: "no WebGPU adapter", ignore: true, fn() {} });
  }
  const step = stepOf([0, 1], np.array([0.5, -0.3, 0.8]));
  const f = (p: np.Array, h0: np.Array, xs: np.Array) => {
    const [h, ys] = lax.scan(step, h0, xs);
    return lax.cond(p, (a: np.Array) => np.sum(a), (a: np.Array) => np.max(a), ys.add(np.sum(h)));
  };
  const args = [
    np.array(true),
    np.array([0.1, 0.2, 0.3]),
    np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]),
  ];
  const want = jit(f, { backend: "ref" })(...toBackend(args, "ref"));
  for (const fuse of [true, false]) {
    const before = gpuJitCallCounts.compiled, fused = gpuLoopFusion.fused;
    gpuLoopFusion.enabled = fuse;
    try {
      const got = jit(f, { backend: "webgpu" })(...toBackend(args, "webgpu"));
      assertClose(await toBackendAsync(got, "ref"), want, { rtol: 1e-5, atol: 1e-6 });
    } finally {
      gpuLoopFusion.enabled = true;
    }
    // Both branches ran as compiled kernel programs (a predicate on the device is not read
    // back: the outputs are selected there); the scan's elementwise body as one loop shader,
    // or, with loop fusion off, each of its two steps as a compiled kernel program.
    assert.equal(gpuLoopFusion.fused - fused, fuse ? 1 : 0);
    assert.equal(gpuJitCallCounts.compiled - before, fuse ? 2 : 4);
  }
});
