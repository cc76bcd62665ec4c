/**
 * The special functions defined as kernel IR compositions (kernels/lowering/lower_elementwise.ts:
 * cbrt, asinh, acosh; float32 exp, expm1, log, log1p, tanh and logistic in
 * kernels/lowering/math_definitions.ts, their float64 forms in math_definitions_f64.ts; erf and
 * erf_inv are checked by tests/wasm_math_test.ts) stay within their stated maximum relative
 * errors against float64 references (`Math`, itself within 1 ulp, in float64) on dense grids
 * over their range, their tails and the neighbourhood of 0 (of 1 for acosh), the float64
 * thresholds (overflow, subnormal results, underflow) in float64, with IEEE's specials exact:
 * on wasm, eager and jitted, in float32 and float64, and on WebGPU (float32, eager and jitted)
 * when an adapter exists. The math definitions give the same bits on every renderer as the IR
 * evaluated in plain TypeScript (tests/util/evaluate_ir.ts), float32 and float64.
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
import { F32_DEFINITIONS } from "../kernels/lowering/math_definitions.ts";
import { F64_DEFINITIONS } from "../kernels/lowering/math_definitions_f64.ts";
import { evaluateExpr, f32Bits } from "./util/evaluate_ir.ts";
import { FLOAT_CORNERS } from "./util/float_corners.ts";

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
  /** Points only wasm runs: WebGPU may flush subnormal inputs and results to zero. */
  subnormal?: number[];
  /** Points only float64 runs: its thresholds and its subnormals. */
  float64?: number[];
}

