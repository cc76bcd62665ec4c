/**
 * WebGPU conformance: every primitive with a WebGPU kernel agrees with the ref backend (the
 * oracle) on random shapes and values, gradients of a small MLP and of a small convnet step agree,
 * and the backend's API behaves (async reads, float64 refusal, placement, buffer reuse).
 *
 * Float32 tolerances: structural, integer, bool, comparison, select, convert, max/min and argmax
 * results must equal ref's (NaN matching NaN, and 0 matching -0); transcendental functions agree within
 * `2e-6 * |ref| + 2e-6` (erf, erf_inv and pow within 1e-5); sums, products, contractions and window
 * transposes accumulate in float32 where ref uses float64, so they agree within `1e-5 * |ref|`
 * plus `1e-5` times the sum of the magnitudes of the terms.
 *
 * Without a GPU, Deno uses a software adapter (Mesa's lavapipe or llvmpipe); when there is no
 * adapter at all, the tests are registered as ignored with a warning.
 */
import assert from "node:assert/strict";
import { convLoss, mlpLoss, type Params } from "./util/losses.ts";
import fc from "fast-check";
import {
  type Array,
  ConcreteArray,
  type DType,
  grad,
  initWebGPU,
  jit,
  lax,
  numpy as np,
  random,
  toBackend,
  toBackendAsync,
  type TypedArray,
  vmap,
} from "../mod.ts";
import { allocTyped } from "../core/dtype.ts";
import { KERNEL_PRIMITIVE_NAMES } from "../core/primitives/registry.ts";
import { backendCoverage } from "../kernels/coverage.ts";
import { webgpuRules } from "../kernels/webgpu/backend.ts";
import { webgpuRuntime } from "../kernels/webgpu/init.ts";
import { threefry2x32 } from "../core/primitives/threefry.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { FLOAT_CORNERS } from "./util/float_corners.ts";

const backend = await initWebGPU();
if (!backend) console.warn("webgpu tests skipped: this runtime has no WebGPU adapter");

/** Every primitive the webgpu backend has executed in this file's cases (eagerly). */
const executedOnGpu = new Set<string>();
if (backend) {
  const execute = backend.execute.bind(backend);
  backend.execute = (prim, ...rest) => {
    executedOnGpu.add(prim);
    return execute(prim, ...rest);
  };
}

/** Registers a test that is ignored, visibly, when there is no adapter. */
function gpuTest(name: string, fn: (t: Deno.TestContext) => Promise<void> | void): void {
  Deno.test({ name, ignore: !backend, fn });
}

// ---------------------------------------------------------------- running on both backends

/** Host data of one operand. */
interface Operand {
  data: number[];
  shape: number[];
  dtype: DType;
}

function typed(o: Operand): TypedArray {
  const t = allocTyped(o.dtype, o.data.length);
  t.set(o.data);
  return t;
}

/** Applies `f` to the operands on `name` (with `name` the default) and reads the results. */
async function runOn(
  name: string,
  operands: Operand[],
  f: (...xs: Array[]) => Array | Array[],
): Promise<TypedArray[]> {
  const outs = withDefaultBackend(name, () => {
    const xs = operands.map((o) => ConcreteArray.fromHost(typed(o), o.shape, o.dtype, name));
    const r = f(...xs);
    return globalThis.Array.isArray(r) ? r : [r];
  });
  return await Promise.all(outs.map((o) => o.read()));
}

/** Agreement required of a case: exact, or within `rtol * |ref| + atol + scale * magnitude`. */
interface Tolerance {
  rtol: number;
  atol: number;
  /** Weight of `magnitude`: for sums, the sum of the magnitudes of the terms. */
  scale?: number;
}

const EXACT: Tolerance = { rtol: 0, atol: 0 };
const MATH: Tolerance = { rtol: 2e-6, atol: 2e-6 };
const SPECIAL: Tolerance = { rtol: 1e-5, atol: 1e-5 };
const SUMS: Tolerance = { rtol: 1e-5, atol: 1e-6, scale: 1e-5 };

