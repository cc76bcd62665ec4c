/**
 * The cost of one kernel launch on the wasm thread pool: two tasks of a 16-element add (one on the
 * calling thread, one on a worker), launched back to back, and again after 200 us of work on the
 * calling thread (as between the kernels of a program). Medians of many launches; not a test.
 *
 *   deno run --allow-read --allow-env bench/thread_launch.ts
 * @module
 */
import "../kernels/wasm/backend.ts";
import { wasmRuntime } from "../kernels/wasm/runtime.ts";
import { setThreads } from "../mod.ts";

setThreads(2);
const rt = wasmRuntime();
const buffer = rt.alloc("float32", 16);
const task = { kernel: "add_f32", args: [buffer.ptr, buffer.ptr, buffer.ptr, 16] };

/** Microseconds of each of `n` launches, each after `gapMs` of busy work, sorted. */
function launches(n: number, gapMs: number): number[] {
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    while (performance.now() - start < gapMs);
    const t0 = performance.now();
    rt.parallel([task, task], "thread_launch");
    us.push((performance.now() - t0) * 1000);
  }
  return us.sort((a, b) => a - b);
}

const quantiles = (us: number[]) =>
  `median ${us[us.length >> 1].toFixed(1)} us, p90 ${
    us[Math.floor(us.length * 0.9)].toFixed(1)
  } us`;

launches(200, 0);
console.log(`launch of 2 tasks, back to back: ${quantiles(launches(3000, 0))}`);
console.log(`launch of 2 tasks, 200 us apart: ${quantiles(launches(1000, 0.2))}`);
