/**
 * Quick f32 gemm throughput of the wasm backend: `C = A · B` for square 256, 512 and 1024
 * matrices through `np.matmul` on one thread (or `--threads=N`), reporting the median GFLOP/s
 * after warm-up (which also lets V8 tier the kernels up from its baseline compiler). Each product
 * is first checked against the ref backend in float64 (check.ts); one that disagrees prints the
 * difference instead of a throughput and the script exits with status 1. Not a test: timings vary
 * with load.
 *
 *   deno run bench/gemm_quick.ts [--threads=N]
 * @module
 */
import "../kernels/wasm/backend.ts";
import { type ConcreteArray, numpy as np, setDefaultBackend, setThreads } from "../mod.ts";
import { compareOutputs, describeComparison } from "./check.ts";
import { referenceDotGeneral } from "./reference.ts";

setDefaultBackend("wasm");
const threadsFlag = Deno.args.find((a) => a.startsWith("--threads="));
const threads = threadsFlag ? Number(threadsFlag.slice("--threads=".length)) : 1;
setThreads(threads);

function random(n: number): Float32Array<ArrayBuffer> {
  let s = 12345;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

/** Median seconds of `fn` over enough repetitions to fill about `budget` seconds. */
function medianSeconds(fn: () => void, budget: number): number {
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 5 || (performance.now() - start) / 1000 < budget) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

for (const n of [256, 512, 1024]) {
  const ha = random(n * n), hb = random(n * n).reverse();
  const a = np.reshape(np.array(ha), [n, n]);
  const b = np.reshape(np.array(hb), [n, n]);
  const product = np.matmul(a, b);
  const check = compareOutputs(
    { c: { data: await product.read(), shape: [n, n] } },
    await referenceDotGeneral({ data: ha, shape: [n, n] }, { data: hb, shape: [n, n] }, [
      [[1], [0]],
      [[], []],
    ]),
  );
  if (!check.ok) {
    console.log(`gemm f32 ${n}x${n}x${n}, ${threads} thread(s): ${describeComparison(check)}`);
    Deno.exitCode = 1;
    continue;
  }
  const once = () => (np.matmul(a, b) as ConcreteArray)[Symbol.dispose]();
  medianSeconds(once, 1);
  const t = medianSeconds(once, 2);
  const gflops = (2 * n ** 3) / t / 1e9;
  console.log(
    `gemm f32 ${n}x${n}x${n}, ${threads} thread(s): ${gflops.toFixed(1)} GFLOP/s (median ${
      (t * 1e3).toFixed(2)
    } ms), ${describeComparison(check)}`,
  );
}
