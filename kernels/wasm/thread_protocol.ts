/**
 * The control block through which the main thread launches kernels on worker threads: a few
 * int32 counters followed by one task slot per worker, all in the shared linear memory, so a
 * launch is a store, an `Atomics.notify` and an `Atomics.wait` (no message passing).
 * @module
 */

/** Int32 index of the launch counter: workers wait on it and run their slot when it changes. */
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
 * How long a thread polls a counter before sleeping on it with `Atomics.wait`, ms. Waking a
 * sleeping thread costs 50-60 us on a 2-vCPU VM (the idle vCPU halts), twice per launch; a
 * worker still polling from its last task, and a launcher polling for the workers to finish,
 * start at once. Kernels come back to back while a program runs, so a short poll catches them.
 */
export const SPIN_MS: number = 1;

/** Reads `ctrl[index]` until it differs from `value` (polling up to `SPIN_MS`, then sleeping). */
export function waitWhileEqual(ctrl: Int32Array, index: number, value: number): void {
  const until = performance.now() + SPIN_MS;
  while (Atomics.load(ctrl, index) === value && performance.now() < until);
  Atomics.wait(ctrl, index, value);
}

/** Bytes of the counter header (before the slots). */
export const HEADER_BYTES: number = 64;
/** Most arguments of one task. */
export const MAX_ARGS: number = 24;
/** float64 entries of one slot: the kernel index, then the arguments. */
export const SLOT_F64: number = 1 + MAX_ARGS;
/** Slot kernel index meaning "no task in this launch". */
export const IDLE: number = -1;
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

/** What a worker is started with (its one message). */
export interface ThreadInit {
  /** The shared linear memory. */
  memory: WebAssembly.Memory;
  /**
   * The kernel modules, instantiated on `memory` in order: the prebuilt module first (its
   * `init_math` runs once instantiated), then jit-compiled ones.
   */
  modules: WebAssembly.Module[];
  /** Byte address of the control block. */
  control: number;
  /** This worker's slot. */
  worker: number;
  /** `[module index, export name]` of each kernel, indexed by a slot's kernel index. */
  kernels: [number, string][];
}
