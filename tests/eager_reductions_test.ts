/**
 * Eager reductions on wasm against jit and ref: sums, products, maxima and minima (any, all) of
 * every dtype over random shapes and sets of axes (empty axes, axes of size 1, 2-wide windows,
 * rows long enough for the wide vector loops), and NaN, signed zeros and int32 wrapping among
 * the values. Where eager runs a kernel rendered from the kernel IR (kernels/wasm/
 * eager_reductions.ts), and for every reduction whose result does not depend on the order of
 * its values (max, min, int32 sums and products) and float64 sums and products in one pass
 * along columns, eager and jit
 * give the same bits; other float sums and products agree with ref to rounding (float32 ones
 * accumulate in float64 on eager wasm, as on ref).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, ConcreteArray, jit, numpy as np } from "../mod.ts";
import { allocTyped, type DType } from "../core/dtype.ts";
import { oneOpReduction } from "../kernels/lowering/one_op_reduction.ts";
import { type SizedLoopKernel, strideTerms } from "../kernels/lowering/sized_kernel.ts";
import { irProblems } from "../kernels/lowering/verify_ir.ts";

type Reduce = (x: Array, axes: number[]) => Array;

/** The reductions by name, and the dtypes each takes. */
const REDUCTIONS: Record<string, [Reduce, DType[]]> = {
  sum: [(x, a) => np.sum(x, a), ["float32", "float64", "int32"]],
  prod: [(x, a) => np.prod(x, a), ["float32", "float64", "int32"]],
  max: [(x, a) => np.max(x, a), ["float32", "float64", "int32"]],
  min: [(x, a) => np.min(x, a), ["float32", "float64", "int32"]],
  any: [(x, a) => np.any(x, a), ["bool"]],
  all: [(x, a) => np.all(x, a), ["bool"]],
};

/** Whether reduction `name` of `dtype` gives the same bits in any order of its values. */
const orderFree = (name: string, dtype: DType) =>
  name === "max" || name === "min" || name === "any" || name === "all" ||
  ((name === "sum" || name === "prod") && dtype === "int32");

/**
 * A value of `dtype` for reduction `name`: int32 near the wrap; floats with specials, for sums
 * and products only values whose result is the same in any order of the additions (quarters)
 * or multiplications (factors of magnitude 1, 0.5, 0 or infinity, so nothing overflows and an
 * underflow is to 0 in every order).
 */
function value(name: string, dtype: DType): fc.Arbitrary<number> {
  if (dtype === "bool") return fc.constantFrom(0, 1);
  if (dtype === "int32") {
    return fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(2 ** 31 - 1, -(2 ** 31)));
  }
  const specials = fc.constantFrom(NaN, 0, -0, Infinity, -Infinity);
  const usual = name === "prod"
    ? fc.constantFrom(1, -1, 0.5, -0.5)
    : name === "sum"
    ? fc.integer({ min: -16, max: 16 }).map((q) => q / 4)
    : fc.double({ min: -4, max: 4, noNaN: true });
  return fc.oneof({ weight: 8, arbitrary: usual }, { weight: 1, arbitrary: specials });
}

/** Sizes of one axis: empty, 1, the 2 of pooling windows, short and long (wide loops) rows. */
const size = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constantFrom(1, 2) },
  { weight: 4, arbitrary: fc.integer({ min: 3, max: 7 }) },
  { weight: 1, arbitrary: fc.integer({ min: 16, max: 40 }) },
);

/** A reduction case: name, dtype, shape, axes and values. */
const cases = fc.tuple(
  fc.constantFrom(...Object.keys(REDUCTIONS)),
  fc.array(size, { minLength: 1, maxLength: 4 }),
).chain(([name, shape]) =>
  fc.record({
    name: fc.constant(name),
    dtype: fc.constantFrom(...REDUCTIONS[name][1]),
    shape: fc.constant(shape),
    axes: fc.subarray(shape.map((_, d) => d), { minLength: 1 }),
  })
).chain((c) =>
  fc.record({
    ...Object.fromEntries(Object.entries(c).map(([k, v]) => [k, fc.constant(v)])),
    values: fc.array(value(c.name, c.dtype), {
      minLength: c.shape.reduce((a, b) => a * b, 1),
      maxLength: c.shape.reduce((a, b) => a * b, 1),
    }),
  }) as fc.Arbitrary<typeof c & { values: number[] }>
);

/** The elements of `a` as numbers. */
const host = (a: Array) => [...(a as ConcreteArray).dataSync()].map(Number);

/** Whether `a` and `b` are the same bits (any NaN for any NaN). */
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

