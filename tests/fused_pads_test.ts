/**
 * Pads read in place by the loops using them (core/padded_view.ts, kernels/lowering/fusion.ts:
 * a padded load reads its operand where the point lies within the bounds, the padding value
 * elsewhere; a vector loop runs its fours where the innermost axis is within every load's
 * bounds, the scalar body elsewhere). For fixed programs (padding and cropping outer axes, a
 * shift of an intermediate by a row, the gradient of a difference of shifted rows, a pad of a
 * pad, a view of a pad, a pad of a broadcast constant, pads reading nothing or giving nothing, a
 * pad of a slice, bools and ints, a reduction of a pad, pads along the innermost axis: narrow,
 * wider than a vector on each side, cropping, with outer axes, of a single axis, reduced along
 * and across, of bools) and random pads of random shapes: jitted on wasm they give the bits of
 * the eager kernels, jitted on ref and webgpu ref's values, and no pad runs as a kernel of its
 * own.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, grad, jit, lax, numpy as np, toBackend } from "../mod.ts";
import { checkFused, type Fn, gpu, seeded } from "./util/fused_against_eager.ts";

if (!gpu) console.warn("fused pad tests on webgpu skipped: no WebGPU adapter");

/** The primitives of the kernels of `f` jitted on wasm for `x` that run alone ("op" kernels). */
function opKernels(f: Fn, x: Array): string[] {
  const program = jit(f, { backend: "wasm" }).lower(toBackend(x, "wasm")).compiled.program;
  return program.split("\n").flatMap((l) => l.match(/ op\(.*: v\d+=(\w+)\(/)?.[1] ?? []);
}

/** `lax.pad` of a rank-2 or rank-3 `x` with (lo, hi) per axis, no interior padding. */
const pad = (x: Array, pairs: [number, number][], value = 0) =>
  lax.pad(x, pairs.map((p) => p[0]), pairs.map((p) => p[1]), pairs.map(() => 0), value);

/** Each case: what it is, the program, the input's shape, the op kernels left (none: absent). */
const CASES: [string, Fn, number[], string[]?][] = [
  ["rows padded with 0.5, then a tanh", (x) => np.tanh(pad(x, [[1, 2], [0, 0]], 0.5)), [6, 8]],
  ["rows cropped (negative padding)", (x) => pad(x, [[-2, 1], [0, 0]]).add(1), [6, 8]],
  [
    "the gradient of a difference of shifted rows (two pads added)",
    grad((x: Array) => np.sum(np.tanh(np.index(x, np.s(1)).sub(np.index(x, np.s(undefined, -1)))))),
    [7, 5],
  ],
  [
    "rows shifted by one, the size kept (never written in place)",
    (x) => {
      const shifted = pad(np.tanh(x), [[1, -1], [0, 0]], 0).mul(2);
      return shifted.matmul(np.ones([x.shape[1], 3], x.dtype));
    },
    [6, 8],
  ],
  [
    "a pad of a pad (the inner one written first)",
    (x) => pad(pad(x, [[1, 0], [0, 0]], 1), [[0, 1], [0, 0]], 2).mul(3),
    [4, 6],
  ],
  [
    "a slice of a pad (the pad written first)",
    (x) => np.index(pad(x, [[2, 2], [0, 0]], -1), np.s(1, 7)).mul(2),
    [5, 4],
  ],
  ["a pad of a slice", (x) => pad(np.index(x, np.s(1, 4)), [[2, 0], [0, 0]], 3).add(x), [5, 4]],
  [
    "a reduced pad, then a pad of its slice times it (the pad written first, then read from memory)",
    (x) => {
      const p = pad(x, [[1, 0], [0, 0]], 0);
      const q = pad(np.index(p, np.s(0, -1)), [[1, 0], [0, 0]], 1);
      return np.prod(p, 0).add(p.mul(q));
    },
    [3, 4],
  ],
  [
    "a pad a product reads, then a pad of its slice times it",
    (x) => {
      const p = pad(x, [[2, 0], [0, 0]], 0.5);
      const q = pad(np.index(p, np.s(1)), [[0, 1], [0, 0]], 2);
      return p.matmul(np.ones([x.shape[1], x.shape[1]], x.dtype)).add(p.mul(q));
    },
    [4, 5],
  ],
  [
    "a pad of a broadcast constant",
    (x) => pad(np.broadcastTo(np.array(2, x.dtype), [3, 4]), [[1, 1], [0, 0]], 5).mul(x),
    [5, 4],
  ],
  ["a middle axis of three padded", (x) => np.exp(pad(x, [[0, 0], [3, 1], [0, 0]], -2)), [2, 3, 5]],
  ["a reduction of a pad", (x) => np.sum(pad(x, [[1, 1], [0, 0]], 0.25), 0), [6, 8]],
  ["int32 and bool pads", (x) => {
    const k = np.floor(x.mul(4)).astype("int32");
    const m = pad(x.gt(0), [[1, 0], [0, 0]], 1);
    return np.where(m, pad(k, [[1, 0], [0, 0]], 7).astype(x.dtype), x.mul(0).sum().add(-1));
  }, [5, 8]],
  [
    "a pad of an empty operand, and one cropping all of its operand (their value)",
    (x) => {
      const empty = np.index(x, np.s(2, 2));
      return pad(empty, [[2, 1], [0, 0]], 4).add(pad(x, [[-6, 3], [0, 0]], -1));
    },
    [6, 8],
  ],
  ["a pad to no rows (more cropped than padded)", (x) => pad(x, [[1, -4], [0, 0]]).add(1), [3, 4]],
  ["the innermost axis padded", (x) => pad(x, [[0, 0], [1, 2]]).mul(2), [3, 5]],
  [
    "the innermost axis padded past a vector's width each side, and cropped",
    (x) => np.tanh(pad(x, [[0, 0], [6, 5]], 0.5)).add(pad(x, [[0, 0], [-2, 13]], -1)),
    [3, 21],
  ],
  ["both axes padded", (x) => np.exp(pad(x, [[2, -1], [-3, 7]], 2)), [5, 18]],
  ["one axis, padded (its range split by threads)", (x) => np.tanh(pad(x, [[7, 10]], 1)).mul(2), [
    45,
  ]],
  [
    "a reduction of rows padded along them",
    (x) => np.sum(pad(x, [[0, 0], [5, 6]], 0.25), 1).add(np.max(pad(x, [[0, 0], [-2, 9]], 3), 1)),
    [4, 19],
  ],
  ["bool rows padded along them", (x) => {
    const m = pad(x.gt(0), [[0, 0], [3, 20]], 1);
    return np.where(m, pad(x, [[0, 0], [3, 20]], -2), x.mul(0).sum());
  }, [3, 37]],
];

for (const dtype of ["float32", "float64"]) {
  Deno.test(`pads are read in place by the loops using them (${dtype})`, async () => {
    for (const [what, f, shape, left = []] of CASES) {
      const x = seeded(shape, shape.length * 3 + shape[0], dtype, "ref");
      await checkFused(f, x, `${what}, ${dtype}`, !/reduction|shifted/.test(what));
      assert.deepEqual(opKernels(f, x).filter((p) => p === "pad"), left, what);
    }
  });
}

/** A random pad (per axis, lo and hi in [-2, 3], or in [-6, 9] along the last) of random shape. */
interface PadCase {
  shape: number[];
  pairs: [number, number][];
  value: number;
  seed: number;
}

const padCases: fc.Arbitrary<PadCase> = fc.integer({ min: 2, max: 3 }).chain((rank) =>
  fc.record({
    shape: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: rank - 1, maxLength: rank - 1 })
      .chain((outer) => fc.integer({ min: 1, max: 30 }).map((n) => [...outer, n])),
    pairs: fc.array(fc.tuple(fc.integer({ min: -2, max: 3 }), fc.integer({ min: -2, max: 3 })), {
      minLength: rank - 1,
      maxLength: rank - 1,
    }).chain((outer) =>
      fc.tuple(fc.integer({ min: -6, max: 9 }), fc.integer({ min: -6, max: 9 })).map((
        last,
      ) => [...outer, last])
    ),
    value: fc.constantFrom(0, 1.5, -3),
    seed: fc.nat(1 << 20),
  }).map(({ shape, pairs, value, seed }) => {
    // Crops leave at least nothing (sizes never negative).
    const fitted = pairs.map(([lo, hi], d): [number, number] => {
      const l = Math.max(lo, -shape[d]);
      return [l, Math.max(hi, -(shape[d] + l))];
    });
    return { shape, pairs: fitted, value, seed };
  })
);

Deno.test("random pads agree with eager and ref", async () => {
  await fc.assert(
    fc.asyncProperty(padCases, fc.constantFrom("float32", "float64"), async (c, dtype) => {
      const f: Fn = (x) => {
        const p = pad(x, c.pairs, c.value);
        return np.tanh(p).add(p.mul(0.5));
      };
      const x = seeded(c.shape, c.seed, dtype, "ref");
      const what = `${JSON.stringify(c)} ${dtype}`;
      await checkFused(f, x, what);
      assert.deepEqual(opKernels(f, x).filter((p) => p === "pad"), [], what);
    }),
    { numRuns: 40 },
  );
});