/** The smallest normal float32, and the smallest subnormal. */
const MIN_NORMAL = 2 ** -126, MIN_SUBNORMAL = 2 ** -149;
/** The smallest normal float64, and the largest float64. */
const MIN_NORMAL64 = 2 ** -1022, MAX64 = Number.MAX_VALUE;
/** Float64 corners: the smallest subnormal, the smallest normal, the largest finite. */
const CORNERS64 = [5e-324, -5e-324, MIN_NORMAL64, -MIN_NORMAL64, MAX64, -MAX64];

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
  exp: {
    f: np.exp,
    reference: Math.exp,
    // Overflow above log(MAX) = 88.72, results subnormal below -87.34, zero below -103.97.
    points: [
      ...linear(-87.3, 88.72),
      ...logarithmic(1e-30, 1),
      ...logarithmic(1e-30, 1, -1),
      ...[88.7228, 88.7229, 88.8, 89, 89.1, 1e4, 3e38, -104, -1e4, -3e38],
    ],
    subnormal: [...linear(-103.9, -87.4, 2000), -103.2789, -103.9720, -103.9721],
    // Overflow above log(MAX) = 709.78, results subnormal below -708.40, zero below -745.13.
    float64: [
      ...linear(-708.3, 709.78),
      ...logarithmic(1e-300, 1e-30),
      ...logarithmic(1e-300, 1e-30, -1),
      ...linear(-745.2, -708.4, 5000),
      ...[709.782712893384, 709.7827128933841, 710, 746, -745.1332191019411, -745.1332191019412],
      ...[-746, ...CORNERS64],
    ],
    rel: { float32: 2e-7, float64: 3e-16 },
  },
  log: {
    f: np.log,
    reference: Math.log,
    points: [
      ...logarithmic(MIN_NORMAL, 3.4e38),
      ...linear(0.5, 2),
      ...logarithmic(1e-7, 0.01).map((t) => 1 + t),
      ...logarithmic(1e-7, 0.01).map((t) => 1 - t),
      ...[Math.SQRT2, Math.SQRT1_2, 3.4028234663852886e38, -1e-30, -3e38, 2 ** -126],
    ],
    subnormal: [...logarithmic(MIN_SUBNORMAL, MIN_NORMAL, 1, 2000), MIN_SUBNORMAL],
    float64: [
      ...logarithmic(MIN_NORMAL64, MAX64),
      ...logarithmic(5e-324, MIN_NORMAL64, 1, 2000),
      ...logarithmic(1e-15, 1e-7).map((t) => 1 + t),
      ...logarithmic(1e-15, 1e-7).map((t) => 1 - t),
      ...[1 + 2 ** -52, 1 - 2 ** -53, ...CORNERS64],
    ],
    rel: { float32: 3e-7, float64: 3e-16 },
  },
  expm1: {
    f: np.expm1,
    reference: Math.expm1,
    points: [
      ...linear(-20, 88.72),
      ...logarithmic(1e-30, 1),
      ...logarithmic(1e-30, 1, -1),
      ...[0.3465, -0.3466, 16.6, 16.7, 88.7228, 88.7229, 89, 1e4, -17.9, -18, -1e4, -3e38],
    ],
    // 2^n - 1 exact up to |n| = 53 (|x| 36.7), -1 below -37.4, overflow above 709.78.
    float64: [
      ...linear(-40, 709.78),
      ...logarithmic(1e-300, 1e-30),
      ...logarithmic(1e-300, 1e-30, -1),
      ...linear(-38, -36, 2000),
      ...linear(36, 38, 2000),
      ...[709.782712893384, 709.7827128933841, 710, -39.9, -40, -40.1, ...CORNERS64],
    ],
    rel: { float32: 2e-7, float64: 4e-16 },
  },
  log1p: {
    f: np.log1p,
    reference: Math.log1p,
    points: [
      ...logarithmic(1e-30, 3.4e38),
      ...logarithmic(1e-30, 0.999999, -1),
      ...linear(-0.5, 0.5),
      ...[Math.SQRT1_2 - 1, Math.SQRT2 - 1, -0.2928, 0.4143, -1 + 2 ** -24, -1.5, -1e30],
    ],
    float64: [
      ...logarithmic(1e-300, MAX64),
      ...logarithmic(1e-300, 1 - 2 ** -53, -1),
      ...[-1 + 2 ** -53, 2 ** 53, 2 ** 53 + 2, 2 ** 52 + 1, ...CORNERS64],
    ],
    rel: { float32: 3e-7, float64: 4e-16 },
  },
  tanh: {
    f: np.tanh,
    reference: Math.tanh,
    points: [
      ...linear(-12, 12),
      ...logarithmic(1e-30, 1),
      ...logarithmic(1e-30, 1, -1),
      ...[8.9, 9, 9.1, 1e10, -3e38],
    ],
    float64: [
      ...linear(-25, 25),
      ...logarithmic(1e-300, 1e-30),
      ...logarithmic(1e-300, 1e-30, -1),
      ...[1 - 2 ** -53, 1 + 2 ** -52, 21.9, 22, 22.1, ...CORNERS64],
    ],
    rel: { float32: 3e-7, float64: 6e-16 },
  },
  logistic: {
    f: np.sigmoid,
    // From e^-|x|, which does not overflow.
    reference: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
    points: [...linear(-87, 87), ...logarithmic(1e-30, 1), ...logarithmic(1e-30, 1, -1)],
    subnormal: linear(-103, -87.4, 500),
    float64: [...linear(-745, 745), ...linear(-745.2, -708.4, 2000), -746, ...CORNERS64],
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
    // Where the reference is a subnormal, there is no relative precision to keep: within one
    // subnormal step.
    const [normal, step] = dtype === "float32"
      ? [MIN_NORMAL, MIN_SUBNORMAL]
      : [MIN_NORMAL64, 5e-324];
    if (Math.abs(want) < normal && Math.abs(g - want) <= step) continue;
    const e = Number.isFinite(want) && want !== 0 ? Math.abs(g - want) / Math.abs(want) : Infinity;
    if (!(e <= worst)) [worst, at] = [e, xs[i]];
  }
  return { worst, at };
}

const gpu = await initWebGPU();

