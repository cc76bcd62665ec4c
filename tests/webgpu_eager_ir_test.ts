/**
 * Eager structural primitives and reductions on webgpu, each a one-op program of the kernel IR
 * rendered as jitted loop kernels are (kernels/webgpu/one_op.ts), against ref: random
 * transposes, slices with strides, revs, broadcasts, pads (negative lo and hi, interior) and
 * concatenates of up to 10 operands (runs of one shape and of several), sums, products, maxima
 * and minima (any and all) over random sets of axes, and argmax and argmin along random axes,
 * of bool, int32 and float32, with empty axes, axes of size 1 and reduced extents long enough
 * for the workgroup tree.
 *
 * Structural and index results must equal ref's bit for bit (NaN for any NaN), and so must every
 * reduction whose result does not depend on the order of its terms: max, min, any, all (but that
 * a float32 max or min of zeros of both signs may give either: WGSL leaves min(-0, 0) to the
 * implementation, where ref's is -0), int32 sums and products, float32 sums of quarters and
 * products of factors ±1, ±2 and ±0.5 (of at most 40 terms: nothing overflows or underflows).
 * Float32 sums of arbitrary values agree within `1e-5 * |ref| + 1e-6` plus `1e-5` times the sum
 * of the magnitudes of the terms (ref accumulates in float64, webgpu in float32 in another
 * order). Eager and jitted float32 sums, maxima and minima of arbitrary values give the same
 * bits: both run the same loop kernel in the same order (jit's sizes constants, eager's
 * parameters).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, ConcreteArray, initWebGPU, jit, lax, numpy as np } from "../mod.ts";
import { allocTyped, type DType } from "../core/dtype.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { webgpuRuntime } from "../kernels/webgpu/init.ts";
import type { Expr } from "../kernels/lowering/kernel_ir.ts";
import { argReduceKernels } from "../kernels/lowering/one_op_arg_reduce.ts";
import { irProblems } from "../kernels/lowering/verify_ir.ts";

const backend = await initWebGPU();
if (!backend) console.warn("webgpu tests skipped: this runtime has no WebGPU adapter");

/** Registers a test that is ignored, visibly, when there is no adapter. */
function gpuTest(name: string, fn: (t: Deno.TestContext) => Promise<void> | void): void {
  Deno.test({ name, ignore: !backend, fn });
}

const DTYPES: readonly DType[] = ["bool", "int32", "float32"];

/** A value of `dtype`: small ones and specials (NaN, signed zeros, infinities, int32 extremes). */
function value(dtype: DType): fc.Arbitrary<number> {
  if (dtype === "bool") return fc.constantFrom(0, 1);
  if (dtype === "int32") {
    return fc.oneof(fc.integer({ min: -9, max: 9 }), fc.constantFrom(2 ** 31 - 1, -(2 ** 31)));
  }
  const specials = fc.constantFrom(NaN, 0, -0, Infinity, -Infinity);
  return fc.oneof(
    { weight: 8, arbitrary: fc.float({ min: -4, max: 4, noNaN: true }) },
    { weight: 1, arbitrary: specials },
  );
}

/** Sizes of one axis: empty, 1, short and longer rows. */
const size = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constantFrom(1, 2) },
  { weight: 4, arbitrary: fc.integer({ min: 3, max: 7 }) },
  { weight: 1, arbitrary: fc.integer({ min: 16, max: 40 }) },
);

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

const shapes = fc.array(size, { minLength: 1, maxLength: 5 }).filter((s) => count(s) <= 4000);

/** A structural operation on arrays of `shape` (and of `others`' shapes), and its description. */
type Op = { what: string; f: (...xs: Array[]) => Array; others?: number[][] };

