/**
 * The wasm backend against the reference backend, primitive by primitive: every case runs the
 * same host inputs through both backends' `execute` and compares the outputs. int32 and bool
 * results must be identical; float64 agrees to about 1e-13 (relative); float32 within the
 * tolerance stated per case (the f32 transcendental kernels are polynomial approximations with
 * the error bounds stated in kernels/assembly/math.ts, checked tightly in wasm_math_test.ts).
 *
 * Every primitive that runs on a backend kernel must have a case: the coverage test lists the
 * primitives exported by core/ and random/ and fails for any without one.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ShapedArray } from "../core/aval.ts";
import type { Backend } from "../core/backend.ts";
import { allocTyped, type DType, type TypedArray } from "../core/dtype.ts";
import { Primitive } from "../core/primitive.ts";
import * as bitsPrims from "../core/primitives/bits.ts";
import * as dotPrims from "../core/primitives/dot_general.ts";
import * as elementwisePrims from "../core/primitives/elementwise.ts";
import * as indexingPrims from "../core/primitives/indexing.ts";
import * as patchesPrims from "../core/primitives/patches.ts";
import * as reductionPrims from "../core/primitives/reductions.ts";
import * as scatterPrims from "../core/primitives/scatter.ts";
import * as sortPrims from "../core/primitives/sort.ts";
import * as structuralPrims from "../core/primitives/structural.ts";
import { windowOutShape } from "../core/primitives/patches.ts";
import { refBackend } from "../kernels/ref/backend.ts";
import { wasmBackend, wasmMemoryStats } from "../kernels/wasm/backend.ts";
import * as threefryPrims from "../core/primitives/threefry.ts";
import { runs } from "./util/arbitraries.ts";

// ---------------------------------------------------------------- harness

/** One primitive application: host inputs, params and the float32 tolerance. */
interface Case {
  prim: string;
  inputs: { data: TypedArray; shape: number[]; dtype: DType }[];
  params: Record<string, unknown>;
  /** float32 tolerance: |wasm - ref| <= atol + rtol |ref|. */
  tol?: { rtol: number; atol: number };
}

const PRIMITIVES = new Map<string, Primitive>();
for (
  const mod of [
    elementwisePrims,
    structuralPrims,
    reductionPrims,
    dotPrims,
    patchesPrims,
    indexingPrims,
    scatterPrims,
    bitsPrims,
    sortPrims,
    threefryPrims,
  ]
) {
  for (const v of Object.values(mod)) if (v instanceof Primitive) PRIMITIVES.set(v.name, v);
}

function execute(backend: Backend, c: Case): { out: TypedArray[]; avals: ShapedArray[] } {
  const prim = PRIMITIVES.get(c.prim)!;
  const avals = c.inputs.map((x) => new ShapedArray(x.shape, x.dtype));
  const outAvals = prim.shape(avals, c.params);
  const bufs = c.inputs.map((x, i) => backend.fromHost(x.data, avals[i]));
  const outs = backend.execute(c.prim, bufs, avals, c.params, outAvals);
  const out = outs.map((b, i) => backend.readSync(b, outAvals[i])!);
  for (const b of [...bufs, ...outs]) backend.dispose?.(b);
  return { out, avals: outAvals };
}

const F32_DEFAULT = { rtol: 2e-6, atol: 1e-6 };
const F64_TOL = { rtol: 1e-13, atol: 1e-14 };

/** Runs a case on both backends and asserts agreement. */
function check(c: Case): void {
  const ref = execute(refBackend, c);
  const wasm = execute(wasmBackend, c);
  ref.out.forEach((r, k) => {
    const w = wasm.out[k];
    const dtype = ref.avals[k].dtype;
    assert.equal(w.length, r.length, `${c.prim}: output ${k} length`);
    const tol = dtype === "float32" ? c.tol ?? F32_DEFAULT : F64_TOL;
    for (let i = 0; i < r.length; i++) {
      const a = w[i], b = r[i];
      const ok = dtype === "int32" || dtype === "bool"
        ? a === b
        : (Number.isNaN(a) && Number.isNaN(b)) || a === b ||
          Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b);
      if (!ok) {
        assert.fail(
          `${c.prim} ${JSON.stringify(c.params)} on ${
            c.inputs.map((x) => `${x.dtype}[${x.shape}]`).join(", ")
          }: output ${k} element ${i}: wasm ${a}, ref ${b}`,
        );
      }
    }
  });
}

