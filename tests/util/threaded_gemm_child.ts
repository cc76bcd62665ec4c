/**
 * A tiny program for tests/wasm_threads_test.ts: one gemm on two threads, then it should exit on
 * its own (idle kernel threads must not keep the process alive). Prints how many tasks ran on
 * worker threads.
 * @module
 */
import { numpy as np, setDefaultBackend, setThreads } from "../../mod.ts";
import { threadStats } from "../../kernels/wasm/thread_pool.ts";

setDefaultBackend("wasm");
setThreads(2);
const a = np.ones([256, 256]);
const s = np.sum(np.matmul(a, a)).item();
console.log(JSON.stringify({ sum: s, workerTasks: threadStats.workerTasks }));
