/**
 * Concatenates stored by the loops computing their parts (kernels/lowering/fusion.ts,
 * lower_kernel.ts: a store per part, at its offset), and sums of zero-padded parts joined into
 * concatenates (core/transforms/join_pads.ts: the gradient of a value split into slices, as an
 * LSTM's gates). For fixed programs and random splits of random shapes, with the parts' sizes
 * equal or not, tiling an axis or not: jitted on wasm they give the bits of the eager kernels
 * (which add the pads), and no pad or concatenate is left a kernel of its own where the parts
 * tile an axis and share one loop; jitted on webgpu they give ref's values.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, grad, jit, nn, numpy as np, toBackend } from "../mod.ts";
import { checkFused, type Fn, gpu, seeded } from "./util/fused_against_eager.ts";

if (!gpu) console.warn("fused concatenate tests on webgpu skipped: no WebGPU adapter");

/** The kernel program lines of `f` jitted on wasm for `x` that run a pad or concatenate alone. */
function copyKernels(f: Fn, x: Array): string[] {
  const program = jit(f, { backend: "wasm" }).lower(toBackend(x, "wasm")).compiled.program;
  return program.split("\n").filter((l) => / op\(/.test(l) && /=(pad|concatenate)\(/.test(l));
}

/** The gradient of an LSTM cell's output with respect to its gate matrix `z` (4 gates). */
const gateGrad: Fn = grad((z: Array) => {
  const [i, f, g, o] = np.split(z, 4, -1);
  const c = nn.sigmoid(f).mul(0.5).add(nn.sigmoid(i).mul(np.tanh(g)));
  return np.sum(nn.sigmoid(o).mul(np.tanh(c)));
});

/** Each case: what it is, the program, the input's shape, the copies left (none: absent). */
const CASES: [string, Fn, number[], string[]?][] = [
  ["the gradient of an LSTM cell's gate matrix", gateGrad, [5, 36]],
  [
    "three values of one loop joined along the last axis",
    (x) => np.concatenate([np.tanh(x), x.mul(2), np.exp(x)], -1),
    [3, 9],
  ],
  ["two values of one loop joined along the first axis", (x) => {
    const t = np.tanh(x);
    return np.concatenate([t, t.mul(x)], 0);
  }, [4, 3, 5]],
  [
    "four values joined along a middle axis, one of them twice",
    (x) => {
      const e = np.exp(x);
      return np.concatenate([e, x.add(1), e, np.sin(x)], 1);
    },
    [2, 3, 6],
  ],
  [
    "values of a loop that also reduces, joined before and after the reduction",
    (x) => {
      const t = np.tanh(x), twice = t.mul(2);
      const before = np.concatenate([t, twice], 1);
      const m = np.max(t, -1, true);
      return np.concatenate([twice, t], 1).add(before).add(m);
    },
    [3, 4],
  ],
  [
    "a loop's reduction joined to itself (by a kernel of its own: it is not over the space)",
    (x) => {
      const m = np.max(np.tanh(x), 0);
      return np.concatenate([m, m], 0);
    },
    [3, 4],
    ["concatenate"],
  ],
  [
    "a reduction of a concatenate a loop stores (reduced by a loop of its own)",
    (x) => {
      const t = np.tanh(x);
      return np.max(np.concatenate([t, t.neg()], 0), 1);
    },
    [3, 4],
  ],
  [
    "an empty concatenate, read by the loop's next operation",
    (x) => {
      const t = np.tanh(x);
      return np.concatenate([t, t], 0).add(t);
    },
    [0, 4],
    ["concatenate"],
  ],
  [
    "a zero cotangent part: the sum's +0 is kept (-0 + 0 is +0)",
    grad((x: Array) => {
      const [a, b] = np.split(x, 2, -1);
      return np.sum(a.mul(-0)).add(np.sum(np.tanh(b)));
    }),
    [3, 8],
  ],
  [
    "parts tiling the middle of an axis (a pad around their concatenate, a loop of its own)",
    grad((x: Array) => {
      const a = np.index(x, np.s(), np.s(1, 3)), b = np.index(x, np.s(), np.s(3, 5));
      return np.sum(np.tanh(a)).add(np.sum(b.mul(b)));
    }),
    [4, 7],
  ],
];

for (const dtype of ["float32", "float64"]) {
  Deno.test(`concatenated parts are stored by their loop (${dtype})`, async () => {
    for (const [what, f, shape, copies = []] of CASES) {
      const x = seeded(shape, shape.length * 5 + shape[1], dtype, "ref");
      await checkFused(f, x, `${what}, ${dtype}`);
      const left = copyKernels(f, x).map((l) => l.match(/=(\w+)\(/)![1]);
      assert.deepEqual(left, copies, what);
    }
  });
}

/** A random split of axis `axis` of `shape` into slices, their gradient through a sum. */
interface SplitCase {
  shape: number[];
  axis: number;
  /** Each slice's [start, end) along the axis. */
  cuts: [number, number][];
  seed: number;
}

const splitCases: fc.Arbitrary<SplitCase> = fc.integer({ min: 2, max: 3 }).chain((rank) =>
  fc.record({
    shape: fc.array(fc.integer({ min: 2, max: 8 }), { minLength: rank, maxLength: rank }),
    axis: fc.nat(rank - 1),
    ends: fc.array(fc.nat(8), { minLength: 1, maxLength: 3 }),
    overlap: fc.boolean(),
    seed: fc.nat(1 << 20),
  }).map(({ shape, axis, ends, overlap, seed }) => {
    const n = shape[axis];
    const marks = [...new Set([0, ...ends.map((e) => e % n), n])].sort((a, b) => a - b);
    const cuts = marks.slice(1).map((end, i): [number, number] => [marks[i], end]);
    // Overlapping slices: each one element longer (where it can be), so that no sum tiles.
    if (overlap) cuts.forEach((c) => (c[1] = Math.min(n, c[1] + 1)));
    return { shape, axis, cuts, seed };
  })
);

/** The gradient of a sum of different functions of the slices of `c`. */
function splitGradient(c: SplitCase): Fn {
  const parts = [np.tanh, np.exp, (v: Array) => v.mul(v), (v: Array) => v.mul(-3)];
  return grad((x: Array) =>
    c.cuts.map(([start, end], i) => {
      const at = c.shape.map((_, d) => (d === c.axis ? np.s(start, end) : np.s()));
      return np.sum(parts[i % parts.length](np.index(x, ...at)));
    }).reduce((a, b) => a.add(b))
  );
}

Deno.test("random splits' gradients agree with eager and ref", async () => {
  await fc.assert(
    fc.asyncProperty(splitCases, fc.constantFrom("float32", "float64"), async (c, dtype) => {
      const f = splitGradient(c);
      const x = seeded(c.shape, c.seed, dtype, "ref");
      const what = `${JSON.stringify(c)} ${dtype}`;
      await checkFused(f, x, what);
      const sizes = new Set(c.cuts.map(([s, e]) => e - s));
      const tiles = c.cuts.every(([s], i) => i === 0 ? s === 0 : s === c.cuts[i - 1][1]) &&
        c.cuts[c.cuts.length - 1][1] === c.shape[c.axis];
      if (tiles && sizes.size === 1) assert.deepEqual(copyKernels(f, x), [], what);
    }),
    { numRuns: 40 },
  );
});