function host(values: ArrayLike<number>, shape: number[], dtype: DType): Case["inputs"][0] {
  const data = allocTyped(dtype, values.length);
  data.set(values);
  return { data, shape, dtype };
}

// ---------------------------------------------------------------- arbitraries

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Shapes of rank 0..maxRank with sizes 1..maxDim; sizes that are not multiples of 4 matter. */
function shapeArb(maxRank = 3, maxDim = 7, minRank = 0): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/** `n` values of a dtype: floats in [lo, hi], int32 in [-50, 50], bools. */
function valuesArb(n: number, dtype: DType, lo = -4, hi = 4): fc.Arbitrary<number[]> {
  const el = dtype === "bool"
    ? fc.integer({ min: 0, max: 1 })
    : dtype === "int32"
    ? fc.integer({ min: -50, max: 50 })
    : fc.double({ min: lo, max: hi, noNaN: true });
  return fc.array(el, { minLength: n, maxLength: n });
}

function arrayArb(shape: number[], dtype: DType, lo?: number, hi?: number) {
  return valuesArb(size(shape), dtype, lo, hi).map((v) => host(v, shape, dtype));
}

/** Floats with specials (NaN, +-inf, +-0) mixed in. */
function specialArb(shape: number[], dtype: DType) {
  const el = fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: -3, max: 3, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1) },
  );
  return fc.array(el, { minLength: size(shape), maxLength: size(shape) }).map((v) =>
    host(v, shape, dtype)
  );
}

const FLOATS: DType[] = ["float32", "float64"];
const ALL: DType[] = ["float32", "float64", "int32", "bool"];

// ---------------------------------------------------------------- elementwise

/** Input range and float32 tolerance of each float unary primitive. */
const UNARY: Record<string, { lo: number; hi: number; tol?: { rtol: number; atol: number } }> = {
  neg: { lo: -9, hi: 9 },
  abs: { lo: -9, hi: 9 },
  sign: { lo: -2, hi: 2 },
  floor: { lo: -9, hi: 9 },
  ceil: { lo: -9, hi: 9 },
  round: { lo: -9, hi: 9 },
  sqrt: { lo: 0, hi: 1e4 },
  rsqrt: { lo: 1e-3, hi: 1e4 },
  exp: { lo: -87, hi: 88, tol: { rtol: 1e-6, atol: 0 } },
  expm1: { lo: -20, hi: 80, tol: { rtol: 1e-6, atol: 0 } },
  log: { lo: 1e-30, hi: 1e30, tol: { rtol: 1e-6, atol: 1e-7 } },
  log1p: { lo: -0.999, hi: 1e6, tol: { rtol: 1e-6, atol: 1e-7 } },
  tanh: { lo: -12, hi: 12, tol: { rtol: 1e-6, atol: 1e-7 } },
  logistic: { lo: -80, hi: 80, tol: { rtol: 1e-6, atol: 0 } },
  erf: { lo: -5, hi: 5, tol: { rtol: 1e-6, atol: 3e-7 } },
  erf_inv: { lo: -0.999, hi: 0.999, tol: { rtol: 1e-6, atol: 1e-7 } },
  sin: { lo: -100, hi: 100, tol: { rtol: 1e-6, atol: 3e-7 } },
  cos: { lo: -100, hi: 100, tol: { rtol: 1e-6, atol: 3e-7 } },
  cbrt: { lo: -1e6, hi: 1e6, tol: { rtol: 1e-6, atol: 0 } },
  asinh: { lo: -1e6, hi: 1e6, tol: { rtol: 1e-6, atol: 1e-7 } },
  acosh: { lo: 1, hi: 1e6, tol: { rtol: 1e-6, atol: 1e-7 } },
};

const BINARY_FLOAT = [
  "add",
  "sub",
  "mul",
  "div",
  "atan2",
  "rem",
  "max",
  "min",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
];
const BINARY_INT = [
  "add",
  "sub",
  "mul",
  "div",
  "rem",
  "max",
  "min",
  "and",
  "or",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
];