Deno.test("eager wasm reductions agree with jit wasm (bits, where order-free) and ref", () => {
  fc.assert(
    fc.property(cases, ({ name, dtype, shape, axes, values }) => {
      const [f] = REDUCTIONS[name];
      const data = allocTyped(dtype, values.length);
      data.set(values);
      const on = (b: string) => ConcreteArray.fromHost(data, shape, dtype, b as "wasm");
      const reduce = (x: Array) => f(x, axes);
      const eager = host(reduce(on("wasm")));
      const jitted = host(jit(reduce, { backend: "wasm", compile: "sync" })(on("wasm")));
      const want = host(reduce(on("ref")));
      const what = `${name} of ${dtype} ${JSON.stringify(shape)} over ${JSON.stringify(axes)}`;
      want.forEach((w, i) => {
        const close = (v: number) =>
          same(v, w) || Math.abs(v - w) <= 1e-5 * Math.max(1, Math.abs(w));
        const exact = orderFree(name, dtype);
        assert.ok(
          exact ? same(eager[i], w) : close(eager[i]),
          `${what}: eager ${eager[i]}, ref ${w}`,
        );
        if (exact) {
          assert.ok(same(eager[i], jitted[i]), `${what}: eager ${eager[i]}, jit ${jitted[i]}`);
        }
      });
    }),
    { numRuns: 150 },
  );
});

Deno.test("eager wasm max pooling and long rows and columns agree with jit bit for bit", () => {
  // Shape, axes, and whether the reduction is one pass along columns (where float64 sums and
  // products combine each output's rows in order, as jit and ref).
  const shapes: [number[], number[], boolean][] = [
    [[6, 3, 2, 5, 2], [2, 4], false],
    [[6, 3, 3, 5, 3], [2, 4], false],
    [[9, 8, 6], [1], true],
    [[9, 17, 6], [1], true],
    [[40, 9], [1], false],
    [[7, 300], [1], false],
    [[3, 1037], [1], false],
    [[1037, 3], [0], true],
    [[5, 37, 19], [1], true],
    [[5, 7, 37], [0, 2], false],
    [[4, 3, 70], [1], true],
    [[4, 4, 70], [1], true],
    [[3, 5, 64], [1], true],
    [[2, 15, 130], [1], true],
  ];
  for (const [shape, axes, columns] of shapes) {
    for (const dtype of ["float32", "float64", "int32"] as const) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = allocTyped(dtype, n);
      const scale = dtype === "int32" ? 1 : 7;
      for (let i = 0; i < n; i++) data[i] = (((i * 7919) % 2003) - 1000) / scale;
      if (dtype !== "int32") data[n >> 1] = NaN;
      const all = [["max", np.max], ["min", np.min], ["sum", np.sum], ["prod", np.prod]] as const;
      for (const [name, f] of all) {
        const ordered = name === "sum" || name === "prod";
        if (ordered && !(dtype === "int32" || (dtype === "float64" && columns))) continue;
        const x = ConcreteArray.fromHost(data, shape, dtype, "wasm");
        const reduce = (a: Array) => f(a, axes);
        const eager = host(reduce(x));
        const jitted = host(jit(reduce, { backend: "wasm", compile: "sync" })(x));
        const want = host(reduce(ConcreteArray.fromHost(data, shape, dtype, "ref")));
        const what = `${name} of ${dtype} ${JSON.stringify(shape)} over ${JSON.stringify(axes)}`;
        eager.forEach((v, i) => {
          assert.ok(same(v, jitted[i]), `${what} at ${i}: eager ${v}, jit ${jitted[i]}`);
          assert.ok(same(v, want[i]), `${what} at ${i}: eager ${v}, ref ${want[i]}`);
        });
      }
    }
  }
});

