/**
 * Newton's method to a tolerance as a `lax.whileLoop`, differentiated in forward mode: the
 * eccentric anomaly `E` of Kepler's equation `E - e sin E = M` as a function of the eccentricity
 * `e` and the mean anomaly `M`, and the real root of the cubic `x^3 + p x - q = 0` (`p > 0`),
 * whose closed form (Cardano's) checks the solver.
 *
 * `jvp` through the loop carries the tangent of each iterate beside it, so when the iterates
 * converge, their tangents converge to the derivative of the solution, which the implicit
 * function theorem gives without the loop: `dE/de = sin E / (1 - e cos E)` and
 * `dE/dM = 1 / (1 - e cos E)`. The loop stops on the size of the Newton step, so the last step
 * taken is already below the tolerance and the tangent has converged with the value. `vmap`
 * runs one loop for many parameters (until every example has converged, those done keeping their
 * values) and `jit` compiles it. Reverse mode is refused, as in JAX: the steps to store are not
 * known in advance; `lax.foriLoop` with a fixed number of steps is a `scan`, which `grad` goes
 * through.
 *
 *   deno task demo:newton
 * @module
 */
import { AdjointError, grad, jit, jvp, lax, numpy as np, vmap } from "../mod.ts";

type Array = np.Array;

/** Options of `newton`. */
export interface NewtonOptions {
  /** Stop when the Newton step is at most this in absolute value (default 1e-12). */
  tol?: number;
  /** Stop after this many steps in any case (default 50). */
  maxSteps?: number;
}

/** One Newton step for `f(x) = 0`: `f(x) / f'(x)`, `f'` by forward mode. */
function newtonStep(f: (x: Array) => Array, x: Array): Array {
  const [fx, dfx] = jvp(f, [x], [np.onesLike(x)]) as [Array, Array];
  return fx.div(dfx);
}

/**
 * A root of the scalar function `f` by Newton's method from `x0`, iterated in a `lax.whileLoop`
 * until the step is at most `tol`: `{ root, steps }` (steps as int32).
 */
export function newton(
  f: (x: Array) => Array,
  x0: Array,
  { tol = 1e-12, maxSteps = 50 }: NewtonOptions = {},
): { root: Array; steps: Array } {
  const [root, , steps] = lax.whileLoop(
    ([, dx, i]: Array[]) => np.logicalAnd(np.greater(np.abs(dx), tol), np.less(i, maxSteps)),
    ([x, , i]: Array[]) => {
      const dx = newtonStep(f, x);
      return [x.sub(dx), dx, i.add(1)];
    },
    [x0, np.fullLike(x0, Infinity), np.array(0)],
  );
  return { root, steps };
}

/** `steps` Newton steps for `f(x) = 0` from `x0` in a `lax.foriLoop` with JS-number bounds (a scan). */
export function newtonFixed(f: (x: Array) => Array, x0: Array, steps: number): Array {
  return lax.foriLoop(0, steps, (_: Array, x: Array) => x.sub(newtonStep(f, x)), x0);
}

/** Kepler's equation as a root problem in `E`: `E - e sin E - M`. */
const kepler = (e: Array, m: Array) => (E: Array) => E.sub(np.sin(E).mul(e)).sub(m);

/** Danby's starting value `M + 0.85 e sign(sin M)`, from which Newton converges for `e < 1`. */
const keplerStart = (e: Array, m: Array) => m.add(np.sign(np.sin(m)).mul(e).mul(0.85));

/** The eccentric anomaly `E(e, M)` (`0 <= e < 1`) by Newton's method in a while loop. */
export function eccentricAnomaly(e: Array, m: Array, options: NewtonOptions = {}) {
  return newton(kepler(e, m), keplerStart(e, m), options);
}

/** The eccentric anomaly after a fixed number of Newton steps (differentiable in reverse mode). */
export function eccentricAnomalyFixed(e: Array, m: Array, steps: number): Array {
  return newtonFixed(kepler(e, m), keplerStart(e, m), steps);
}

/** `dE/de` and `dE/dM` at a solution `E`, by the implicit function theorem. */
export function keplerImplicit(e: number, E: number): { dE: number; dM: number } {
  const fE = 1 - e * Math.cos(E);
  return { dE: Math.sin(E) / fE, dM: 1 / fE };
}

/** The real root of `x^3 + p x - q` (`p > 0`) by Newton's method from `q / p`. */
export function cubicRoot(p: Array, q: Array, options: NewtonOptions = {}) {
  return newton((x) => x.mul(x).mul(x).add(x.mul(p)).sub(q), q.div(p), options);
}

/** Cardano's closed form of the real root of `x^3 + p x - q` for `p > 0`. */
export function cardano(p: number, q: number): number {
  const d = Math.sqrt(q * q / 4 + p ** 3 / 27);
  return Math.cbrt(q / 2 + d) + Math.cbrt(q / 2 - d);
}

const f64 = (x: number | number[]) => np.array(x, "float64");
const one = f64(1);