Deno.test("wasm elementwise primitives match ref", async (t) => {
  await t.step("float unary ops on random shapes, f32 and f64", () => {
    for (const [prim, { lo, hi, tol }] of Object.entries(UNARY)) {
      fc.assert(
        fc.property(
          fc.tuple(fc.constantFrom(...FLOATS), shapeArb(3, 9)).chain(([dtype, shape]) =>
            arrayArb(shape, dtype, lo, hi)
          ),
          (x) => check({ prim, inputs: [x], params: {}, tol }),
        ),
        runs(12),
      );
    }
  });

  await t.step("unary ops keep NaN, infinities and signed zeros as ref does", () => {
    for (
      const prim of [
        "neg",
        "abs",
        "sign",
        "floor",
        "ceil",
        "round",
        "sqrt",
        "exp",
        "log",
        "tanh",
        "logistic",
        "erf",
        "sin",
        "cos",
        "expm1",
        "log1p",
        "cbrt",
        "asinh",
        "acosh",
      ]
    ) {
      for (const dtype of FLOATS) {
        check({
          prim,
          inputs: [host([NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 2.5], [10], dtype)],
          params: {},
          tol: { rtol: 1e-6, atol: 1e-7 },
        });
      }
    }
  });

  await t.step("int32 and bool unary ops are exact", () => {
    for (const prim of ["neg", "abs", "sign", "not"]) {
      check({
        prim,
        inputs: [host([-5, 0, 7, -2147483648, 2147483647, 3, -1], [7], "int32")],
        params: {},
      });
    }
    check({
      prim: "not",
      inputs: [host([1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0], [17], "bool")],
      params: {},
    });
  });

  await t.step("binary ops and comparisons on every dtype", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL), shapeArb(3, 9), fc.integer(), (dtype, shape, seed) => {
        const names = dtype === "bool"
          ? ["and", "or", "eq", "ne"]
          : dtype === "int32"
          ? BINARY_INT
          : [...BINARY_FLOAT, "pow"];
        const gen = FLOATS.includes(dtype) ? specialArb(shape, dtype) : arrayArb(shape, dtype);
        const [x, y] = fc.sample(fc.tuple(gen, gen), { numRuns: 1, seed })[0];
        for (const prim of names) {
          // Every third int32 divisor is zero: integer division by zero gives 0, rem gives x.
          if ((prim === "div" || prim === "rem") && dtype === "int32") {
            for (let i = 0; i < y.data.length; i += 3) y.data[i] = 0;
          }
          const inputs = prim === "pow" ? [host(x.data.map(Math.abs), shape, dtype), y] : [x, y];
          check({ prim, inputs, params: {} });
        }
      }),
      runs(40),
    );
  });

  await t.step("int32 division truncates, by zero gives 0, and INT_MIN / -1 wraps", () => {
    check({
      prim: "div",
      inputs: [
        host([7, -7, 7, -7, 5, -2147483648, 3], [7], "int32"),
        host([2, 2, -2, -2, 0, -1, 7], [7], "int32"),
      ],
      params: {},
    });
  });

  await t.step("int32 rem truncates, by zero gives x, and INT_MIN % -1 is 0", () => {
    check({
      prim: "rem",
      inputs: [
        host([7, -7, 7, -7, 5, -2147483648, 3], [7], "int32"),
        host([2, 2, -2, -2, 0, -1, 7], [7], "int32"),
      ],
      params: {},
    });
  });

  await t.step("select_n on every dtype", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL), shapeArb(3, 9), fc.integer(), (dtype, shape, seed) => {
        const [p, f, t] = fc.sample(
          fc.tuple(arrayArb(shape, "bool"), arrayArb(shape, dtype), arrayArb(shape, dtype)),
          { numRuns: 1, seed },
        )[0];
        check({ prim: "select_n", inputs: [p, f, t], params: {} });
      }),
      runs(30),
    );
  });

  await t.step("convert_element_type between every pair of dtypes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL),
        fc.constantFrom(...ALL),
        shapeArb(2, 40),
        fc.integer(),
        (from, to, shape, seed) => {
          const x = fc.sample(
            from === "bool" || from === "int32" ? arrayArb(shape, from) : specialArb(shape, from),
            { numRuns: 1, seed },
          )[0];
          if (to === "int32") x.data.forEach((v, i) => Number.isFinite(v) || (x.data[i] = 0));
          check({ prim: "convert_element_type", inputs: [x], params: { dtype: to } });
        },
      ),
      runs(60),
    );
  });

  await t.step("bit operations, bitcast and threefry2x32", () => {
    const words = fc.integer({ min: -2147483648, max: 2147483647 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 23 }), fc.integer(), (n, seed) => {
        const [x, y, s, k0, k1] = fc.sample(
          fc.tuple(
            fc.array(words, { minLength: n, maxLength: n }),
            fc.array(words, { minLength: n, maxLength: n }),
            fc.array(fc.integer({ min: -3, max: 40 }), { minLength: n, maxLength: n }),
            fc.array(words, { minLength: n, maxLength: n }),
            fc.array(words, { minLength: n, maxLength: n }),
          ),
          { numRuns: 1, seed },
        )[0];
        const X = host(x, [n], "int32"), Y = host(y, [n], "int32"), S = host(s, [n], "int32");
        check({ prim: "xor", inputs: [X, Y], params: {} });
        for (const prim of ["shift_left", "shift_right_logical", "shift_right_arithmetic"]) {
          check({ prim, inputs: [X, S], params: {} });
        }
        check({ prim: "bitcast_convert_type", inputs: [X], params: { dtype: "float32" } });
        check({
          prim: "threefry2x32",
          inputs: [host(k0, [n], "int32"), host(k1, [n], "int32"), X, Y],
          params: {},
        });
      }),
      runs(20),
    );
  });
});

