/**
 * Eager `take` and `scatter_add` on wasm, rendered from the kernel IR's gathered loads and
 * scattered stores (kernels/lowering/one_op_indexing.ts), against ref bit for bit: random shapes
 * and axes (outer 0, inner 0 and 1, long rows for the wide vector loop), every dtype, index
 * arrays that are empty, repeat positions, or hold negative and too large ones (then the same
 * AdjointError as ref), and thread splits of long work. Also the verifier's and the
 * vectoriser's rules on indexed views.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array as Tensor, ConcreteArray, setThreads } from "../mod.ts";
import { allocTyped, type DType } from "../core/dtype.ts";
import { scatterAdd, take } from "../core/primitives/indexing.ts";
import type { LoopKernel } from "../kernels/lowering/kernel_ir.ts";
import { oneOpScatterAdd, oneOpTake } from "../kernels/lowering/one_op_indexing.ts";
import { irProblems } from "../kernels/lowering/verify_ir.ts";
import { planVector } from "../kernels/lowering/vectorize.ts";
import { splittable } from "../kernels/wasm/fused_codegen.ts";
import { EAGER_REDUCTION_VECTOR } from "../kernels/wasm/render_assemblyscript.ts";

const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

/** Values of `dtype`, with NaN, signed zeros, infinities and int32 extremes among them. */
function value(dtype: DType): fc.Arbitrary<number> {
  if (dtype === "bool") return fc.constantFrom(0, 1);
  if (dtype === "int32") {
    return fc.oneof(fc.integer({ min: -9, max: 9 }), fc.constantFrom(2 ** 31 - 1, -(2 ** 31)));
  }
  const specials = fc.constantFrom(NaN, 0, -0, Infinity, -Infinity);
  // Quarters: sums of them are exact in any order, so a scatter-add's bits are its order's.
  const usual = fc.integer({ min: -40, max: 40 }).map((q) => q / 4);
  return fc.oneof({ weight: 8, arbitrary: usual }, { weight: 1, arbitrary: specials });
}

/** Sizes of an axis: empty, 1, short, and long rows (the wide loop runs 16 at a time). */
const size = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constantFrom(1, 2) },
  { weight: 4, arbitrary: fc.integer({ min: 3, max: 7 }) },
  { weight: 1, arbitrary: fc.integer({ min: 16, max: 70 }) },
);

/**
 * Positions into an axis of `n`: mostly in range (repeats likely), sometimes one out of range
 * (negative or at least `n`).
 */
const positions = (n: number, count: number) => {
  const good = n > 0 ? fc.integer({ min: 0, max: n - 1 }) : fc.constant(0);
  const bad = fc.oneof(fc.integer({ min: -3, max: -1 }), fc.integer({ min: n, max: n + 3 }));
  const one = fc.oneof({ weight: 30, arbitrary: good }, { weight: 1, arbitrary: bad });
  return fc.array(one, { minLength: count, maxLength: count });
};

/** A case: dtype, the indexed array's shape, the axis, the indices' shape and values. */
const cases = fc.record({
  dtype: fc.constantFrom(...DTYPES),
  shape: fc.array(size, { minLength: 1, maxLength: 3 }),
  idxShape: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 9 })), { maxLength: 2 }),
}).chain((c) =>
  fc.record({
    dtype: fc.constant(c.dtype),
    shape: fc.constant(c.shape),
    idxShape: fc.constant(c.idxShape),
    axis: fc.integer({ min: 0, max: c.shape.length - 1 }),
  })
).chain((c) =>
  fc.record({
    ...Object.fromEntries(Object.entries(c).map(([k, v]) => [k, fc.constant(v)])),
    idx: positions(c.shape[c.axis], c.idxShape.reduce((a, b) => a * b, 1)),
  }) as fc.Arbitrary<Omit<Case, "values">>
).chain((c) => {
  // As many values as the larger of the operand and the updates needs.
  const n = Math.max(count(c.shape), count(updatesShape({ ...c, values: [] })));
  return fc.array(value(c.dtype), { minLength: n, maxLength: n }).map((values): Case => ({
    ...c,
    values,
  }));
});

interface Case {
  dtype: DType;
  shape: number[];
  idxShape: number[];
  axis: number;
  idx: number[];
  values: number[];
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The shape of a take's result (a scatter-add's updates). */
const updatesShape = (c: Case) => [
  ...c.shape.slice(0, c.axis),
  ...c.idxShape,
  ...c.shape.slice(c.axis + 1),
];

/** The elements of `a` as numbers, NaN and -0 kept (compared with `Object.is`). */
const host = (a: Tensor) => [...(a as ConcreteArray).dataSync()].map(Number);

