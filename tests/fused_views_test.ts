/**
 * Views in fused kernels (kernels/lowering/fusion.ts, lower_kernel.ts): transposes and reversals
 * that keep the innermost axis, and slices, are read in place, through strides and an offset,
 * by the elementwise loop that uses them, instead of copied first. For fixed programs (an LSTM's
 * gate split, a value plus its transpose, transposed and reversed intermediates that are
 * themselves intermediates, slices of slices, views of a broadcast constant, a reduction of a
 * slice, a view returned as is) and random slices, transposes and reversals over random shapes:
 * jitted on wasm they give the bits of the eager kernels (no view is then fused) and no slice,
 * transpose or reversal runs as a kernel of its own; jitted on webgpu they give ref's values.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, jit, nn, numpy as np, toBackend } from "../mod.ts";
import { checkFused as check, type Fn, gpu, seeded } from "./util/fused_against_eager.ts";

if (!gpu) console.warn("fused view tests on webgpu skipped: no WebGPU adapter");

/** The kernel program lines of `f` jitted on wasm for `x` that copy a view as a kernel of its own. */
function viewKernels(f: Fn, x: Array): string[] {
  const program = jit(f, { backend: "wasm" }).lower(x).compiled.program;
  return program.split("\n").filter((l) => / op\(/.test(l) && /=(slice|transpose|rev)\(/.test(l));
}

const gates: Fn = (z) => {
  const [i, f, g, o] = np.split(z, 4, -1);
  return nn.sigmoid(o).mul(
    np.tanh(nn.sigmoid(f).mul(z.shape[1]).add(nn.sigmoid(i).mul(np.tanh(g)))),
  );
};

/** Each case: what it is, the program, the input's shape, whether it sums (not bit-exact). */
const CASES: [string, Fn, number[], boolean?][] = [
  ["the gates of an LSTM step, split from one product", gates, [5, 36]],
  [
    "a transpose of an intermediate keeping its last axis",
    (x) => np.exp(x).transpose([1, 0, 2]).add(x.transpose([1, 0, 2])),
    [3, 3, 7],
  ],
  [
    "a value plus its transpose (the transpose reads memory, not the loop)",
    (x) => {
      const y = np.exp(x);
      return y.add(y.transpose([1, 0, 2]));
    },
    [3, 3, 7],
  ],
  [
    "a transpose of an intermediate, itself an intermediate (never written in place)",
    (x) => np.concatenate([np.exp(x).transpose([1, 0, 2]).add(1), x], 0),
    [3, 3, 7],
  ],
  [
    "a reversal of the outer axes of a slice (negative strides, an offset)",
    (x) => np.flip(np.index(x, np.s(1, 5), np.s(0, 3), np.s(2, 9)), [0, 1]).mul(2),
    [6, 4, 11],
  ],
  [
    "a reversal after a broadcast of an intermediate, itself an intermediate (not in place)",
    (x) =>
      np.concatenate([
        np.flip(np.broadcastTo(np.exp(x), [1, ...x.shape]), 1).add(1),
        x.reshape([1, ...x.shape]),
      ], 0),
    [5, 8],
  ],
  [
    "a slice of a slice, then a transpose of it",
    (x) =>
      np.index(np.index(x, np.s(1, 6), np.s(2, 11)), np.s(1, 4), np.s(1, 8)).transpose([0, 1])
        .mul(2),
    [7, 13],
  ],
  [
    "views of a broadcast constant",
    (x) =>
      np.broadcastTo(np.array(1.5, x.dtype), [4, 3, 5]).transpose([1, 0, 2]).add(
        np.index(x, np.s(0, 3), np.s(0, 4), np.s(0, 5)),
      ),
    [3, 6, 5],
  ],
  ["a reduction of a slice", (x) => np.sum(np.index(x, np.s(1, 5), np.s(3, 9)), -1), [6, 10], true],
  ["a slice returned as it is", (x) => np.index(x, np.s(2, 4), np.s(1, 9)), [5, 9]],
  ["slices of an intermediate read after its storage is reused", (x) => {
    const y = np.tanh(x);
    return np.index(y, np.s(0, 2)).add(np.index(y, np.s(2, 4))).mul(np.index(x, np.s(1, 3)));
  }, [4, 17]],
];

for (const dtype of ["float32", "float64"]) {
  Deno.test(`views are read in place by the loops using them (${dtype})`, async () => {
    for (const [what, f, shape, sums] of CASES) {
      const x = seeded(shape, shape.length * 7 + shape[0], dtype, "ref");
      await check(f, x, `${what}, ${dtype}`, !sums);
      assert.deepEqual(viewKernels(f, toBackend(x, "wasm")), [], what);
    }
  });
}

/** A random chain of a slice, a transpose and a reversal of `x`, then a tanh and an add. */
interface ViewCase {
  shape: number[];
  starts: number[];
  ends: number[];
  swap: boolean;
  flip: boolean;
  seed: number;
}

const viewCases: fc.Arbitrary<ViewCase> = fc.integer({ min: 2, max: 3 }).chain((rank) =>
  fc.record({
    shape: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: rank, maxLength: rank }),
    cuts: fc.array(fc.tuple(fc.nat(8), fc.nat(8)), { minLength: rank, maxLength: rank }),
    swap: fc.boolean(),
    flip: fc.boolean(),
    seed: fc.nat(1 << 20),
  }).map(({ shape, cuts, swap, flip, seed }) => {
    const starts = cuts.map(([a], d) => a % shape[d]);
    const ends = cuts.map(([, b], d) => starts[d] + 1 + (b % (shape[d] - starts[d])));
    return { shape, starts, ends, swap, flip, seed };
  })
);

function viewProgram(c: ViewCase): Fn {
  return (x) => {
    let v = np.index(x, ...c.starts.map((s, d) => np.s(s, c.ends[d])));
    if (c.swap) v = v.transpose([1, 0, ...v.shape.slice(2).map((_, d) => d + 2)]);
    if (c.flip) v = np.flip(v, 0);
    return np.tanh(v).add(v.mul(0.5));
  };
}

Deno.test("random slices, transposes and reversals agree with eager and ref", async () => {
  await fc.assert(
    fc.asyncProperty(viewCases, fc.constantFrom("float32", "float64"), async (c, dtype) => {
      const f = viewProgram(c);
      const x = seeded(c.shape, c.seed, dtype, "ref");
      const what = `${JSON.stringify(c)} ${dtype}`;
      await check(f, x, what);
      // A transpose that moves the last axis (rank 2) is still copied: its loads would not
      // vectorise; every other view is read in place.
      const kept = c.shape.length > 2 || !c.swap;
      if (kept) assert.deepEqual(viewKernels(f, toBackend(x, "wasm")), [], what);
    }),
    { numRuns: 40 },
  );
});