Deno.test("eager wasm any and all along columns and rows agree with jit and ref", () => {
  // Columns of every inner size class (below 4: no vector loop; 4 to 15: fours only; 16 and
  // more: the wide loop's 16 bytes a step), passes just below and at 16 rows (isShortPass), rows.
  const shapes: [number[], number[]][] = [
    [[1037, 3], [0]],
    [[9, 11, 6], [1]],
    [[5, 37, 19], [1]],
    [[9, 11, 53], [1]],
    [[3, 15, 40], [1]],
    [[3, 16, 40], [1]],
    [[64, 70], [0]],
    [[3, 1037], [1]],
    [[6, 9, 3, 20, 3], [2, 4]],
    [[4, 3, 70], [1]],
  ];
  for (const [shape, axes] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    // Mostly false, mostly true, and a few rows or columns all true or all false.
    for (const dense of [0.05, 0.95]) {
      const data = allocTyped("bool", n);
      for (let i = 0; i < n; i++) data[i] = ((i * 7919) % 2003) / 2003 < dense ? 1 : 0;
      for (let i = 0; i < n; i += 97) data[i] = dense < 0.5 ? 0 : 1;
      for (const [name, f] of [["any", np.any], ["all", np.all]] as const) {
        const reduce = (a: Array) => f(a, axes);
        const eager = host(reduce(ConcreteArray.fromHost(data, shape, "bool", "wasm")));
        const x = ConcreteArray.fromHost(data, shape, "bool", "wasm");
        const jitted = host(jit(reduce, { backend: "wasm", compile: "sync" })(x));
        const want = host(reduce(ConcreteArray.fromHost(data, shape, "bool", "ref")));
        const what = `${name} (${dense}) ${JSON.stringify(shape)} over ${JSON.stringify(axes)}`;
        assert.deepEqual(eager, want, `${what}: eager vs ref`);
        assert.deepEqual(eager, jitted, `${what}: eager vs jit`);
      }
    }
  }
});

Deno.test("a sized kernel's strides follow from its sizes, and the verifier checks they can", () => {
  const k = oneOpReduction("max", "float32", "columns");
  assert.deepEqual(irProblems(k), []);
  assert.deepEqual(strideTerms(k, k.loads[0].strides), ["r * inner", "inner", 1]);
  assert.deepEqual(strideTerms(k, k.stores[0].strides), ["inner", 0, 1]);
  const [n] = k.space;
  const strided: SizedLoopKernel = { ...k, loads: [{ input: 0, strides: [n * n * 2, n * 2, 2] }] };
  assert.deepEqual(irProblems(strided), ["load 0: not a dense view"]);
  const outer: SizedLoopKernel = { ...k, sizes: ["outer", "r", "inner"] };
  assert.deepEqual(irProblems(outer), ["sizes: axis 0 runs the range it is given"]);
});

Deno.test("eager wasm float32 sums and products accumulate in float64, as ref", () => {
  // 1 then 4095 copies of 2^-24: in float32 each addition rounds back to 1; in float64 the sum
  // is 1 + 4095 * 2^-24, one float32 rounding from ref's. Products: 4096 factors 1 + 2^-13 and
  // their reciprocals' float32 roundings, whose float32 product drifts.
  const n = 4096;
  const sums = new Float32Array(n).fill(2 ** -24);
  sums[0] = 1;
  const prods = Float32Array.from(
    { length: n },
    (_, i) => (i % 2 ? 1 / (1 + 2 ** -13) : 1 + 2 ** -13),
  );
  for (const [name, f, data] of [["sum", np.sum, sums], ["prod", np.prod, prods]] as const) {
    // As rows ([3, n] along axis 1) and as columns ([n, 3] along axis 0, its rows in order).
    for (const rows of [true, false]) {
      const shape = rows ? [3, n] : [n, 3];
      const values = new Float32Array(3 * n);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < 3; c++) values[rows ? c * n + i : i * 3 + c] = data[i];
      }
      const reduce = (a: Array) => f(a, [rows ? 1 : 0]);
      const eager = host(reduce(ConcreteArray.fromHost(values, shape, "float32", "wasm")));
      const want = host(reduce(ConcreteArray.fromHost(values, shape, "float32", "ref")));
      assert.deepEqual(eager, want, `${name} of float32 ${rows ? "rows" : "columns"}`);
    }
  }
});

/** An index reduction's value of `dtype`: few distinct ones (ties), NaN and signed zeros. */
function indexValue(dtype: DType): fc.Arbitrary<number> {
  if (dtype === "bool") return fc.constantFrom(0, 1);
  if (dtype === "int32") return fc.constantFrom(-3, 0, 2, 2 ** 31 - 1, -(2 ** 31));
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(-1.5, 0.25, 2, -Infinity, Infinity) },
    { weight: 2, arbitrary: fc.constantFrom(0, -0) },
    { weight: 1, arbitrary: fc.constant(NaN) },
  );
}

/** An index reduction case: name, dtype, shape (its axis not empty), axis and values. */
const indexCases = fc.record({
  name: fc.constantFrom("argmax", "argmin"),
  dtype: fc.constantFrom<DType>("float32", "float64", "int32", "bool"),
  shape: fc.array(size, { minLength: 1, maxLength: 4 }),
  axis: fc.nat(3),
}).chain((c) => {
  const axis = c.axis % c.shape.length;
  const shape = c.shape.map((n, d) => (d === axis ? Math.max(n, 1) : n));
  const n = shape.reduce((a, b) => a * b, 1);
  return fc.record({
    name: fc.constant(c.name),
    dtype: fc.constant(c.dtype),
    shape: fc.constant(shape),
    axis: fc.constant(axis),
    values: fc.array(indexValue(c.dtype), { minLength: n, maxLength: n }),
  });
});

