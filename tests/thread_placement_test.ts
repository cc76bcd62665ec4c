/**
 * Who runs a launch's tasks never changes its bits: with `setThreads("auto")`, kernels split over
 * the core count whether the governor sends the parts to workers or runs them all on the calling
 * thread (forced both ways here with `pin`), and unpinned beside a busy process; each result
 * equals the same split under `setThreads(2)` bit for bit and the ref backend within rounding.
 * Cases include a gemm split by depth, whose bits change with the split: a placement that split by
 * the threads in effect would show there.
 */
import assert from "node:assert/strict";
import { SPLIT_PRIMITIVES } from "./util/split_primitives.ts";
import { ShapedArray } from "../core/aval.ts";
import type { Backend } from "../core/backend.ts";
import type { TypedArray } from "../core/dtype.ts";
import { refBackend } from "../kernels/ref/backend.ts";
import { wasmBackend } from "../kernels/wasm/backend.ts";
import { wasmRuntime } from "../kernels/wasm/runtime.ts";
import { threadStats } from "../kernels/wasm/thread_pool.ts";
import { coreCount, threadsSupported } from "../kernels/wasm/threads.ts";
import { type Array, type ConcreteArray, jit, numpy as np, setThreads, toBackend } from "../mod.ts";
import { busyProcess } from "./util/busy_process.ts";

/** A computation on seeded inputs, as float32 host data, on `backend`. */
type Case = [name: string, run: (backend: Backend) => TypedArray];

function filled(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(seed * 1000 + i * 0.37) * 2;
  return out;
}

function primitive(prim: string, shapes: number[][], params: Record<string, unknown>) {
  return (backend: Backend): TypedArray => {
    const avals = shapes.map((s) => new ShapedArray(s, "float32"));
    const bufs = avals.map((a, i) => backend.fromHost(filled(a.size, i + 3), a));
    const [outAval] = SPLIT_PRIMITIVES[prim].shape!(avals, params);
    const [out] = backend.execute(prim, bufs, avals, params, [outAval]);
    const host = backend.readSync(out, outAval)!;
    for (const b of [...bufs, out]) backend.dispose?.(b);
    return host;
  };
}

/** A jitted function of one array, on `backend` (jit-compiled fused kernels on wasm). */
function jitted(f: (x: Array) => Array, shape: number[]) {
  const g = jit(f, { compile: "sync" });
  return (backend: Backend): TypedArray => {
    const size = shape.reduce((a, b) => a * b, 1);
    const x = toBackend(np.array(filled(size, 5)).reshape(shape), backend.name);
    const y = g(x) as ConcreteArray;
    const out = y.dataSync();
    y[Symbol.dispose]();
    return out;
  };
}

const matmul = { dims: [[[1], [0]], [[], []]] };
const cases: Case[] = [
  ["gemm 131x77 · 77x53 (rows split)", primitive("dot_general", [[131, 77], [77, 53]], matmul)],
  [
    "gemm 10x4096 · 4096x25 (split by depth: the split sets the bits)",
    primitive("dot_general", [[10, 4096], [4096, 25]], matmul),
  ],
  ["exp of 40003", primitive("exp", [[40003]], {})],
  [
    "reduce_sum 64x16x17 over the middle axis",
    primitive("reduce_sum", [[64, 16, 17]], {
      axes: [1],
    }),
  ],
  [
    "transpose 16x10x24x24 to NHWC",
    primitive("transpose", [[16, 10, 24, 24]], {
      permutation: [0, 2, 3, 1],
    }),
  ],
  ["fused 2x40000 tanh chain", jitted((x) => np.tanh(x.mul(3)).add(x), [2, 40000])],
];

function assertNear(got: TypedArray, want: TypedArray, what: string): void {
  assert.equal(got.length, want.length, `${what}: sizes differ`);
  for (let i = 0; i < got.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= 2e-5 * (1 + Math.abs(want[i]));
    assert.ok(ok, `${what}: element ${i}: ${got[i]} vs ${want[i]}`);
  }
}

function assertSameBits(got: TypedArray, want: TypedArray, what: string): void {
  const [g, w] = [got, want].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const at = g.findIndex((b, i) => b !== w[i]);
  assert.ok(g.length === w.length && at === -1, `${what}: bits differ (byte ${at})`);
}

/** Runs `run` and returns its result and the tasks it gave to workers. */
function counted(run: () => TypedArray): [TypedArray, number] {
  const before = threadStats.workerTasks;
  const out = run();
  return [out, threadStats.workerTasks - before];
}

const twoCores = threadsSupported() && coreCount() === 2;
const runGranted = Deno.permissions.querySync({ name: "run", command: "deno" }).state ===
  "granted";

Deno.test({
  name: "auto threads give the bits of the same split, with the parts on workers or not",
  ignore: !twoCores,
  fn: async (t) => {
    const governor = () => wasmRuntime().pool!.governor(2)!;
    try {
      for (const [name, run] of cases) {
        await t.step(name, () => {
          setThreads(2);
          const [two, posted] = counted(() => run(wasmBackend));
          assert.ok(posted > 0, "setThreads(2) gave no task to a worker");
          assertNear(two, run(refBackend), "two threads vs ref");
          setThreads("auto");
          governor().pin(1);
          const [off, offPosted] = counted(() => run(wasmBackend));
          assert.equal(offPosted, 0, "workers off: a task went to a worker");
          assertSameBits(off, two, "workers off vs setThreads(2)");
          governor().pin(2);
          const [on, onPosted] = counted(() => run(wasmBackend));
          assert.equal(onPosted, posted, "workers on: not every part went to a worker");
          assertSameBits(on, two, "workers on vs setThreads(2)");
        });
      }
    } finally {
      governor().pin(undefined);
      setThreads("auto");
    }
  },
});

Deno.test({
  name: "auto threads beside a busy process give the bits of the same split",
  ignore: !twoCores || !runGranted,
  fn: async () => {
    setThreads(2);
    const want = cases.map(([, run]) => run(wasmBackend));
    setThreads("auto");
    const busy = busyProcess();
    try {
      for (let round = 0; round < 60; round++) {
        cases.forEach(([name, run], i) => assertSameBits(run(wasmBackend), want[i], name));
      }
    } finally {
      busy.kill("SIGKILL");
      await busy.status;
    }
  },
});