for (const [name, spec] of Object.entries(SPECS)) {
  Deno.test(`${name} within its stated error on wasm (eager and jit)${gpu ? " and webgpu" : ""}`, async () => {
    for (const dtype of ["float32", "float64"] as const) {
      const array = (host: number[]) =>
        dtype === "float32" ? new Float32Array(host) : new Float64Array(host);
      const float64 = dtype === "float64" ? spec.float64 ?? [] : [];
      const xs = array([...spec.points, ...SPECIALS, ...(spec.subnormal ?? []), ...float64]);
      const x = toBackend(np.array(xs, dtype), "wasm");
      const runs: [string, Tensor, ArrayLike<number>][] = [
        ["wasm eager", spec.f(x), xs],
        ["wasm jit", jit(spec.f, { backend: "wasm", compile: "sync" })(x), xs],
      ];
      if (gpu && dtype === "float32") {
        const normal = array([...spec.points, ...SPECIALS]);
        const g = await toBackendAsync(toBackend(np.array(normal, dtype), "wasm"), "webgpu");
        runs.push(["webgpu eager", spec.f(g), normal], [
          "webgpu jit",
          jit(spec.f, { backend: "webgpu" })(g),
          normal,
        ]);
      }
      for (const [where, y, at] of runs) {
        const worst = worstError(await y.read(), at, spec.reference, dtype);
        assert.ok(
          worst.worst <= spec.rel[dtype],
          `${name} ${dtype} on ${where}: ${worst.worst} at x = ${worst.at}`,
        );
      }
    }
  });
}

/** The primitive of each float32 math function defined in the IR. */
const DEFINED: Record<keyof typeof F32_DEFINITIONS, (x: Tensor) => Tensor> = {
  exp: np.exp,
  log: np.log,
  expm1: np.expm1,
  log1p: np.log1p,
  tanh: np.tanh,
  logistic: np.sigmoid,
  erf: np.erf,
  erf_inv: np.erfInv,
};

/** Float32s of every kind: corners, thresholds, a grid and random bit patterns (fixed seed). */
function bitPatterns(): Float32Array {
  let s = 12345;
  const random = Array.from({ length: 50_000 }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  });
  const xs = new Float32Array([
    ...FLOAT_CORNERS,
    ...SPECS.exp.points,
    ...(SPECS.exp.subnormal ?? []),
    ...SPECS.log.points,
    ...(SPECS.log.subnormal ?? []),
    ...linear(-110, 110),
    ...linear(-1, 1),
    ...linear(-6, 6),
  ]);
  return Float32Array.from([...xs, ...new Float32Array(Uint32Array.from(random).buffer)]);
}

/** The first index where `got` and `want` differ (NaNs alike), and where, or null. */
function firstDifference(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  skip: (i: number) => boolean = () => false,
): number | null {
  for (let i = 0; i < want.length; i++) {
    if (skip(i) || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) continue;
    if (f32Bits(got[i]) !== f32Bits(want[i])) return i;
  }
  return null;
}

for (const [name, f] of Object.entries(DEFINED)) {
  const definition = F32_DEFINITIONS[name as keyof typeof F32_DEFINITIONS];
  Deno.test(`float32 ${name} gives the IR definition's bits on wasm${gpu ? " and webgpu" : ""}`, async () => {
    const xs = bitPatterns();
    const expr = definition({ kind: "load", dtype: "float32", load: 0 });
    // fma rounds once on wasm where the machine has FMA (x86-64 since Haswell and Zen), twice
    // without; on WebGPU once on most GPUs, twice on lavapipe: each run matches one throughout.
    const [fused, unfused] = [true, false].map((once) =>
      Float32Array.from(xs, (x) => evaluateExpr(expr, [x], once))
    );
    const x = toBackend(np.array(xs, "float32"), "wasm");
    const jitted = (backend: string) =>
      jit((v: Tensor) => f(v.mul(1)), { backend, compile: "sync" });
    const runs: [string, Tensor, Float32Array[]][] = [
      ["wasm eager", f(x), [fused, unfused]],
      ["wasm jit", jitted("wasm")(x), [fused, unfused]],
    ];
    if (gpu) {
      const g = await toBackendAsync(x, "webgpu");
      runs.push(["webgpu eager", f(g), [fused, unfused]], ["webgpu jit", jitted("webgpu")(g), [
        fused,
        unfused,
      ]]);
    }
    // WebGPU may flush subnormals: not where the argument or the result is one (or underflows).
    const subnormal = (v: number) => v !== 0 && Math.abs(v) < MIN_NORMAL;
    for (const [where, y, wants] of runs) {
      const got = await y.read();
      const differences = wants.map((want) =>
        firstDifference(
          got,
          want,
          where.startsWith("webgpu")
            ? (i) => subnormal(xs[i]) || subnormal(want[i]) || (want[i] === 0 && xs[i] < -80)
            : undefined,
        )
      );
      const i = differences.find((d) => d !== null) ?? null;
      if (differences.includes(null)) continue;
      assert.fail(
        `${name} on ${where}: ${got[i!]} at x = ${xs[i!]}, the definition ${
          wants.map((w) => w[i!]).join(" or ")
        }`,
      );
    }
  });
}

