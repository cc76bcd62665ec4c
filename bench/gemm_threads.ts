/**
 * gemm throughput of the wasm backend with one thread and with every thread: float32 n x n
 * products, median of timed runs after warm-up, in GFLOP/s.
 *
 * Run with `deno run --allow-read bench/gemm_threads.ts [n...]` (default 256 512 1024).
 * @module
 */
import { type ConcreteArray, numpy as np, setThreads } from "../mod.ts";

const REPS = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median GFLOP/s of an n x n float32 matmul on `threads` threads. */
function gflops(n: number, threads: number): number {
  setThreads(threads);
  const a = np.ones([n, n]);
  const b = np.ones([n, n]);
  const once = () => (np.matmul(a, b) as ConcreteArray)[Symbol.dispose]();
  for (let i = 0; i < 3; i++) once();
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    once();
    times.push(performance.now() - t0);
  }
  return (2 * n ** 3) / (median(times) * 1e6);
}

if (import.meta.main) {
  const sizes = Deno.args.length ? Deno.args.map(Number) : [256, 512, 1024];
  const all = navigator.hardwareConcurrency;
  const rows = sizes.map((n) => {
    const one = gflops(n, 1);
    const many = gflops(n, all);
    return {
      n,
      "1 thread": one.toFixed(1),
      [`${all} threads`]: many.toFixed(1),
      speedup: (many / one).toFixed(2),
    };
  });
  console.table(rows);
}
