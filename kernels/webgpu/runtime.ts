/**
 * The WebGPU runtime: one device, its pipeline cache (keyed by WGSL source), buffer pools, a
 * command encoder that batches kernel launches until a result is read, the arena that carries
 * each launch's run-time parameters (uploaded once per batch), and the device-side error flag.
 *
 * Kernels cannot throw, so kernels that check indices (take, scatter_add) record the first bad
 * index in a small status buffer; every `read` fetches it with the data and raises the error there.
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
export const STATUS_OPS: readonly string[] = ["", "take", "scatter_add"];

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
  /** Kernels launched so far (for tests and benchmarks). */
  launches = 0;

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
    return this.pool.acquire(bytes);
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
  run(kernel: Kernel, buffers: GPUBuffer[]): void {
    if (kernel.groups.some((g) => g === 0)) return;
    const pipeline = this.#pipeline(kernel.source);
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({
      binding,
      resource: { buffer },
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
    if (++this.#pending >= MAX_PENDING) this.flush();
  }

  /** Records a buffer-to-buffer copy of `bytes` bytes. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    if (bytes === 0) return;
    this.#encode().copyBufferToBuffer(src, 0, dst, 0, bytes);
    this.#pending++;
  }

  /** Submits the recorded commands, after uploading their parameters. */
  flush(): void {
    if (this.#arenaUsed) {
      this.device.queue.writeBuffer(this.#arena, 0, this.#arenaHost, 0, this.#arenaUsed / 4);
      this.#arenaUsed = 0;
    }
    if (this.#encoder) {
      this.device.queue.submit([this.#encoder.finish()]);
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