/** A random structural primitive applied to an array of `shape`, padding with `fill`. */
function op(shape: number[], fill: number): fc.Arbitrary<Op> {
  const n = shape.length;
  const axes = shape.map((_, d) => d);
  const perAxis = <T>(arb: (d: number) => fc.Arbitrary<T>) =>
    fc.tuple(...shape.map((_, d) => arb(d)));
  const transpose = fc.shuffledSubarray(axes, { minLength: n, maxLength: n })
    .map((perm): Op => ({ what: `transpose ${perm}`, f: (x) => lax.transpose(x, perm) }));
  const slice = perAxis((d) =>
    fc.tuple(
      fc.integer({ min: 0, max: shape[d] }),
      fc.integer({ min: 0, max: shape[d] }),
      fc.integer({ min: 1, max: 3 }),
    )
  ).map((cuts): Op => {
    const start = cuts.map(([a, b]) => Math.min(a, b));
    const limit = cuts.map(([a, b]) => Math.max(a, b));
    const strides = cuts.map(([, , s]) => s);
    return {
      what: `slice ${start} ${limit} ${strides}`,
      f: (x) => lax.slice(x, start, limit, strides),
    };
  });
  const rev = fc.subarray(axes).map((dims): Op => ({
    what: `rev ${dims}`,
    f: (x) => lax.rev(x, dims),
  }));
  const pad = perAxis((d) =>
    fc.tuple(
      fc.integer({ min: -shape[d], max: 3 }),
      fc.integer({ min: -shape[d], max: 3 }),
      fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 })),
    )
  ).filter((p) =>
    p.every(([lo, hi, i], d) => shape[d] + Math.max(0, shape[d] - 1) * i + lo + hi >= 0)
  ).map((p): Op => {
    const lo = p.map(([l]) => l), hi = p.map(([, h]) => h), interior = p.map(([, , i]) => i);
    return {
      what: `pad ${lo} ${hi} ${interior} with ${fill}`,
      f: (x) => lax.pad(x, lo, hi, interior, fill),
    };
  });
  const broadcast = fc.array(fc.constantFrom(1, 3, 17), { maxLength: Math.max(0, 5 - n) })
    .chain((extra) =>
      fc.shuffledSubarray([...extra, ...shape].map((_, d) => d), { minLength: n, maxLength: n })
        .map((dims): Op => {
          const sorted = [...dims].sort((a, b) => a - b);
          const out = [...extra, ...shape].map(() => 0);
          // An axis of size 1 broadcasts to 4 (a stride 0 along a kept axis).
          sorted.forEach((d, i) => (out[d] = shape[i] === 1 ? 4 : shape[i]));
          let e = 0;
          out.forEach((_, d) => {
            if (!sorted.includes(d)) out[d] = extra[e++];
          });
          return {
            what: `broadcast ${out} ${sorted}`,
            f: (x) => lax.broadcastInDim(x, out, sorted),
          };
        })
    );
  // Up to 10 operands: runs of one shape longer than a kernel's bindings, and unequal parts.
  const concatenate = fc.integer({ min: 0, max: n - 1 }).chain((d) =>
    fc.array(fc.oneof(fc.constant(shape[d]), fc.integer({ min: 0, max: 9 })), { maxLength: 9 })
      .map((lengths) => [d, lengths] as const)
  ).map(([d, lengths]): Op => {
    const others = lengths.map((k) => shape.map((v, e) => (e === d ? k : v)));
    return {
      what: `concatenate along ${d} with ${others.map((s) => `[${s}]`).join(" ")}`,
      f: (...xs) => lax.concatenate(xs, d),
      others,
    };
  });
  return fc.oneof(transpose, slice, rev, pad, broadcast, concatenate);
}

/** Whether `a` and `b` are the same bits (any NaN for any NaN). */
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/** Arrays of `dtype` on backend `b`, from shapes and values. */
const arraysOn = (b: string, dtype: DType, arrays: readonly [number[], number[]][]) =>
  arrays.map(([shape, values]) => {
    const data = allocTyped(dtype, values.length);
    data.set(values);
    return ConcreteArray.fromHost(data, shape, dtype, b);
  });

/**
 * `f` of `arrays` (of `dtype`) on webgpu and on ref, as numbers, after checking they have one
 * shape and dtype.
 */
async function both(
  what: string,
  f: (...xs: Array[]) => Array,
  dtype: DType,
  arrays: readonly [number[], number[]][],
): Promise<{ got: number[]; want: number[] }> {
  const want = withDefaultBackend("ref", () => f(...arraysOn("ref", dtype, arrays)));
  const got = withDefaultBackend("webgpu", () => f(...arraysOn("webgpu", dtype, arrays)));
  assert.deepEqual(got.shape, want.shape, what);
  assert.equal(got.dtype, want.dtype, what);
  return {
    got: [...await got.read()].map(Number),
    want: [...(want as ConcreteArray).dataSync()].map(Number),
  };
}

/**
 * Asserts `f` of `arrays` is the same bits on webgpu as on ref (with `anyZero`, 0 matching -0
 * as well).
 */
async function checkExact(
  what: string,
  f: (...xs: Array[]) => Array,
  dtype: DType,
  arrays: readonly [number[], number[]][],
  anyZero = false,
): Promise<void> {
  const { got, want } = await both(what, f, dtype, arrays);
  want.forEach((w, i) =>
    assert.ok(
      same(got[i], w) || (anyZero && got[i] === 0 && w === 0),
      `${what} at ${i}: webgpu ${Object.is(got[i], -0) ? "-0" : got[i]}, ref ${
        Object.is(w, -0) ? "-0" : w
      }`,
    )
  );
}

