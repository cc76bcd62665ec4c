/**
 * The special functions defined as kernel IR compositions (kernels/lowering/lower_elementwise.ts:
 * cbrt, asinh, acosh) stay within their stated maximum relative errors against float64
 * references on dense grids over their range, their tails and the neighbourhood of 0 (of 1 for
 * acosh), with IEEE's specials exact: on wasm, eager and jitted, in float32 and float64, and on
 * WebGPU (float32, eager and jitted) when an adapter exists.
 */
import assert from "node:assert/strict";
import {
  type Array as Tensor,
  type DType,
  initWebGPU,
  jit,
  numpy as np,
  toBackend,
  toBackendAsync,
} from "../mod.ts";

const N = 20_000;

/** `n` log-spaced points in [lo, hi] (both positive), times `sign`. */
function logarithmic(lo: number, hi: number, sign = 1, n = N): number[] {
  const a = Math.log(lo), b = Math.log(hi);
  return Array.from({ length: n }, (_, i) => sign * Math.exp(a + ((b - a) * i) / (n - 1)));
}

/** `n` evenly spaced points in [lo, hi]. */
function linear(lo: number, hi: number, n = N): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

const SPECIALS = [0, -0, Infinity, -Infinity, NaN, 1, -1];

interface Spec {
  f: (x: Tensor) => Tensor;
  reference: (x: number) => number;
  points: number[];
  /** Maximum relative error by dtype. */
  rel: Record<"float32" | "float64", number>;
}

/** The stated bounds (float32 rounding alone is 6e-8, float64's 1.1e-16). */
const SPECS: Record<string, Spec> = {
  cbrt: {
    f: np.cbrt,
    reference: Math.cbrt,
    // From the smallest normal float32 up: WebGPU may flush subnormals to zero.
    points: [
      ...logarithmic(1.2e-38, 3e38),
      ...logarithmic(1.2e-38, 3e38, -1),
      ...linear(-30, 30),
    ],
    rel: { float32: 2e-7, float64: 4e-16 },
  },
  asinh: {
    f: np.arcsinh,
    reference: Math.asinh,
    points: [...logarithmic(1e-30, 3e38), ...logarithmic(1e-30, 3e38, -1), ...linear(-10, 10)],
    rel: { float32: 3e-7, float64: 6e-16 },
  },
  acosh: {
    f: np.arccosh,
    reference: Math.acosh,
    points: [...logarithmic(1e-7, 3e38).map((t) => 1 + t), ...linear(1, 10), ...linear(-5, 1, 50)],
    rel: { float32: 4e-7, float64: 6e-16 },
  },
};

/** The largest relative error of `got` against `reference` at `xs` (rounded to `dtype`). */
function worstError(
  got: ArrayLike<number>,
  xs: ArrayLike<number>,
  reference: (x: number) => number,
  dtype: DType,
) {
  const round = dtype === "float32" ? Math.fround : (v: number) => v;
  let worst = 0, at = NaN;
  for (let i = 0; i < xs.length; i++) {
    const want = round(reference(xs[i]));
    const g = got[i];
    if (Object.is(want, g) || (Number.isNaN(want) && Number.isNaN(g))) continue;
    // Where the reference is a float32 subnormal, float32 has no relative precision to keep.
    if (dtype === "float32" && Math.abs(want) < 1.2e-38 && Math.abs(g - want) < 1e-45) continue;
    const e = Number.isFinite(want) && want !== 0 ? Math.abs(g - want) / Math.abs(want) : Infinity;
    if (!(e <= worst)) [worst, at] = [e, xs[i]];
  }
  return { worst, at };
}

const gpu = await initWebGPU();

for (const [name, spec] of Object.entries(SPECS)) {
  Deno.test(`${name} within its stated error on wasm (eager and jit)${gpu ? " and webgpu" : ""}`, async () => {
    for (const dtype of ["float32", "float64"] as const) {
      const host = [...spec.points, ...SPECIALS];
      const xs = dtype === "float32" ? new Float32Array(host) : new Float64Array(host);
      const x = toBackend(np.array(xs, dtype), "wasm");
      const runs: [string, Tensor][] = [
        ["wasm eager", spec.f(x)],
        ["wasm jit", jit(spec.f, { backend: "wasm", compile: "sync" })(x)],
      ];
      if (gpu && dtype === "float32") {
        const g = await toBackendAsync(x, "webgpu");
        runs.push(["webgpu eager", spec.f(g)], [
          "webgpu jit",
          jit(spec.f, { backend: "webgpu" })(g),
        ]);
      }
      for (const [where, y] of runs) {
        const { worst, at } = worstError(await y.read(), xs, spec.reference, dtype);
        assert.ok(worst <= spec.rel[dtype], `${name} ${dtype} on ${where}: ${worst} at x = ${at}`);
      }
    }
  });
}
