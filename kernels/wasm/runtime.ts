/**
 * The wasm runtime: the prebuilt kernel module instantiated over one linear memory, with buffer
 * allocation, host transfers and the scratch areas kernels need (gemm packing workspaces). Kernels are plain exports taking byte addresses and sizes; everything that runs
 * on this memory later (jit-compiled modules, worker threads) instantiates against the same
 * `memory`.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import type { DType, TypedArray } from "../../core/dtype.ts";
import { AdjointError } from "../../core/errors.ts";
import { type Block, LinearMemory, type MemoryStats, WasmBuffer } from "./memory.ts";
import { unshareMemoryImport } from "./memory_import.ts";
import { KERNELS_WASM_BASE64 } from "./prebuilt.ts";
import { ThreadPool, type ThreadTask } from "./thread_pool.ts";
import { threadCount, threadsAdapt, threadSetting, threadsSupported } from "./threads.ts";

/** A kernel export: numbers (addresses, sizes, scalars) in, at most a number out. */
export type KernelFn = (...args: number[]) => number;

/** Bytes per element of each dtype. */
export const ELEMENT_BYTES: Record<DType, number> = {
  bool: 1,
  int32: 4,
  float32: 4,
  float64: 8,
};

/** Kernel-name suffix of each dtype (`add_f32`, `not_u8`). */
export const SUFFIX: Record<DType, string> = {
  bool: "u8",
  int32: "i32",
  float32: "f32",
  float64: "f64",
};

/** Bytes reserved for the static data of jit-generated modules (none today: fused_codegen.ts). */
export const JIT_STATIC_BYTES = 65536;

function decodeBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

/** Most threads a runtime's control block has room for. */
const MAX_THREADS = 64;

let compiled: WebAssembly.Module | undefined;

/**
 * The prebuilt module, compiled once per process: importing a shared memory where threads are
 * supported, else the same code importing an unshared one.
 */
export function kernelModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const bytes = decodeBase64(KERNELS_WASM_BASE64);
  const code = threadsSupported() ? bytes : unshareMemoryImport(bytes);
  return compiled = new WebAssembly.Module(code as BufferSource);
}

/** Linear memory, the instantiated kernels and their scratch areas. */
export class WasmRuntime {
  /** Buffers and the allocator. */
  readonly heap: LinearMemory;
  /** Exports of the prebuilt module. */
  readonly exports: Record<string, unknown>;
  /**
   * Where jit-generated modules keep their static data: reserved first, so the address (part of
   * their compiled form and cache key) is the same in every process.
   */
  readonly jitStaticBase: number;
  /** Worker threads sharing the memory, or null where threads are unsupported. */
  readonly pool: ThreadPool | null;
  #workspaces = new Map<string, number>();

  /** Instantiates the prebuilt kernels over a fresh memory. */
  constructor() {
    const module = kernelModule();
    const shared = threadsSupported();
    // Instantiate once against a probe memory to learn where static data ends.
    const probe = LinearMemory.create(1, shared);
    const base = (new WebAssembly.Instance(module, { env: { memory: probe } }).exports
      .heap_base as () => number)();
    this.heap = new LinearMemory(base, shared);
    this.exports = new WebAssembly.Instance(module, { env: { memory: this.heap.memory } }).exports;
    // Fresh (zero) memory, as modules expect of their static data beyond their data segments.
    this.jitStaticBase = this.heap.alloc(JIT_STATIC_BYTES, false).ptr;
    this.pool = shared
      ? new ThreadPool(
        this.heap,
        module,
        this.heap.alloc(ThreadPool.controlBytes(MAX_THREADS - 1)).ptr,
        MAX_THREADS - 1,
      )
      : null;
  }

  /** Threads a kernel launch may use now (`setThreads`, capped by what the runtime supports). */
  threads(): number {
    return this.pool ? Math.min(threadCount(), MAX_THREADS) : 1;
  }

  /**
   * Runs kernel tasks in parallel, one per thread (at most `threads()` of them); `op` names the
   * operation in errors.
   */
  parallel(tasks: readonly ThreadTask[], op: string): void {
    const call = (t: ThreadTask) => this.kernel(t.kernel, op)(...t.args);
    if (this.pool && tasks.length > 1) this.pool.run(tasks, call);
    else for (const t of tasks) call(t);
  }

  /** The kernel export `name`, or an error naming the operation it was needed for. */
  kernel(name: string, op: string): KernelFn {
    const fn = this.exports[name];
    if (typeof fn !== "function") {
      throw new AdjointError(op, `the wasm backend has no kernel "${name}"`);
    }
    return fn as KernelFn;
  }