/** `f`'s elements, or its error's message. */
function outcome(f: () => Tensor): number[] | string {
  try {
    return host(f());
  } catch (e) {
    return (e as Error).message;
  }
}

/** Asserts that `got` and `want` are the same message or the same elements, bit for bit. */
function sameOutcome(got: number[] | string, want: number[] | string, what: string): void {
  if (typeof want === "string" || typeof got === "string") {
    assert.equal(got, want, what);
    return;
  }
  assert.equal(got.length, want.length, what);
  const i = got.findIndex((g, j) => !Object.is(g, want[j]));
  assert.ok(i < 0, `${what}: element ${i} is ${got[i]}, ref ${want[i]}`);
}

/** Host data of `dtype` holding `values`. */
function typed(values: readonly number[], dtype: DType) {
  const a = allocTyped(dtype, values.length);
  a.set(values);
  return a;
}

/** The case's operand on `backend`. */
const operand = (c: Case, shape: number[], backend: "wasm" | "ref") =>
  ConcreteArray.fromHost(typed(c.values.slice(0, count(shape)), c.dtype), shape, c.dtype, backend);

const indices = (c: Case, backend: "wasm" | "ref") =>
  ConcreteArray.fromHost(typed(c.idx, "int32"), c.idxShape, "int32", backend);

/** A case as text for a failure's message, cut short. */
const named = (c: Case) => JSON.stringify(c).slice(0, 400);

/** A case's take on wasm against ref. */
function checkTake(c: Case): void {
  const run = (b: "wasm" | "ref") =>
    outcome(() => take(operand(c, c.shape, b), indices(c, b), c.axis));
  sameOutcome(run("wasm"), run("ref"), `take ${named(c)}`);
}

/** A case's scatter-add on wasm against ref. */
function checkScatterAdd(c: Case): void {
  const run = (b: "wasm" | "ref") =>
    outcome(() => scatterAdd(operand(c, updatesShape(c), b), indices(c, b), c.axis, c.shape));
  sameOutcome(run("wasm"), run("ref"), `scatter_add ${named(c)}`);
}

Deno.test("eager wasm take gives ref's bits, or ref's error for an index out of range", () => {
  fc.assert(fc.property(cases, checkTake), { numRuns: 400 });
});

Deno.test("eager wasm scatter_add gives ref's bits (repeats add in order), or ref's error", () => {
  fc.assert(fc.property(cases, checkScatterAdd), { numRuns: 400 });
});

Deno.test("take and scatter_add: edge shapes and the first bad index named", () => {
  const base = { dtype: "float32" as DType, idxShape: [3] };
  const edge: Case[] = [
    // outer 0: nothing moves and nothing is checked, as ref.
    { ...base, shape: [0, 4, 2], axis: 1, idx: [9, -1, 0], values: [] },
    // inner 0: the indices are checked all the same.
    { ...base, shape: [2, 4, 0], axis: 1, idx: [0, 4, 1], values: [] },
    { ...base, shape: [2, 4, 0], axis: 1, idx: [0, 3, 1], values: [] },
    // An axis of 0: every index is out of range.
    { ...base, shape: [2, 0, 3], axis: 1, idx: [0, 0, 0], values: [] },
    // m 0.
    { ...base, idxShape: [0], shape: [2, 5, 3], axis: 1, idx: [], values: [1, 2, 3, 4, 5, 6] },
    // The first bad one of several, negative and too large.
    { ...base, shape: [3, 2], axis: 0, idx: [1, -2, 7], values: [1, 2, 3, 4, 5, 6] },
    { ...base, shape: [3, 2], axis: 0, idx: [3, -2, 7], values: [1, 2, 3, 4, 5, 6] },
  ];
  for (const c of edge) {
    const n = Math.max(count(c.shape), count(updatesShape(c)));
    const filled = { ...c, values: Array.from({ length: n }, (_, i) => i - 2.5) };
    checkTake(filled);
    checkScatterAdd(filled);
  }
  const x = ConcreteArray.fromHost(typed([1, 2, 3, 4, 5, 6], "float32"), [3, 2], "float32", "wasm");
  const idx = ConcreteArray.fromHost(typed([1, 3, -1], "int32"), [3], "int32", "wasm");
  assert.throws(() => take(x, idx, 0), /take: index 3 is out of bounds for an axis of size 3/);
  const u = ConcreteArray.fromHost(typed([1, 2, 3, 4, 5, 6], "float32"), [3, 2], "float32", "wasm");
  assert.throws(
    () => scatterAdd(u, idx, 0, [3, 2]),
    /scatter_add: index 3 is out of bounds for an axis of size 3/,
  );
});

