/**
 * The special functions defined as kernel IR compositions (kernels/lowering/lower_elementwise.ts:
 * cbrt, asinh, acosh; the float32 math functions in kernels/lowering/math_definitions.ts, and
 * the float64 ones in math_definitions_f64.ts, float64 pow the backend's; float32 erf and erf_inv
 * are checked by tests/wasm_math_test.ts, float64 against a BigInt reference) stay within their
 * stated maximum errors (relative, or absolute for sin and cos) against float64 references
 * (`Math`, itself within 1 ulp, in float64) on dense grids over their range, their tails and the
 * neighbourhood of 0 (of 1 for acosh), the float64 thresholds (overflow, subnormal results,
 * underflow) in float64, with IEEE's specials exact: on wasm, eager and jitted, in float32 and
 * float64, and on WebGPU (float32, eager and jitted) when an adapter exists. The math
 * definitions give the same bits on every renderer as the IR evaluated in plain TypeScript
 * (tests/util/evaluate_ir.ts), float32 and float64, and atan2 and pow give Math's results
 * exactly on their IEEE cases.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
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
import type { Expr, MathFn } from "../kernels/lowering/kernel_ir.ts";
import { F64_DEFINITIONS } from "../kernels/lowering/math_definitions_f64.ts";
import { evaluateExpr, f32Bits } from "./util/evaluate_ir.ts";
import { FLOAT_CORNERS } from "./util/float_corners.ts";
import { erfReference, erfResidual } from "./util/erf_reference.ts";

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
  f: (...x: Tensor[]) => Tensor;
  reference: (...x: number[]) => number;
  /** The (first) operand's points. */
  points: number[];
  /** A binary function's second operand at each point. */
  second?: number[];
  /** Maximum relative error by dtype (absolute where `absolute`). */
  rel: Record<"float32" | "float64", number>;
  absolute?: boolean;
  /** Points only wasm runs: WebGPU may flush subnormal inputs and results to zero. */
  subnormal?: number[];
  /** Points only float64 runs: its thresholds and its subnormals. */
  float64?: number[];
  /** A binary function's pairs only float64 runs. */
  pairs64?: number[][];
}

/** The smallest normal float32, and the smallest subnormal. */
const MIN_NORMAL = 2 ** -126, MIN_SUBNORMAL = 2 ** -149;
/** The smallest normal float64, and the largest float64. */
const MIN_NORMAL64 = 2 ** -1022, MAX64 = Number.MAX_VALUE;
/** Float64 corners: the smallest subnormal, the smallest normal, the largest finite. */
const CORNERS64 = [5e-324, -5e-324, MIN_NORMAL64, -MIN_NORMAL64, MAX64, -MAX64];

