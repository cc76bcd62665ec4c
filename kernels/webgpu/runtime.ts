/**
 * The WebGPU runtime: one device, its pipeline cache (keyed by WGSL source), buffer pools, a
 * command encoder that batches kernel launches until a result is read, the arena that carries
 * each launch's run-time parameters (uploaded once per batch), and the device-side error flag.
 *
 * Kernels cannot throw, so kernels that check indices (take, scatter_add) record the first bad
 * index in a small status buffer; every `read` fetches it with the data and raises the error there.
 *
 * Compiled programs keep their intermediates in one arena buffer and hand kernels `GpuView`s of
 * it (an aligned byte range) wherever a buffer is expected; `withOutputs` makes the kernel rules
 * write their results into given views instead of pooled buffers, and `batch` keeps a whole
 * program in one command buffer.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";
import { BufferPool } from "./buffer_pool.ts";

/** One compute kernel launch: WGSL source, launch size and run-time parameters. */
export interface Kernel {
  /** The WGSL module (entry point `main`; buffers at group 0, bindings 0..n-1, then `p`). */
  source: string;
  /** Workgroup counts. */
  groups: [number, number, number];
  /** Values of the parameter buffer `p` (i32 words), bound after the buffers when non-empty. */
  params: number[];
}

/** Launches recorded before the encoder is submitted without a read. */
const MAX_PENDING = 64;

/** Bytes of the parameter arena, and the alignment of each launch's slice of it. */
const ARENA_BYTES = 64 * 1024, ARENA_ALIGN = 256;

/** Status buffer layout: [error count, op code, offending index, axis size]. */
const STATUS_BYTES = 16;

/** Op codes written into the status buffer by index-checking kernels. */
export const STATUS_OPS: readonly string[] = [
  "",
  "take",
  "scatter_add",
  "scatter",
  "scatter_mul",
  "scatter_min",
  "scatter_max",
];

/** A byte range of a buffer, bound where a kernel expects a buffer (offset aligned for storage). */
export class GpuView {
  /** The range `[offset, offset + size)` of `buffer`. */
  constructor(readonly buffer: GPUBuffer, readonly offset: number, readonly size: number) {}
}

/** What a kernel binds: a whole buffer or a view of one. */
export type BufferRef = GPUBuffer | GpuView;

/** The buffer behind a reference. */
export function underlying(ref: BufferRef): GPUBuffer {
  return ref instanceof GpuView ? ref.buffer : ref;
}

/** The whole buffer behind a reference that must not be a view (eager results), or an error. */
export function wholeBuffer(op: string, ref: BufferRef): GPUBuffer {
  if (ref instanceof GpuView) {
    throw new AdjointError(op, "a kernel wrote into a view where a whole buffer was expected");
  }
  return ref;
}

/** The access mode each `@binding(n)` of a WGSL module declares for its storage buffer. */
function bindingAccess(source: string): Map<number, string> {
  const access = new Map<number, string>();
  for (const m of source.matchAll(/@binding\((\d+)\) var<storage, (read_write|read)>/g)) {
    access.set(Number(m[1]), m[2]);
  }
  return access;
}

/** Runs kernels on one device. */
export class GpuRuntime {
  /** Storage buffers for array data. */
  readonly pool: BufferPool;
  /** Mappable buffers for readback. */
  readonly staging: BufferPool;
  /** The device-side error flag (see the module comment). */
  readonly status: GPUBuffer;
  #pipelines = new Map<string, GPUComputePipeline>();
  #arena: GPUBuffer;
  #arenaHost = new Int32Array(ARENA_BYTES / 4);
  #arenaUsed = 0;
  #encoder: GPUCommandEncoder | null = null;
  #pending = 0;
  #deviceErrors: string[] = [];
  #outputs: (BufferRef | undefined)[] = [];
  #batching = 0;
  #aliasSafe = new Map<string, { access: Map<number, string>; variants: Map<string, string> }>();
  /** Kernels launched so far (for tests and benchmarks). */
  launches = 0;
  /** Storage buffers taken from the pool so far, new or reused (for tests and benchmarks). */
  allocations = 0;
  /** Command buffers submitted so far (for tests and benchmarks). */
  submits = 0;