// ---------------------------------------------------------------- structural

Deno.test("wasm structural primitives match ref", async (t) => {
  const withArray = <T>(
    extra: (shape: number[]) => fc.Arbitrary<T>,
    maxRank = 4,
  ) =>
    fc.tuple(fc.constantFrom(...ALL), shapeArb(maxRank, 6)).chain(([dtype, shape]) =>
      fc.tuple(arrayArb(shape, dtype), extra(shape))
    );

  await t.step("broadcast_in_dim", () => {
    fc.assert(
      fc.property(
        withArray((shape) =>
          fc.tuple(
            fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
            fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
          )
        ),
        ([x, [extra, ones]]) => {
          const src = x.shape.map((d, i) => (ones[i] ? 1 : d));
          const input = host(x.data.slice(0, size(src)), src, x.dtype);
          const out = [...extra, ...src.map((d, i) => (d === 1 ? x.shape[i] : d))];
          const dims = src.map((_, i) => extra.length + i);
          check({ prim: "broadcast_in_dim", inputs: [input], params: { shape: out, dims } });
        },
      ),
      runs(40),
    );
  });

  await t.step("transpose, reshape and rev", () => {
    fc.assert(
      fc.property(
        withArray((shape) =>
          fc.tuple(
            fc.shuffledSubarray([...Array(shape.length).keys()], {
              minLength: shape.length,
              maxLength: shape.length,
            }),
            fc.subarray([...Array(shape.length).keys()]),
          )
        ),
        ([x, [perm, dims]]) => {
          check({ prim: "transpose", inputs: [x], params: { permutation: perm } });
          check({ prim: "rev", inputs: [x], params: { dimensions: dims } });
          check({ prim: "reshape", inputs: [x], params: { shape: [size(x.shape)] } });
        },
      ),
      runs(40),
    );
  });

  await t.step("slice with strides", () => {
    fc.assert(
      fc.property(
        withArray((shape) =>
          fc.tuple(
            ...shape.map((d) =>
              fc.tuple(
                fc.integer({ min: 0, max: d }),
                fc.integer({ min: 0, max: d }),
                fc.integer({ min: 1, max: 3 }),
              )
            ),
          )
        ),
        ([x, spec]) => {
          const start = spec.map(([a, b]) => Math.min(a, b));
          const limit = spec.map(([a, b]) => Math.max(a, b));
          const strides = spec.map(([, , s]) => s);
          check({ prim: "slice", inputs: [x], params: { start, limit, strides } });
        },
      ),
      runs(40),
    );
  });

  await t.step("pad with negative edges and interior padding", () => {
    fc.assert(
      fc.property(
        withArray((shape) =>
          fc.tuple(
            ...shape.map(() =>
              fc.tuple(
                fc.integer({ min: -2, max: 3 }),
                fc.integer({ min: -2, max: 3 }),
                fc.integer({ min: 0, max: 2 }),
              )
            ),
          ), 3),
        fc.constantFrom(0, 1, -2.5),
        ([x, spec], value) => {
          const lo = spec.map(([l]) => l), hi = spec.map(([, h]) => h);
          const interior = spec.map(([, , i]) => i);
          const out = x.shape.map((d, i) => lo[i] + hi[i] + d + Math.max(0, d - 1) * interior[i]);
          fc.pre(out.every((d) => d >= 0));
          const v = x.dtype === "bool" ? 1 : x.dtype === "int32" ? Math.trunc(value) : value;
          check({ prim: "pad", inputs: [x], params: { lo, hi, interior, value: v } });
        },
      ),
      runs(50),
    );
  });

  await t.step("concatenate", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL),
        shapeArb(3, 5, 1),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.integer(),
        (dtype, shape, sizes, axisSeed, seed) => {
          const d = axisSeed % shape.length;
          const inputs = sizes.map((s, i) => {
            const sh = shape.map((v, j) => (j === d ? s : v));
            return fc.sample(arrayArb(sh, dtype), { numRuns: 1, seed: seed + i })[0];
          });
          check({ prim: "concatenate", inputs, params: { dimension: d } });
        },
      ),
      runs(40),
    );
  });
});