/** A fixed stream of uniform numbers in [0, 1). */
function uniform(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * sin and cos: |x| up to 1e5 (their stated range), near 0, and the float32s nearest the
 * multiples of pi/4 (zeros, extrema and the edges of the reduced range) up to 1e5.
 */
const TRIG_POINTS = [
  ...linear(-10, 10),
  ...linear(-1e5, 1e5),
  ...logarithmic(1e-30, 1),
  ...logarithmic(1e-30, 1, -1),
  ...Array.from({ length: 4000 }, (_, i) => (Math.PI / 4) * Math.round(1.0002 ** i * i)),
];

/** The pairs of the cross product of `a` and `b`. */
const cross = (a: number[], b: number[]) => a.flatMap((x) => b.map((y) => [x, y]));

/** Pairs as the columns of a spec's operands. */
function columns(pairs: number[][]): { points: number[]; second: number[] } {
  return { points: pairs.map((p) => p[0]), second: pairs.map((p) => p[1]) };
}

/** IEEE's cases of atan2 and pow: every pair of these. */
const BINARY_SPECIALS = [0, -0, Infinity, -Infinity, NaN, 1, -1, 0.5, -0.5, 2, -2, 3, -3, 2.5];

/**
 * atan2(y, x): magnitudes from 1e-30 to 1e30 apart in every quadrant, the unit circle, the
 * octant edges |y| = |x| and their neighbours, and the axes.
 */
const ATAN2_PAIRS = (() => {
  const u = uniform(7);
  const signed = () => (u() < 0.5 ? -1 : 1) * 10 ** (60 * u() - 30);
  const angles = linear(-Math.PI, Math.PI, 4000);
  return [
    ...Array.from({ length: N }, () => [signed(), signed()]),
    ...Array.from({ length: N }, () => [signed(), signed()]).map((
      [y, x],
    ) => [y, y * (1 + x * 1e-31)]),
    ...angles.map((a) => [Math.sin(a), Math.cos(a)]),
    ...cross(linear(-3, 3, 100), [1, -1, 1e-20, -1e-20, 1e20]),
    ...cross(BINARY_SPECIALS, BINARY_SPECIALS),
  ];
})();

/**
 * pow(x, y): results over the normal range (y log2 x up to +-126) from bases near 1, spread
 * over float32's range and at the edges of log2's reduction, overflow and underflow to 0 (y log2 x beyond), integral y up to 40 of
 * either sign (and of negative bases), and IEEE's cases.
 */
const POW_PAIRS = (() => {
  const u = uniform(11);
  const base = () => (u() < 0.3 ? 1 + (u() - 0.5) * 1e-3 : Math.exp((u() - 0.5) * 170));
  // Mantissas near sqrt(2) and sqrt(1/2): the widest range of log2's reduction.
  const edge = () =>
    2 ** Math.round((u() - 0.5) * 20) * (u() < 0.5 ? 0.7072 : 1.414) * (1 + 3e-4 * u());
  const withW = (w: number, x = Math.fround(base())) => [x, w / Math.log2(x)];
  return [
    ...Array.from({ length: N }, () => withW((u() - 0.5) * 252)),
    ...Array.from(
      { length: N },
      () => withW((u() < 0.5 ? -1 : 1) * (100 + 26 * u()), Math.fround(edge())),
    ),
    ...Array.from({ length: N / 4 }, () => withW((u() < 0.5 ? -1 : 1) * (130 + 100 * u()))),
    ...Array.from({ length: N }, () => [(u() - 0.5) * 20, Math.round((u() - 0.5) * 80)]),
    ...cross(linear(0.01, 3, 50), linear(-10, 10, 81)),
    ...cross(BINARY_SPECIALS, BINARY_SPECIALS),
  ];
})();

/**
 * pow(x, y) in float64 besides `POW_PAIRS`: y log x over float64's whole range (to +-745, from
 * bases across the exponents), bases near 1 with huge y, mantissas near sqrt(2) and sqrt(1/2)
 * (log's widest reduced range, where its low part matters most), results subnormal and beyond
 * the thresholds, subnormal bases, large integral y and negative bases, huge y.
 */
const POW_PAIRS_64 = (() => {
  const u = uniform(12);
  const sign = () => (u() < 0.5 ? -1 : 1);
  const withW = (w: number, x: number) => [x, w / Math.log(x)];
  const edge = () =>
    2 ** Math.round((u() - 0.5) * 40) * (u() < 0.5 ? 0.70711 : 1.41421) * (1 + 1e-5 * u());
  return [
    ...Array.from({ length: N }, () => withW((u() - 0.5) * 1490, Math.exp((u() - 0.5) * 1400))),
    ...Array.from({ length: N / 2 }, () => withW(sign() * (600 + 109 * u()), edge())),
    ...Array.from({ length: N / 2 }, () => withW((u() - 0.5) * 1400, 1 + (u() - 0.5) * 1e-6)),
    ...Array.from({ length: N / 4 }, () => withW(-708 - 37 * u(), Math.exp((u() - 0.5) * 100))),
    ...Array.from({ length: N / 4 }, () => [5e-324 * 2 ** (u() * 52), (u() - 0.5) * 2]),
    ...Array.from({ length: N / 4 }, () => [sign() * (1 + u()), Math.round(sign() * 900 * u())]),
    ...cross([-2, -0.5, -1, 2, 0.5, 1 + 2 ** -52], [
      2 ** 53,
      2 ** 53 + 2,
      2 ** 52 + 1,
      1e300,
      -1e300,
    ]),
    ...cross([2, 10, 0.5, 1.0000001], [1023.99, 1024, -1074, -1075, 308.25, 309, -323.3, -324]),
  ];
})();

/**
 * sin or cos: absolute error bounds over `TRIG_POINTS`, in float64 also up to 1e9 (its stated
 * range) and near the multiples of pi/4 there.
 */
function trig(f: (x: Tensor) => Tensor, reference: (x: number) => number): Spec {
  const subnormal = [1e-40, -1e-40, MIN_SUBNORMAL];
  const quarters = logarithmic(1e5, 1e9, 1, 4000).map((x) => (Math.PI / 4) * Math.round(x));
  return {
    f,
    reference,
    points: TRIG_POINTS,
    subnormal,
    float64: [...linear(-1e9, 1e9), ...quarters, ...logarithmic(1e-300, 1e-30), 5e-324, -5e-324],
    rel: { float32: 2e-7, float64: 2e-16 },
    absolute: true,
  };
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
  sin: trig(np.sin, Math.sin),
  cos: trig(np.cos, Math.cos),
  atan2: {
    f: np.arctan2,
    reference: Math.atan2,
    ...columns(ATAN2_PAIRS),
    pairs64: (() => {
      const u = uniform(8);
      const signed = () => (u() < 0.5 ? -1 : 1) * 10 ** (600 * u() - 300);
      return [
        ...Array.from({ length: N }, () => [signed(), signed()]),
        ...cross([5e-324, -5e-324, MIN_NORMAL64, MAX64, -MAX64], BINARY_SPECIALS),
      ];
    })(),
    rel: { float32: 2e-7, float64: 3e-16 },
  },
  pow: {
    f: np.power,
    reference: Math.pow,
    ...columns(POW_PAIRS),
    pairs64: POW_PAIRS_64,
    rel: { float32: 2.5e-7, float64: 4e-16 },
  },
};

/**
 * The largest error (relative, or `absolute`) of `got` against `reference` at the points `args`
 * (one column per operand, rounded to `dtype`).
 */
function worstError(
  got: ArrayLike<number>,
  args: ArrayLike<number>[],
  reference: (...x: number[]) => number,
  dtype: DType,
  absolute = false,
) {
  const round = dtype === "float32" ? Math.fround : (v: number) => v;
  let worst = 0, at = "";
  for (let i = 0; i < got.length; i++) {
    const want = round(reference(...args.map((a) => a[i])));
    const g = got[i];
    if (Object.is(want, g) || (Number.isNaN(want) && Number.isNaN(g))) continue;
    // Where the reference is a subnormal, there is no relative precision to keep: within one
    // subnormal step.
    const [normal, step] = dtype === "float32"
      ? [MIN_NORMAL, MIN_SUBNORMAL]
      : [MIN_NORMAL64, 5e-324];
    if (Math.abs(want) < normal && Math.abs(g - want) <= step) continue;
    const finite = Number.isFinite(want) && Number.isFinite(g);
    const e = absolute && finite
      ? Math.abs(g - want)
      : finite && want !== 0
      ? Math.abs(g - want) / Math.abs(want)
      : Infinity;
    if (!(e <= worst)) [worst, at] = [e, args.map((a) => a[i]).join(", ")];
  }
  return { worst, at };
}

const gpu = await initWebGPU();

/** A spec's operand columns: with the unary specials, and its subnormal points unless `normal`. */
function specColumns(spec: Spec, normal: boolean, dtype: DType): number[][] {
  if (spec.second) {
    const extra = dtype === "float64" ? spec.pairs64 ?? [] : [];
    return [0, 1].map((k) => [...(k ? spec.second! : spec.points), ...extra.map((p) => p[k])]);
  }
  const float64 = dtype === "float64" ? spec.float64 ?? [] : [];
  return [[...spec.points, ...SPECIALS, ...(normal ? [] : spec.subnormal ?? []), ...float64]];
}

for (const [name, spec] of Object.entries(SPECS)) {
  Deno.test(`${name} within its stated error on wasm (eager and jit)${gpu ? " and webgpu" : ""}`, async () => {
    for (const dtype of ["float32", "float64"] as const) {
      const array = (host: number[]) =>
        dtype === "float32" ? new Float32Array(host) : new Float64Array(host);
      const place = (normal: boolean) => specColumns(spec, normal, dtype).map(array);
      const xs = place(false);
      const x = xs.map((c) => toBackend(np.array(c, dtype), "wasm"));
      const runs: [string, Tensor, ArrayLike<number>[]][] = [
        ["wasm eager", spec.f(...x), xs],
        ["wasm jit", jit(spec.f, { backend: "wasm", compile: "sync" })(...x), xs],
      ];
      if (gpu && dtype === "float32") {
        const normal = place(true);
        const g = await Promise.all(
          normal.map((c) => toBackendAsync(toBackend(np.array(c, dtype), "wasm"), "webgpu")),
        );
        runs.push(["webgpu eager", spec.f(...g), normal], [
          "webgpu jit",
          jit(spec.f, { backend: "webgpu" })(...g),
          normal,
        ]);
      }
      for (const [where, y, at] of runs) {
        const worst = worstError(await y.read(), at, spec.reference, dtype, spec.absolute);
        assert.ok(
          worst.worst <= spec.rel[dtype],
          `${name} ${dtype} on ${where}: ${worst.worst} at ${worst.at}`,
        );
      }
    }
  });
}

/** The primitive of each float32 math function defined in the IR. */
const DEFINED: Record<MathFn, (...x: Tensor[]) => Tensor> = {
  exp: np.exp,
  log: np.log,
  expm1: np.expm1,
  log1p: np.log1p,
  tanh: np.tanh,
  logistic: np.sigmoid,
  erf: np.erf,
  erf_inv: np.erfInv,
  sin: np.sin,
  cos: np.cos,
  atan2: np.arctan2,
  pow: np.power,
};

/** Random float32 bit patterns (fixed seed). */
function randomFloats(seed: number, n: number): Float32Array {
  const u = uniform(seed);
  return new Float32Array(Uint32Array.from({ length: n }, () => u() * 2 ** 32).buffer);
}

/**
 * Float32s of every kind, one column per operand: corners, thresholds, grids and random bit
 * patterns; a binary function's spec points and random pairs.
 */
function bitPatterns(arity: number, spec?: Spec): Float32Array[] {
  if (arity === 2) {
    return [[...spec!.points, ...randomFloats(1, 50_000)], [
      ...spec!.second!,
      ...randomFloats(2, 50_000),
    ]].map((c) => Float32Array.from(c));
  }
  const xs = [
    ...FLOAT_CORNERS,
    ...SPECS.exp.points,
    ...(SPECS.exp.subnormal ?? []),
    ...SPECS.log.points,
    ...(SPECS.log.subnormal ?? []),
    ...TRIG_POINTS,
    ...linear(-110, 110),
    ...linear(-1, 1),
    ...linear(-6, 6),
  ];
  return [Float32Array.from([...xs, ...randomFloats(12345, 50_000)])];
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

/** Each operand's load. */
const loads = (arity: number): Expr[] =>
  Array.from({ length: arity }, (_, load) => ({ kind: "load", dtype: "float32", load }));

/** `f` and its jitted form (of its operands times 1, so that jit fuses the function). */
function eagerAndJit(
  f: (...x: Tensor[]) => Tensor,
  xs: Tensor[],
  backend: string,
): [string, Tensor][] {
  const jitted = jit((...v: Tensor[]) => f(...v.map((a) => a.mul(1))), {
    backend,
    compile: "sync",
  });
  return [[`${backend} eager`, f(...xs)], [`${backend} jit`, jitted(...xs)]];
}

for (const [name, f] of Object.entries(DEFINED)) {
  const definition = F32_DEFINITIONS[name as MathFn];
  Deno.test(`float32 ${name} gives the IR definition's bits on wasm${gpu ? " and webgpu" : ""}`, async () => {
    const columns = bitPatterns(definition.length, SPECS[name]);
    const expr = definition(...loads(definition.length));
    // fma rounds once on wasm where the machine has FMA (x86-64 since Haswell and Zen), twice
    // without; on WebGPU once on most GPUs, twice on lavapipe: each run matches one throughout.
    const wants = [true, false].map((once) =>
      Float32Array.from(columns[0], (_, i) => evaluateExpr(expr, columns.map((c) => c[i]), once))
    );
    const x = columns.map((c) => toBackend(np.array(c, "float32"), "wasm"));
    const runs = eagerAndJit(f, x, "wasm");
    if (gpu) {
      runs.push(
        ...eagerAndJit(f, await Promise.all(x.map((a) => toBackendAsync(a, "webgpu"))), "webgpu"),
      );
    }
    // WebGPU may flush subnormals: not where an argument or the result is one (or underflows).
    const subnormal = (v: number) => v !== 0 && Math.abs(v) < MIN_NORMAL;
    const at = (i: number) => columns.map((c) => c[i]);
    for (const [where, y] of runs) {
      const got = await y.read();
      const differences = wants.map((want) =>
        firstDifference(
          got,
          want,
          where.startsWith("webgpu")
            ? (i) =>
              at(i).some(subnormal) || subnormal(want[i]) ||
              (want[i] === 0 && columns[0][i] < -80)
            : undefined,
        )
      );
      const i = differences.find((d) => d !== null) ?? null;
      if (differences.includes(null)) continue;
      assert.fail(
        `${name} on ${where}: ${got[i!]} at ${at(i!)}, the definition ${
          wants.map((w) => w[i!]).join(" or ")
        }`,
      );
    }
  });
}

/**
 * Where atan2's and pow's IEEE cases fix the result (an operand 0, infinite or NaN; atan2 on the
 * diagonals; pow of +-1 and integral exponents up to 4, exact or one rounding), the result is
 * Math's, rounded: signed zeros included.
 */
const IEEE_CASES: Record<"atan2" | "pow", (a: number, b: number) => boolean> = {
  atan2: (y, x) =>
    [y, x].some((v) => v === 0 || !Number.isFinite(v)) || Math.abs(y) === Math.abs(x),
  pow: (x, y) =>
    [x, y].some((v) => v === 0 || !Number.isFinite(v)) || Math.abs(x) === 1 ||
    (Number.isInteger(y) && Math.abs(y) <= 4),
};

for (const [name, exact] of Object.entries(IEEE_CASES)) {
  Deno.test(`${name} gives Math's results on IEEE's cases, float32${gpu ? " (wasm and webgpu)" : ""} and float64`, async () => {
    const pairs = cross(BINARY_SPECIALS, BINARY_SPECIALS).filter(([a, b]) => exact(a, b));
    for (const dtype of ["float32", "float64"] as const) {
      const round = dtype === "float32" ? Math.fround : (v: number) => v;
      const columns = [0, 1].map((k) => pairs.map((p) => p[k]));
      const f = DEFINED[name as MathFn], reference = SPECS[name].reference;
      const x = columns.map((c) => toBackend(np.array(c, dtype), "wasm"));
      const runs = eagerAndJit(f, x, "wasm");
      if (gpu && dtype === "float32") {
        runs.push(
          ...eagerAndJit(f, await Promise.all(x.map((a) => toBackendAsync(a, "webgpu"))), "webgpu"),
        );
      }
      for (const [where, y] of runs) {
        const got = await y.read();
        pairs.forEach(([a, b], i) => {
          const want = round(reference(a, b));
          assert.ok(
            Object.is(got[i], want),
            `${name}(${a}, ${b}) ${dtype} on ${where}: ${got[i]}, not ${want}`,
          );
        });
      }
    }
  });
}

Deno.test(`float32 sin and cos stay within [-1, 1] at every finite argument${gpu ? " (wasm and webgpu)" : ""}`, async () => {
  const finite = [...randomFloats(3, 20_000)].filter(Number.isFinite);
  const xs = Float32Array.from([...logarithmic(1e5, 3.4e38), ...finite].flatMap((x) => [x, -x]));
  const x = toBackend(np.array(xs, "float32"), "wasm");
  for (const f of [np.sin, np.cos]) {
    const runs = eagerAndJit(f, [x], "wasm");
    if (gpu) runs.push(...eagerAndJit(f, [await toBackendAsync(x, "webgpu")], "webgpu"));
    for (const [where, y] of runs) {
      const got = await y.read();
      const i = got.findIndex((v) => !(Math.abs(v) <= 1));
      assert.equal(i, -1, `${f.name} on ${where}: ${got[i]} at x = ${xs[i]}`);
    }
  }
});

Deno.test(`float32 pow of a literal exponent gives the bits of pow of a loaded one${gpu ? " (wasm and webgpu)" : ""}`, async () => {
  const [xs] = bitPatterns(1);
  const general = F32_DEFINITIONS.pow(...loads(2));
  const x = toBackend(np.array(xs, "float32"), "wasm");
  const g = gpu ? await toBackendAsync(x, "webgpu") : null;
  for (const k of [-3, -0, 2, 3, 4, 5, 1 / 3]) {
    const wants = [true, false].map((once) =>
      Float32Array.from(xs, (v) => evaluateExpr(general, [v, k], once))
    );
    const f = jit((v: Tensor) => np.power(v.mul(1), k), { backend: "wasm", compile: "sync" });
    const runs: [string, Tensor][] = [["wasm jit", f(x)]];
    if (g) {
      runs.push([
        "webgpu jit",
        jit((v: Tensor) => np.power(v.mul(1), k), { backend: "webgpu" })(g),
      ]);
    }
    for (const [where, y] of runs) {
      const got = await y.read();
      const skip = (i: number) =>
        where.startsWith("webgpu") &&
        [xs[i], wants[1][i]].some((v) => v !== 0 && Math.abs(v) < MIN_NORMAL);
      const i = wants.map((w) => firstDifference(got, w, skip));
      assert.ok(i.includes(null), `x^${k} on ${where}: ${got[i[0]!]} at x = ${xs[i[0]!]}`);
    }
  }
  // x^2 is x * x exactly.
  const squares = await jit((v: Tensor) => np.power(v, 2), { backend: "wasm" })(x).read();
  xs.forEach((v, i) => assert.ok(Object.is(squares[i], Math.fround(v * v)) || Number.isNaN(v)));
});

/** The primitive of each float64 math function defined in the IR. */
const DEFINED_F64: Record<keyof typeof F64_DEFINITIONS, (...x: Tensor[]) => Tensor> = {
  exp: np.exp,
  log: np.log,
  expm1: np.expm1,
  log1p: np.log1p,
  tanh: np.tanh,
  logistic: np.sigmoid,
  sin: np.sin,
  cos: np.cos,
  atan2: np.arctan2,
  erf: np.erf,
  erf_inv: np.erfInv,
  pow: np.power,
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

/** Float64 operand columns of every kind: `bitPatterns64`, or a binary spec's pairs and random pairs. */
function bitColumns64(arity: number, spec?: Spec): Float64Array[] {
  if (arity === 1) return [bitPatterns64()];
  const xs = bitPatterns64(), u = uniform(99);
  const shuffled = Float64Array.from(xs, () => xs[Math.floor(u() * xs.length)]);
  return [[...spec!.points, ...xs], [...spec!.second!, ...shuffled]].map((c) =>
    Float64Array.from(c)
  );
}

for (const [name, f] of Object.entries(DEFINED_F64)) {
  const definition = F64_DEFINITIONS[name as keyof typeof F64_DEFINITIONS];
  Deno.test(`float64 ${name} gives the IR definition's bits on wasm, eager and jit alike`, async () => {
    const columns = bitColumns64(definition.length, SPECS[name]);
    const expr = definition(
      ...columns.map((_, load): Expr => ({ kind: "load", dtype: "float64", load })),
    );
    // fma rounds once on wasm where the machine has FMA, twice without: a run matches one.
    const at = (i: number) => columns.map((c) => c[i]);
    const wants = [true, false].map((once) =>
      Float64Array.from(columns[0], (_, i) => evaluateExpr(expr, at(i), once))
    );
    const x = columns.map((c) => toBackend(np.array(c, "float64"), "wasm"));
    const eager = await f(...x).read();
    const jitted = await jit((...v: Tensor[]) => f(...v.map((a) => a.mul(1))), {
      backend: "wasm",
      compile: "sync",
    })(...x).read();
    const between = firstDifference64(jitted, eager);
    assert.equal(between, null, `${name}: jit ${jitted[between!]}, eager ${eager[between!]}`);
    const differences = wants.map((want) => firstDifference64(eager, want));
    if (differences.includes(null)) return;
    const i = differences[0]!;
    assert.fail(
      `${name} on wasm: ${eager[i]} at ${at(i)}, the definition ${wants.map((w) => w[i])}`,
    );
  });
}

Deno.test("float64 sin and cos beyond their stated range stay within [-1, 1], NaN only at inf and NaN", async () => {
  const xs = [
    ...logarithmic(1e9, MAX64, 1, 5000),
    ...logarithmic(1e9, MAX64, -1, 5000),
    Infinity,
    -Infinity,
    NaN,
  ];
  const x = toBackend(np.array(xs, "float64"), "wasm");
  for (const f of [np.sin, np.cos]) {
    for (const y of [f(x), jit((v: Tensor) => f(v.mul(1)), { backend: "wasm" })(x)]) {
      const got = await y.read();
      xs.forEach((v, i) => {
        const ok = Number.isFinite(v) ? Math.abs(got[i]) <= 1 : Number.isNaN(got[i]);
        assert.ok(ok, `${f.name}(${v}) = ${got[i]}`);
      });
    }
  }
});

/**
 * Float64 erf: relative error within 3e-16 of the BigInt reference (tests/util/erf_reference.ts)
 * over [-6.5, 6.5], the edges of fdlibm's intervals (0.84375, 1.25, 1/0.35, 6), tiny and
 * subnormal arguments; erf_inv: relative error within 4e-16 of the exact inverse of y (first
 * order: the reference residual erf(x) - y over erf'(x) x; 3.0e-16 measured, erf_inv's condition
 * number near y = 0.92 being 3) over (-1, 1), y = 1 - 2^-k up to the last float64 below 1 and
 * y from 1e-60 up. Specials exact: +-1 and +-inf, NaN, signed zeros.
 */
Deno.test("float64 erf and erf_inv within their stated error on wasm (eager and jit)", async () => {
  const edges = [0.84375, 1.25, 1 / 0.35, 6].flatMap((
    e,
  ) => [e, e * (1 - 2 ** -52), e * (1 + 2 ** -52)]);
  const erfPoints = [
    ...linear(-6.5, 6.5),
    ...edges,
    ...edges.map((e) => -e),
    ...logarithmic(1e-300, 1, 1, 2000),
    ...logarithmic(1e-300, 1, -1, 2000),
    ...[5e-324, -5e-324, MIN_NORMAL64, 1e-310],
  ];
  const invPoints = [
    ...linear(-1, 1).slice(1, -1),
    ...linear(1, 53, 2000).map((k) => 1 - 2 ** -k),
    ...linear(1, 53, 2000).map((k) => 2 ** -k - 1),
    ...logarithmic(1e-60, 0.5, 1, 1000),
    ...logarithmic(1e-60, 0.5, -1, 1000),
  ];
  const cases: [
    string,
    (x: Tensor) => Tensor,
    number[],
    (x: number, got: number) => number,
    number,
  ][] = [
    ["erf", np.erf, erfPoints, (x, got) => {
      const want = erfReference(x);
      if (Math.abs(want) < MIN_NORMAL64) return Math.abs(got - want) <= 5e-324 ? 0 : Infinity;
      return Math.abs(got - want) / Math.abs(want);
    }, 3e-16],
    [
      "erf_inv",
      np.erfInv,
      invPoints,
      (y, x) => Math.abs(erfResidual(x, y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * x)),
      4e-16,
    ],
  ];
  for (const [name, f, points, error, bound] of cases) {
    const x = toBackend(np.array(points, "float64"), "wasm");
    for (const [where, y] of eagerAndJit(f, [x], "wasm")) {
      const got = await y.read();
      let worst = 0, at = 0;
      points.forEach((p, i) => {
        const e = error(p, got[i]);
        if (!(e <= worst)) [worst, at] = [e, p];
      });
      assert.ok(worst <= bound, `${name} float64 on ${where}: ${worst} at ${at}`);
    }
  }
  const specials: [(x: Tensor) => Tensor, number[], number[]][] = [
    [np.erf, [0, -0, Infinity, -Infinity, NaN, 6, -6, 1e300], [0, -0, 1, -1, NaN, 1, -1, 1]],
    [np.erfInv, [0, -0, 1, -1, 1.5, -1.5, Infinity, NaN], [
      0,
      -0,
      Infinity,
      -Infinity,
      NaN,
      NaN,
      NaN,
      NaN,
    ]],
  ];
  for (const [f, xs, want] of specials) {
    const x = toBackend(np.array(xs, "float64"), "wasm");
    for (const [where, y] of eagerAndJit(f, [x], "wasm")) {
      const got = await y.read();
      xs.forEach((v, i) =>
        assert.ok(
          Object.is(got[i], want[i]),
          `${f.name}(${v}) on ${where}: ${got[i]}, not ${want[i]}`,
        )
      );
    }
  }
});

/** The Math counterpart of each float64 definition fast-check compares, and its bound. */
const MATH_OF_F64: Partial<
  Record<keyof typeof F64_DEFINITIONS, [(...x: number[]) => number, number, boolean]>
> = {
  exp: [Math.exp, 3e-16, false],
  log: [Math.log, 3e-16, false],
  sin: [Math.sin, 2e-16, true],
  cos: [Math.cos, 2e-16, true],
  atan2: [Math.atan2, 3e-16, false],
  pow: [Math.pow, 4e-16, false],
};

Deno.test("float64 definitions on random doubles: eager, jit and the definition give the same bits, within the bound of Math", async () => {
  const double = fc.double({ min: -1e300, max: 1e300 });
  const moderate = fc.double({ min: -50, max: 50, noNaN: true });
  const operand = fc.oneof(
    double,
    moderate,
    fc.constantFrom(0, -0, 1, -1, Infinity, -Infinity, NaN),
  );
  const jitted = new Map<string, (...x: Tensor[]) => Tensor>();
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(operand, operand), { minLength: 1, maxLength: 64 }),
      async (pairs) => {
        for (const [name, f] of Object.entries(DEFINED_F64)) {
          const definition = F64_DEFINITIONS[name as keyof typeof F64_DEFINITIONS];
          const arity = definition.length;
          const columns = [0, 1].slice(0, arity).map((k) => pairs.map((p) => p[k]));
          const x = columns.map((c) => toBackend(np.array(c, "float64"), "wasm"));
          if (!jitted.has(name)) {
            jitted.set(
              name,
              jit((...v: Tensor[]) => f(...v.map((a) => a.mul(1))), { backend: "wasm" }),
            );
          }
          const eager = await f(...x).read(), viaJit = await jitted.get(name)!(...x).read();
          const expr = definition(
            ...columns.map((_, load): Expr => ({ kind: "load", dtype: "float64", load })),
          );
          const at = (i: number) => columns.map((c) => c[i]);
          const wants = [true, false].map((once) =>
            pairs.map((_, i) => evaluateExpr(expr, at(i), once))
          );
          assert.equal(firstDifference64(viaJit, eager), null, `${name}: jit and eager differ`);
          assert.ok(
            wants.some((w) => firstDifference64(eager, w) === null),
            `${name}: not the definition's bits`,
          );
          const math = MATH_OF_F64[name as keyof typeof F64_DEFINITIONS];
          if (!math) continue;
          const [reference, bound, absolute] = math;
          // sin and cos up to 1e9; pow but where a negative integral y in [-4, -1] takes the
          // reciprocal of a subnormal or infinite x^-y (the exceptions `powF64` states).
          const inRange = (i: number) => {
            const [x, y] = at(i);
            const inverse = Math.abs(x) ** -y;
            const reciprocal = Number.isInteger(y) && y < 0 && y >= -4 &&
              !(inverse >= MIN_NORMAL64 && inverse < Infinity);
            return absolute ? Math.abs(x) <= 1e9 : !(name === "pow" && reciprocal);
          };
          const kept = pairs.map((_, i) => i).filter(inRange);
          const worst = worstError(
            kept.map((i) => eager[i]),
            columns.map((c) => kept.map((i) => c[i])),
            reference,
            "float64",
            absolute,
          );
          assert.ok(worst.worst <= bound, `${name}: ${worst.worst} at ${worst.at}`);
        }
      },
    ),
    { numRuns: 40 },
  );
});
