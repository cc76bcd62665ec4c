/**
 * The launch protocol of the kernel threads, driven step by step: this test plays the launching
 * thread against a real kernel worker (kernels/wasm/thread_worker.ts) on its own control block,
 * and orders the steps so that the worker wakes late, as a preempted thread does under load.
 */
import assert from "node:assert/strict";
import "../kernels/wasm/backend.ts";
import { kernelModule, wasmRuntime } from "../kernels/wasm/runtime.ts";
import {
  controlBytes,
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

Deno.test({
  name: "a worker that wakes late for a launch without its task runs its next task exactly once",
  ignore: !threadsSupported(),
  fn: () => {
    const rt = wasmRuntime();
    const heap = rt.heap;
    const module = kernelModule();
    const kernels = WebAssembly.Module.exports(module)
      .filter((e) => e.kind === "function")
      .map((e): [number, string] => [0, e.name]);
    const add = kernels.findIndex(([, name]) => name === "add_f32");
    const control = heap.alloc(controlBytes(1));
    const n = 64;
    const acc = rt.alloc("float32", n), one = rt.alloc("float32", n);
    rt.view("float32", one.ptr, n).fill(1);
    heap.u8.fill(0, control.ptr, control.ptr + control.bytes);
    const ctrl = new Int32Array(heap.memory.buffer, control.ptr, 5);
    const worker = new Worker(new URL("../kernels/wasm/thread_worker.ts", import.meta.url), {
      type: "module",
    });
    let launch = 0;
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
      for (let round = 1; round <= 10; round++) {
        rt.view("float32", acc.ptr, n).fill(0);
        Atomics.store(ctrl, DONE, 0);
        // Long enough for the worker to stop polling and sleep.
        sleep(5);
        // A launch with no task for this worker, announced while it sleeps (no notify yet) ...
        Atomics.store(ctrl, SEQ, ++launch);
        // ... and the next launch's task written into its slot before it has woken ...
        writeTask(heap.f64, heap.i32, control.ptr, 0, launch + 1, add, [
          acc.ptr,
          one.ptr,
          acc.ptr,
          n,
        ]);
        // ... then it wakes to the first launch, while the second is still being prepared.
        Atomics.notify(ctrl, SEQ);
        sleep(5);
        assert.equal(Atomics.load(ctrl, DONE), 0, `round ${round}: ran a task not yet launched`);
        Atomics.store(ctrl, SEQ, ++launch);
        Atomics.notify(ctrl, SEQ);
        awaitCount(ctrl, DONE, 1, `round ${round}: tasks done`);
        sleep(5);
        assert.equal(Atomics.load(ctrl, DONE), 1, `round ${round}: the task ran twice`);
        assert.deepEqual([...rt.view("float32", acc.ptr, n)], new Array(n).fill(1));
      }
    } finally {
      writeTask(heap.f64, heap.i32, control.ptr, 0, ++launch, QUIT, []);
      Atomics.store(ctrl, SEQ, launch);
      Atomics.notify(ctrl, SEQ);
      awaitCount(ctrl, EXITED, 1, "workers exited");
      worker.terminate();
      for (const b of [acc, one]) rt.dispose(b);
      heap.release(control);
    }
  },
});