Deno.test("take and scatter_add split over threads give ref's bits", () => {
  // Rows of 64 bytes (v128 loops; from 128 bytes on a take moves each by memory.copy) and an
  // embedding gradient's rows of 100, [outer, n, inner] long enough to split over outer.
  const rows = (shape: number[], dtype: DType, idx: number[]): Case => ({
    dtype,
    shape,
    idxShape: [idx.length],
    axis: 1,
    idx,
    values: Array.from(
      { length: shape[0] * Math.max(shape[1], idx.length) * shape[2] },
      (_, i) => ((i * 37) % 81) / 4 - 10,
    ),
  });
  const idx = Array.from({ length: 50 }, (_, j) => (j * 7) % 40);
  const bad = (i: number) => [...idx.slice(0, 49), i];
  for (const threads of [1, 2, 4]) {
    setThreads(threads);
    try {
      checkTake(rows([24, 40, 16], "float32", idx));
      checkTake(rows([24, 40, 16], "float32", bad(40)));
      checkScatterAdd(rows([6, 40, 100], "float32", idx));
      checkScatterAdd(rows([6, 40, 100], "float64", bad(-1)));
    } finally {
      setThreads("auto");
    }
  }
});

/** A kernel's rows-shaped take with one field replaced. */
const variant = (k: LoopKernel, change: Partial<LoopKernel>): LoopKernel => ({ ...k, ...change });

Deno.test("the verifier checks indexed views and the out-of-range flag", () => {
  const takeK = oneOpTake("float32", "rows");
  const scatterK = oneOpScatterAdd("float32", "rows");
  assert.deepEqual(irProblems(takeK), []);
  assert.deepEqual(irProblems(scatterK), []);
  const problems = (k: LoopKernel) => irProblems(k).join("; ");
  assert.match(problems(variant(takeK, { outOfRange: undefined })), /without an outOfRange flag/);
  assert.match(problems(variant(takeK, { outOfRange: 0 })), /outOfRange flag 0/);
  const gather = takeK.loads[0].gather!;
  const withGather = (g: typeof gather) =>
    variant(takeK, { loads: [{ ...takeK.loads[0], gather: g }, takeK.loads[1]] });
  assert.match(problems(withGather({ ...gather, axis: 3 })), /indexed axis 3 outside the space/);
  assert.match(problems(withGather({ ...gather, size: 0 })), /indexed axis of 0 positions/);
  assert.match(problems(withGather({ ...gather, index: 0 })), /index load 0 is not/);
  const s = scatterK.stores[0];
  assert.match(
    problems(variant(scatterK, { stores: [{ ...s, reduce: undefined }] })),
    /scattered without accumulating/,
  );
  assert.match(
    problems(variant(takeK, { inputs: ["float32", "float32"] })),
    /index load 1 is not/,
  );
});

Deno.test("no vector step runs along a scattered axis, and no thread split divides one", () => {
  const plan = (k: LoopKernel) => planVector(k, EAGER_REDUCTION_VECTOR);
  // Rows: four lanes along inner, each step at one position.
  assert.equal(plan(oneOpTake("float32", "rows"))?.mode, "lanes");
  assert.equal(plan(oneOpScatterAdd("float32", "rows"))?.stores[0], "lanes");
  // Elements: the positions move along the innermost axis, where repeats would meet.
  assert.equal(plan(oneOpTake("float32", "elements")), null);
  assert.equal(plan(oneOpScatterAdd("float32", "elements")), null);
  const k = oneOpScatterAdd("float32", "rows");
  assert.ok(splittable(k));
  const along0 = variant(k, {
    loads: [k.loads[0], { ...k.loads[1], strides: [1, 0, 0] }],
    stores: [{ ...k.stores[0], scatter: { ...k.stores[0].scatter!, axis: 0 } }],
  });
  assert.ok(!splittable(along0));
});

Deno.test("the verifier bounds a gathered load by its positions, not by the space", () => {
  // A take of 3 positions from an axis of 8: the load reads up to position 7 (stride 2).
  const k: LoopKernel = {
    space: [3, 2],
    inputs: ["float32", "int32"],
    outputs: ["float32", "int32"],
    loads: [{ input: 0, strides: [2, 1], gather: { axis: 0, index: 1, size: 8 } }, {
      input: 1,
      strides: [1, 0],
    }],
    stores: [{ output: 0, value: { kind: "load", dtype: "float32", load: 0 }, strides: [2, 1] }],
    outOfRange: 1,
  };
  assert.deepEqual(irProblems(k), []);
});
