/**
 * NumPy indexing and JAX's functional updates against a plain-JS model of NumPy's semantics:
 * `np.index` with integers, slices, `null`, `"..."`, integer arrays (broadcast, negative,
 * adjacent or not) and boolean masks, and `x.at(...idx).set/add/mul/min/max/get`, shape and
 * values, in float64 on ref; wasm equals ref, jit equals eager, vmap equals a loop, and
 * gradients of the updates match finite differences. Errors name the entry and the axis.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { AdjointError, type Array, grad, jit, lax, numpy as np, vmap } from "../mod.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { assertClose } from "./util/assert_close.ts";
import { runs } from "./util/arbitraries.ts";
import { f64, hostData, numericJvp } from "./util/finite_diff.ts";

// ---------------------------------------------------------------- the model

/** An index entry of the model: the same kinds np.index takes, with arrays as flat data. */
type ModelEntry =
  | { int: number }
  | { slice: [number | undefined, number | undefined, number | undefined] }
  | { newaxis: true }
  | { ellipsis: true }
  | { ints: number[]; shape: number[] };

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Python's `slice(start, stop, step).indices(n)` as the list of positions. */
function slicePositions(
  n: number,
  [b, e, st]: [number | undefined, number | undefined, number | undefined],
): number[] {
  const step = st ?? 1;
  const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  const start = b === undefined
    ? (step > 0 ? 0 : n - 1)
    : norm(b, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
  const stop = e === undefined
    ? (step > 0 ? n : -1)
    : norm(e, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

function wholeAxes(count: number): ModelEntry[] {
  return globalThis.Array.from(
    { length: count },
    () => ({ slice: [undefined, undefined, undefined] }),
  );
}

function broadcast(shapes: number[][]): number[] {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  return globalThis.Array.from(
    { length: nd },
    (_, d) => Math.max(1, ...shapes.map((s) => s[d - (nd - s.length)] ?? 1)),
  );
}

/** Element of flat `data` of `shape` at `b`, an index into the broadcast shape `to`. */
function atBroadcast(data: number[], shape: number[], to: number[], b: number[]): number {
  let flat = 0;
  shape.forEach((n, d) => (flat = flat * n + (n === 1 ? 0 : b[d + to.length - shape.length])));
  return data[flat];
}

/**
 * NumPy (as JAX) indexing of an array of `shape`: the result shape and, for each result element
 * in row-major order, the flat position of the source element.
 */
function modelIndex(shape: number[], idx: ModelEntry[]): { shape: number[]; source: number[] } {
  const used = idx.filter((e) => !("newaxis" in e) && !("ellipsis" in e)).length;
  let full: ModelEntry[] = idx.flatMap((e) =>
    "ellipsis" in e ? wholeAxes(shape.length - used) : [e]
  );
  if (!idx.some((e) => "ellipsis" in e)) full = [...full, ...wholeAxes(shape.length - used)];
  const advanced = full.some((e) => "ints" in e);
  if (advanced) full = full.map((e) => ("int" in e ? { ints: [e.int], shape: [] } : e));
  const slots = full.flatMap((e, i) => ("ints" in e ? [i] : []));
  const arrays = slots.map((i) => full[i] as { ints: number[]; shape: number[] });
  const bshape = broadcast(arrays.map((a) => a.shape));
  const contiguous = slots.every((s, k) => s === slots[0] + k);
  // Result dims: each a slice / new axis (basic), or the advanced block.
  type Dim = { kind: "basic"; axis: number | null; positions: number[] } | { kind: "adv" };
  const dims: Dim[] = [];
  let axis = 0, placed = false;
  const fixed = new Map<number, number>();
  const advAxes: number[] = [];
  for (const e of full) {
    if ("newaxis" in e) dims.push({ kind: "basic", axis: null, positions: [0] });
    else if ("slice" in e) {
      dims.push({ kind: "basic", axis, positions: slicePositions(shape[axis], e.slice) });
    } else if ("int" in e) fixed.set(axis, e.int < 0 ? e.int + shape[axis] : e.int);
    else {
      advAxes.push(axis);
      if (contiguous && !placed) dims.push({ kind: "adv" }), placed = true;
    }
    if (!("newaxis" in e)) axis++;
  }
  if (advanced && !contiguous) dims.unshift({ kind: "adv" });
  const outShape = dims.flatMap((d) => (d.kind === "adv" ? bshape : [d.positions.length]));
  const strides = shape.map((_, d) => prod(shape.slice(d + 1)));
  const source: number[] = [];
  for (let flat = 0; flat < prod(outShape); flat++) {
    let rem = flat;
    const multi = outShape.map((_, d) => {
      const s = prod(outShape.slice(d + 1));
      const v = Math.floor(rem / s);
      rem %= s;
      return v;
    });
    const src = new globalThis.Array<number>(shape.length).fill(0);
    for (const [a, v] of fixed) src[a] = v;
    let k = 0;
    for (const d of dims) {
      if (d.kind === "adv") {
        const b = multi.slice(k, k + bshape.length);
        advAxes.forEach((a, j) => {
          const v = atBroadcast(arrays[j].ints, arrays[j].shape, bshape, b);
          src[a] = v < 0 ? v + shape[a] : v;
        });
        k += bshape.length;
      } else {
        if (d.axis !== null) src[d.axis] = d.positions[multi[k]];
        k++;
      }
    }
    source.push(src.reduce((acc, v, d) => acc + v * strides[d], 0));
  }
  return { shape: outShape, source };
}

/** The model entry as np.index takes it. */
function toIndex(e: ModelEntry): np.Index {
  if ("int" in e) return e.int;
  if ("slice" in e) return np.s(...e.slice);
  if ("newaxis" in e) return null;
  if ("ellipsis" in e) return "...";
  return np.reshape(np.array(e.ints, "int32"), e.shape);
}

// ---------------------------------------------------------------- generators

const int = (min: number, max: number) => fc.integer({ min, max });

/** A shape and an index of it mixing every kind of entry. */
const indexCase = fc.array(int(1, 4), { minLength: 1, maxLength: 3 }).chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc.array(int(1, 3), { maxLength: 2 }),
    fc.array(fc.constantFrom("int", "slice", "array", "full"), {
      minLength: shape.length,
      maxLength: shape.length,
    }),
    fc.array(fc.integer(), { minLength: 24, maxLength: 24 }),
    int(-1, shape.length),
    int(-1, shape.length + 1),
  )
).map(([shape, bshape, kinds, r, ellipsisAt, newaxisAt]) => {
  let c = 0;
  const next = () => r[c++ % r.length];
  const entries: ModelEntry[] = kinds.map((k, d) => {
    const n = shape[d];
    const pick = (v: number) => ((Math.abs(v) % (2 * n)) - n); // in [-n, n)
    if (k === "int") return { int: pick(next()) };
    if (k === "full") return { slice: [undefined, undefined, undefined] };
    if (k === "slice") {
      const step = [1, 2, -1, -2, 3][Math.abs(next()) % 5];
      return { slice: [pick(next()), Math.abs(next()) % 3 === 0 ? undefined : pick(next()), step] };
    }
    // An array whose shape broadcasts to `bshape`: some leading axes dropped, some set to 1.
    const drop = Math.abs(next()) % (bshape.length + 1);
    const s = bshape.slice(drop).map((m) => (next() % 3 === 0 ? 1 : m));
    return { ints: globalThis.Array.from({ length: prod(s) }, () => pick(next())), shape: s };
  });
  // "..." replaces the run of whole-axis slices ending at `ellipsisAt` (possibly empty).
  if (ellipsisAt >= 0) {
    let end = ellipsisAt;
    while (end < kinds.length && kinds[end] === "full") end++;
    entries.splice(ellipsisAt, end - ellipsisAt, { ellipsis: true });
  }
  if (newaxisAt >= 0) entries.splice(Math.min(newaxisAt, entries.length), 0, { newaxis: true });
  return { shape, entries };
});

function describe(shape: number[], entries: ModelEntry[]): string {
  return `x${JSON.stringify(shape)}[${entries.map((e) => JSON.stringify(e)).join(", ")}]`;
}

const iota = (shape: number[]) =>
  np.reshape(np.arange(prod(shape), undefined, 1, "float64"), shape);

// ---------------------------------------------------------------- np.index against the model

Deno.test("np.index matches the NumPy model in shape and values", () => {
  withDefaultBackend("ref", () =>
    fc.assert(
      fc.property(indexCase, ({ shape, entries }) => {
        const want = modelIndex(shape, entries);
        const got = np.index(iota(shape), ...entries.map(toIndex));
        const what = describe(shape, entries);
        assert.deepEqual(got.shape, want.shape, `${what}: shape`);
        assert.deepEqual([...hostData(got)], want.source, `${what}: values`);
      }),
      runs(300),
    ));
});

Deno.test("np.index places advanced axes as NumPy does", () => {
  const x = iota([2, 3, 4, 5]);
  const cases: [np.Index[], number[]][] = [
    [[[0, 1], [0, 1]], [2, 4, 5]],
    [[np.s(), [0, 1], [0, 1]], [2, 2, 5]],
    [[np.s(), [0, 1], np.s(), [0, 1]], [2, 2, 4]],
    [[0, np.s(), [0, 1]], [2, 3, 5]],
    [[np.s(), 0, [0, 1]], [2, 2, 5]],
    [["...", [[0], [1]], [0, 1, 2]], [2, 3, 2, 3]],
    [[[0, 1], null, [0, 1]], [2, 1, 4, 5]],
    [[null, [1], "...", [2]], [1, 1, 3, 4]],
  ];
  for (const [idx, shape] of cases) {
    assert.deepEqual(np.index(x, ...idx).shape, shape, JSON.stringify(idx));
  }
});

Deno.test("boolean masks select their true elements, one axis or several", () => {
  const x = iota([3, 4]);
  const m = np.greater(x, 6);
  assert.deepEqual(np.index(x, m).toArray(), [7, 8, 9, 10, 11]);
  assert.deepEqual(np.index(x, [true, false, true]).toArray(), [[0, 1, 2, 3], [8, 9, 10, 11]]);
  assert.deepEqual(np.index(x, np.s(), [false, true, false, true]).shape, [3, 2]);
  assert.deepEqual(np.index(x, [true, false, true], [0, 3]).toArray(), [0, 11]);
  assert.deepEqual(np.index(x, np.less(x, 0)).shape, [0]);
});

Deno.test("np.take wraps negative indices as JAX's default mode, and checks the rest", () => {
  const x = np.array([10, 20, 30]);
  assert.deepEqual(np.take(x, [-1, -3, 0]).toArray(), [30, 10, 10]);
  assert.deepEqual(np.take(np.reshape(np.arange(6), [2, 3]), [-1], 1).toArray(), [[2], [5]]);
  assert.deepEqual(jit((i: Array) => np.take(x, i))(np.array([-2, 2], "int32")).toArray(), [
    20,
    30,
  ]);
  assert.throws(() => np.take(x, [-4]), /np\.take: index -4 is out of bounds for axis 0 of size 3/);
  assert.throws(() => np.take(x, [3]), /index 3 is out of bounds/);
});

// ---------------------------------------------------------------- .at() against the model

type Op = "set" | "add" | "mul" | "min" | "max";
const COMBINE: Record<Op, (a: number, u: number) => number> = {
  set: (_, u) => u,
  add: (a, u) => a + u,
  mul: (a, u) => a * u,
  min: Math.min,
  max: Math.max,
};

Deno.test(".at(idx).set/add/mul/min/max/get match the NumPy model, repeats combining in order", () => {
  withDefaultBackend("ref", () =>
    fc.assert(
      fc.property(
        indexCase,
        fc.constantFrom<Op>("set", "add", "mul", "min", "max"),
        fc.boolean(),
        fc.integer(),
        ({ shape, entries }, op, scalarValue, seed) => {
          const sel = modelIndex(shape, entries);
          const vals = globalThis.Array.from({ length: prod(sel.shape) }, (_, i) =>
            ((seed + 7 * i) % 13) - 6);
          const x0 = globalThis.Array.from({ length: prod(shape) }, (_, i) =>
            ((seed * 3 + 5 * i) % 11) - 5);
          const want = [...x0];
          sel.source.forEach((p, i) => (want[p] = COMBINE[op](want[p], scalarValue ? 2 : vals[i])));
          const x = f64(x0, shape);
          const v = scalarValue ? 2 : f64(vals, sel.shape);
          const ref = x.at(...entries.map(toIndex));
          const got = ref[op](v);
          const what = `${describe(shape, entries)}.${op}`;
          assert.deepEqual(got.shape, shape, what);
          assert.deepEqual([...hostData(got)], want, what);
          assert.deepEqual(
            [...hostData(ref.get())],
            sel.source.map((p) =>
              x0[p]
            ),
            `${what} get`,
          );
        },
      ),
      runs(300),
    ));
});

Deno.test(".at() converts values to the array's dtype and broadcasts them", () => {
  const x = np.zeros([2, 3], "int32");
  const y = x.at(np.s(), [0, 2]).set(np.array([7.9, 1], "float32"));
  assert.equal(y.dtype, "int32");
  assert.deepEqual(y.toArray(), [[7, 0, 1], [7, 0, 1]]);
  assert.deepEqual(np.at(np.ones([3]), [0, 0, 0]).mul(2).toArray(), [8, 1, 1]);
  assert.deepEqual(np.ones([3]).at(np.s(-1)).add(np.array([4])).toArray(), [1, 1, 5]);
});

// ---------------------------------------------------------------- backends and transformations

/** Functions of a float array covering the kinds of index and of update. */
const programs: [string, number[], (x: Array) => Array][] = [
  ["gather, two adjacent arrays", [3, 4, 2], (x) => np.index(x, np.s(), [[0, 1], [2, 3]], [1, -1])],
  ["gather, separated arrays", [3, 4, 2], (x) => np.index(x, [0, 2], np.s(1, 3), [1, 0])],
  ["set with a slice and newaxis", [4, 3], (x) => x.at(np.s(1, 3), null, 0).set(np.sin(x).sum())],
  [
    "add with repeats",
    [5, 2],
    (x) => x.at([0, 3, 0, -1]).add(np.multiply(np.index(x, np.s(0, 4)), 2)),
  ],
  ["mul of the operand", [4, 3], (x) => x.at("...", [2, 0, 2]).mul(np.array([1.5, -2, 3]))],
  ["min and max", [6], (x) => x.at([1, 4, 1]).min(np.array([0.3, -0.2, 0.1])).at([0, 0]).max(0.25)],
];

function seeded(shape: readonly number[], seed: number): Array {
  const n = prod(shape);
  return f64(globalThis.Array.from({ length: n }, (_, i) => Math.sin(seed + 1.7 * i) * 2), shape);
}

Deno.test("wasm equals ref, jit equals eager, and jit(grad) equals grad, for indexing and updates", () => {
  for (const [name, shape, f] of programs) {
    const x = seeded(shape, name.length);
    const loss = (y: Array) => np.sum(np.multiply(f(y), f(y)));
    const want = withDefaultBackend("ref", () => [f(x), grad(loss)(x)] as Array[]);
    for (const backend of ["ref", "wasm"]) {
      withDefaultBackend(backend, () => {
        const xb = np.array(x);
        assertClose(f(xb), want[0], { rtol: 1e-13, atol: 1e-13 }, `${name} eager on ${backend}`);
        assertClose(jit(f)(xb), want[0], { rtol: 1e-13, atol: 1e-13 }, `${name} jit on ${backend}`);
        assertClose(grad(loss)(xb), want[1], { rtol: 1e-12, atol: 1e-12 }, `${name} grad`);
        assertClose(
          jit(grad(loss))(xb),
          want[1],
          { rtol: 1e-12, atol: 1e-12 },
          `${name} jit(grad)`,
        );
      });
    }
  }
});

Deno.test("gradients of the updates match central differences", () => {
  withDefaultBackend("ref", () => {
    for (const [name, shape, f] of programs) {
      const x = seeded(shape, name.length + 3);
      const u = seeded(f(x).shape, 11);
      const v = seeded(shape, 5);
      const loss = (y: Array) => np.sum(np.multiply(f(y), u));
      const g = grad(loss)(x) as Array;
      const fd = numericJvp(loss, [x], [v]) as Array;
      assertClose(np.sum(np.multiply(g, v)), fd, { rtol: 1e-7, atol: 1e-8 }, name);
    }
    // With respect to the values: set keeps the last repeat, max shares a tie.
    const at = np.zeros([4], "float64");
    const setGrad = grad((v: Array) => np.sum(np.square(at.at([1, 1, 3]).set(v))));
    assert.deepEqual(setGrad(f64([1, 2, 3], [3])).toArray(), [0, 4, 6]);
    const maxGrad = grad((v: Array) => np.sum(np.ones([4], "float64").at([1, 1, 3]).max(v)));
    assert.deepEqual(maxGrad(f64([3, 3, 0.5], [3])).toArray(), [0.5, 0.5, 0]);
  });
});

Deno.test("vmap of indexing and updates equals a loop", () => {
  withDefaultBackend("ref", () => {
    const xs = seeded([3, 4, 5], 1);
    const idx = np.array([[0, 3], [2, 2], [-1, 1]], "int32");
    const stackOf = (f: (b: number) => Array) => np.stack([0, 1, 2].map(f));
    const cases: [string, Array, Array][] = [
      [
        "batched operand, fixed index",
        vmap((x: Array) => x.at([0, 0, 2], np.s(1, 3)).add(1))(xs),
        stackOf((b) => np.index(xs, b).at([0, 0, 2], np.s(1, 3)).add(1)),
      ],
      [
        "batched index arrays",
        vmap((i: Array) => np.index(np.index(xs, 0), i, i))(idx),
        stackOf((b) => np.index(np.index(xs, 0), np.index(idx, b), np.index(idx, b))),
      ],
      [
        "batched operand and index",
        vmap((x: Array, i: Array) => x.at(i).set(np.index(x, 0)))(xs, idx),
        stackOf((b) => np.index(xs, b).at(np.index(idx, b)).set(np.index(xs, b, 0))),
      ],
      [
        "batched values of a max",
        vmap((v: Array) => np.index(xs, 1).at(np.s(), [4, 0]).max(v), { inAxes: 1 })(
          seeded([2, 3], 9),
        ),
        stackOf((b) =>
          np.index(xs, 1).at(np.s(), [4, 0]).max(np.index(seeded([2, 3], 9), np.s(), b))
        ),
      ],
    ];
    for (const [name, got, want] of cases) assertClose(got, want, { rtol: 0, atol: 0 }, name);
  });
});

// ---------------------------------------------------------------- errors

Deno.test("indexing and update errors name the operation, the entry and the axis", () => {
  const x = np.ones([2, 3]);
  const refuses = (fn: () => unknown, ...patterns: RegExp[]) => {
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof AdjointError, `expected an AdjointError, got ${error}`);
    for (const p of patterns) assert.match(error.message, p);
  };
  refuses(() => np.index(x, 0, 3), /np\.index: index 3 is out of bounds for axis 1 of size 3/);
  refuses(() => x.at(-3).set(0), /index -3 is out of bounds for axis 0 of size 2/);
  refuses(() => x.at([[0, 1]], [0, 1, 2]).get(), /np\.index/, /broadcast/);
  refuses(() => x.at({ begin: 1 } as never).add(1), /only start, stop and step/);
  refuses(() => x.at(0).set(np.ones([2])), /at\(\.\.\.\)\.set: values f32\[2\] do not broadcast/);
  refuses(
    () => jit((m: Array) => x.at(m).set(0))(np.array([true, false], "bool")),
    /boolean mask bool\[2\] whose values are not known/,
  );
  // A traced index out of range is reported when the gather or scatter runs.
  refuses(
    () => jit((i: Array) => np.index(x, i, i))(np.array([1, 5], "int32")),
    /index -1 is out of bounds/,
  );
  refuses(() => jit((i: Array) => x.at(i).add(1))(np.array([4], "int32")), /out of bounds/);
  // As JAX, the product's derivative with respect to the values is refused.
  refuses(
    () => grad((v: Array) => np.sum(x.at([0]).mul(v)))(np.ones([1, 3])),
    /scatter_mul: differentiating with respect to the updates is not supported/,
  );
  refuses(
    () => lax.scatter(x, np.array([0], "int32"), np.ones([2]), 0),
    /scatter: operand f32\[2,3\]/,
  );
});