// ---------------------------------------------------------------- reductions

Deno.test("wasm reductions match ref over arbitrary axes", async (t) => {
  await t.step("sum, prod, max, min", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL),
        shapeArb(4, 9),
        fc.integer(),
        (dtype, shape, seed) => {
          const [x, axes] = fc.sample(
            fc.tuple(
              FLOATS.includes(dtype) ? arrayArb(shape, dtype, -2, 2) : arrayArb(shape, dtype),
              fc.subarray([...Array(shape.length).keys()]),
            ),
            { numRuns: 1, seed },
          )[0];
          const names = dtype === "bool"
            ? ["reduce_max", "reduce_min"]
            : ["reduce_sum", "reduce_max", "reduce_min", "reduce_prod"];
          for (const prim of names) {
            const input = prim === "reduce_prod" && dtype === "int32"
              ? host(x.data.map((v) => (v % 3) - 1), shape, dtype)
              : x;
            check({ prim, inputs: [input], params: { axes }, tol: { rtol: 1e-5, atol: 1e-5 } });
          }
        },
      ),
      runs(80),
    );
  });

  await t.step("long f32 sums stay accurate (f64 accumulation)", () => {
    const n = 100_003;
    const data = Array.from({ length: 3 * 4 * 8334 }, (_, i) => Math.sin(i) * 10 + 0.1);
    for (
      const [shape, axes] of [[[n], [0]], [[7, n / 7 | 0], [0]], [[3, 4, 8334], [0, 2]]] as const
    ) {
      const m = size(shape);
      check({
        prim: "reduce_sum",
        inputs: [host(data.slice(0, m), [...shape], "float32")],
        params: { axes: [...axes] },
        tol: { rtol: 1e-6, atol: 1e-4 },
      });
    }
  });

  await t.step("pairs of neighbours (2x2 pooling windows), NaN included", () => {
    const cases: [number[], number[]][] = [[[9, 2], [1]], [[5, 3, 2], [2]], [[6, 2, 5, 2], [1, 3]]];
    for (const [shape, axes] of cases) {
      for (const dtype of ["float32", "int32"] as DType[]) {
        const data = Array.from(
          { length: size(shape) },
          (_, i) => Math.round(Math.sin(i * 1.7) * 9),
        );
        if (dtype === "float32") data[5] = NaN;
        for (const prim of ["reduce_max", "reduce_min", "reduce_sum", "reduce_prod"]) {
          check({ prim, inputs: [host(data, shape, dtype)], params: { axes } });
        }
      }
    }
  });

  await t.step("max and min propagate NaN; empty reductions give ref's identity", () => {
    for (const dtype of FLOATS) {
      const x = host([1, NaN, 3, -Infinity, 2, 5, 0, NaN, 4, 7, 8, 9], [3, 4], dtype);
      for (const prim of ["reduce_max", "reduce_min", "reduce_sum"]) {
        check({ prim, inputs: [x], params: { axes: [1] } });
        check({ prim, inputs: [x], params: { axes: [0] } });
      }
    }
    for (const dtype of ALL) {
      for (const prim of ["reduce_max", "reduce_min", "reduce_sum", "reduce_prod"]) {
        if (dtype === "bool" && (prim === "reduce_sum" || prim === "reduce_prod")) continue;
        check({ prim, inputs: [host([], [2, 0, 3], dtype)], params: { axes: [1] } });
      }
    }
  });

  await t.step("argmax and argmin with ties and NaN", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL),
        shapeArb(3, 7, 1),
        fc.nat(),
        fc.integer(),
        (dtype, shape, axisSeed, seed) => {
          const axis = axisSeed % shape.length;
          const gen = dtype === "bool" || dtype === "int32"
            ? valuesArb(size(shape), dtype).map((v) => host(v.map((e) => e % 3), shape, dtype))
            : specialArb(shape, dtype);
          const x = fc.sample(gen, { numRuns: 1, seed })[0];
          if (FLOATS.includes(dtype)) {
            x.data.forEach((v, i) => i % 4 === 1 && (x.data[i] = Math.round(v)));
          }
          check({ prim: "argmax", inputs: [x], params: { axis } });
          check({ prim: "argmin", inputs: [x], params: { axis } });
        },
      ),
      runs(60),
    );
  });
});