/** `[E, steps, dE/de]` at `(e, M)`: the while loop and its jvp with respect to `e`. */
export function anomalyAndTangent(e: Array, m: Array): Array[] {
  const [{ root, steps }, { root: dE }] = jvp(
    (e: Array) => eccentricAnomaly(e, m),
    [e],
    [np.onesLike(e)],
  ) as { root: Array; steps: Array }[];
  return [root, steps, dE];
}

/** `anomalyAndTangent` for many `(e, M)` at once: one jitted, vmapped while loop. */
export const anomalies: (e: Array, m: Array) => Array[] = jit(vmap(anomalyAndTangent));

/** Central difference of the host function `g` at `x`. */
const central = (g: (x: number) => number, x: number, h = 1e-6) => (g(x + h) - g(x - h)) / (2 * h);

/** Prints the solutions, their derivatives three ways, and the reverse-mode story. */
export function main(): void {
  console.log("Kepler's equation E - e sin E = M by Newton's method in lax.whileLoop (float64)\n");
  const es = [0.1, 0.5, 0.9, 0.99, 0.6, 0.6], ms = [0.3, 1, 2, 0.05, Math.PI, 5.5];
  const [E, steps, dE] = anomalies(f64(es), f64(ms)).map((x) => x.toArray() as number[]);
  const header = ["e", "M", "E", "steps", "dE/de (jvp)", "implicit", "finite diff.", "|jvp-imp|"];
  const pad = (cells: string[]) => cells.map((c, j) => c.padStart([5, 6, 14, 6][j] ?? 15)).join("");
  console.log(pad(header));
  es.forEach((e, i) => {
    const fd = central((e) => eccentricAnomaly(f64(e), f64(ms[i])).root.item(), e);
    const implicit = keplerImplicit(e, E[i]).dE;
    const cells = [e.toFixed(2), ms[i].toFixed(2), E[i].toFixed(10), String(steps[i])];
    const nums = [dE[i], implicit, fd].map((x) => x.toFixed(10));
    console.log(pad([...cells, ...nums, Math.abs(dE[i] - implicit).toExponential(1)]));
  });

  // One jitted call for a whole orbit: 1000 mean anomalies at e = 0.9.
  const n = 1000, e = 0.9;
  const orbit = np.linspace(0, 2 * Math.PI, n, false, "float64");
  const [oE, oSteps, oDE] = anomalies(np.fullLike(orbit, e), orbit).map((x) =>
    x.toArray() as number[]
  );
  const residual = Math.max(
    ...oE.map((E, i) => Math.abs(E - e * Math.sin(E) - i * 2 * Math.PI / n)),
  );
  const derr = Math.max(...oE.map((E, i) => Math.abs(oDE[i] - keplerImplicit(e, E).dE)));
  console.log(
    `\nvmap over an orbit (e = ${e}, ${n} values of M, one jitted while loop): ` +
      `steps ${Math.min(...oSteps)}-${Math.max(...oSteps)}, max |residual| ` +
      `${residual.toExponential(1)}, max |dE/de - implicit| ${derr.toExponential(1)}`,
  );

  const [p, q] = [1.5, 4];
  const { root: x } = cubicRoot(f64(p), f64(q));
  const [, { root: dxdq }] = jvp((q: Array) => cubicRoot(f64(p), q), [f64(q)], [one]) as {
    root: Array;
  }[];
  const exact = cardano(p, q);
  console.log(
    `\nx^3 + ${p}x - ${q} = 0: x = ${x.item()} (Cardano: ${exact}); dx/dq by jvp ` +
      `${dxdq.item().toFixed(12)}, 1 / (3x^2 + p) = ${(1 / (3 * exact * exact + p)).toFixed(12)}`,
  );

  console.log("\nReverse mode through the while loop:");
  try {
    grad((e: Array) => eccentricAnomaly(e, f64(1)).root)(f64(0.5));
  } catch (err) {
    if (!(err instanceof AdjointError)) throw err;
    console.log(`  grad refuses: ${err.message.split(" (at ")[0]}`);
  }
  const fixedSteps = 6;
  const g = jit(grad((e: Array, m: Array) => eccentricAnomalyFixed(e, m, fixedSteps), {
    argnums: [0, 1],
  }));
  const [ge, gm] = (g(f64(0.5), f64(1)) as Array[]).map((x) => x.item());
  const E1 = eccentricAnomaly(f64(0.5), f64(1)).root.item();
  const imp = keplerImplicit(0.5, E1);
  console.log(
    `  lax.foriLoop(0, ${fixedSteps}, ...) is a scan, and grad goes through it: at e = 0.5, ` +
      `M = 1\n  dE/de = ${ge.toFixed(12)} (implicit ${imp.dE.toFixed(12)}), ` +
      `dE/dM = ${gm.toFixed(12)} (implicit ${imp.dM.toFixed(12)})`,
  );
}

if (import.meta.main) main();