  /** A runtime on `device`. */
  constructor(readonly device: GPUDevice) {
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.pool = new BufferPool(device, storage, 512 * 2 ** 20);
    this.staging = new BufferPool(
      device,
      GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      64 * 2 ** 20,
    );
    this.status = device.createBuffer({ size: STATUS_BYTES, usage: storage });
    this.#arena = device.createBuffer({ size: ARENA_BYTES, usage: storage });
    device.addEventListener("uncapturederror", (e) => {
      this.#deviceErrors.push((e as GPUUncapturedErrorEvent).error.message);
    });
  }

  /** Number of distinct compiled pipelines. */
  get pipelineCount(): number {
    return this.#pipelines.size;
  }

  /** A storage buffer of at least `bytes` bytes, from the pool. */
  alloc(bytes: number): GPUBuffer {
    this.allocations++;
    return this.pool.acquire(bytes);
  }

  /**
   * Where a kernel rule puts a result of `bytes` bytes: the next destination given to
   * `withOutputs` if there is one, else a pooled buffer.
   */
  allocOutput(bytes: number): BufferRef {
    return this.#outputs.shift() ?? this.alloc(bytes);
  }

  /**
   * Runs `fn` (one kernel rule) with its results directed into `targets`, in order; an
   * `undefined` target, or a result past the list, gets a pooled buffer.
   */
  withOutputs<T>(targets: (BufferRef | undefined)[], fn: () => T): T {
    this.#outputs = [...targets];
    try {
      return fn();
    } finally {
      this.#outputs = [];
    }
  }

  /** Runs `fn` without submitting part-way, so the launches it records share one command buffer. */
  batch<T>(fn: () => T): T {
    this.#batching++;
    try {
      return fn();
    } finally {
      this.#batching--;
    }
  }

  /** Compiles the pipeline of a WGSL module ahead of its first launch. */
  prepare(source: string): void {
    this.#pipeline(source);
  }

  /** Returns a storage buffer to the pool. */
  release(buf: GPUBuffer): void {
    this.pool.release(buf);
  }

