/**
 * The Newton example (examples/newton.ts): its while-loop solver against closed forms (Cardano's
 * root of a cubic) and the implicit function theorem in float64, jvp through the loop against
 * finite differences, vmap with per-example step counts, jit compiled on wasm against ref, and
 * reverse mode: refused through the while loop, through the fixed-step foriLoop equal to the
 * implicit derivative.
 */
import assert from "node:assert/strict";
import { AdjointError, type Array, grad, jit, jvp, numpy as np, toBackend, vmap } from "../mod.ts";
import {
  anomalyAndTangent,
  cardano,
  cubicRoot,
  eccentricAnomaly,
  eccentricAnomalyFixed,
  keplerImplicit,
  main,
} from "../examples/newton.ts";
import { assertClose } from "./util/assert_close.ts";
import { hostData, numericJvp } from "./util/finite_diff.ts";

const f64 = (x: number | number[]) => np.array(x, "float64");
const TIGHT = { rtol: 1e-12, atol: 1e-13 };

Deno.test("the cubic's root and its derivatives by jvp equal Cardano's and the implicit ones", () => {
  for (const [p, q] of [[1, 1], [1.5, 4], [0.2, -3], [5, 0.01]]) {
    const x = cardano(p, q);
    assertClose(cubicRoot(f64(p), f64(q)).root, [x], TIGHT, `root ${p}, ${q}`);
    // x^3 + p x - q = 0: dx/dq = 1 / (3x^2 + p), dx/dp = -x / (3x^2 + p).
    const d = 3 * x * x + p;
    const [, dq] = jvp((q: Array) => cubicRoot(f64(p), q).root, [f64(q)], [f64(1)]);
    const [, dp] = jvp((p: Array) => cubicRoot(p, f64(q)).root, [f64(p)], [f64(1)]);
    assertClose(dq as Array, [1 / d], TIGHT, `dx/dq ${p}, ${q}`);
    assertClose(dp as Array, [-x / d], TIGHT, `dx/dp ${p}, ${q}`);
  }
});

Deno.test("Kepler: residual, jvp against the implicit derivative and finite differences", () => {
  for (const [e, m] of [[0.1, 0.3], [0.5, 1], [0.9, 2], [0.99, 0.05], [0.7, 5.5]]) {
    const { root } = eccentricAnomaly(f64(e), f64(m));
    const E = root.item();
    assert.ok(Math.abs(E - e * Math.sin(E) - m) < 1e-14, `residual at ${e}, ${m}`);
    const imp = keplerImplicit(e, E);
    const solve = (e: Array, m: Array) => eccentricAnomaly(e, m).root;
    const along = (de: number, dm: number) =>
      jvp(solve, [f64(e), f64(m)], [f64(de), f64(dm)])[1] as Array;
    assertClose(along(1, 0), [imp.dE], TIGHT, `dE/de at ${e}, ${m}`);
    assertClose(along(0, 1), [imp.dM], TIGHT, `dE/dM at ${e}, ${m}`);
    const fd = numericJvp(solve, [f64(e), f64(m)], [f64(0.3), f64(-0.8)]) as Array;
    assertClose(along(0.3, -0.8), fd, { rtol: 1e-8, atol: 1e-9 }, `finite diff. at ${e}, ${m}`);
  }
});

Deno.test("vmap and jit of the solver with its jvp: per-example steps, wasm against ref", () => {
  const es = [0, 0.3, 0.9, 0.99, 0.6], ms = [1, 0, 2, 0.05, 3];
  const eager = vmap(anomalyAndTangent)(f64(es), f64(ms));
  const steps = hostData(eager[1]);
  es.forEach((e, i) => {
    const [E, n, dE] = anomalyAndTangent(f64(e), f64(ms[i]));
    assertClose(np.index(eager[0], i), E, TIGHT, `E ${i}`);
    assertClose(np.index(eager[2], i), dE, TIGHT, `dE ${i}`);
    assert.equal(steps[i], n.item(), `steps ${i}`);
    assertClose(dE, [keplerImplicit(e, E.item()).dE], TIGHT, `implicit ${i}`);
  });
  // Examples converge after different numbers of steps; M = 0 is a root at once.
  assert.ok(new Set(steps).size > 1 && steps[1] === 1, `${steps}`);
  const compiled = jit(vmap(anomalyAndTangent), { compile: "sync" })(f64(es), f64(ms));
  const onRef = jit(vmap(anomalyAndTangent), { backend: "ref" })(
    ...toBackend([f64(es), f64(ms)], "ref"),
  );
  [0, 1, 2].forEach((k) => {
    assertClose(compiled[k], eager[k], TIGHT, `jit ${k}`);
    assertClose(onRef[k], eager[k], TIGHT, `ref ${k}`);
  });
});

Deno.test("grad through the while loop is refused; through the fixed-step foriLoop it works", () => {
  assert.throws(
    () => grad((e: Array) => eccentricAnomaly(e, f64(1)).root)(f64(0.5)),
    (err: unknown) =>
      err instanceof AdjointError && /reverse-mode/.test(err.message) &&
      /foriLoop/.test(err.message),
  );
  const fixed = (e: Array, m: Array) => eccentricAnomalyFixed(e, m, 6);
  for (const [e, m] of [[0.5, 1], [0.9, 2]]) {
    const E = eccentricAnomaly(f64(e), f64(m)).root.item();
    const imp = keplerImplicit(e, E);
    const [ge, gm] = grad(fixed, { argnums: [0, 1] })(f64(e), f64(m)) as Array[];
    assertClose(ge, [imp.dE], { rtol: 1e-10, atol: 1e-12 }, `dE/de at ${e}`);
    assertClose(gm, [imp.dM], { rtol: 1e-10, atol: 1e-12 }, `dE/dM at ${e}`);
    const jg = jit(grad(fixed), { compile: "sync" })(f64(e), f64(m));
    assertClose(jg, ge, TIGHT, `jit of grad at ${e}`);
  }
});

Deno.test("the example runs and prints its table", () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...xs: unknown[]) => void lines.push(xs.join(" "));
  try {
    main();
  } finally {
    console.log = log;
  }
  const text = lines.join("\n");
  assert.match(text, /dE\/de \(jvp\)\s+implicit\s+finite diff\./);
  assert.match(text, /grad refuses: lax\.whileLoop: reverse-mode/);
});