function assertAgree(
  got: TypedArray,
  want: TypedArray,
  tol: Tolerance,
  label: string,
  magnitude: (i: number) => number = () => 0,
): void {
  assert.equal(got.length, want.length, `${label}: ${got.length} elements vs ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = Number(got[i]), w = Number(want[i]);
    if (Object.is(g, w) || g === w || (Number.isNaN(g) && Number.isNaN(w))) continue;
    const bound = tol.atol + tol.rtol * Math.abs(w) + (tol.scale ?? 0) * magnitude(i);
    const ok = Number.isFinite(w) && Math.abs(g - w) <= bound;
    assert.ok(ok, `${label}: element ${i} is ${g} on webgpu, ${w} on ref (bound ${bound})`);
  }
}

/** Runs `f` on both backends and checks agreement; `abs` gives per-output magnitudes for SUMS. */
async function check(
  label: string,
  operands: Operand[],
  f: (...xs: Array[]) => Array | Array[],
  tol: Tolerance,
  abs?: (...xs: Array[]) => Array | Array[],
): Promise<void> {
  const want = await runOn("ref", operands, f);
  const got = await runOn("webgpu", operands, f);
  const mags = abs
    ? await runOn("ref", operands.map((o) => ({ ...o, data: o.data.map(Math.abs) })), abs)
    : [];
  want.forEach((w, k) =>
    assertAgree(got[k], w, tol, `${label} output ${k}`, (i) => mags[k]?.[i] ?? 0)
  );
}

// ---------------------------------------------------------------- generators

/** A deterministic stream of numbers in [0, 1) from a seed (mulberry32). */
function stream(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Value distributions, from a uniform number u in [0, 1) and the stream (for mixtures). */
const DOMAINS: Record<string, (u: number, next: () => number) => number> = {
  /** Mostly uniform in [-3, 3], some small integers and half-integers (ties, rounding). */
  real: (u, next) => {
    const k = Math.floor(next() * 7) - 3;
    return u < 0.15 ? k : u < 0.25 ? k + 0.5 : (next() - 0.5) * 6;
  },
  /** Uniform in [-100, 100]: periodic functions away from 0. */
  periodic: (u) => 200 * u - 100,
  positive: (u) => 0.05 + 4 * u,
  aboveMinusOne: (u) => -0.95 + 4 * u,
  unit: (u) => 1.98 * u - 0.99,
  wide: (u, next) => (u < 0.5 ? (next() - 0.5) * 1e10 : (next() - 0.5) * 20),
  int: (u) => Math.floor(u * 41) - 20,
  smallInt: (u) => Math.floor(u * 5) - 2,
  bool: (u) => (u < 0.5 ? 1 : 0),
};

function operand(shape: number[], dtype: DType, domain: string, seed: number): Operand {
  const next = stream(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = globalThis.Array.from({ length: n }, () => DOMAINS[domain](next(), next));
  return { data, shape, dtype };
}

const dim = fc.integer({ min: 1, max: 5 });
const shapeArb = (minRank = 0, maxRank = 3) =>
  fc.array(dim, { minLength: minRank, maxLength: maxRank });
const seedArb = fc.integer();

/** A random permutation of `n` axes. */
function permutation(n: number, seed: number): number[] {
  const next = stream(seed);
  const p = globalThis.Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** A sorted random subset of `n` axes. */
function subset(n: number, seed: number): number[] {
  const next = stream(seed);
  return globalThis.Array.from({ length: n }, (_, i) => i).filter(() => next() < 0.5);
}

const RUNS = { numRuns: 10 };

/** Checks `f` on operands of one random shape drawn from `domains` (one per operand). */
function elementwiseProperty(
  label: string,
  operands: [DType, string][],
  f: (...xs: Array[]) => Array,
  tol: Tolerance,
): Promise<void> {
  return fc.assert(
    fc.asyncProperty(shapeArb(), seedArb, async (shape, seed) => {
      const ops = operands.map(([dtype, domain], k) => operand(shape, dtype, domain, seed + k));
      await check(`${label} ${JSON.stringify(shape)}`, ops, f, tol);
    }),
    RUNS,
  );
}

// ---------------------------------------------------------------- elementwise

const FLOAT_UNARY: [string, (x: Array) => Array, string, Tolerance][] = [
  ["neg", lax.neg, "real", EXACT],
  ["sin", lax.sin, "real", MATH],
  ["cos", lax.cos, "real", MATH],
  ["sin (|x| <= 100)", lax.sin, "periodic", SPECIAL],
  ["cos (|x| <= 100)", lax.cos, "periodic", SPECIAL],
  ["exp", lax.exp, "real", MATH],
  ["log", lax.log, "positive", MATH],
  ["log1p", lax.log1p, "aboveMinusOne", MATH],
  ["expm1", lax.expm1, "real", MATH],
  ["tanh", lax.tanh, "real", MATH],
  ["logistic", lax.logistic, "real", MATH],
  ["sqrt", lax.sqrt, "positive", MATH],
  ["rsqrt", lax.rsqrt, "positive", MATH],
  ["abs", lax.abs, "real", EXACT],
  ["sign", lax.sign, "real", EXACT],
  ["erf", lax.erf, "real", SPECIAL],
  ["erf_inv", lax.erfInv, "unit", SPECIAL],
  ["cbrt", lax.cbrt, "real", MATH],
  ["asinh", lax.asinh, "real", MATH],
  ["acosh", (x) => lax.acosh(np.add(np.abs(x), 1)), "positive", MATH],
  ["floor", lax.floor, "real", EXACT],
  ["ceil", lax.ceil, "real", EXACT],
  ["round", lax.round, "real", EXACT],
];

const FLOAT_BINARY: [string, (x: Array, y: Array) => Array, string, string, Tolerance][] = [
  ["add", lax.add, "real", "real", EXACT],
  ["sub", lax.sub, "real", "real", EXACT],
  ["mul", lax.mul, "real", "real", EXACT],
  ["div", lax.div, "real", "positive", MATH],
  ["pow", lax.pow, "positive", "real", SPECIAL],
  ["pow (negative bases, integer exponents)", lax.pow, "real", "smallInt", SPECIAL],
  ["max", lax.max, "real", "real", EXACT],
  ["min", lax.min, "real", "real", EXACT],
  ["atan2", lax.atan2, "real", "real", MATH],
  ["rem", lax.rem, "real", "real", EXACT],
];

const COMPARISONS: [string, (x: Array, y: Array) => Array][] = [
  ["eq", lax.eq],
  ["ne", lax.ne],
  ["lt", lax.lt],
  ["le", lax.le],
  ["gt", lax.gt],
  ["ge", lax.ge],
];

const INT_BINARY: [string, (x: Array, y: Array) => Array][] = [
  ["add", lax.add],
  ["sub", lax.sub],
  ["mul", lax.mul],
  ["div", lax.div],
  ["rem", lax.rem],
  ["max", lax.max],
  ["min", lax.min],
  ["and", lax.and],
  ["or", lax.or],
];

/** Inputs left out of the corner-case check, and why. */
const SPECIAL_EXCLUDED: Record<string, (x: number) => boolean> = {
  // GPU sin and cos reduce huge arguments inexactly; random inputs cover |x| <= 100.
  sin: (x) => Math.abs(x) > 100,
  cos: (x) => Math.abs(x) > 100,
};

gpuTest("webgpu elementwise float32 kernels agree with ref", async (t) => {
  for (const [name, f, domain, tol] of FLOAT_UNARY) {
    await t.step(name, () => elementwiseProperty(name, [["float32", domain]], f, tol));
  }
  for (const [name, f, dx, dy, tol] of FLOAT_BINARY) {
    await t.step(name, () => elementwiseProperty(name, [["float32", dx], ["float32", dy]], f, tol));
  }
  for (const [name, f] of COMPARISONS) {
    await t.step(
      name,
      () => elementwiseProperty(name, [["float32", "real"], ["float32", "real"]], f, EXACT),
    );
  }
});

gpuTest("webgpu elementwise kernels handle NaN, infinities and signed zeros as ref", async (t) => {
  const n = FLOAT_CORNERS.length;
  const x = { data: FLOAT_CORNERS, shape: [n], dtype: "float32" as DType };
  for (const [name, f, , tol] of FLOAT_UNARY) {
    const data = FLOAT_CORNERS.filter((v) => !SPECIAL_EXCLUDED[name.split(" ")[0]]?.(v));
    await t.step(name, () => check(name, [{ ...x, data, shape: [data.length] }], f, tol));
  }
  const xs = { data: FLOAT_CORNERS.flatMap((v) => FLOAT_CORNERS.map(() => v)), shape: [n * n] };
  const ys = { data: FLOAT_CORNERS.flatMap(() => FLOAT_CORNERS), shape: [n * n] };
  for (const [name, f, , , tol] of FLOAT_BINARY) {
    await t.step(
      name,
      () => check(name, [{ ...xs, dtype: "float32" }, { ...ys, dtype: "float32" }], f, tol),
    );
  }
});

gpuTest("webgpu pow with a small integer exponent is exact where the power is", async () => {
  // x = k/4 with |k| <= 7 has 3 significant bits, so x^n for n <= 8 fits float32's 24 exactly.
  const xs = Float32Array.from({ length: 15 }, (_, i) => (i - 7) / 4);
  for (let n = 1; n <= 8; n++) {
    const on = (b: string) => ConcreteArray.fromHost(xs, [15], "float32", b);
    const want = (np.power(on("ref"), n) as ConcreteArray).dataSync();
    const got = await (np.power(on("webgpu"), n) as ConcreteArray).read();
    assert.deepEqual(globalThis.Array.from(got), globalThis.Array.from(want), `x^${n}`);
  }
});

gpuTest("webgpu int32 and bool kernels agree exactly with ref", async (t) => {
  for (const [name, f] of [...INT_BINARY, ...COMPARISONS]) {
    await t.step(
      `int32 ${name}`,
      () => elementwiseProperty(name, [["int32", "int"], ["int32", "smallInt"]], f, EXACT),
    );
  }
  for (
    const [name, f] of [["neg", lax.neg], ["abs", lax.abs], ["sign", lax.sign], [
      "not",
      lax.not,
    ]] as const
  ) {
    await t.step(`int32 ${name}`, () => elementwiseProperty(name, [["int32", "int"]], f, EXACT));
  }
  for (
    const [name, f] of [["and", lax.and], ["or", lax.or], ["eq", lax.eq], ["ne", lax.ne]] as const
  ) {
    await t.step(
      `bool ${name}`,
      () => elementwiseProperty(name, [["bool", "bool"], ["bool", "bool"]], f, EXACT),
    );
  }
  await t.step("bool not", () => elementwiseProperty("not", [["bool", "bool"]], lax.not, EXACT));
});

gpuTest("webgpu select_n and convert_element_type agree exactly with ref", async (t) => {
  for (const dtype of ["float32", "int32", "bool"] as DType[]) {
    const domain = dtype === "float32" ? "real" : dtype === "int32" ? "int" : "bool";
    await t.step(`select_n ${dtype}`, () =>
      elementwiseProperty(
        "select_n",
        [["bool", "bool"], [dtype, domain], [dtype, domain]],
        (p, a, b) => lax.select(p, a, b),
        EXACT,
      ));
    for (const to of ["float32", "int32", "bool"] as DType[]) {
      if (to === dtype) continue;
      const from = dtype === "float32" ? "wide" : domain;
      await t.step(
        `convert ${dtype} -> ${to}`,
        () => elementwiseProperty("convert", [[dtype, from]], (x) => lax.convert(x, to), EXACT),
      );
    }
  }
  await t.step("convert float32 -> int32 on corner cases", () =>
    check(
      "convert",
      [{
        data: [...FLOAT_CORNERS, 2 ** 31, -(2 ** 31), 3e9, -3e9, 2 ** 40 + 512],
        shape: [22],
        dtype: "float32",
      }],
      (x) => lax.convert(x, "int32"),
      EXACT,
    ));
});

// ---------------------------------------------------------------- structural

gpuTest("webgpu structural kernels agree exactly with ref", async (t) => {
  const prop = (
    arb: fc.Arbitrary<{ ops: Operand[]; f: (...xs: Array[]) => Array; label: string }>,
  ) => fc.assert(fc.asyncProperty(arb, ({ ops, f, label }) => check(label, ops, f, EXACT)), RUNS);

  await t.step(
    "broadcast_in_dim",
    () =>
      prop(
        fc.tuple(shapeArb(0, 4), seedArb).map(([out, seed]) => {
          const dims = subset(out.length, seed);
          const next = stream(seed + 1);
          const shape = dims.map((d) => (next() < 0.3 ? 1 : out[d]));
          return {
            ops: [operand(shape, "float32", "real", seed)],
            f: (x: Array) => lax.broadcastInDim(x, out, dims),
            label: `broadcast ${shape} -> ${out} dims ${dims}`,
          };
        }),
      ),
  );
  await t.step("transpose", () =>
    prop(
      fc.tuple(shapeArb(1, 4), seedArb).map(([shape, seed]) => {
        const perm = permutation(shape.length, seed);
        return {
          ops: [operand(shape, "int32", "int", seed)],
          f: (x: Array) => lax.transpose(x, perm),
          label: `transpose ${shape} by ${perm}`,
        };
      }),
    ));
  await t.step("slice", () =>
    prop(
      fc.tuple(shapeArb(1, 3), seedArb).map(([shape, seed]) => {
        const next = stream(seed);
        const start = shape.map((d) => Math.floor(next() * d));
        const limit = shape.map((d, i) => start[i] + Math.floor(next() * (d - start[i] + 1)));
        const strides = shape.map(() => 1 + Math.floor(next() * 3));
        return {
          ops: [operand(shape, "float32", "real", seed)],
          f: (x: Array) => lax.slice(x, start, limit, strides),
          label: `slice ${shape} ${start}:${limit}:${strides}`,
        };
      }),
    ));
  await t.step("rev", () =>
    prop(
      fc.tuple(shapeArb(1, 3), seedArb).map(([shape, seed]) => {
        const dims = subset(shape.length, seed);
        return {
          ops: [operand(shape, "bool", "bool", seed)],
          f: (x: Array) => lax.rev(x, dims),
          label: `rev ${shape} ${dims}`,
        };
      }),
    ));
  await t.step("reshape", () =>
    prop(
      fc.tuple(shapeArb(1, 3), seedArb).map(([shape, seed]) => {
        const perm = permutation(shape.length, seed);
        return {
          ops: [operand(shape, "float32", "real", seed)],
          f: (x: Array) => lax.reshape(x, perm.map((p) => shape[p])),
          label: `reshape ${shape}`,
        };
      }),
    ));
  await t.step("pad", () =>
    prop(
      fc.tuple(shapeArb(1, 3), seedArb).map(([shape, seed]) => {
        const next = stream(seed);
        const lo = shape.map(() => Math.floor(next() * 4) - 1);
        const interior = shape.map(() => Math.floor(next() * 3));
        // Negative padding crops, but never below an empty axis.
        const hi = shape.map((d, i) =>
          Math.max(Math.floor(next() * 4) - 1, -(d + (d - 1) * interior[i] + lo[i]))
        );
        const value = next() < 0.5 ? -Infinity : 1.5;
        return {
          ops: [operand(shape, "float32", "real", seed)],
          f: (x: Array) => lax.pad(x, lo, hi, interior, value),
          label: `pad ${shape} lo ${lo} hi ${hi} interior ${interior}`,
        };
      }),
    ));
  await t.step("concatenate", () =>
    prop(
      fc.tuple(shapeArb(1, 3), seedArb).map(([shape, seed]) => {
        const next = stream(seed);
        const axis = Math.floor(next() * shape.length);
        const ops = [0, 1, 2].map((k) => {
          const s = [...shape];
          s[axis] = 1 + Math.floor(next() * 3);
          return operand(s, "int32", "int", seed + k);
        });
        return {
          ops,
          f: (...xs: Array[]) => lax.concatenate(xs, axis),
          label: `concatenate ${ops.map((o) => `[${o.shape}]`)} along ${axis}`,
        };
      }),
    ));
});

// ---------------------------------------------------------------- reductions

gpuTest("webgpu reductions agree with ref", async (t) => {
  const REDUCTIONS: [string, (x: Array, axes: number[]) => Array, Tolerance][] = [
    ["reduce_sum", lax.reduceSum, SUMS],
    ["reduce_max", lax.reduceMax, EXACT],
    ["reduce_min", lax.reduceMin, EXACT],
    ["reduce_prod", lax.reduceProd, SUMS],
  ];
  const bigShapes = [[3, 300], [300, 2, 5], [2, 70, 9]];
  for (const [name, f, tol] of REDUCTIONS) {
    for (const dtype of ["float32", "int32"] as DType[]) {
      await t.step(`${name} ${dtype}`, () =>
        fc.assert(
          fc.asyncProperty(shapeArb(0, 4), seedArb, fc.nat(3), async (small, seed, pick) => {
            const shape = pick === 0 ? bigShapes[seed & 1 ? 0 : 1 + (seed & 2 ? 1 : 0)] : small;
            const axes = subset(shape.length, seed);
            const domain = dtype === "int32"
              ? "smallInt"
              : name === "reduce_prod"
              ? "unit"
              : "real";
            await check(
              `${name} ${shape} axes ${axes}`,
              [operand(shape, dtype, domain, seed)],
              (x) => f(x, axes),
              dtype === "int32" ? EXACT : tol,
              (x) => lax.reduceSum(x, axes),
            );
          }),
          RUNS,
        ));
    }
  }
  await t.step("long reductions (one workgroup per output)", async () => {
    for (const [shape, axes] of [[[3, 300], [1]], [[300, 2, 5], [0, 2]], [[2, 70, 9], [0, 1, 2]]]) {
      const x = operand(shape, "float32", "real", shape.length);
      await check(
        `reductions ${shape} axes ${axes}`,
        [x],
        (x) => [lax.reduceSum(x, axes), lax.reduceMax(x, axes), lax.reduceMin(x, axes)],
        SUMS,
        (x) => [lax.reduceSum(x, axes), lax.reduceSum(x, axes), lax.reduceSum(x, axes)],
      );
    }
  });
  await t.step("reduce_max and reduce_min propagate NaN", () =>
    check(
      "reduce_max",
      [{ data: [1, NaN, 3, -Infinity, 2, 5], shape: [2, 3], dtype: "float32" }],
      (x) => [lax.reduceMax(x, [1]), lax.reduceMin(x, [0]), lax.reduceMax(x, [0, 1])],
      EXACT,
    ));
  for (const name of ["argmax", "argmin"]) {
    const f = name === "argmax" ? lax.argmax : lax.argmin;
    for (
      const [dtype, domain] of [["float32", "real"], ["int32", "smallInt"]] as [DType, string][]
    ) {
      await t.step(`${name} ${dtype}`, () =>
        fc.assert(
          fc.asyncProperty(shapeArb(1, 3), seedArb, async (shape, seed) => {
            const axis = Math.abs(seed) % shape.length;
            await check(
              `${name} ${shape} axis ${axis}`,
              [operand(shape, dtype, domain, seed)],
              (x) => f(x, axis),
              EXACT,
            );
          }),
          RUNS,
        ));
    }
  }
  await t.step("argmax picks the first NaN", () =>
    check(
      "argmax",
      [{ data: [1, NaN, 3, NaN, 2, 5], shape: [6], dtype: "float32" }],
      (x) => [lax.argmax(x, 0), lax.argmin(x, 0)],
      EXACT,
    ));
});

// ---------------------------------------------------------------- contractions and windows

/** dot_general with random batch, free and contracting axes in random positions. */
const dotCase = fc.record({
  batch: fc.array(dim, { maxLength: 2 }),
  contract: fc.array(dim, { minLength: 0, maxLength: 2 }),
  lhsFree: fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 2 }),
  rhsFree: fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 2 }),
  seed: seedArb,
}).map(({ batch, contract, lhsFree, rhsFree, seed }) => {
  const layout = (free: number[], s: number) => {
    const axes = [
      ...batch.map((n, i) => ["b", i, n]),
      ...contract.map((n, i) => ["c", i, n]),
      ...free.map((n, i) => ["f", i, n]),
    ] as [string, number, number][];
    return permutation(axes.length, s).map((p) => axes[p]);
  };
  const l = layout(lhsFree, seed), r = layout(rhsFree, seed + 1);
  const find = (axes: [string, number, number][], kind: string, n: number) =>
    globalThis.Array.from(
      { length: n },
      (_, i) => axes.findIndex(([k, j]) => k === kind && j === i),
    );
  const dims: lax.DotDims = [
    [find(l, "c", contract.length), find(r, "c", contract.length)],
    [find(l, "b", batch.length), find(r, "b", batch.length)],
  ];
  return { lhs: l.map((a) => a[2]), rhs: r.map((a) => a[2]), dims, seed };
});

gpuTest("webgpu dot_general agrees with ref", async (t) => {
  for (const dtype of ["float32", "int32"] as DType[]) {
    const domain = dtype === "float32" ? "real" : "smallInt";
    await t.step(`random axes ${dtype}`, () =>
      fc.assert(
        fc.asyncProperty(dotCase, async ({ lhs, rhs, dims, seed }) => {
          await check(
            `dot_general ${lhs} x ${rhs} dims ${JSON.stringify(dims)}`,
            [operand(lhs, dtype, domain, seed), operand(rhs, dtype, domain, seed + 1)],
            (x, y) => lax.dotGeneral(x, y, dims),
            dtype === "float32" ? SUMS : EXACT,
            (x, y) => lax.dotGeneral(x, y, dims),
          );
        }),
        { numRuns: 20 },
      ));
  }
  await t.step(
    "tiles with remainders, transposed operands, a batch, a split contraction",
    async () => {
      for (
        const [lhs, rhs, dims] of [
          [[70, 130], [130, 45], [[[1], [0]], [[], []]]],
          [[130, 70], [45, 130], [[[0], [1]], [[], []]]],
          [[3, 65, 17], [3, 17, 66], [[[2], [1]], [[0], [0]]]],
          [[10, 2000], [2000, 25], [[[1], [0]], [[], []]]],
          [[1500, 20], [1500, 3, 7], [[[0], [0]], [[], []]]],
        ] as [number[], number[], lax.DotDims][]
      ) {
        await check(
          `dot_general ${lhs} x ${rhs}`,
          [operand(lhs, "float32", "real", 1), operand(rhs, "float32", "real", 2)],
          (x, y) => lax.dotGeneral(x, y, dims),
          SUMS,
          (x, y) => lax.dotGeneral(x, y, dims),
        );
      }
    },
  );
});

/** Window geometry for an input of rank 1-3, small enough for a valid output. */
const windowCase = fc.tuple(shapeArb(1, 3), seedArb).map(([base, seed]) => {
  const next = stream(seed);
  const int = (n: number) => Math.floor(next() * n);
  const shape = base.map((d) => d + 2);
  const window = shape.map((d) => 1 + int(Math.min(d, 3)));
  const dilation = window.map(() => 1 + int(2));
  const strides = window.map(() => 1 + int(3));
  const padding = window.map(() => [int(3), int(3)] as [number, number]);
  const p = { window, strides, padding, dilation };
  const fits = shape.every((d, i) =>
    d + padding[i][0] + padding[i][1] >= (window[i] - 1) * dilation[i] + 1
  );
  return { shape, p, seed, fits };
}).filter((c) => c.fits);

gpuTest("webgpu patches and patches_transpose agree with ref", async (t) => {
  await t.step("patches", () =>
    fc.assert(
      fc.asyncProperty(windowCase, ({ shape, p, seed }) =>
        check(
          `patches ${shape} ${JSON.stringify(p)}`,
          [operand(shape, "float32", "real", seed)],
          (x) => lax.patches(x, p),
          EXACT,
        )),
      RUNS,
    ));
  await t.step("patches_transpose", () =>
    fc.assert(
      fc.asyncProperty(windowCase, async ({ shape, p, seed }) => {
        const windows = withDefaultBackend("ref", () => lax.patches(np.zeros(shape), p).shape);
        await check(
          `patches_transpose ${shape} ${JSON.stringify(p)}`,
          [operand([...windows], "float32", "real", seed)],
          (ct) => lax.patchesTranspose(ct, shape, p),
          SUMS,
          (ct) => lax.patchesTranspose(ct, shape, p),
        );
      }),
      RUNS,
    ));
});

gpuTest("webgpu take and the scatters agree with ref", async (t) => {
  const indexCase = fc.tuple(shapeArb(1, 3), shapeArb(0, 2), seedArb).map(
    ([shape, idxShape, seed]) => {
      const axis = Math.abs(seed) % shape.length;
      const next = stream(seed);
      const idx = {
        data: idxShape.reduce((a, b) => a * b, 1) > 0
          ? globalThis.Array.from({
            length: idxShape.reduce((a, b) => a * b, 1),
          }, () => Math.floor(next() * shape[axis]))
          : [],
        shape: idxShape,
        dtype: "int32" as DType,
      };
      return { shape, idx, axis, seed };
    },
  );
  await t.step("take", () =>
    fc.assert(
      fc.asyncProperty(indexCase, ({ shape, idx, axis, seed }) =>
        check(`take ${shape} at ${idx.shape} axis ${axis}`, [
          operand(shape, "float32", "real", seed),
          idx,
        ], (x, i) =>
          lax.take(x, i, axis), EXACT)),
      RUNS,
    ));
  await t.step("scatter_add", () =>
    fc.assert(
      fc.asyncProperty(indexCase, ({ shape, idx, axis, seed }) => {
        const upd = [...shape.slice(0, axis), ...idx.shape, ...shape.slice(axis + 1)];
        return check(
          `scatter_add into ${shape} at ${idx.shape} axis ${axis}`,
          [operand(upd, "float32", "real", seed), idx],
          (u, i) => lax.scatterAdd(u, i, axis, shape),
          SUMS,
          (u, i) => lax.scatterAdd(u, i, axis, shape),
        );
      }),
      RUNS,
    ));
  for (const op of [lax.scatter, lax.scatterMul, lax.scatterMin, lax.scatterMax]) {
    await t.step(op.name, () =>
      fc.assert(
        fc.asyncProperty(indexCase, async ({ shape, idx, axis, seed }) => {
          const upd = [...shape.slice(0, axis), ...idx.shape, ...shape.slice(axis + 1)];
          await check(
            `${op.name} into ${shape} at ${idx.shape} axis ${axis}`,
            [
              operand(shape, "float32", "real", seed),
              idx,
              operand(upd, "float32", "real", seed + 1),
            ],
            (x, i, u) => op(x, i, u, axis),
            EXACT,
          );
        }),
        RUNS,
      ));
  }
  await t.step("an index out of range is reported at the next read", async () => {
    const x = ConcreteArray.fromHost(new Float32Array([1, 2, 3]), [3], "float32", "webgpu");
    const i = ConcreteArray.fromHost(new Int32Array([0, 7]), [2], "int32", "webgpu");
    const y = lax.take(x, i, 0);
    await assert.rejects(() => y.read(), /take: index 7 is out of bounds for an axis of size 3/);
    assert.deepEqual([...await x.read()], [1, 2, 3]);
  });
});

// ---------------------------------------------------------------- bits, random and sort

/** int32 operands of one shape: full-range words, and shift amounts in [-4, 40). */
function wordOperands(shape: number[], seed: number): Operand[] {
  const next = stream(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const words = globalThis.Array.from({ length: n }, () => (next() * 2 ** 32) | 0);
  const shifts = globalThis.Array.from({ length: n }, () => Math.floor(next() * 44) - 4);
  return [{ data: words, shape, dtype: "int32" }, { data: shifts, shape, dtype: "int32" }];
}

/** Float keys full of ties (small integers, some repeated), signed zeros and NaN. */
function tieOperand(shape: number[], seed: number): Operand {
  const next = stream(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const pick = [NaN, 0, -0, Infinity, -Infinity];
  const data = globalThis.Array.from(
    { length: n },
    () => next() < 0.2 ? pick[Math.floor(next() * pick.length)] : Math.floor(next() * 5) - 2,
  );
  return { data, shape, dtype: "float32" };
}

const WORD_OPS: [string, (x: Array, y: Array) => Array][] = [
  ["xor", lax.xor],
  ["shift_left", lax.shiftLeft],
  ["shift_right_logical", lax.shiftRightLogical],
  ["shift_right_arithmetic", lax.shiftRightArithmetic],
];

/** A key operand for `random` functions (an int32 pair). */
const keyOperand = (seed: number): Operand => ({
  data: [seed >> 3, seed],
  shape: [2],
  dtype: "int32",
});

gpuTest("webgpu bit, random and sort kernels agree with ref", async (t) => {
  for (const [name, f] of WORD_OPS) {
    await t.step(name, () =>
      fc.assert(
        fc.asyncProperty(shapeArb(), seedArb, (shape, seed) =>
          check(`${name} ${JSON.stringify(shape)}`, wordOperands(shape, seed), f, EXACT)),
        RUNS,
      ));
  }
  await t.step("bitcast_convert_type int32 <-> float32", () =>
    fc.assert(
      fc.asyncProperty(shapeArb(), seedArb, async (shape, seed) => {
        const [words] = wordOperands(shape, seed);
        await check("bitcast to float32", [words], (x) =>
          lax.bitcastConvertType(x, "float32"), EXACT);
        const floats = operand(shape, "float32", "wide", seed);
        await check("bitcast to int32", [floats], (x) =>
          lax.bitcastConvertType(x, "int32"), EXACT);
      }),
      RUNS,
    ));
  await t.step("threefry2x32 matches the Random123 known-answer vectors", async () => {
    const vectors = [
      [[0, 0, 0, 0], [0x6b200159, 0x99ba4efe]],
      [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
      [[0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3], [0xc4923a9c, 0x483df7a0]],
    ];
    const ops = [0, 1, 2, 3].map((i): Operand => ({
      data: vectors.map(([input]) => input[i] | 0),
      shape: [vectors.length],
      dtype: "int32",
    }));
    const [y0, y1] = await runOn("webgpu", ops, (k0, k1, x0, x1) => threefry2x32(k0, k1, x0, x1));
    assert.deepEqual([...y0].map((v) => v >>> 0), vectors.map(([, out]) => out[0]));
    assert.deepEqual([...y1].map((v) => v >>> 0), vectors.map(([, out]) => out[1]));
  });
  await t.step("threefry2x32 on random words", () =>
    fc.assert(
      fc.asyncProperty(shapeArb(), seedArb, (shape, seed) =>
        check(
          `threefry2x32 ${JSON.stringify(shape)}`,
          [0, 1, 2, 3].map((k) => wordOperands(shape, seed + k)[0]),
          (k0, k1, x0, x1) => threefry2x32(k0, k1, x0, x1),
          EXACT,
        )),
      RUNS,
    ));
  await t.step(
    "random.uniform, normal and permutation give ref's numbers for one key",
    () =>
      fc.assert(
        fc.asyncProperty(seedArb, async (seed) => {
          const key = [keyOperand(seed)];
          await check("uniform", key, (k) => random.uniform(k, [4, 50]), EXACT);
          await check("normal", key, (k) => random.normal(k, [200]), { rtol: 1e-4, atol: 1e-5 });
          await check("permutation", key, (k) => random.permutation(k, 37), EXACT);
          const rows = operand([9, 3], "float32", "real", seed);
          await check(
            "permutation of rows",
            [...key, rows],
            (k, x) => random.permutation(k, x),
            EXACT,
          );
        }),
        { numRuns: 5 },
      ),
  );
  await t.step("sort with ties, signed zeros and NaN, by one or two keys", () =>
    fc.assert(
      fc.asyncProperty(shapeArb(1), seedArb, fc.nat(), fc.nat(), async (shape, seed, a, b) => {
        const dimension = a % shape.length, numKeys = 1 + (b % 2);
        const ops = [
          tieOperand(shape, seed),
          operand(shape, "int32", "smallInt", seed + 1),
          operand(shape, "bool", "bool", seed + 2),
          operand(shape, "float32", "real", seed + 3),
        ];
        await check(
          `sort ${JSON.stringify(shape)} along ${dimension} by ${numKeys} key(s)`,
          ops,
          (...xs) => lax.sort(xs, dimension, numKeys),
          EXACT,
        );
      }),
      RUNS,
    ));
  await t.step(
    "sort of long rows of int32 ties",
    () =>
      check(
        "sort [3, 600]",
        [operand([3, 600], "int32", "int", 7), operand([3, 600], "float32", "real", 8)],
        (x, y) => lax.sort([x, y], 1),
        EXACT,
      ),
  );
  await t.step("sort by more keys than one kernel binds names the limit", () => {
    const x = ConcreteArray.fromHost(new Float32Array([2, 1]), [2], "float32", "webgpu");
    const xs = globalThis.Array.from({ length: 7 }, () => x);
    assert.throws(
      () => lax.sort(xs, 0, 7),
      /sort: the webgpu kernel sorts by at most 6 keys, got 7/,
    );
  });
  await t.step("under jit", () =>
    fc.assert(
      fc.asyncProperty(seedArb, (seed) => {
        const [words, shifts] = wordOperands([5, 6], seed);
        const f = jit((k: Array, w: Array, s: Array, x: Array) => {
          const mixed = lax.xor(lax.shiftLeft(w, s), lax.shiftRightLogical(w, s));
          const [sorted, carried] = lax.sort([x.add(1), lax.shiftRightArithmetic(mixed, s)], 1);
          const u = random.uniform(k, [5, 6]);
          return [sorted, carried, lax.bitcastConvertType(mixed, "float32"), u.mul(x)];
        });
        return check("jit", [keyOperand(seed), words, shifts, tieOperand([5, 6], seed)], f, EXACT);
      }),
      { numRuns: 3 },
    ));
});

gpuTest("every kernel primitive has a webgpu kernel or refuses, saying where to run it", () => {
  const coverage = backendCoverage("webgpu");
  assert.deepEqual(KERNEL_PRIMITIVE_NAMES.filter((n) => coverage[n] === "refFallback"), []);
  const x = ConcreteArray.fromHost(new Float32Array([4, 2, 2, 3]), [2, 2], "float32", "webgpu");
  const refused = KERNEL_PRIMITIVE_NAMES.filter((n) => coverage[n] === "unsupported");
  for (const name of refused) {
    const entry = webgpuRules[name];
    const reason = typeof entry === "function" ? "" : entry.reason;
    assert.match(reason, /toBackend/, `${name}: a refusal says where to run it`);
    assert.throws(
      () => backend!.execute(name, [x.buffer], [x.aval], {}, [x.aval]),
      (e: Error) => e.message.includes(`${name}: ${reason}`),
    );
  }
});

// ---------------------------------------------------------------- training steps

function params(shapes: Record<string, number[]>, seed: number): Record<string, Operand> {
  return Object.fromEntries(
    Object.entries(shapes).map(([k, s], i) => {
      const o = operand(s, "float32", "real", seed + i);
      return [k, { ...o, data: o.data.map((v) => v / Math.sqrt(s[s.length - 1] + 1)) }];
    }),
  );
}

/** Gradients of `loss` on both backends, eagerly and under jit, compared leaf by leaf. */
async function checkGrad(
  label: string,
  loss: (p: Params, x: Array, y: Array) => Array,
  ps: Record<string, Operand>,
  x: Operand,
  y: Operand,
): Promise<void> {
  const names = Object.keys(ps).sort();
  const f = (...xs: Array[]) => {
    const p = Object.fromEntries(names.map((k, i) => [k, xs[i]]));
    const g = grad(loss)(p, xs[names.length], xs[names.length + 1]) as Params;
    return [loss(p, xs[names.length], xs[names.length + 1]), ...names.map((k) => g[k])];
  };
  const ops = [...names.map((k) => ps[k]), x, y];
  const tol = { rtol: 1e-4, atol: 1e-5 };
  await check(`${label} eager`, ops, f, tol);
  await check(`${label} jit`, ops, jit(f), tol);
}

gpuTest("webgpu gradients of an MLP and a convnet step agree with ref", async (t) => {
  await t.step("MLP", () =>
    checkGrad(
      "mlp",
      mlpLoss,
      params({ w1: [8, 16], b1: [16], w2: [16, 4], b2: [4] }, 1),
      operand([10, 8], "float32", "real", 7),
      { data: [0, 1, 2, 3, 0, 1, 2, 3, 1, 2], shape: [10], dtype: "int32" },
    ));
  await t.step("per-example gradients: jit of vmap of grad", () =>
    check(
      "vmap(grad)",
      [operand([3, 2], "float32", "real", 3), operand([4, 3], "float32", "real", 4)],
      jit((w: Array, xs: Array) =>
        vmap(grad((w: Array, x: Array) => np.sum(np.tanh(x.matmul(w)))), { inAxes: [null, 0] })(
          w,
          xs,
        )
      ),
      { rtol: 1e-5, atol: 1e-6 },
    ));
  await t.step("convnet", () =>
    checkGrad(
      "convnet",
      convLoss,
      params({ k1: [4, 1, 3, 3], c1: [4], k2: [8, 4, 3, 3], w: [32, 10], b: [10] }, 2),
      operand([3, 1, 8, 8], "float32", "real", 9),
      { data: [3, 7, 1], shape: [3], dtype: "int32" },
    ));
});

// ---------------------------------------------------------------- API behaviour

gpuTest("webgpu arrays are read asynchronously and refuse float64", async (t) => {
  await t.step("toArray names await x.read()", () => {
    const x = withDefaultBackend("webgpu", () => np.array([1, 2, 3]).mul(2));
    assert.throws(() => x.toArray(), /can only be read asynchronously; use await x\.read\(\)/);
  });
  await t.step("scalars made from host values stay readable synchronously", () => {
    const s = withDefaultBackend("webgpu", () => np.array(2.5));
    assert.equal(s.item(), 2.5);
  });
  await t.step("float64 is refused with the operation's name", () => {
    withDefaultBackend("webgpu", () => {
      assert.throws(() => np.array([1, 2], "float64"), /float64 is not available on the webgpu/);
      assert.throws(
        () => np.array([1, 2]).astype("float64"),
        /convert_element_type: float64 is not available on the webgpu/,
      );
    });
  });
});

gpuTest("arrays move between backends only explicitly", async (t) => {
  const onRef = toBackend(np.array([[1, 2], [3, 4]]), "ref");
  await t.step("mixing backends in one operation names both and the fix", () => {
    const onGpu = toBackend(onRef, "webgpu");
    assert.throws(
      () => onGpu.add(onRef),
      /different backends \((webgpu and ref|ref and webgpu)\).*toBackend/,
    );
  });
  await t.step("toBackend and toBackendAsync round-trip pytrees", async () => {
    const tree = { a: onRef, b: [np.array([true, false])], c: 3 };
    const there = toBackend(tree, "webgpu");
    assert.equal((there.a as ConcreteArray).backend.name, "webgpu");
    assert.throws(() => toBackend(there, "ref"), /toBackendAsync/);
    const back = await toBackendAsync(there, "ref");
    assert.deepEqual(back.a.toArray(), [[1, 2], [3, 4]]);
    assert.deepEqual(back.b[0].toArray(), [true, false]);
    assert.equal(back.c, 3);
  });
});

gpuTest("webgpu reuses pipelines and disposed buffers", () => {
  const rt = webgpuRuntime()!;
  const x = toBackend(np.ones([64, 64]), "webgpu");
  const exp = () => withDefaultBackend("webgpu", () => np.exp(x)) as ConcreteArray;
  exp()[Symbol.dispose]();
  const pipelines = rt.pipelineCount;
  const idle = rt.pool.idleBytes;
  assert.ok(idle >= 64 * 64 * 4, "the disposed result went back to the pool");
  using _y = exp();
  assert.equal(rt.pipelineCount, pipelines, "the cached pipeline ran again");
  assert.equal(rt.pool.idleBytes, idle - 64 * 64 * 4, "the pooled buffer was taken again");
});

// ---------------------------------------------------------------- coverage of the cases above

gpuTest("every primitive with a webgpu kernel ran in a case of this file", () => {
  const coverage = backendCoverage("webgpu");
  const untested = KERNEL_PRIMITIVE_NAMES.filter((n) =>
    coverage[n] === "native" && !executedOnGpu.has(n)
  );
  assert.deepEqual(untested, [], `webgpu kernels no case above ran: ${untested.join(", ")}`);
});
