/**
 * Kernel threads of the wasm backend: gemm split over two threads equals gemm on one thread and
 * the reference backend, and so do jit-compiled fused kernels; `setThreads(1)` keeps everything
 * on the calling thread; the fallback module (unshared memory) runs; and a program that used
 * threads exits on its own.
 */
import assert from "node:assert/strict";
import { SPLIT_PRIMITIVES } from "./util/split_primitives.ts";
import { ShapedArray } from "../core/aval.ts";
import type { Backend } from "../core/backend.ts";
import type { DType, TypedArray } from "../core/dtype.ts";
import { type DotDims, dotGeneralP } from "../core/primitives/dot_general.ts";
import { outerSplit } from "../kernels/wasm/strided.ts";
import { depthSplit, tileSplit } from "../kernels/wasm/contraction.ts";
import { PARALLEL_MIN, splitRange } from "../kernels/wasm/split.ts";
import { refBackend } from "../kernels/ref/backend.ts";
import { wasmBackend } from "../kernels/wasm/backend.ts";
import { LinearMemory } from "../kernels/wasm/memory.ts";
import { unshareMemoryImport } from "../kernels/wasm/memory_import.ts";
import { KERNELS_WASM_BASE64 } from "../kernels/wasm/prebuilt.ts";
import { wasmRuntime } from "../kernels/wasm/runtime.ts";
import { threadStats } from "../kernels/wasm/thread_pool.ts";
import { threadsSupported } from "../kernels/wasm/threads.ts";
import { contentHash } from "../kernels/wasm/compiler.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { jitCallCounts } from "../kernels/wasm/jit_executor.ts";
import {
  AdjointError,
  type Array,
  type ConcreteArray,
  jit,
  numpy as np,
  setThreads,
  toBackend,
} from "../mod.ts";
import { busyProcess } from "./util/busy_process.ts";

/** One dot_general: operand shapes, dimension numbers, dtype. */
interface DotCase {
  name: string;
  x: number[];
  y: number[];
  dims: DotDims;
  dtype: DType;
}

const CASES: DotCase[] = [
  {
    name: "f32 131x77 · 77x53",
    x: [131, 77],
    y: [77, 53],
    dims: [[[1], [0]], [[], []]],
    dtype: "float32",
  },
  {
    name: "f64 97x61 · 61x89",
    x: [97, 61],
    y: [61, 89],
    dims: [[[1], [0]], [[], []]],
    dtype: "float64",
  },
  {
    name: "f32 transposed A (77x131)ᵀ · 77x53",
    x: [77, 131],
    y: [77, 53],
    dims: [[[0], [0]], [[], []]],
    dtype: "float32",
  },
  {
    name: "f32 batched 3x71x45 · 3x45x29",
    x: [3, 71, 45],
    y: [3, 45, 29],
    dims: [[[2], [1]], [[0], [0]]],
    dtype: "float32",
  },
  {
    name: "f32 few rows 10x25 · 25x1001 (columns split)",
    x: [10, 25],
    y: [25, 1001],
    dims: [[[1], [0]], [[], []]],
    dtype: "float32",
  },
  {
    name: "f64 batched few rows 2x7x30 · 2x30x301 (columns split)",
    x: [2, 7, 30],
    y: [2, 30, 301],
    dims: [[[2], [1]], [[0], [0]]],
    dtype: "float64",
  },
  {
    name: "f32 deep 67x301 · 301x41 (two k blocks)",
    x: [67, 301],
    y: [301, 41],
    dims: [[[1], [0]], [[], []]],
    dtype: "float32",
  },
];

function filled(dtype: DType, n: number, seed: number): TypedArray {
  const out = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(seed * 1000 + i * 0.37) * 2;
  return out;
}