// ---------------------------------------------------------------- contractions

/** A random dot_general: axes of each role (batch, contract, free) at random positions. */
const dotArb = fc.record({
  dtype: fc.constantFrom<DType>("float32", "float64", "int32"),
  batch: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
  contract: fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 2 }),
  freeX: fc.array(fc.integer({ min: 1, max: 14 }), { maxLength: 2 }),
  freeY: fc.array(fc.integer({ min: 1, max: 14 }), { maxLength: 2 }),
  seed: fc.integer(),
}).chain((r) => {
  const nx = r.batch.length + r.contract.length + r.freeX.length;
  const ny = r.batch.length + r.contract.length + r.freeY.length;
  return fc.record({
    r: fc.constant(r),
    px: fc.shuffledSubarray([...Array(nx).keys()], { minLength: nx, maxLength: nx }),
    py: fc.shuffledSubarray([...Array(ny).keys()], { minLength: ny, maxLength: ny }),
  });
}).map(({ r, px, py }) => {
  // Role lists: [batch..., contract..., free...]; position p[i] holds role entry i.
  const nb = r.batch.length, nc = r.contract.length;
  const xSizes = [...r.batch, ...r.contract, ...r.freeX];
  const ySizes = [...r.batch, ...r.contract, ...r.freeY];
  const xShape = new Array<number>(px.length), yShape = new Array<number>(py.length);
  px.forEach((pos, i) => (xShape[pos] = xSizes[i]));
  py.forEach((pos, i) => (yShape[pos] = ySizes[i]));
  const dims = [
    [px.slice(nb, nb + nc), py.slice(nb, nb + nc)],
    [px.slice(0, nb), py.slice(0, nb)],
  ];
  return { ...r, xShape, yShape, dims };
});

function dotCase(
  dtype: DType,
  xShape: number[],
  yShape: number[],
  dims: unknown,
  seed: number,
): Case {
  const [x, y] = fc.sample(
    fc.tuple(arrayArb(xShape, dtype, -1, 1), arrayArb(yShape, dtype, -1, 1)),
    { numRuns: 1, seed },
  )[0];
  const k = (dims as number[][][])[0][0].reduce((acc, a) => acc * xShape[a], 1);
  return {
    prim: "dot_general",
    inputs: [x, y],
    params: { dims },
    tol: { rtol: 1e-5, atol: 2e-6 * Math.max(1, k) },
  };
}

Deno.test("wasm dot_general matches ref", async (t) => {
  await t.step("random batch, contracting and free axes in any order", () => {
    fc.assert(
      fc.property(dotArb, ({ dtype, xShape, yShape, dims, seed }) => {
        check(dotCase(dtype, xShape, yShape, dims, seed));
      }),
      runs(120),
    );
  });

  await t.step("edge tiles and blocking: sizes across the micro-tile and cache blocks", () => {
    const mm = [[[1], [0]], [[], []]];
    const cases: [number, number, number][] = [
      [1, 1, 1],
      [6, 8, 1],
      [7, 9, 5],
      [13, 17, 300],
      [100, 70, 300],
      [97, 2100, 3],
      [1, 40, 513],
    ];
    for (const [m, n, k] of cases) {
      for (const dtype of FLOATS) {
        check(dotCase(dtype, [m, k], [k, n], mm, m * n + k));
        // Transposed operands: contract the first axis of x and the last of y.
        check(dotCase(dtype, [k, m], [n, k], [[[0], [1]], [[], []]], k));
      }
    }
    // K = 0: the product of empty sums is zero.
    check(dotCase("float32", [3, 0], [0, 5], mm, 1));
  });

  await t.step("the convolution layouts (forward, filter and input gradients)", () => {
    // patches [N, OH, OW, G, C, KH, KW] with weights [G, O, C, KH, KW].
    check(
      dotCase("float32", [4, 6, 6, 1, 3, 5, 5], [1, 10, 3, 5, 5], [[[4, 5, 6], [2, 3, 4]], [[3], [
        0,
      ]]], 1),
    );
    // filter gradient: ct [G, N, OH, OW, O] with patches.
    check(
      dotCase("float32", [1, 4, 6, 6, 10], [4, 6, 6, 1, 3, 5, 5], [[[1, 2, 3], [0, 1, 2]], [[0], [
        3,
      ]]], 2),
    );
    // input gradient: ct [G, N, OH, OW, O] with weights [G, O, C, KH, KW].
    check(dotCase("float32", [1, 4, 6, 6, 10], [1, 10, 3, 5, 5], [[[4], [1]], [[0], [0]]], 3));
  });
});