/** The primitive of each float64 math function defined in the IR. */
const DEFINED_F64: Record<keyof typeof F64_DEFINITIONS, (x: Tensor) => Tensor> = {
  exp: np.exp,
  log: np.log,
  expm1: np.expm1,
  log1p: np.log1p,
  tanh: np.tanh,
  logistic: np.sigmoid,
};

/**
 * Float64s of every kind: corners, thresholds, grids over [-750, 750] and over the magnitudes,
 * random values in [-40, 40] and random bit patterns (fixed seed).
 */
function bitPatterns64(): Float64Array {
  let s = 54321;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  const words = Uint32Array.from({ length: 2 * 8_000 }, next);
  const moderate = Array.from({ length: 4_000 }, () => (next() / 2 ** 32 - 0.5) * 80);
  return Float64Array.from([
    ...FLOAT_CORNERS,
    ...SPECIALS,
    ...CORNERS64,
    ...[709.782712893384, 710, -708.4, -745.1332191019411, -746, 36.7, -37.4, 22, 1 - 2 ** -53],
    ...linear(-750, 750, 3_000),
    ...linear(-1, 1, 1_000),
    ...logarithmic(5e-324, MAX64, 3_000),
    ...logarithmic(5e-324, MAX64, -1, 1_000),
    ...moderate,
    ...new Float64Array(words.buffer),
  ]);
}

/** The first index where float64s `got` and `want` differ in their bits (NaNs alike), or null. */
function firstDifference64(got: ArrayLike<number>, want: ArrayLike<number>): number | null {
  const a = new DataView(new ArrayBuffer(8)), b = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(got[i]) && Number.isNaN(want[i])) continue;
    a.setFloat64(0, got[i]);
    b.setFloat64(0, want[i]);
    if (a.getBigUint64(0) !== b.getBigUint64(0)) return i;
  }
  return null;
}

for (const [name, f] of Object.entries(DEFINED_F64)) {
  const definition = F64_DEFINITIONS[name as keyof typeof F64_DEFINITIONS];
  Deno.test(`float64 ${name} gives the IR definition's bits on wasm, eager and jit alike`, async () => {
    const xs = bitPatterns64();
    const expr = definition({ kind: "load", dtype: "float64", load: 0 });
    // fma rounds once on wasm where the machine has FMA, twice without: a run matches one.
    const wants = [true, false].map((once) =>
      Float64Array.from(xs, (x) => evaluateExpr(expr, [x], once))
    );
    const x = toBackend(np.array(xs, "float64"), "wasm");
    const eager = await f(x).read();
    const jitted = await jit((v: Tensor) => f(v.mul(1)), { backend: "wasm", compile: "sync" })(x)
      .read();
    const between = firstDifference64(jitted, eager);
    assert.equal(between, null, `${name}: jit ${jitted[between!]}, eager ${eager[between!]}`);
    const differences = wants.map((want) => firstDifference64(eager, want));
    if (differences.includes(null)) return;
    const i = differences[0]!;
    assert.fail(
      `${name} on wasm: ${eager[i]} at x = ${xs[i]}, the definition ${wants.map((w) => w[i])}`,
    );
  });
}
