/**
 * A child process for tests/wasm_threads_test.ts: with `SharedArrayBuffer` removed (so no kernel
 * threads and an unshared memory), jits a large fused program, waits for its kernels to compile
 * and prints the compiled call's result next to the op-by-op one.
 * @module
 */
delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;

const { jit, numpy: np, setDefaultBackend, setThreads } = await import("../../mod.ts");
const { jitCallCounts } = await import("../../kernels/wasm/jit_executor.ts");
const { wasmRuntime } = await import("../../kernels/wasm/runtime.ts");

setDefaultBackend("wasm");
setThreads(2);
const f = jit((x) => np.sum(np.tanh(x.mul(0.5)).add(x), 1));
const x = np.linspace(-2, 2, 301 * 307).reshape([301, 307]);
const interpreted = Array.from(f(x).toArray() as number[]);
const deadline = performance.now() + 60_000;
while (jitCallCounts.compiled === 0 && performance.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  f(x);
}
const compiled = Array.from(f(x).toArray() as number[]);
const pool = wasmRuntime().pool !== null;
console.log(JSON.stringify({ pool, calls: jitCallCounts.compiled, compiled, interpreted }));
