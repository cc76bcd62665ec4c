/**
 * Eager structural primitives on wasm against ref, bit for bit: random transposes, slices with
 * strides, revs, pads (negative lo and hi, interior), broadcasts and concatenates of random
 * shapes (rank 1 to 6, empty axes, axes of size 1, rows long enough for the wide vector loops
 * and for `memory.copy`) of bool, int32, float32 and float64 (NaN, signed zeros and int32
 * extremes among the values), and the accumulating copies through patches_transpose
 * (overlapping and strided windows); strided copies and accumulations of rank 1 to 8 with any
 * source strides (negative, zero) into any axis order against the index arithmetic; fills of
 * every dtype (NaN, -0, int32 extremes, true, false) and pads with them. Merged copies of rank 3
 * to 6 run the kernels rendered from the kernel IR (kernels/wasm/eager_copies.ts), above that
 * copies of their innermost 6 axes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, ConcreteArray, lax } from "../mod.ts";
import { allocTyped, type DType } from "../core/dtype.ts";
import { oneOpCopy } from "../kernels/lowering/one_op_copy.ts";
import { type StridedLoopKernel, viewStrideTerms } from "../kernels/lowering/sized_kernel.ts";
import { irProblems } from "../kernels/lowering/verify_ir.ts";
import { oneOpFill } from "../kernels/lowering/one_op_fill.ts";
import { ELEMENT_BYTES, wasmRuntime } from "../kernels/wasm/runtime.ts";
import { fill, stridedCopy } from "../kernels/wasm/strided.ts";

const DTYPES: readonly DType[] = ["bool", "int32", "float32", "float64"];

/** A value of `dtype`: small ones and specials. */
function value(dtype: DType): fc.Arbitrary<number> {
  if (dtype === "bool") return fc.constantFrom(0, 1);
  if (dtype === "int32") {
    return fc.oneof(fc.integer({ min: -9, max: 9 }), fc.constantFrom(2 ** 31 - 1, -(2 ** 31)));
  }
  const specials = fc.constantFrom(NaN, 0, -0, Infinity, -Infinity);
  return fc.oneof({ weight: 8, arbitrary: fc.double({ min: -4, max: 4 }) }, {
    weight: 1,
    arbitrary: specials,
  });
}

/** Sizes of one axis: empty, 1, short and long (wide loop) rows. */
const size = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constantFrom(1, 2) },
  { weight: 4, arbitrary: fc.integer({ min: 3, max: 7 }) },
  { weight: 1, arbitrary: fc.integer({ min: 16, max: 40 }) },
);

const shapes = fc.array(size, { minLength: 1, maxLength: 6 }).filter((s) =>
  s.reduce((a, b) => a * b, 1) <= 6000
);

/**
 * An operation on an array of `shape` (and arrays of `others` shapes), drawn at random, and its
 * description.
 */
type Op = { what: string; f: (...xs: Array[]) => Array; others?: number[][] };

/** A random structural primitive applied to an array of `shape`. */
function op(shape: number[]): fc.Arbitrary<Op> {
  const n = shape.length;
  const perAxis = <T>(arb: (d: number) => fc.Arbitrary<T>) =>
    fc.tuple(...shape.map((_, d) => arb(d)));
  const transpose = fc.shuffledSubarray(shape.map((_, d) => d), { minLength: n, maxLength: n })
    .map((perm): Op => ({ what: `transpose ${perm}`, f: (x) => lax.transpose(x, perm) }));
  const slice = perAxis((d) =>
    fc.tuple(
      fc.integer({ min: 0, max: shape[d] }),
      fc.integer({ min: 0, max: shape[d] }),
      fc.integer({ min: 1, max: 3 }),
    )
  ).map((axes): Op => {
    const start = axes.map(([a, b]) => Math.min(a, b)),
      limit = axes.map(([a, b]) => Math.max(a, b));
    const strides = axes.map(([, , s]) => s);
    return {
      what: `slice ${start} ${limit} ${strides}`,
      f: (x) => lax.slice(x, start, limit, strides),
    };
  });
  const rev = fc.subarray(shape.map((_, d) => d)).map((dims): Op => ({
    what: `rev ${dims}`,
    f: (x) => lax.rev(x, dims),
  }));
  const pad = perAxis((d) =>
    fc.tuple(
      fc.integer({ min: -shape[d], max: 3 }),
      fc.integer({ min: -shape[d], max: 3 }),
      fc.integer({ min: 0, max: 2 }),
    )
  ).filter((axes) =>
    axes.every(([lo, hi, i], d) => shape[d] + Math.max(0, shape[d] - 1) * i + lo + hi >= 0)
  ).map((axes): Op => {
    const lo = axes.map(([l]) => l),
      hi = axes.map(([, h]) => h),
      interior = axes.map(([, , i]) => i);
    return { what: `pad ${lo} ${hi} ${interior}`, f: (x) => lax.pad(x, lo, hi, interior, 1) };
  });
  const broadcast = fc.array(fc.constantFrom(1, 3, 17), { maxLength: Math.max(0, 6 - n) }).chain((
    extra,
  ) =>
    fc.shuffledSubarray([...extra, ...shape].map((_, d) => d), {
      minLength: n,
      maxLength: n,
    }).map((dims): Op => {
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
  const concatenate = fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: 20 }))
    .map(([d, k]): Op => {
      const other = shape.map((v, e) => (e === d ? k : v));
      return {
        what: `concatenate along ${d} with ${other}`,
        f: (x, y) => lax.concatenate([x, y], d),
        others: [other],
      };
    });
  return fc.oneof(transpose, slice, rev, pad, broadcast, concatenate);
}