  /**
   * A permanent workspace of the size the export `sizeFn` reports (e.g. gemm packing), one per
   * `thread`.
   */
  workspace(sizeFn: string, thread = 0): number {
    const key = `${sizeFn}#${thread}`;
    let ptr = this.#workspaces.get(key);
    if (ptr === undefined) {
      ptr = this.heap.alloc(this.kernel(sizeFn, "workspace")()).ptr;
      this.#workspaces.set(key, ptr);
    }
    return ptr;
  }

  /** A new buffer for `n` elements of `dtype`. */
  alloc(dtype: DType, n: number): WasmBuffer {
    return new WasmBuffer(this.heap.alloc(n * ELEMENT_BYTES[dtype]));
  }

  /** A new buffer for an array of type `aval`. */
  allocFor(aval: ShapedArray): WasmBuffer {
    return this.alloc(aval.dtype, aval.size);
  }

  /** A second handle on the block of `buf` (for reshape and other no-copy results). */
  share(buf: WasmBuffer): WasmBuffer {
    buf.block.refs++;
    return new WasmBuffer(buf.block);
  }

  /** Temporary memory for one kernel call; release it with `free`. */
  scratch(bytes: number): Block {
    return this.heap.alloc(bytes);
  }

  /** Releases scratch memory. */
  free(block: Block): void {
    this.heap.release(block);
  }

  /** Releases a buffer handle (once; later calls do nothing). */
  dispose(buf: WasmBuffer): void {
    if (buf.release()) this.heap.release(buf.block);
  }

  /** A live typed-array view of `n` elements of `dtype` at `ptr` (invalid after memory grows). */
  view(dtype: DType, ptr: number, n: number): TypedArray {
    const b = this.heap.memory.buffer;
    switch (dtype) {
      case "float32":
        return new Float32Array(b, ptr, n);
      case "float64":
        return new Float64Array(b, ptr, n);
      case "int32":
        return new Int32Array(b, ptr, n);
      case "bool":
        return new Uint8Array(b, ptr, n);
    }
  }

  /** Copies host data into a new buffer. */
  fromHost(data: TypedArray, dtype: DType): WasmBuffer {
    const buf = this.alloc(dtype, data.length);
    this.view(dtype, buf.ptr, data.length).set(data);
    return buf;
  }

  /** Copies a buffer's `n` elements out to a new host typed array. */
  toHost(buf: WasmBuffer, dtype: DType, n: number): TypedArray {
    if (buf.disposed) throw new AdjointError("read", "the buffer was disposed");
    return this.view(dtype, buf.ptr, n).slice();
  }

  /** Memory usage. */
  stats(): MemoryStats {
    return this.heap.stats();
  }
}

let runtime: WasmRuntime | undefined;

/** The process-wide runtime, created on first use. */
export function wasmRuntime(): WasmRuntime {
  return runtime ??= new WasmRuntime();
}

/** The kernel threads' state, as `wasmThreading()` reports it. */
export interface WasmThreading {
  /** `"auto"` (`setThreads("auto")`, the default: adapted to the load) or `"fixed"`. */
  mode: "auto" | "fixed";
  /** Threads kernels split their work over (what results depend on), the calling thread included. */
  threads: number;
  /**
   * Threads running the parts now: `threads`, or fewer (down to 1, the calling thread alone)
   * while other processes keep the cores busy (auto only).
   */
  inEffect: number;
  /** `"contended"` while auto mode runs on fewer threads and without polling, else `"free"`. */
  state: "free" | "contended";
  /** Whether this environment has threads at all (`SharedArrayBuffer`, `Worker`). */
  supported: boolean;
}

/**
 * How the wasm kernels use threads now: the setting, the split, and how many threads really run.
 *
 * @example
 * ```ts
 * import { wasmThreading } from "./mod.ts";
 * const { mode, threads, inEffect } = wasmThreading();
 * console.log(`${mode}: ${threads} parts on ${inEffect} thread(s)`);
 * ```
 */
export function wasmThreading(): WasmThreading {
  const threads = Math.min(threadCount(), MAX_THREADS);
  const governor = threadsAdapt() ? runtime?.pool?.governor(threads) : undefined;
  return {
    mode: threadSetting() === "auto" ? "auto" : "fixed",
    threads,
    inEffect: governor?.inEffect ?? threads,
    state: governor?.mode ?? "free",
    supported: threadsSupported(),
  };
}