/** Argmax or argmin of `x` along `axis`. */
const indexOf = (name: string, x: Array, axis: number) =>
  name === "argmax" ? np.argmax(x, axis) : np.argmin(x, axis);

/** Eager and jit wasm's index reduction `name` of `data` against ref's, element for element. */
function checkIndex(name: string, dtype: DType, shape: number[], axis: number, data: number[]) {
  const values = allocTyped(dtype, data.length);
  values.set(data);
  const on = (b: string) => ConcreteArray.fromHost(values, shape, dtype, b as "wasm");
  const f = (x: Array) => indexOf(name, x, axis);
  const want = host(f(on("ref")));
  const what = `${name} of ${dtype} ${JSON.stringify(shape)} along ${axis}`;
  assert.deepEqual(host(f(on("wasm"))), want, `${what}: eager vs ref`);
  const jitted = host(jit(f, { backend: "wasm", compile: "sync" })(on("wasm")));
  assert.deepEqual(jitted, want, `${what}: jit vs ref`);
}

Deno.test("eager wasm argmax and argmin agree with ref: first NaN, first of ties, -0 ties +0", () => {
  fc.assert(
    fc.property(
      indexCases,
      ({ name, dtype, shape, axis, values }) => checkIndex(name, dtype, shape, axis, values),
    ),
    { numRuns: 150 },
  );
});

Deno.test("eager wasm argmax and argmin of long rows and columns (from the IR) agree with ref", () => {
  // Rows of 256 and more, columns of 16 and more (the passes the IR runs), and just below.
  const shapes: [number[], number][] = [
    [[3, 1037], 1],
    [[4, 256], 1],
    [[4, 255], 1],
    [[300], 0],
    [[1037, 3], 0],
    [[16, 5], 0],
    [[15, 5], 0],
    [[5, 37, 19], 1],
    [[9, 17, 6], 1],
    [[2, 300, 1], 1],
    [[4, 4, 70], 1],
    [[2, 15, 64], 1],
    [[400, 3], 1],
    [[200, 9], 1],
    [[40, 3, 20], 1],
    [[30, 2, 20], 1],
  ];
  for (const [shape, axis] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    for (const dtype of ["float32", "float64", "int32", "bool"] as const) {
      // Ties (few distinct values), signed zeros, and (floats) a NaN in some rows but not all.
      const data = [...new Float64Array(n).keys()].map((i) => {
        const v = ((i * 7919) % 13) - 6;
        return dtype === "bool" ? (v > 3 ? 1 : 0) : v === 0 && i % 2 ? -0 : v;
      });
      if (dtype === "float32" || dtype === "float64") data[n >> 1] = data[n - 1] = NaN;
      for (const name of ["argmax", "argmin"]) checkIndex(name, dtype, shape, axis, data);
    }
  }
});

Deno.test("wasm sums of -0 give +0, as ref (0 + -0): every pass shape, axes of size 1, jit", () => {
  // Rows and columns, short (hand-written) and long (rendered), and sums over axes of size 1
  // only (no pass at all without the rule that adds 0).
  const cases: [number[], number[]][] = [
    [[1], [0]],
    [[1, 3], [0]],
    [[3, 1], [1]],
    [[1, 1], [0, 1]],
    [[2, 1, 5], [1]],
    [[5], [0]],
    [[3, 70], [1]],
    [[4, 70], [0]],
    [[20, 70], [0]],
    [[2, 3], [0]],
    [[8, 3], [0]],
    [[300], [0]],
    [[2, 300, 3], [1]],
  ];
  for (const dtype of ["float32", "float64"] as const) {
    for (const [shape, axes] of cases) {
      const data = allocTyped(dtype, shape.reduce((p, n) => p * n, 1)).fill(-0);
      const reduce = (a: Array) => np.sum(a, axes);
      const x = ConcreteArray.fromHost(data, shape, dtype, "wasm");
      const want = host(reduce(ConcreteArray.fromHost(data, shape, dtype, "ref")));
      for (const [how, got] of [["eager", reduce(x)], ["jit", jit(reduce)(x)]] as const) {
        host(got).forEach((v, i) =>
          assert.ok(
            Object.is(v, want[i]),
            `${how} ${dtype} ${shape} over ${axes}: ${Object.is(v, -0) ? "-0" : v}`,
          )
        );
      }
    }
  }
});