/** The elements of `a` as numbers. */
const host = (a: Array) => [...(a as ConcreteArray).dataSync()].map(Number);

/** Whether `a` and `b` are the same bits (any NaN for any NaN). */
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/** Asserts `f` of `arrays` (data of `dtype` and shapes) is the same on wasm as on ref. */
function check(
  what: string,
  f: (...xs: Array[]) => Array,
  dtype: DType,
  arrays: [number[], number[]][],
) {
  const on = (b: "wasm" | "ref") =>
    arrays.map(([shape, values]) => {
      const data = allocTyped(dtype, values.length);
      data.set(values);
      return ConcreteArray.fromHost(data, shape, dtype, b);
    });
  const got = f(...on("wasm")), want = f(...on("ref"));
  assert.deepEqual(got.shape, want.shape, what);
  const g = host(got), w = host(want);
  w.forEach((v, i) => assert.ok(same(g[i], v), `${what} at ${i}: wasm ${g[i]}, ref ${v}`));
}

const valuesOf = (dtype: DType, shape: number[]) =>
  fc.array(value(dtype), {
    minLength: shape.reduce((a, b) => a * b, 1),
    maxLength: shape.reduce((a, b) => a * b, 1),
  });

Deno.test("eager wasm structural primitives equal ref bit for bit", () => {
  const cases = fc.tuple(fc.constantFrom(...DTYPES), shapes).chain(([dtype, shape]) =>
    fc.record({
      dtype: fc.constant(dtype),
      shape: fc.constant(shape),
      op: op(shape),
      values: valuesOf(dtype, shape),
    }).chain((c) =>
      fc.record({
        ...Object.fromEntries(Object.entries(c).map(([k, v]) => [k, fc.constant(v)])),
        others: fc.tuple(...(c.op.others ?? []).map((s) => valuesOf(dtype, s))),
      }) as fc.Arbitrary<typeof c & { others: number[][] }>
    )
  );
  fc.assert(
    fc.property(cases, ({ dtype, shape, op, values, others }) => {
      const what = `${op.what} of ${dtype} ${JSON.stringify(shape)}`;
      check(what, op.f, dtype, [
        [shape, values],
        ...(op.others ?? []).map((s, i): [number[], number[]] => [s, others[i]]),
      ]);
    }),
    { numRuns: 400 },
  );
});

Deno.test("eager wasm patches_transpose (accumulating copies) equals ref", () => {
  const cases = fc.record({
    dtype: fc.constantFrom<DType>("float32", "float64", "int32"),
    n: fc.integer({ min: 1, max: 4 }),
  }).chain(({ dtype, n }) =>
    fc.record({
      dtype: fc.constant(dtype),
      input: fc.array(fc.integer({ min: 1, max: n === 4 ? 7 : 24 }), {
        minLength: n,
        maxLength: n,
      }),
      window: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: n, maxLength: n }),
      strides: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: n, maxLength: n }),
      dilation: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: n, maxLength: n }),
      padding: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), {
        minLength: n,
        maxLength: n,
      }),
    })
  ).filter((c) =>
    c.input.every((v, d) =>
      v + c.padding[d][0] + c.padding[d][1] >= (c.window[d] - 1) * c.dilation[d] + 1
    )
  ).chain((c) => {
    const p = { window: c.window, strides: c.strides, padding: c.padding, dilation: c.dilation };
    const inputShape = c.input;
    const ctShape = [...lax.windowOutShape(inputShape, p), ...c.window];
    return fc.record({
      c: fc.constant({ ...c, p, inputShape, ctShape }),
      values: valuesOf(c.dtype, ctShape),
    });
  });
  fc.assert(
    fc.property(cases, ({ c, values }) => {
      const what = `patches_transpose of ${c.dtype} ${JSON.stringify(c)}`;
      // Integers and quarters: sums come out the same in any order.
      const v = values.map((x) => (Number.isFinite(x) ? Math.round(x * 4) / 4 : 1));
      check(what, (ct) => lax.patchesTranspose(ct, c.inputShape, c.p), c.dtype, [[c.ctShape, v]]);
    }),
    { numRuns: 150 },
  );
});

