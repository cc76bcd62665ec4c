/**
 * The float32 special functions of the wasm eager kernels (the IR definitions of
 * kernels/lowering/math_definitions.ts) stay within
 * their stated maximum errors, measured against float64 references on dense grids that cover
 * each function's range, its tails and the neighbourhood of 0 (where relative accuracy is
 * hardest). The bounds here are the ones stated in those modules; float32 rounding alone is 6e-8.
 */
import assert from "node:assert/strict";
import { erf, erfInv, logistic } from "../kernels/ref/math.ts";
import { wasmRuntime } from "../kernels/wasm/runtime.ts";

/** Runs the f32 kernel `name` over `xs`. */
function kernel(name: string, xs: Float32Array): Float32Array {
  const rt = wasmRuntime();
  const x = rt.fromHost(xs, "float32"), y = rt.alloc("float32", xs.length);
  rt.kernel(name, name)(x.ptr, y.ptr, 0, xs.length);
  const out = rt.toHost(y, "float32", xs.length) as Float32Array;
  rt.dispose(x);
  rt.dispose(y);
  return out;
}

const N = 40_000;

/** `n` evenly spaced float32 points in [lo, hi]. */
function linear(lo: number, hi: number, n = N): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** `n` log-spaced points in [lo, hi] (both positive), times `sign`. */
function logarithmic(lo: number, hi: number, sign = 1, n = N): number[] {
  const a = Math.log(lo), b = Math.log(hi);
  return Array.from({ length: n }, (_, i) => sign * Math.exp(a + ((b - a) * i) / (n - 1)));
}

interface Spec {
  reference: (x: number) => number;
  points: number[];
  /** Maximum relative error (where the reference is a normal float32). */
  rel?: number;
  /** Maximum absolute error. */
  abs?: number;
}

const SMALL = [...logarithmic(1e-30, 1), ...logarithmic(1e-30, 1, -1)];

const SPECS: Record<string, Spec> = {
  exp: { reference: Math.exp, points: [...linear(-103, 88.7), ...SMALL], rel: 2e-7 },
  expm1: { reference: Math.expm1, points: [...linear(-20, 88.7), ...SMALL], rel: 2e-7 },
  log: {
    reference: Math.log,
    points: [...logarithmic(1e-45, 3e38), ...linear(0.5, 2)],
    rel: 3e-7,
  },
  log1p: {
    reference: Math.log1p,
    points: [...logarithmic(1e-30, 1e30), ...logarithmic(1e-30, 0.999999, -1)],
    rel: 3e-7,
  },
  tanh: { reference: Math.tanh, points: [...linear(-12, 12), ...SMALL], rel: 3e-7 },
  logistic: { reference: logistic, points: linear(-87, 87), rel: 3e-7 },
  erf: { reference: erf, points: [...linear(-6, 6), ...SMALL], rel: 3e-7, abs: 2e-7 },
  erf_inv: {
    reference: erfInv,
    points: [
      ...linear(-1 + 2 ** -20, 1 - 2 ** -20),
      ...SMALL,
      ...logarithmic(2 ** -20, 0.5).map((v) => 1 - v),
    ],
    rel: 5e-7,
  },
  sin: { reference: Math.sin, points: [...linear(-10, 10), ...linear(-1e5, 1e5)], abs: 2e-7 },
  cos: { reference: Math.cos, points: [...linear(-10, 10), ...linear(-1e5, 1e5)], abs: 2e-7 },
};

const MIN_NORMAL = 2 ** -126;

Deno.test("f32 math kernels stay within their stated error bounds", async (t) => {
  for (const [name, spec] of Object.entries(SPECS)) {
    await t.step(name, () => {
      const xs = Float32Array.from(spec.points);
      const ys = kernel(`${name}_f32`, xs);
      let worstRel = 0, worstAbs = 0, relAt = 0, absAt = 0;
      xs.forEach((x, i) => {
        const r = spec.reference(x);
        const err = Math.abs(ys[i] - r);
        if (!Number.isFinite(r)) {
          assert.equal(ys[i], r, `${name}(${x})`);
          return;
        }
        if (err > worstAbs) [worstAbs, absAt] = [err, x];
        if (Math.abs(r) >= MIN_NORMAL && err / Math.abs(r) > worstRel) {
          [worstRel, relAt] = [err / Math.abs(r), x];
        }
      });
      if (spec.rel !== undefined) {
        assert.ok(worstRel <= spec.rel, `${name}: relative error ${worstRel} at x = ${relAt}`);
      }
      if (spec.abs !== undefined) {
        assert.ok(worstAbs <= spec.abs, `${name}: absolute error ${worstAbs} at x = ${absAt}`);
      }
    });
  }
});

Deno.test("f32 math kernels handle special values", () => {
  const cases: [string, number, number][] = [
    ["exp", -Infinity, 0],
    ["exp", Infinity, Infinity],
    ["exp", 89, Infinity],
    ["exp", -104, 0],
    ["expm1", -Infinity, -1],
    ["expm1", Infinity, Infinity],
    ["log", 0, -Infinity],
    ["log", -1, NaN],
    ["log", Infinity, Infinity],
    ["log1p", -1, -Infinity],
    ["log1p", -2, NaN],
    ["log1p", Infinity, Infinity],
    ["tanh", Infinity, 1],
    ["tanh", -Infinity, -1],
    ["logistic", -Infinity, 0],
    ["logistic", Infinity, 1],
    ["erf", Infinity, 1],
    ["erf", -Infinity, -1],
    ["erf_inv", 1, Infinity],
    ["erf_inv", -1, -Infinity],
    ["erf_inv", 1.5, NaN],
    ["sin", Infinity, NaN],
    ["cos", -Infinity, NaN],
  ];
  for (const [name, x, expected] of cases) {
    const [y] = kernel(`${name}_f32`, Float32Array.of(x));
    assert.ok(
      Object.is(y, expected) || y === expected,
      `${name}(${x}) = ${y}, expected ${expected}`,
    );
    const [nan] = kernel(`${name}_f32`, Float32Array.of(NaN));
    assert.ok(Number.isNaN(nan), `${name}(NaN) = ${nan}`);
  }
});