// ---------------------------------------------------------------- windows and indexing

const windowArb = fc.integer({ min: 1, max: 3 }).chain((nd) =>
  fc.record({
    dtype: fc.constantFrom<DType>("float32", "float64", "int32"),
    shape: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: nd, maxLength: nd }),
    window: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: nd, maxLength: nd }),
    strides: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: nd, maxLength: nd }),
    dilation: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: nd, maxLength: nd }),
    padding: fc.array(fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 })), {
      minLength: nd,
      maxLength: nd,
    }),
    seed: fc.integer(),
  })
).filter((w) => windowOutShape(w.shape, w).every((d) => d >= 0));

Deno.test("wasm patches and patches_transpose match ref", () => {
  fc.assert(
    fc.property(windowArb, ({ dtype, shape, window, strides, dilation, padding, seed }) => {
      const params = { window, strides, dilation, padding };
      const x = fc.sample(arrayArb(shape, dtype), { numRuns: 1, seed })[0];
      check({ prim: "patches", inputs: [x], params });
      const ctShape = [...windowOutShape(shape, params), ...window];
      const ct = fc.sample(arrayArb(ctShape, dtype), { numRuns: 1, seed: seed + 1 })[0];
      check({ prim: "patches_transpose", inputs: [ct], params: { ...params, inputShape: shape } });
    }),
    runs(120),
  );
});

Deno.test("strided rows of 17-32 bytes (5x5 windows) are copied and added as ref does", () => {
  const valid = (window: number[]) => ({
    window,
    strides: window.map(() => 1),
    dilation: window.map(() => 1),
    padding: window.map((): [number, number] => [0, 0]),
  });
  // [dtype, input shape, window]: rows of 5-8 f32 / i32, 3-4 f64.
  const cases: [DType, number[], number[]][] = [
    ["float32", [3, 2, 12, 12], [1, 2, 5, 5]],
    ["float32", [2, 1, 9, 10], [1, 1, 3, 8]],
    ["int32", [2, 3, 7, 11], [1, 1, 2, 6]],
    ["float64", [2, 2, 6, 6], [1, 2, 3, 3]],
    ["float64", [3, 7, 9], [1, 2, 4]],
  ];
  for (const [dtype, shape, window] of cases) {
    const params = valid(window);
    const x = fc.sample(arrayArb(shape, dtype), { numRuns: 1, seed: 3 })[0];
    check({ prim: "patches", inputs: [x], params });
    const ctShape = [...windowOutShape(shape, params), ...window];
    const ct = fc.sample(arrayArb(ctShape, dtype), { numRuns: 1, seed: 4 })[0];
    check({ prim: "patches_transpose", inputs: [ct], params: { ...params, inputShape: shape } });
  }
  // bool rows of 20 bytes: a slice keeping 20 of 40 columns.
  const b = fc.sample(arrayArb([5, 40], "bool"), { numRuns: 1, seed: 5 })[0];
  check({ prim: "slice", inputs: [b], params: { start: [0, 3], limit: [5, 23], strides: [1, 1] } });
});

Deno.test("wasm take and the scatters match ref, errors included", async (t) => {
  await t.step("random gathers and scatters", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<DType>("float32", "float64", "int32", "bool"),
        shapeArb(3, 5, 1),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer(),
        (dtype, shape, axisSeed, rawIdx, seed) => {
          const axis = axisSeed % shape.length;
          const idx = host(rawIdx.map((i) => i % shape[axis]), [rawIdx.length], "int32");
          const x = fc.sample(arrayArb(shape, dtype), { numRuns: 1, seed })[0];
          check({ prim: "take", inputs: [x, idx], params: { axis } });
          const uShape = [...shape.slice(0, axis), rawIdx.length, ...shape.slice(axis + 1)];
          const u = fc.sample(arrayArb(uShape, dtype), { numRuns: 1, seed: seed + 1 })[0];
          if (dtype !== "bool") {
            check({ prim: "scatter_add", inputs: [u, idx], params: { axis, shape } });
          }
          for (const prim of ["scatter", "scatter_mul", "scatter_min", "scatter_max"]) {
            check({ prim, inputs: [x, idx, u], params: { axis } });
          }
        },
      ),
      runs(60),
    );
  });

  await t.step("an out-of-range index raises the reference backend's error", () => {
    const x = host([1, 2, 3, 4, 5, 6], [2, 3], "float32");
    const idx = host([0, 3], [2], "int32");
    const messages = [refBackend, wasmBackend].map((b) => {
      try {
        execute(b, { prim: "take", inputs: [x, idx], params: { axis: 1 } });
        return "no error";
      } catch (e) {
        return (e as Error).message;
      }
    });
    assert.match(messages[1], /index 3 is out of bounds for an axis of size 3/);
    assert.equal(messages[1], messages[0]);
  });
});