  /** Copies host bytes into `buf`, after every launch recorded so far. */
  write(buf: GPUBuffer, data: ArrayBufferView<ArrayBuffer>): void {
    if (this.#pending) this.flush();
    if (data.byteLength) this.device.queue.writeBuffer(buf, 0, data);
  }

  /** Records one kernel launch with `buffers` bound in order, then its parameters. */
  run(kernel: Kernel, buffers: BufferRef[]): void {
    if (kernel.groups.some((g) => g === 0)) return;
    const pipeline = this.#pipeline(this.#withoutAccessConflicts(kernel.source, buffers));
    const entries: GPUBindGroupEntry[] = buffers.map((ref, binding) => ({
      binding,
      resource: ref instanceof GpuView
        ? { buffer: ref.buffer, offset: ref.offset, size: ref.size }
        : { buffer: ref },
    }));
    if (kernel.params.length) {
      const size = kernel.params.length * 4;
      if (this.#arenaUsed + size > ARENA_BYTES) this.flush();
      const offset = this.#arenaUsed;
      this.#arenaHost.set(kernel.params, offset / 4);
      this.#arenaUsed = Math.ceil((offset + size) / ARENA_ALIGN) * ARENA_ALIGN;
      entries.push({ binding: buffers.length, resource: { buffer: this.#arena, offset, size } });
    }
    const bindGroup = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries,
    });
    const pass = this.#encode().beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...kernel.groups);
    pass.end();
    this.launches++;
    if (++this.#pending >= MAX_PENDING && !this.#batching) this.flush();
  }

  /** Records a copy of `bytes` bytes from the start of `src` to the start of `dst`. */
  copy(src: BufferRef, dst: BufferRef, bytes: number): void {
    if (bytes === 0) return;
    const offset = (r: BufferRef) => (r instanceof GpuView ? r.offset : 0);
    this.#encode().copyBufferToBuffer(
      underlying(src),
      offset(src),
      underlying(dst),
      offset(dst),
      bytes,
    );
    this.#pending++;
  }

  /**
   * WebGPU forbids binding one buffer both read-only and writable in a dispatch, which happens
   * when a kernel reads one view of an arena and writes another: those read-only bindings are
   * then declared `read_write` (the ranges never overlap, so nothing else changes).
   */
  #withoutAccessConflicts(source: string, refs: BufferRef[]): string {
    const bufs = refs.map(underlying);
    if (new Set(bufs).size === bufs.length) return source;
    let known = this.#aliasSafe.get(source);
    if (!known) {
      known = { access: bindingAccess(source), variants: new Map() };
      this.#aliasSafe.set(source, known);
    }
    const { access, variants } = known;
    const written = new Set(bufs.filter((_, i) => access.get(i) === "read_write"));
    const promote = bufs.flatMap((b, i) => (access.get(i) === "read" && written.has(b) ? [i] : []));
    if (!promote.length) return source;
    const key = promote.join(",");
    let safe = variants.get(key);
    if (safe === undefined) {
      safe = promote.reduce(
        (s, i) =>
          s.replace(`@binding(${i}) var<storage, read>`, `@binding(${i}) var<storage, read_write>`),
        source,
      );
      variants.set(key, safe);
    }
    return safe;
  }

  /** Submits the recorded commands, after uploading their parameters. */
  flush(): void {
    if (this.#arenaUsed) {
      this.device.queue.writeBuffer(this.#arena, 0, this.#arenaHost, 0, this.#arenaUsed / 4);
      this.#arenaUsed = 0;
    }
    if (this.#encoder) {
      this.device.queue.submit([this.#encoder.finish()]);
      this.submits++;
      this.#encoder = null;
      this.#pending = 0;
    }
    this.pool.collect();
    this.staging.collect();
  }

  /**
   * Reads `bytes` bytes of `buf` back to the host after all recorded work, and raises any error
   * that kernels or the device reported since the last read.
   */
  async read(buf: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    const dataBytes = Math.ceil(bytes / 4) * 4;
    const staging = this.staging.acquire(dataBytes + STATUS_BYTES);
    const enc = this.#encode();
    if (dataBytes) enc.copyBufferToBuffer(buf, 0, staging, 0, dataBytes);
    enc.copyBufferToBuffer(this.status, 0, staging, dataBytes, STATUS_BYTES);
    this.flush();
    await staging.mapAsync(GPUMapMode.READ, 0, dataBytes + STATUS_BYTES);
    const all = staging.getMappedRange(0, dataBytes + STATUS_BYTES).slice(0);
    staging.unmap();
    this.staging.release(staging);
    this.#raise(new Uint32Array(all, dataBytes, 4));
    return all.slice(0, bytes);
  }

  /** Waits until the device has finished all submitted work. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }

  #raise(status: Uint32Array): void {
    if (status[0] !== 0) {
      const [, op, index, size] = status;
      this.device.queue.writeBuffer(this.status, 0, new Uint32Array(4));
      throw new AdjointError(
        STATUS_OPS[op] ?? "webgpu",
        `index ${index | 0} is out of bounds for an axis of size ${size} ` +
          `(detected on the GPU by an earlier operation, reported at this read)`,
      );
    }
    if (this.#deviceErrors.length) {
      const errors = this.#deviceErrors.splice(0);
      throw new AdjointError("webgpu", `the device reported: ${errors.join("; ")}`);
    }
  }

  #encode(): GPUCommandEncoder {
    return this.#encoder ??= this.device.createCommandEncoder();
  }

  #pipeline(source: string): GPUComputePipeline {
    let p = this.#pipelines.get(source);
    if (!p) {
      const module = this.device.createShaderModule({ code: source });
      p = this.device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main" },
      });
      this.#pipelines.set(source, p);
    }
    return p;
  }
}