const valuesOf = (arb: fc.Arbitrary<number>, shape: readonly number[]) =>
  fc.array(arb, { minLength: count(shape), maxLength: count(shape) });

/** Cases drawn from `arb` (a record), then each case's values from `values`. */
const withValues = <C extends object>(
  arb: fc.Arbitrary<C>,
  values: (c: C) => fc.Arbitrary<number[][]>,
): fc.Arbitrary<C & { values: number[][] }> =>
  arb.chain((c) => values(c).map((v) => ({ ...c, values: v })));

gpuTest("eager webgpu structural primitives equal ref bit for bit", async () => {
  const cases = withValues(
    fc.tuple(fc.constantFrom(...DTYPES), shapes).chain(([dtype, shape]) =>
      value(dtype).chain((fill) => op(shape, fill).map((o) => ({ dtype, shape, op: o })))
    ),
    ({ dtype, shape, op }) =>
      fc.tuple(...[shape, ...(op.others ?? [])].map((s) => valuesOf(value(dtype), s))),
  );
  await fc.assert(
    fc.asyncProperty(cases, async ({ dtype, shape, op, values }) => {
      const shapesOf = [shape, ...(op.others ?? [])];
      await checkExact(
        `${op.what} of ${dtype} ${JSON.stringify(shape)}`,
        op.f,
        dtype,
        shapesOf.map((s, i): [number[], number[]] => [s, values[i]]),
      );
    }),
    { numRuns: 250 },
  );
});

/** The reductions by name, with the dtypes each takes. */
const REDUCTIONS: Record<string, [(x: Array, axes: number[]) => Array, DType[]]> = {
  sum: [lax.reduceSum, ["int32", "float32"]],
  prod: [lax.reduceProd, ["int32", "float32"]],
  max: [lax.reduceMax, [...DTYPES]],
  min: [lax.reduceMin, [...DTYPES]],
};

/**
 * Values of `dtype` whose reduction `name` gives the same bits in every order: for float32
 * sums quarters, for products factors ±1, ±2 and ±0.5, with the specials.
 */
function orderFreeValue(name: string, dtype: DType): fc.Arbitrary<number> {
  if (dtype !== "float32" || name === "max" || name === "min") return value(dtype);
  const usual = name === "prod"
    ? fc.constantFrom(1, -1, 2, -2, 0.5, -0.5)
    : fc.integer({ min: -16, max: 16 }).map((q) => q / 4);
  const specials = fc.constantFrom(NaN, 0, -0, Infinity, -Infinity);
  return fc.oneof({ weight: 12, arbitrary: usual }, { weight: 1, arbitrary: specials });
}

/** Sizes of a reduced axis: as `size`, and long ones (a workgroup tree past 128 terms). */
const reducedSize = fc.oneof(
  { weight: 6, arbitrary: size },
  { weight: 1, arbitrary: fc.integer({ min: 129, max: 700 }) },
);

/** A reduction case: name, dtype, shape and axes. */
const reductions = fc.constantFrom(...Object.keys(REDUCTIONS)).chain((name) =>
  fc.record({
    name: fc.constant(name),
    dtype: fc.constantFrom(...REDUCTIONS[name][1]),
    shape: fc.array(reducedSize, { minLength: 1, maxLength: 4 }).filter((s) =>
      count(s) <= (name === "prod" ? 40 : 6000)
    ),
  }).chain((c) => fc.subarray(c.shape.map((_, d) => d)).map((axes) => ({ ...c, axes })))
);

gpuTest("eager webgpu reductions equal ref bit for bit where the order cannot matter", async () => {
  const cases = withValues(
    reductions,
    ({ name, dtype, shape }) => fc.tuple(valuesOf(orderFreeValue(name, dtype), shape)),
  );
  await fc.assert(
    fc.asyncProperty(cases, async ({ name, dtype, shape, axes, values }) => {
      const f = (x: Array) => REDUCTIONS[name][0](x, axes);
      // WGSL leaves which zero min(-0, 0) and max(-0, 0) give to the implementation.
      const anyZero = dtype === "float32" && (name === "max" || name === "min");
      await checkExact(
        `${name} of ${dtype} ${JSON.stringify(shape)} over ${axes}`,
        f,
        dtype,
        [[shape, values[0]]],
        anyZero,
      );
    }),
    { numRuns: 250 },
  );
});

