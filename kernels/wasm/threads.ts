/**
 * How many threads the wasm kernels use: `setThreads("auto")` (the default: the core count, and
 * the pool runs on fewer threads while they do not get the cores) or `setThreads(n)` (always n).
 * Threads need `SharedArrayBuffer` and `Worker`; without them (or with one thread) every kernel
 * runs on the calling thread.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";

/** Whether this environment can run kernels on worker threads over a shared memory. */
export function threadsSupported(): boolean {
  return typeof SharedArrayBuffer === "function" && typeof Worker === "function" &&
    typeof Atomics === "object";
}

/** The core count (1 where unknown). */
export function coreCount(): number {
  const cores = globalThis.navigator?.hardwareConcurrency;
  return Number.isInteger(cores) && cores > 0 ? cores : 1;
}

/** What `setThreads` asked for: adapted to the load, or a fixed count. */
export type ThreadSetting = "auto" | number;

let requested: ThreadSetting = "auto";

/**
 * Sets the number of threads wasm kernels split their work over, the calling thread included.
 * `"auto"` (the default) splits over `navigator.hardwareConcurrency` threads and, while they do not
 * get the cores (other processes keep them busy), runs the parts on fewer threads or only on the
 * calling thread, without polling; a number `n` always uses `n` threads (1: the calling thread
 * alone). Either way, results depend only on the split, so on the thread count, never on timing.
 *
 * @example
 * ```ts
 * import { setThreads } from "./mod.ts";
 * setThreads(1); // everything on the calling thread
 * setThreads("auto");
 * ```
 */
export function setThreads(n: ThreadSetting): void {
  if (n !== "auto" && (!Number.isInteger(n) || n < 1)) {
    throw new AdjointError("setThreads", `expected "auto" or a positive integer, got ${n}`);
  }
  requested = n;
}

/** Whether the thread count adapts to the load (`setThreads("auto")`). */
export function threadsAdapt(): boolean {
  return requested === "auto" && threadCount() > 1;
}

/**
 * The number of threads kernels split their work over: as requested (`"auto"`: the core count),
 * or 1 where threads are unavailable.
 */
export function threadCount(): number {
  if (!threadsSupported()) return 1;
  return requested === "auto" ? coreCount() : requested;
}

/** The setting as `setThreads` last received it. */
export function threadSetting(): ThreadSetting {
  return requested;
}
