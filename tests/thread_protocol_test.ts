/**
 * The launch protocol of the kernel threads, driven step by step: this test plays the launching
 * thread against a real kernel worker (kernels/wasm/thread_worker.ts) on its own control block,
 * and orders the steps so that the worker wakes late, as a preempted thread does under load, or
 * so that the launching thread claims the worker's task before the worker starts it.
 */
import assert from "node:assert/strict";
import "../kernels/wasm/backend.ts";
import { kernelModule, wasmRuntime } from "../kernels/wasm/runtime.ts";
import {
  claimTask,
  controlBytes,
  COUNTERS,
  DONE,
  EXITED,
  QUIT,
  READY,
  SEQ,
  type ThreadInit,
  writeTask,
} from "../kernels/wasm/thread_protocol.ts";
import { threadsSupported } from "../kernels/wasm/threads.ts";

/** Blocks the calling thread for `ms` (a timed wait on a counter nobody changes). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Waits until `ctrl[index]` reaches `value` (or fails after a few seconds). */
function awaitCount(ctrl: Int32Array, index: number, value: number, what: string): void {
  const deadline = performance.now() + 10_000;
  for (let v = Atomics.load(ctrl, index); v < value; v = Atomics.load(ctrl, index)) {
    assert.ok(performance.now() < deadline, `${what}: still ${v} of ${value}`);
    Atomics.wait(ctrl, index, v, 50);
  }
}

/** A real kernel worker on a control block of its own, and what a test drives it with. */
interface Played {
  ctrl: Int32Array;
  /** Byte address of the control block. */
  control: number;
  /** The whole memory as int32. */
  i32: Int32Array;
  /** Writes the task "add 1 to every element of the accumulator" for launch `launch`. */
  postAdd(launch: number): void;
  /** Adds 1 to every element of the accumulator on this thread (the task, run by the launcher). */
  runAdd(): void;
  /** The accumulator's values. */
  acc(): number[];
  /** Sets the accumulator and the DONE counter to 0. */
  clear(): void;
}

const N = 64;

/** Starts a worker, runs `play` against it (with the last launch number), and makes it quit. */
function withWorker(play: (p: Played, launch: { n: number }) => void): void {
  const rt = wasmRuntime();
  const heap = rt.heap;
  const module = kernelModule();
  const kernels = WebAssembly.Module.exports(module)
    .filter((e) => e.kind === "function")
    .map((e): [number, string] => [0, e.name]);
  const add = kernels.findIndex(([, name]) => name === "add_f32");
  const control = heap.alloc(controlBytes(1));
  const acc = rt.alloc("float32", N), one = rt.alloc("float32", N);
  rt.view("float32", one.ptr, N).fill(1);
  heap.u8.fill(0, control.ptr, control.ptr + control.bytes);
  const ctrl = new Int32Array(heap.memory.buffer, control.ptr, COUNTERS);
  const worker = new Worker(new URL("../kernels/wasm/thread_worker.ts", import.meta.url), {
    type: "module",
  });
  const launch = { n: 0 };
  const args = [acc.ptr, one.ptr, acc.ptr, 0, N];
  try {
    const init: ThreadInit = {
      memory: heap.memory,
      modules: [module],
      control: control.ptr,
      worker: 0,
      kernels,
    };
    worker.postMessage(init);
    awaitCount(ctrl, READY, 1, "workers ready");
    play({
      ctrl,
      control: control.ptr,
      i32: heap.i32,
      postAdd: (l) => writeTask(heap.f64, heap.i32, control.ptr, 0, l, add, args),
      runAdd: () => rt.kernel("add_f32", "test")(...args),
      acc: () => [...rt.view("float32", acc.ptr, N)],
      clear: () => {
        rt.view("float32", acc.ptr, N).fill(0);
        Atomics.store(ctrl, DONE, 0);
      },
    }, launch);
  } finally {
    writeTask(heap.f64, heap.i32, control.ptr, 0, ++launch.n, QUIT, []);
    Atomics.store(ctrl, SEQ, launch.n);
    Atomics.notify(ctrl, SEQ);
    awaitCount(ctrl, EXITED, 1, "workers exited");
    worker.terminate();
    for (const b of [acc, one]) rt.dispose(b);
    heap.release(control);
  }
}

Deno.test({
  name: "a worker that wakes late for a launch without its task runs its next task exactly once",
  ignore: !threadsSupported(),
  fn: () =>
    withWorker((p, launch) => {
      for (let round = 1; round <= 10; round++) {
        p.clear();
        // Long enough for the worker to stop polling and sleep.
        sleep(5);
        // A launch with no task for this worker, announced while it sleeps (no notify yet) ...
        Atomics.store(p.ctrl, SEQ, ++launch.n);
        // ... and the next launch's task written into its slot before it has woken ...
        p.postAdd(launch.n + 1);
        // ... then it wakes to the first launch, while the second is still being prepared.
        Atomics.notify(p.ctrl, SEQ);
        sleep(5);
        assert.equal(Atomics.load(p.ctrl, DONE), 0, `round ${round}: ran a task not yet launched`);
        Atomics.store(p.ctrl, SEQ, ++launch.n);
        Atomics.notify(p.ctrl, SEQ);
        awaitCount(p.ctrl, DONE, 1, `round ${round}: tasks done`);
        sleep(5);
        assert.equal(Atomics.load(p.ctrl, DONE), 1, `round ${round}: the task ran twice`);
        assert.deepEqual(p.acc(), new Array(N).fill(1));
      }
    }),
});

Deno.test({
  name: "a task runs once: on the launcher that claims it first, or on its worker",
  ignore: !threadsSupported(),
  fn: () =>
    withWorker((p, launch) => {
      for (let round = 1; round <= 10; round++) {
        // The launcher claims the task before the worker sees the launch: the worker skips it.
        p.clear();
        p.postAdd(++launch.n);
        assert.ok(claimTask(p.i32, p.control, 0, launch.n), `round ${round}: claim refused`);
        p.runAdd();
        assert.ok(!claimTask(p.i32, p.control, 0, launch.n), `round ${round}: claimed twice`);
        Atomics.store(p.ctrl, SEQ, launch.n);
        Atomics.notify(p.ctrl, SEQ);
        sleep(5);
        assert.equal(
          Atomics.load(p.ctrl, DONE),
          0,
          `round ${round}: the worker ran a claimed task`,
        );
        assert.deepEqual(p.acc(), new Array(N).fill(1), `round ${round}: claimed task`);
        // The worker starts the task first: the launcher's claim fails.
        p.clear();
        p.postAdd(++launch.n);
        Atomics.store(p.ctrl, SEQ, launch.n);
        Atomics.notify(p.ctrl, SEQ);
        awaitCount(p.ctrl, DONE, 1, `round ${round}: the worker's task done`);
        assert.ok(
          !claimTask(p.i32, p.control, 0, launch.n),
          `round ${round}: claimed a started task`,
        );
        assert.deepEqual(p.acc(), new Array(N).fill(1), `round ${round}: the worker's task`);
      }
    }),
});