Deno.test("wasm sort (through the reference kernel) matches ref", () => {
  check({
    prim: "sort",
    inputs: [
      host([3, 1, NaN, 2, -1, 5, 0, 4], [2, 4], "float32"),
      host([0, 1, 2, 3, 4, 5, 6, 7], [2, 4], "int32"),
    ],
    params: { dimension: 1, numKeys: 1 },
  });
});

Deno.test("every primitive that runs on a backend has a wasm case here", () => {
  const covered = new Set([
    ...Object.keys(UNARY),
    "not",
    ...BINARY_INT,
    "pow",
    "atan2",
    "select_n",
    "convert_element_type",
    "xor",
    "shift_left",
    "shift_right_logical",
    "shift_right_arithmetic",
    "bitcast_convert_type",
    "threefry2x32",
    "broadcast_in_dim",
    "transpose",
    "reshape",
    "rev",
    "slice",
    "pad",
    "concatenate",
    "reduce_sum",
    "reduce_prod",
    "reduce_max",
    "reduce_min",
    "argmax",
    "argmin",
    "dot_general",
    "patches",
    "patches_transpose",
    "take",
    "scatter_add",
    "scatter",
    "scatter_mul",
    "scatter_min",
    "scatter_max",
    "sort",
  ]);
  const missing = [...PRIMITIVES.values()].filter((p) => !p.impl && !covered.has(p.name));
  assert.deepEqual(missing.map((p) => p.name), []);
});

Deno.test("the wasm allocator's peak counts the most live bytes at once, until reset", () => {
  const aval = new ShapedArray([1 << 16], "float32");
  const live = wasmMemoryStats({ resetPeak: true }).liveBytes;
  assert.equal(wasmMemoryStats().peakLiveBytes, live);
  const a = wasmBackend.fromHost(new Float32Array(1 << 16), aval);
  const b = wasmBackend.fromHost(new Float32Array(1 << 16), aval);
  wasmBackend.dispose!(a);
  wasmBackend.dispose!(b);
  const s = wasmMemoryStats({ resetPeak: true });
  assert.equal(s.liveBytes, live);
  assert.ok(s.peakLiveBytes >= live + 2 * 4 * (1 << 16), `${s.peakLiveBytes - live}`);
  assert.equal(wasmMemoryStats().peakLiveBytes, live, "reset to the bytes live now");
});

Deno.test("wasm buffers are freed on dispose and shared blocks are counted", () => {
  const aval = new ShapedArray([1000], "float32");
  const before = wasmMemoryStats().liveBlocks;
  const a = wasmBackend.fromHost(new Float32Array(1000).fill(2), aval);
  const reshaped = wasmBackend.execute("reshape", [a], [aval], { shape: [10, 100] }, [
    new ShapedArray([10, 100], "float32"),
  ])[0];
  assert.equal(wasmMemoryStats().liveBlocks, before + 1, "reshape shares the block");
  wasmBackend.dispose!(a);
  wasmBackend.dispose!(a);
  assert.equal(wasmMemoryStats().liveBlocks, before + 1, "the reshape still holds the block");
  assert.deepEqual(
    [...wasmBackend.readSync(reshaped, new ShapedArray([10, 100], "float32"))!.slice(0, 3)],
    [2, 2, 2],
  );
  wasmBackend.dispose!(reshaped);
  assert.equal(wasmMemoryStats().liveBlocks, before);
  const again = wasmBackend.fromHost(new Float32Array(1000), aval);
  assert.equal(wasmMemoryStats().liveBlocks, before + 1);
  const used = wasmMemoryStats().memoryBytes;
  wasmBackend.dispose!(again);
  assert.equal(
    wasmMemoryStats().memoryBytes,
    used,
    "freed blocks are reused, memory does not grow",
  );
});