Deno.test("a strided copy kernel's strides are its parameters, and the verifier accepts it", () => {
  const k = oneOpCopy("float32", "strided", true);
  assert.deepEqual(irProblems(k), []);
  assert.deepEqual(viewStrideTerms(k, "load", 0), ["s0", "s1", "s2"]);
  assert.deepEqual(viewStrideTerms(k, "load", 1), ["d0", "d1", "d2"]);
  assert.deepEqual(viewStrideTerms(k, "store", 0), ["d0", "d1", "d2"]);
  const c = oneOpCopy("int32", "contiguous", false);
  assert.deepEqual(viewStrideTerms(c, "load", 0), ["s0", "s1", 1]);
  // An accumulation's destination is its input 1, in place; not its source.
  assert.deepEqual(k.inPlace, [1]);
  const wrong: StridedLoopKernel = { ...k, inPlace: [0] };
  assert.deepEqual(irProblems(wrong), ["store 0: not in place of input 0's view"]);
});

/** Values a fill must store bit for bit: NaN, signed zeros, infinities, int32 extremes, bools. */
const FILL_VALUES: Readonly<Record<DType, readonly number[]>> = {
  float32: [NaN, -0, 0, Infinity, -Infinity, 1.5, -3.4e38, 1e-45],
  float64: [NaN, -0, 0, Infinity, -Infinity, 1.5, -Number.MAX_VALUE, 5e-324],
  int32: [0, -1, 2 ** 31 - 1, -(2 ** 31), 7],
  bool: [0, 1],
};

Deno.test("eager wasm fills write every element and their padding, and nothing past it", () => {
  const rt = wasmRuntime();
  const view = (d: DType) =>
    d === "bool"
      ? rt.heap.u8
      : d === "int32"
      ? rt.heap.i32
      : d === "float32"
      ? rt.heap.f32
      : rt.heap.f64;
  for (const dtype of DTYPES) {
    const size = ELEMENT_BYTES[dtype];
    for (const n of [0, 1, 3, 4, 5, 15, 16, 17, 31, 64, 67, 100, 1000]) {
      for (const v of FILL_VALUES[dtype]) {
        const buf = rt.alloc(dtype, n + 64 / size);
        const at = buf.ptr / size, padded = Math.ceil((n * size) / 16) * (16 / size);
        const sentinel = dtype === "bool" ? 7 : dtype === "int32" ? -777 : 1234.5;
        view(dtype).fill(sentinel, at, at + padded + 16 / size);
        fill(rt, dtype, buf, v, n);
        const got = view(dtype).slice(at, at + padded + 16 / size);
        const want = dtype === "float32" ? Math.fround(v) : v;
        got.forEach((g, i) => {
          const w = i < padded ? want : sentinel;
          assert.ok(
            same(Number(g), w),
            `fill of ${dtype} ${v}, ${n} elements, at ${i}: ${g}, not ${w}`,
          );
        });
        rt.dispose(buf);
      }
    }
  }
  assert.deepEqual(irProblems(oneOpFill("float64")), []);
});

Deno.test("eager wasm pads with NaN, -0, int32 extremes, true and false equal ref", () => {
  const cases = fc.constantFrom(...DTYPES).chain((dtype) =>
    fc.record({
      dtype: fc.constant(dtype),
      shape: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }),
      fillValue: fc.constantFrom(...FILL_VALUES[dtype]),
      lo: fc.integer({ min: 0, max: 20 }),
      hi: fc.integer({ min: 0, max: 3 }),
    }).chain((c) => fc.record({ c: fc.constant(c), values: valuesOf(dtype, c.shape) }))
  );
  fc.assert(
    fc.property(cases, ({ c, values }) => {
      const n = c.shape.length;
      const lo = c.shape.map((_, d) => (d === n - 1 ? c.lo : c.hi));
      const hi = c.shape.map(() => c.hi);
      const what = `pad of ${c.dtype} ${JSON.stringify(c)} with ${c.fillValue}`;
      const pad = (x: Array) => lax.pad(x, lo, hi, c.shape.map(() => 0), c.fillValue);
      check(what, pad, c.dtype, [[c.shape, values]]);
    }),
    { numRuns: 200 },
  );
});

