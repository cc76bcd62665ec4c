/**
 * A kernel thread: instantiates the kernel modules on the shared memory, then loops, waiting
 * on the control block's launch counter and running the task in its slot when the slot is
 * tagged with the launch it woke to, until told to quit.
 * @module
 */
import {
  claimTask,
  COUNTERS,
  DONE,
  EXITED,
  FAILED,
  MAX_ARGS,
  QUIT,
  READY,
  SEQ,
  taskIndex,
  type ThreadInit,
  waitWhileEqual,
} from "./thread_protocol.ts";

/** The worker's global scope, as far as this module uses it. */
const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<ThreadInit>) => void) | null;
  close(): void;
};

function serve({ memory, modules, control, worker, kernels }: ThreadInit): void {
  // A module's start function only fills its vector constants (globals); jit modules have no
  // static data (fused_codegen.ts), so instantiating one writes no memory.
  const exports = modules.map((m) => new WebAssembly.Instance(m, { env: { memory } }).exports);
  const fns = kernels.map(([m, name]) => exports[m][name] as (...args: number[]) => void);
  // A shared memory's buffer is never detached when it grows, and the control block lies in
  // its first pages: views taken now stay valid.
  const ctrl = new Int32Array(memory.buffer, control, COUNTERS);
  const tags = new Int32Array(memory.buffer);
  const task = new Float64Array(memory.buffer, taskIndex(control, worker) * 8, 1 + MAX_ARGS);
  // Read the launch counter before reporting ready: the first launch may follow at once.
  let seq = Atomics.load(ctrl, SEQ);
  Atomics.add(ctrl, READY, 1);
  Atomics.notify(ctrl, READY);
  for (;;) {
    waitWhileEqual(ctrl, SEQ, seq);
    seq = Atomics.load(ctrl, SEQ);
    // No task in this launch (the slot holds an older one, or is being written for the next), or
    // the launching thread has claimed it.
    if (!claimTask(tags, control, worker, seq)) continue;
    const fn = task[0];
    if (fn === QUIT) {
      Atomics.add(ctrl, EXITED, 1);
      Atomics.notify(ctrl, EXITED);
      break;
    }
    try {
      fns[fn](...task.subarray(1));
    } catch {
      Atomics.store(ctrl, FAILED, fn + 1);
    }
    Atomics.add(ctrl, DONE, 1);
    Atomics.notify(ctrl, DONE);
  }
  scope.close();
}

scope.onmessage = (e) => {
  scope.onmessage = null;
  serve(e.data);
};
