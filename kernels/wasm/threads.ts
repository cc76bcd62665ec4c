/**
 * How many threads the wasm kernels use: `setThreads(n)`, defaulting to the core count. Threads
 * need `SharedArrayBuffer` and `Worker`; without them (or with one thread) every kernel runs on
 * the calling thread.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";

/** Whether this environment can run kernels on worker threads over a shared memory. */
export function threadsSupported(): boolean {
  return typeof SharedArrayBuffer === "function" && typeof Worker === "function" &&
    typeof Atomics === "object";
}

function defaultThreads(): number {
  const cores = globalThis.navigator?.hardwareConcurrency;
  return Number.isInteger(cores) && cores > 0 ? cores : 1;
}

let requested = defaultThreads();

/**
 * Sets the number of threads wasm kernels (gemm) split their work over, the calling thread
 * included; 1 runs everything on the calling thread. Defaults to `navigator.hardwareConcurrency`.
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new AdjointError("setThreads", `expected a positive integer, got ${n}`);
  }
  requested = n;
}

/** The number of threads kernels use now: as requested, or 1 where threads are unavailable. */
export function threadCount(): number {
  return threadsSupported() ? requested : 1;
}