function dot(backend: Backend, c: DotCase): TypedArray {
  const avals = [new ShapedArray(c.x, c.dtype), new ShapedArray(c.y, c.dtype)];
  const params = { dims: c.dims };
  const [outAval] = dotGeneralP.shape(avals, params);
  const bufs = avals.map((a, i) => backend.fromHost(filled(c.dtype, a.size, i + 1), a));
  const [out] = backend.execute("dot_general", bufs, avals, params, [outAval]);
  const host = backend.readSync(out, outAval)!;
  for (const b of [...bufs, out]) backend.dispose?.(b);
  return host;
}

function assertNear(got: TypedArray, want: TypedArray, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: sizes differ`);
  for (let i = 0; i < got.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i]));
    assert.ok(ok, `${what}: element ${i}: ${got[i]} vs ${want[i]}`);
  }
}

Deno.test({
  name: "wasm gemm on two threads equals one thread and ref",
  ignore: !threadsSupported(),
  fn: async (t) => {
    try {
      for (const c of CASES) {
        await t.step(c.name, () => {
          const tol = c.dtype === "float64" ? 1e-12 : 2e-5;
          const ref = dot(refBackend, c);
          setThreads(1);
          const one = dot(wasmBackend, c);
          setThreads(2);
          const before = threadStats.workerTasks;
          const two = dot(wasmBackend, c);
          assert.ok(threadStats.workerTasks > before, "the gemm ran no task on a worker thread");
          // Row ranges change no element's arithmetic: one and two threads agree exactly.
          assert.deepEqual(two, one);
          assertNear(two, ref, tol, "two threads vs ref");
        });
      }
    } finally {
      setThreads("auto");
      wasmRuntime().pool?.shutdown();
    }
  },
});

/** Runs one primitive on `backend` over filled float32 operands of `shapes`. */
function run(backend: Backend, prim: string, shapes: number[][], params: Record<string, unknown>) {
  const avals = shapes.map((s) => new ShapedArray(s, "float32"));
  const bufs = avals.map((a, i) => backend.fromHost(filled("float32", a.size, i + 3), a));
  const [outAval] = SPLIT_PRIMITIVES[prim].shape!(avals, params);
  const [out] = backend.execute(prim, bufs, avals, params, [outAval]);
  const host = backend.readSync(out, outAval)!;
  for (const b of [...bufs, out]) backend.dispose?.(b);
  return host;
}

Deno.test({
  name: "wasm copies, elementwise kernels and reductions split over threads equal one thread",
  ignore: !threadsSupported(),
  fn: async (t) => {
    const window = {
      window: [1, 1, 5, 5],
      strides: [1, 1, 1, 1],
      padding: [[0, 0], [0, 0], [0, 0], [0, 0]],
      dilation: [1, 1, 1, 1],
    };
    const copies: [string, string, number[][], Record<string, unknown>][] = [
      ["transpose 64x10x24x24 to NHWC", "transpose", [[64, 10, 24, 24]], {
        permutation: [0, 2, 3, 1],
      }],
      ["patches of 64x1x28x28 (5x5)", "patches", [[64, 1, 28, 28]], window],
      ["col2im to 64x1x28x28 (overlapping windows accumulate)", "patches_transpose", [[
        64,
        1,
        24,
        24,
        1,
        1,
        5,
        5,
      ]], { ...window, inputShape: [64, 1, 28, 28] }],
    ];
    const big = [301, 307];
    const kernels: typeof copies = [
      ["exp of 301x307 (odd length: ranges end on vector boundaries)", "exp", [big], {}],
      ["add", "add", [big, big], {}],
      ["lt (4-byte inputs, 1-byte output)", "lt", [big, big], {}],
      ["reduce_sum over the last axis", "reduce_sum", [big], { axes: [1] }],
      ["reduce_max over the middle axis", "reduce_max", [[67, 31, 41]], { axes: [1] }],
      ["reduce_max over the last axis (rows of the IR kernel)", "reduce_max", [big], { axes: [1] }],
      ["argmax over the last axis", "argmax", [big], { axis: 1, indexDtype: "int32" }],
      ["float32 sum over the middle axis (a float64 scratch per task)", "reduce_sum", [[
        600,
        31,
        41,
      ]], { axes: [1] }],
      ["argmax over the middle axis", "argmax", [[67, 31, 41]], { axis: 1, indexDtype: "int32" }],
    ];
    try {
      for (const [name, prim, shapes, params] of [...copies, ...kernels]) {
        await t.step(name, () => {
          setThreads(1);
          const one = run(wasmBackend, prim, shapes, params);
          setThreads(2);
          const before = threadStats.workerTasks;
          const two = run(wasmBackend, prim, shapes, params);
          assert.ok(threadStats.workerTasks > before, "no task ran on a worker thread");
          assert.deepEqual(two, one);
          assertNear(two, run(refBackend, prim, shapes, params), 1e-6, "two threads vs ref");
        });
      }
    } finally {
      setThreads("auto");
      wasmRuntime().pool?.shutdown();
    }
  },
});

const runGranted = Deno.permissions.querySync({ name: "run", command: "deno" }).state ===
  "granted";

Deno.test({
  name: "restarting the kernel threads never runs a task twice or on a stopped worker",
  ignore: !threadsSupported(),
  fn: async () => {
    const window = {
      window: [1, 1, 5, 5],
      strides: [1, 1, 1, 1],
      padding: [[0, 0], [0, 0], [0, 0], [0, 0]],
      dilation: [1, 1, 1, 1],
      inputShape: [64, 1, 28, 28],
    };
    const shape = [[64, 1, 24, 24, 1, 1, 5, 5]];
    // A busy process competes for the cores: workers start late, and launches claim their tasks.
    const busy = runGranted ? busyProcess() : undefined;
    try {
      setThreads(1);
      const one = run(wasmBackend, "patches_transpose", shape, window);
      // col2im accumulates: a task run twice (by a stopped worker and its successor, or by a
      // worker and the launcher) would double its rows, and a worker stopped inside a kernel
      // reports a failure.
      for (const threads of [2, "auto"] as const) {
        setThreads(threads);
        for (let i = 0; i < 40; i++) {
          wasmRuntime().pool?.shutdown();
          const got = run(wasmBackend, "patches_transpose", shape, window);
          assert.deepEqual(got, one, `${threads} threads, restart ${i}`);
        }
      }
    } finally {
      busy?.kill("SIGKILL");
      await busy?.status;
      setThreads("auto");
      wasmRuntime().pool?.shutdown();
    }
  },
});

Deno.test("splitRange covers the range once, in aligned parts, only for enough work", () => {
  for (const [n, threads, align] of [[92407, 2, 16], [100000, 3, 1], [70000, 4, 16], [17, 2, 16]]) {
    const parts = splitRange(n, PARALLEL_MIN, threads, align);
    assert.equal(parts[0][0], 0);
    assert.equal(parts[parts.length - 1][1], n);
    parts.forEach(([lo, hi], i) => {
      assert.ok(hi > lo, `part ${i} of ${n} is empty`);
      assert.equal(lo % align, 0, `part ${i} of ${n} starts at ${lo}`);
      if (i > 0) assert.equal(lo, parts[i - 1][1]);
    });
    assert.ok(parts.length <= threads);
  }
  assert.deepEqual(splitRange(92407, PARALLEL_MIN - 1, 2), [[0, 92407]]);
});

Deno.test("outerSplit splits large copies only where slices write disjoint elements", () => {
  const big = [64, 24, 24, 25];
  assert.deepEqual(outerSplit(big, [14400, 600, 25, 1], 2), [[0, 32], [32, 64]]);
  assert.deepEqual(outerSplit(big, [14400, 600, 25, 1], 1), [[0, 64]]);
  assert.deepEqual(outerSplit([4, 4, 4], [16, 4, 1], 2), [[0, 4]], "small copies stay whole");
  // Windows one row apart along the outer axis write the same rows: no split.
  assert.deepEqual(outerSplit([24, 24, 5, 5, 8], [28, 1, 28, 1, 784], 2), [[0, 24]]);
});

Deno.test({
  name: "wasm gemm split by depth (small output, great depth) over two threads equals ref",
  ignore: !threadsSupported(),
  fn: async (t) => {
    const deep: DotCase[] = [
      {
        name: "f32 conv1 filter gradient 10x36864 · 36864x25",
        x: [36864, 10],
        y: [36864, 25],
        dims: [[[0], [0]], [[], []]],
        dtype: "float32",
      },
      {
        name: "f64 20x4099 · 4099x37",
        x: [20, 4099],
        y: [4099, 37],
        dims: [[[1], [0]], [[], []]],
        dtype: "float64",
      },
    ];
    try {
      for (const c of deep) {
        await t.step(c.name, () => {
          const [m, k] = c.dims[0][0][0] === 0 ? [c.x[1], c.x[0]] : [c.x[0], c.x[1]];
          assert.equal(depthSplit(m, c.y[1], k, 1, 2).length, 2, "not split by depth");
          setThreads(2);
          const before = threadStats.workerTasks;
          const two = dot(wasmBackend, c);
          assert.ok(threadStats.workerTasks > before, "the gemm ran no task on a worker thread");
          // The two halves of the depth are summed at the end: rounding differs from one pass.
          assertNear(two, dot(refBackend, c), c.dtype === "float64" ? 1e-12 : 1e-4, "vs ref");
        });
      }
    } finally {
      setThreads("auto");
      wasmRuntime().pool?.shutdown();
    }
  },
});

Deno.test("tileSplit splits the columns of few-row products and the rows of others", () => {
  const conv1 = tileSplit(10, 36864, 10 * 36864 * 25, 2);
  assert.deepEqual(conv1.rows, [[0, 10]]);
  assert.deepEqual(conv1.cols, [[0, 18432], [18432, 36864]]);
  const mlp = tileSplit(128, 128, 128 * 128 * 784, 2);
  assert.deepEqual(mlp.rows, [[0, 72], [72, 128]]);
  assert.deepEqual(mlp.cols, [[0, 128]]);
  assert.deepEqual(tileSplit(10, 1001, 10 * 1001 * 25, 2).cols, [[0, 504], [504, 1001]]);
  assert.deepEqual(tileSplit(10, 36864, 10 * 36864 * 25, 1).cols, [[0, 36864]], "one thread");
});

Deno.test("depthSplit only splits small outputs of great depth", () => {
  assert.deepEqual(depthSplit(10, 25, 36864, 1, 2), [[0, 18432], [18432, 36864]]);
  assert.deepEqual(depthSplit(10, 25, 36864, 1, 1), [[0, 36864]], "one thread");
  assert.deepEqual(depthSplit(128, 128, 784, 1, 2), [[0, 784]], "shallow: rows are split");
  assert.deepEqual(depthSplit(10, 25, 36864, 3, 2), [[0, 36864]], "batched");
});

Deno.test("setThreads(1) runs gemm on the calling thread; setThreads checks its argument", () => {
  try {
    setThreads(1);
    const before = { ...threadStats };
    const c = CASES[0];
    assertNear(dot(wasmBackend, c), dot(refBackend, c), 2e-5, "one thread vs ref");
    assert.deepEqual(threadStats, before);
    assert.throws(() => setThreads(0), AdjointError);
    assert.throws(() => setThreads(1.5), AdjointError);
  } finally {
    setThreads("auto");
  }
});

Deno.test("the kernel module runs on an unshared memory where threads are unavailable", () => {
  const bytes = Uint8Array.from(atob(KERNELS_WASM_BASE64), (ch) => ch.charCodeAt(0));
  const module = new WebAssembly.Module(unshareMemoryImport(bytes) as BufferSource);
  const memory = LinearMemory.create(4, false);
  assert.ok(!(memory.buffer instanceof SharedArrayBuffer));
  const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const base = Math.ceil((e.heap_base as () => number)() / 64) * 64;
  const [m, n, k] = [7, 5, 3];
  const [a, b, c] = [base, base + 256, base + 512];
  const ws = base + 1024;
  memory.grow(Math.ceil((e.gemm_f32_workspace as () => number)() / 65536) + 1);
  const view = new Float32Array(memory.buffer);
  for (let i = 0; i < m * k; i++) view[a / 4 + i] = i + 1;
  for (let i = 0; i < k * n; i++) view[b / 4 + i] = i % 4 - 1;
  (e.gemm_f32 as (...args: number[]) => void)(
    1,
    a,
    0,
    k,
    1,
    b,
    0,
    n,
    1,
    c,
    m,
    n,
    k,
    ws,
    0,
    m,
    0,
    0,
    0,
    0,
    0,
    n,
  );
  const out = new Float32Array(memory.buffer, c, m * n);
  for (let r = 0; r < m; r++) {
    for (let q = 0; q < n; q++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (r * k + p + 1) * ((p * n + q) % 4 - 1);
      assert.equal(out[r * n + q], s, `C[${r}][${q}]`);
    }
  }
});

Deno.test({
  name: "a program that used kernel threads exits on its own",
  ignore: !threadsSupported(),
  fn: async () => {
    const child = new URL("./util/threaded_gemm_child.ts", import.meta.url);
    const out = await new Deno.Command("deno", {
      args: ["run", "--allow-read", "--allow-env", child.pathname],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, `the child failed: ${new TextDecoder().decode(out.stderr)}`);
    const { sum, workerTasks } = JSON.parse(text);
    assert.equal(sum, 256 ** 3);
    assert.ok(workerTasks > 0, "the child ran no task on a worker thread");
  },
});

/** A jitted function of three float32 operands and the shapes it is tried on. */
interface FusedCase {
  name: string;
  f: (x: Array, b: Array, c: Array) => Array;
  shapes: number[][];
  /** Whether its fused kernels may split (no reduction over axis 0). */
  splits: boolean;
  tol: number;
}

const FUSED_CASES: FusedCase[] = [
  {
    name: "elementwise chain with broadcasts (301x307, a row and a column)",
    f: (x, b, c) => np.tanh(x.mul(b).add(c)).mul(x).sub(b),
    shapes: [[301, 307], [307], [301, 1]],
    splits: true,
    tol: 1e-5,
  },
  {
    name: "one axis (300007 elements: the vector loop splits on aligned ranges)",
    f: (x, b, c) => np.maximum(x.mul(2).add(b), c).mul(x),
    shapes: [[300007], [300007], [1]],
    splits: true,
    tol: 1e-6,
  },
  {
    name: "ending in a reduction that keeps axis 0 (sum over the last axis)",
    f: (x, b, c) => np.sum(np.exp(x.mul(b)).add(c), 1),
    shapes: [[301, 307], [307], [301, 1]],
    splits: true,
    tol: 1e-5,
  },
  {
    name: "ending in a reduction over axis 0 (one task)",
    f: (x, b, c) => np.max(x.mul(b).add(c), 0),
    shapes: [[301, 307], [307], [301, 1]],
    splits: false,
    tol: 1e-6,
  },
];

function operands(shapes: number[][]): ConcreteArray[] {
  return shapes.map((s, i) => {
    const n = s.reduce((a, b) => a * b, 1);
    return np.array(filled("float32", n, i + 5)).reshape(s) as ConcreteArray;
  });
}

function hostOf(a: Array): TypedArray {
  return (a as ConcreteArray).backend.readSync((a as ConcreteArray).buffer, a.aval)!;
}

Deno.test({
  name: "jitted fused kernels split over two threads equal one thread and ref",
  ignore: !threadsSupported(),
  fn: async (t) => {
    try {
      for (const c of FUSED_CASES) {
        await t.step(c.name, () =>
          withDefaultBackend("wasm", () => {
            const args = operands(c.shapes);
            const [x, b, y] = toBackend(args, "ref") as ConcreteArray[];
            const ref = hostOf(c.f(x, b, y));
            const jitted = jit(c.f, { compile: "sync" });
            const compiled = jitCallCounts.compiled;
            setThreads(1);
            const before = threadStats.workerTasks;
            const one = hostOf(jitted(args[0], args[1], args[2]));
            assert.equal(threadStats.workerTasks, before, "one thread ran a worker task");
            setThreads(2);
            const two = hostOf(jitted(args[0], args[1], args[2]));
            assert.equal(jitCallCounts.compiled, compiled + 2, "the calls ran compiled kernels");
            const program = jitted.lower(args[0], args[1], args[2]).compiled.program;
            assert.doesNotMatch(program, /^k\d+ op\(/m, "a prebuilt kernel ran a worker task");
            const ran = threadStats.workerTasks > before;
            assert.equal(ran, c.splits, c.splits ? "no worker task ran" : "a worker task ran");
            // Ranges of the outermost axis change no element's arithmetic.
            assert.deepEqual(two, one);
            assertNear(two, ref, c.tol, "two threads vs ref");
          }));
      }
    } finally {
      setThreads("auto");
      wasmRuntime().pool?.shutdown();
    }
  },
});

Deno.test({
  name: "a jit kernel failing on a worker thread is named in the error",
  ignore: !threadsSupported(),
  fn: () => {
    try {
      withDefaultBackend("wasm", () => {
        const c = FUSED_CASES[0];
        const args = operands(c.shapes);
        const jitted = jit(c.f, { compile: "sync" });
        jitted(args[0], args[1], args[2]);
        const source = jitted.lower(args[0], args[1], args[2]).compiled.assemblyscript;
        const kernel = `jit-${contentHash(source).slice(0, 8)}/${
          source.match(/export function (k\d+)/)![1]
        }`;
        const arity = source.match(/export function k\d+\(([^)]*)\)/)![1].split(",").length;
        // Addresses past the end of the memory trap; the calling thread's task is empty.
        const bad = { kernel, args: [...globalThis.Array(arity - 2).fill(0xffffff00), 0, 301] };
        const empty = { kernel, args: [...globalThis.Array(arity - 2).fill(0), 0, 0] };
        // The calling thread's task takes long enough for the worker to start its own (a task
        // still unstarted afterwards would be claimed, and run here).
        const slow = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
        setThreads(2);
        assert.throws(
          () => wasmRuntime().pool!.run([empty, bad], slow),
          (e: Error) => e instanceof AdjointError && e.message.includes(`kernel ${kernel}(`),
        );
      });
    } finally {
      setThreads("auto");
      wasmRuntime().pool?.shutdown();
    }
  },
});

Deno.test("without SharedArrayBuffer, a large jitted program runs its kernels on one thread", async () => {
  const child = new URL("./util/unshared_jit_child.ts", import.meta.url);
  const out = await new Deno.Command("deno", {
    args: ["run", "--allow-read", "--allow-env", "--allow-write", child.pathname],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(90_000),
  }).output();
  assert.equal(out.code, 0, `the child failed: ${new TextDecoder().decode(out.stderr)}`);
  const { pool, calls, compiled, interpreted } = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(pool, false, "the runtime made a thread pool");
  assert.ok(calls > 0, "the kernels never compiled");
  assert.equal(compiled.length, 301);
  assertNear(
    Float32Array.from(compiled),
    Float32Array.from(interpreted),
    1e-5,
    "compiled vs op by op",
  );
});
