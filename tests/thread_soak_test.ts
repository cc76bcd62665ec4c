/**
 * Soak test of the kernel threads: thousands of launches of mixed kernels (gemm split by rows,
 * columns and depth, elementwise kernels, reductions, strided copies and jit-compiled fused
 * kernels, of sizes on both sides of the split thresholds) while a busy process competes for the
 * cores, with pauses that let the workers fall asleep and restarts of the pool in between. Every
 * result is compared bit for bit with one thread's, or, where the split changes the order of a
 * sum (a gemm split by depth), with the first result on the same number of threads.
 */
import assert from "node:assert/strict";
import { SPLIT_PRIMITIVES } from "./util/split_primitives.ts";
import { ShapedArray } from "../core/aval.ts";
import type { DType, TypedArray } from "../core/dtype.ts";
import { wasmBackend } from "../kernels/wasm/backend.ts";
import { wasmRuntime } from "../kernels/wasm/runtime.ts";
import { threadStats } from "../kernels/wasm/thread_pool.ts";
import { threadsSupported } from "../kernels/wasm/threads.ts";
import { type Array, type ConcreteArray, jit, numpy as np, setThreads, toBackend } from "../mod.ts";
import { busyProcess } from "./util/busy_process.ts";

/** One kernel to run again and again: its output bytes, and whether threads keep its order. */
interface SoakCase {
  name: string;
  /** False where threads change the order of a sum: compare with the same thread count. */
  orderKept: boolean;
  run(): Uint8Array;
}

/** A small deterministic generator of floats in [0, 1). */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function filled(dtype: DType, n: number, next: () => number): TypedArray {
  const out = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = next() * 4 - 2;
  return out;
}

function bytesOf(t: TypedArray): Uint8Array {
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength).slice();
}

/** A primitive run eagerly on wasm buffers made once from seeded data. */
function primitiveCase(
  name: string,
  prim: string,
  shapes: number[][],
  params: Record<string, unknown>,
  { dtype = "float32" as DType, orderKept = true } = {},
): SoakCase {
  const next = generator(shapes.flat().reduce((a, b) => a * 31 + b, 7));
  const avals = shapes.map((s) => new ShapedArray(s, dtype));
  const inputs = avals.map((a) => wasmBackend.fromHost(filled(dtype, a.size, next), a));
  const [out] = SPLIT_PRIMITIVES[prim].shape!(avals, params);
  return {
    name,
    orderKept,
    run: () => {
      const [buf] = wasmBackend.execute(prim, inputs, avals, params, [out]);
      const bytes = bytesOf(wasmBackend.readSync(buf, out)!);
      wasmBackend.dispose!(buf);
      return bytes;
    },
  };
}

/** A jitted function (compiled once, synchronously) run on seeded float32 arrays. */
function jitCase(name: string, f: (...xs: Array[]) => Array, shapes: number[][]): SoakCase {
  const next = generator(shapes.flat().reduce((a, b) => a * 17 + b, 3));
  const args = shapes.map((s) =>
    toBackend(np.array(filled("float32", s.reduce((a, b) => a * b, 1), next)).reshape(s), "wasm")
  );
  const g = jit(f, { compile: "sync" });
  return {
    name,
    orderKept: true,
    run: () => {
      const y = g(...args) as ConcreteArray;
      const bytes = bytesOf(y.dataSync());
      y[Symbol.dispose]();
      return bytes;
    },
  };
}

const window5 = {
  window: [1, 1, 5, 5],
  strides: [1, 1, 1, 1],
  padding: [[0, 0], [0, 0], [2, 2], [2, 2]],
  dilation: [1, 1, 1, 1],
};
const matmul = { dims: [[[1], [0]], [[], []]] };

/** The kernels of the soak, at sizes on both sides of their split thresholds. */
function soakCases(): SoakCase[] {
  return [
    // gemm: 2^16 multiply-adds split; rows split from 48 rows on two threads, columns below.
    primitiveCase("gemm 64x32 · 32x32 (at the split threshold)", "dot_general", [[64, 32], [
      32,
      32,
    ]], matmul),
    primitiveCase(
      "gemm 63x32 · 32x32 (just below it)",
      "dot_general",
      [[63, 32], [32, 32]],
      matmul,
    ),
    primitiveCase("gemm 131x77 · 77x53 (rows split)", "dot_general", [[131, 77], [77, 53]], matmul),
    primitiveCase(
      "gemm 10x25 · 25x1001 (columns split)",
      "dot_general",
      [[10, 25], [25, 1001]],
      matmul,
    ),
    primitiveCase("gemm f64 97x61 · 61x89", "dot_general", [[97, 61], [61, 89]], matmul, {
      dtype: "float64",
    }),
    primitiveCase(
      "gemm 10x4096 · 4096x25 (split by depth)",
      "dot_general",
      [[10, 4096], [
        4096,
        25,
      ]],
      matmul,
      { orderKept: false },
    ),
    // elementwise: split from 2^14 elements, on 16-element boundaries.
    primitiveCase("exp of 16383 (one task)", "exp", [[16383]], {}),
    primitiveCase("exp of 16384", "exp", [[16384]], {}),
    primitiveCase("add of 16401 (odd last range)", "add", [[16401], [16401]], {}),
    primitiveCase("lt of 40003 (1-byte output)", "lt", [[40003], [40003]], {}),
    // reductions: rows split over the threads.
    primitiveCase("reduce_sum 2x8192 over the last axis", "reduce_sum", [[2, 8192]], {
      axes: [1],
    }),
    primitiveCase("reduce_sum 64x16x17 over the middle axis", "reduce_sum", [[64, 16, 17]], {
      axes: [1],
    }),
    primitiveCase("reduce_max 67x31x41 over the middle axis", "reduce_max", [[67, 31, 41]], {
      axes: [1],
    }),
    primitiveCase("argmax 301x59 over the last axis", "argmax", [[301, 59]], {
      axis: 1,
      indexDtype: "int32",
    }),
    // strided copies: split along the outer axis where slices write disjoint elements.
    primitiveCase("transpose 16x10x24x24 to NHWC", "transpose", [[16, 10, 24, 24]], {
      permutation: [0, 2, 3, 1],
    }),
    primitiveCase("patches 16x1x28x28, 5x5 windows, padded", "patches", [[16, 1, 28, 28]], window5),
    primitiveCase("col2im to 16x1x28x28 (windows accumulate)", "patches_transpose", [[
      16,
      1,
      28,
      28,
      1,
      1,
      5,
      5,
    ]], { ...window5, inputShape: [16, 1, 28, 28] }),
    // fused kernels split their outermost axis: 2, 3 and 1 ranges, and a one-axis space.
    jitCase("fused 2x40000 exp chain", (x, b) => np.exp(x.mul(b)).mul(2).add(x), [[2, 40000], [
      40000,
    ]]),
    jitCase("fused 3x30011 tanh chain", (x, b) => np.tanh(x.add(b)).mul(x), [[3, 30011], [30011]]),
    jitCase("fused 70001 elements, one axis", (x) => np.maximum(x.mul(3), x.add(1)), [[70001]]),
    jitCase("fused row sums 37x2003", (x) => np.sum(np.exp(x).add(x), 1), [[37, 2003]]),
    jitCase("fused small 7x100 (one task)", (x) => np.sin(x).mul(x), [[7, 100]]),
  ];
}