/** An axis of a strided copy: its size, its source stride, its place in the destination. */
const axis = (n: fc.Arbitrary<number>) =>
  fc.record({
    n,
    stride: fc.oneof(fc.integer({ min: -9, max: 9 }), fc.constantFrom(1, 1, 0, -1)),
    key: fc.double({ min: 0, max: 1, noNaN: true }),
  });

/**
 * A strided copy's case: a shape, source strides (negative, zero), a destination axis order;
 * ranks 1 to 6, and 7 or 8 of short axes (above the rendered ranks).
 */
const stridedCases = fc.record({
  dtype: fc.constantFrom(...DTYPES),
  accumulate: fc.boolean(),
  axes: fc.oneof(
    fc.array(
      axis(fc.oneof(
        { weight: 1, arbitrary: fc.constant(0) },
        { weight: 2, arbitrary: fc.constantFrom(1, 2) },
        { weight: 4, arbitrary: fc.integer({ min: 3, max: 6 }) },
        { weight: 1, arbitrary: fc.integer({ min: 7, max: 40 }) },
      )),
      { minLength: 1, maxLength: 6 },
    ),
    fc.array(axis(fc.integer({ min: 2, max: 3 })), { minLength: 7, maxLength: 8 }),
  ),
}).filter((c) =>
  c.axes.reduce((p, a) => p * a.n, 1) <= 4000 && !(c.accumulate && c.dtype === "bool")
);

Deno.test("eager wasm strided copies of rank 1 to 8 with any strides equal the index arithmetic", () => {
  const rt = wasmRuntime();
  fc.assert(
    fc.property(stridedCases, fc.integer(), ({ dtype, accumulate, axes }, seed) => {
      const shape = axes.map((a) => a.n), strides = axes.map((a) => a.stride);
      const size = shape.reduce((p, n) => p * n, 1);
      // The source: from the element its lowest index reads, through its highest.
      const offset = axes.reduce((o, a) => o + Math.max(0, -(a.n - 1) * a.stride), 0);
      const span = axes.reduce((o, a) => o + Math.max(0, (a.n - 1) * Math.abs(a.stride)), 0) + 1;
      // The destination: dense, its axes in the order of their keys.
      const order = shape.map((_, d) => d).sort((a, b) => axes[a].key - axes[b].key);
      const dstStrides = shape.map(() => 0);
      order.reduceRight((stride, d) => ((dstStrides[d] = stride), stride * shape[d]), 1);
      const pick = (i: number) => {
        const v = [NaN, -0, 0, 1.5, -2, 2 ** 31 - 1, -(2 ** 31), 3][(i * 7 + seed) & 7];
        if (dtype === "bool") return (i + seed) & 1;
        if (dtype === "int32") return Number.isNaN(v) ? 5 : v | 0;
        return v;
      };
      const src = rt.alloc(dtype, offset + span), dst = rt.alloc(dtype, Math.max(size, 1));
      const from = globalThis.Array.from({ length: offset + span }, (_, i) => pick(i));
      const into = globalThis.Array.from({ length: size }, (_, i) => pick(3 * i + 1));
      rt.view(dtype, src.ptr, offset + span).set(from);
      rt.view(dtype, dst.ptr, size).set(into);
      const want = dtype === "float32"
        ? Float32Array.from(into)
        : [...rt.view(dtype, dst.ptr, size)];
      const index = shape.map(() => 0);
      for (let p = 0; p < size; p++) {
        const s = index.reduce((o, i, d) => o + i * strides[d], offset);
        const t = index.reduce((o, i, d) => o + i * dstStrides[d], 0);
        const v = rt.view(dtype, src.ptr, offset + span)[s] as number;
        want[t] = accumulate ? (dtype === "int32" ? (want[t] + v) | 0 : want[t] + v) : v;
        if (dtype === "float32") want[t] = Math.fround(want[t]);
        for (let d = shape.length - 1; d >= 0 && ++index[d] === shape[d]; d--) index[d] = 0;
      }
      stridedCopy(rt, dtype, shape, { buffer: src, offset, strides }, {
        buffer: dst,
        offset: 0,
        strides: dstStrides,
      }, accumulate);
      const got = [...rt.view(dtype, dst.ptr, size)].map(Number);
      const what = `${accumulate ? "accumulate" : "copy"} of ${dtype} ${JSON.stringify(shape)} ` +
        `strides ${strides} into ${dstStrides}`;
      got.forEach((g, i) =>
        assert.ok(same(g, want[i]), `${what} at ${i}: wasm ${g}, want ${want[i]}`)
      );
      rt.dispose(src);
      rt.dispose(dst);
    }),
    { numRuns: 500 },
  );
});