gpuTest("eager webgpu argmax and argmin equal ref", async () => {
  const cases = withValues(
    fc.record({
      name: fc.constantFrom("argmax", "argmin"),
      dtype: fc.constantFrom(...DTYPES),
      shape: fc.array(reducedSize.filter((n) => n > 0), { minLength: 1, maxLength: 4 }).filter((
        s,
      ) => count(s) <= 6000),
    }).chain((c) => fc.nat(c.shape.length - 1).map((axis) => ({ ...c, axis }))),
    // Few distinct values, so that ties (0 and -0 among them) and repeated NaNs are common.
    ({ dtype, shape }) =>
      fc.tuple(valuesOf(
        dtype === "float32"
          ? fc.constantFrom(NaN, 0, -0, 1, -1, Infinity, -Infinity)
          : value(dtype),
        shape,
      )),
  );
  await fc.assert(
    fc.asyncProperty(cases, async ({ name, dtype, shape, axis, values }) => {
      const f = (x: Array) => (name === "argmax" ? lax.argmax(x, axis) : lax.argmin(x, axis));
      await checkExact(`${name} of ${dtype} ${JSON.stringify(shape)} along ${axis}`, f, dtype, [
        [shape, values[0]],
      ]);
    }),
    { numRuns: 200 },
  );
});

gpuTest("eager webgpu float32 sums agree with ref within rounding", async () => {
  const cases = withValues(
    reductions.filter((c) => c.dtype === "float32").map((c) => ({ ...c, name: "sum" })),
    ({ shape }) => fc.tuple(valuesOf(fc.float({ min: -4, max: 4, noNaN: true }), shape)),
  );
  await fc.assert(
    fc.asyncProperty(cases, async ({ shape, axes, values }) => {
      const what = `sum of float32 ${JSON.stringify(shape)} over ${axes}`;
      const data: [number[], number[]][] = [[shape, values[0]]];
      const { got, want } = await both(what, (x) => lax.reduceSum(x, axes), "float32", data);
      const magnitudes = await both(
        what,
        (x) => lax.reduceSum(np.abs(x), axes),
        "float32",
        data,
      );
      want.forEach((w, i) => {
        const bound = 1e-5 * Math.abs(w) + 1e-6 + 1e-5 * magnitudes.want[i];
        assert.ok(Math.abs(got[i] - w) <= bound, `${what} at ${i}: webgpu ${got[i]}, ref ${w}`);
      });
    }),
    { numRuns: 100 },
  );
});

gpuTest(
  "eager and jitted webgpu reductions give the same bits: one loop kernel, one order",
  async () => {
    const cases = withValues(
      // Over more than one term: jit rewrites a reduction of one term into a reshape, which
      // keeps a -0 that adding it to the identity (eager, ref) makes 0.
      reductions.filter((c) =>
        c.dtype === "float32" && c.name !== "prod" && count(c.axes.map((d) => c.shape[d])) > 1
      ),
      ({ shape }) => fc.tuple(valuesOf(fc.float({ min: -4, max: 4, noNaN: true }), shape)),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ name, shape, axes, values }) => {
        const what = `${name} of float32 ${JSON.stringify(shape)} over ${axes}`;
        const f = (x: Array) => REDUCTIONS[name][0](x, axes);
        const [x] = arraysOn("webgpu", "float32", [[shape, values[0]]]);
        const eager = withDefaultBackend("webgpu", () => f(x));
        const jitted = jit(f, { backend: "webgpu" })(x) as Array;
        const [e, j] = [await eager.read(), await jitted.read()];
        e.forEach((v, i) =>
          assert.ok(Object.is(v, j[i]), `${what} at ${i}: eager ${v}, jit ${j[i]}`)
        );
      }),
      { numRuns: 60 },
    );
  },
);

gpuTest("eager webgpu one-op kernels: one pipeline serves every shape of one structure", () => {
  const rt = webgpuRuntime()!;
  const run = (shape: number[]) =>
    withDefaultBackend("webgpu", () => {
      const x = ConcreteArray.fromHost(new Float32Array(count(shape)), shape, "float32", "webgpu");
      using _t = lax.transpose(x, [1, 0]) as ConcreteArray;
      using _s = lax.reduceSum(x, [1]) as ConcreteArray;
      using _p = lax.pad(x, [1, -1], [2, 0], [0, 0], 3) as ConcreteArray;
      using _a = lax.argmax(x, 1) as ConcreteArray;
    });
  run([5, 6]);
  const pipelines = rt.pipelineCount;
  run([7, 3]);
  run([2, 9]);
  assert.equal(rt.pipelineCount, pipelines, "a shape of the same structure compiled anew");
});

Deno.test("the verifier refuses an index node along an axis the space does not have", () => {
  const k = argReduceKernels("argmin", "int32", [3, 4], 1)[1];
  assert.deepEqual(irProblems(k), []);
  const value: Expr = { kind: "index", dtype: "int32", axis: 2 };
  const wrong = { ...k, stores: [{ ...k.stores[0], value }] };
  assert.deepEqual(irProblems(wrong), ["index node: no axis 2 in a space of rank 2"]);
});
