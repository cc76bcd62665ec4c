/**
 * The control block through which the main thread launches kernels on worker threads: a few
 * int32 counters followed by one task slot per worker, all in the shared linear memory, so a
 * launch is a store, an `Atomics.notify` and an `Atomics.wait` (no message passing).
 *
 * Each slot carries the number of the launch its task belongs to, and a worker runs its slot only
 * when that number is the launch counter it woke to. A launch may leave some workers without a
 * task, and the caller waits only for those that have one; so an idle worker can wake late, while
 * the next launch is being written. Without the tag it would run its slot, half rewritten, as
 * part of the launch it woke to, then once more for the next one (counting done twice).
 *
 * A task is run by whoever claims it first, with a compare-and-swap of its tag to minus the
 * launch number: its worker, or the launching thread once its own tasks are done (so a worker
 * that gets no core does not hold the launch up). Who runs a task never changes what it computes.
 * @module
 */

/** Int32 index of the launch counter: workers wait on it and look at their slot when it changes. */
export const SEQ: number = 0;
/** Int32 index of the number of tasks finished in the current launch. */
export const DONE: number = 1;
/** Int32 index of the number of workers that have instantiated the kernels. */
export const READY: number = 2;
/** Int32 index of the failure flag: 1 + the index of a kernel that threw (e.g. trapped), else 0. */
export const FAILED: number = 3;
/** Int32 index of the number of workers that have left their loop after a QUIT. */
export const EXITED: number = 4;
/**
 * Int32 index of how long threads poll a counter before they sleep on it, in microseconds (the
 * launcher sets it: `SPIN_US`, or 0 when the threads do not get the cores).
 */
export const SPIN: number = 5;
/** Int32 entries of the counter header in use. */
export const COUNTERS: number = 6;
/**
 * How long a thread polls a counter before sleeping on it with `Atomics.wait`, us. Waking a
 * sleeping thread costs 50-60 us on a 2-vCPU VM (the idle vCPU halts), twice per launch; a
 * worker still polling from its last task, and a launcher polling for the workers to finish,
 * start at once. Kernels come back to back while a program runs, so a short poll catches them.
 * With more runnable threads than cores, though, a polling thread takes the core from the one
 * that has the work: then the launcher sets the poll to 0.
 */
export const SPIN_US: number = 1000;

/** Reads `ctrl[index]` until it differs from `value` (polling up to `ctrl[SPIN]` us, then sleeping). */
export function waitWhileEqual(ctrl: Int32Array, index: number, value: number): void {
  const spin = Atomics.load(ctrl, SPIN);
  if (spin > 0) {
    const until = performance.now() + spin / 1000;
    while (Atomics.load(ctrl, index) === value && performance.now() < until);
  }
  Atomics.wait(ctrl, index, value);
}

/** Bytes of the counter header (before the slots). */
export const HEADER_BYTES: number = 64;
/** Most arguments of one task. */
export const MAX_ARGS: number = 24;
/**
 * float64 entries of one slot: the launch tag (an int32 in the first entry's low half), the
 * kernel index, then the arguments.
 */
export const SLOT_F64: number = 2 + MAX_ARGS;
/** Slot kernel index meaning "exit the loop". */
export const QUIT: number = -2;

/** Bytes of a control block for `workers` workers. */
export function controlBytes(workers: number): number {
  return HEADER_BYTES + workers * SLOT_F64 * 8;
}

/** float64 index of worker `w`'s slot in a control block at byte `base`. */
export function slotIndex(base: number, w: number): number {
  return (base + HEADER_BYTES) / 8 + w * SLOT_F64;
}

/**
 * int32 index (over the whole memory) of worker `w`'s launch tag: the launch counter value of the
 * launch its slot's task belongs to, stored (atomically) after the task.
 */
export function tagIndex(base: number, w: number): number {
  return slotIndex(base, w) * 2;
}

/** float64 index of worker `w`'s kernel index; its arguments follow. */
export function taskIndex(base: number, w: number): number {
  return slotIndex(base, w) + 1;
}

/**
 * Writes a task (kernel index and arguments) into worker `w`'s slot of the control block at byte
 * `base`, then tags it with launch number `launch`; `f64` and `i32` view the whole memory. The
 * launch counter is set to `launch` afterwards, when every task of the launch is written.
 */
export function writeTask(
  f64: Float64Array,
  i32: Int32Array,
  base: number,
  w: number,
  launch: number,
  kernel: number,
  args: readonly number[],
): void {
  const at = taskIndex(base, w);
  f64[at] = kernel;
  f64.set(args, at + 1);
  Atomics.store(i32, tagIndex(base, w), launch);
}

/**
 * Claims worker `w`'s task of launch `launch` for the calling thread: true when it was still
 * unclaimed (the caller must run it, and its worker will skip it), false when someone else has it.
 */
export function claimTask(i32: Int32Array, base: number, w: number, launch: number): boolean {
  return Atomics.compareExchange(i32, tagIndex(base, w), launch, -launch) === launch;
}

/** What a worker is started with (its one message). */
export interface ThreadInit {
  /** The shared linear memory. */
  memory: WebAssembly.Memory;
  /**
   * The kernel modules, instantiated on `memory` in order: the prebuilt module first, then
   * jit-compiled ones.
   */
  modules: WebAssembly.Module[];
  /** Byte address of the control block. */
  control: number;
  /** This worker's slot. */
  worker: number;
  /** `[module index, export name]` of each kernel, indexed by a slot's kernel index. */
  kernels: [number, string][];
}