/** Blocks the calling thread for `ms`: long enough for waiting workers to stop polling. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function assertSameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} bytes, expected ${want.length}`);
  const at = got.findIndex((b, i) => b !== want[i]);
  assert.equal(at, -1, `${what}: byte ${at} is ${got[at]}, expected ${want[at]}`);
}

/**
 * Runs randomly chosen cases on `threads` threads until the pool has made `launches` launches,
 * comparing each result with `one` (one thread) or `same` (the first run on `threads`), with
 * pauses and pool restarts at random.
 */
function soak(
  cases: SoakCase[],
  threads: number,
  launches: number,
  one: Uint8Array[],
): { launches: number; workerTasks: number } {
  const rt = wasmRuntime();
  setThreads(threads);
  const same = cases.map((c) => c.run());
  cases.forEach((c, i) => {
    if (c.orderKept) assertSameBytes(same[i], one[i], `${c.name}, ${threads} threads`);
  });
  const next = generator(threads);
  const start = { ...threadStats };
  // A pool that cannot start its workers runs everything on this thread and counts no launch.
  const runs = 10 * launches;
  for (let run = 0; threadStats.launches - start.launches < launches; run++) {
    assert.ok(
      run < runs,
      `${runs} runs made only ${threadStats.launches - start.launches} launches`,
    );
    const i = Math.floor(next() * cases.length);
    const c = cases[i];
    assertSameBytes(c.run(), c.orderKept ? one[i] : same[i], `${c.name}, run ${run}`);
    const r = next();
    if (r < 0.03) sleep(2);
    else if (r < 0.035) rt.pool!.shutdown();
  }
  return {
    launches: threadStats.launches - start.launches,
    workerTasks: threadStats.workerTasks - start.workerTasks,
  };
}

/**
 * Runs randomly chosen cases `runs` times under `setThreads("auto")` (two cores: the split of two
 * threads, its parts on workers or on this thread as the governor decides), comparing each
 * result with `one` or with the first result on two fixed threads, with pauses and restarts.
 */
function soakAuto(cases: SoakCase[], runs: number, one: Uint8Array[]): void {
  setThreads(2);
  const two = cases.map((c) => c.run());
  setThreads("auto");
  const next = generator(7);
  for (let run = 0; run < runs; run++) {
    const i = Math.floor(next() * cases.length);
    const c = cases[i];
    assertSameBytes(c.run(), c.orderKept ? one[i] : two[i], `${c.name}, auto, run ${run}`);
    const r = next();
    if (r < 0.03) sleep(2);
    else if (r < 0.035) wasmRuntime().pool!.shutdown();
  }
}

const runGranted = Deno.permissions.querySync({ name: "run", command: "deno" }).state ===
  "granted";

Deno.test({
  name: "thousands of mixed kernel launches beside a busy process give the bits of one thread",
  ignore: !threadsSupported() || !runGranted,
  fn: async (t) => {
    const busy = busyProcess();
    try {
      setThreads(1);
      const cases = soakCases();
      const one = cases.map((c) => c.run());
      await t.step("two threads", () => {
        const { launches, workerTasks } = soak(cases, 2, 2000, one);
        assert.equal(workerTasks, launches, "a two-thread launch has one worker task");
      });
      await t.step("three threads: launches of two tasks leave a worker idle", () => {
        const { launches, workerTasks } = soak(cases, 3, 300, one);
        const idle = 2 * launches - workerTasks;
        assert.ok(idle >= 30, `only ${idle} of ${launches} launches left a worker idle`);
      });
      await t.step({
        name: "auto: the governor moves parts between workers and this thread, bits unchanged",
        ignore: navigator.hardwareConcurrency !== 2,
        fn: () => soakAuto(cases, 1500, one),
      });
    } finally {
      busy.kill("SIGKILL");
      await busy.status;
      setThreads("auto");
      wasmRuntime().pool?.shutdown();
    }
  },
});
