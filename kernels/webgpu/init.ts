/**
 * Acquiring a GPU is asynchronous, so the WebGPU backend registers itself only when asked:
 * `await initWebGPU()` requests an adapter and a device and registers the backend as `"webgpu"`.
 * @module
 */
import { type Backend, registerBackend } from "../../core/backend.ts";
import { createWebGPUBackend } from "./backend.ts";
import { GpuRuntime } from "./runtime.ts";

/** Options of `initWebGPU`. */
export interface WebGPUOptions {
  /** Which adapter to prefer when there are several. */
  powerPreference?: GPUPowerPreference;
}

let pending: Promise<Backend | null> | undefined;
let runtime: GpuRuntime | undefined;

async function acquire(options: WebGPUOptions): Promise<Backend | null> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference });
  if (!adapter) return null;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  runtime = new GpuRuntime(device);
  const backend = createWebGPUBackend(runtime);
  registerBackend(backend);
  return backend;
}

/**
 * Requests a GPU and registers the `"webgpu"` backend; resolves to the backend, or to `null`
 * when this runtime has no WebGPU adapter at all. Later calls return the same backend.
 *
 * ```ts
 * import { initWebGPU, numpy as np, setDefaultBackend } from "../../mod.ts";
 * if (await initWebGPU()) setDefaultBackend("webgpu");
 * const y = np.array([1, 2, 3]).mul(2);
 * console.log(await y.read());
 * ```
 */
export function initWebGPU(options: WebGPUOptions = {}): Promise<Backend | null> {
  pending ??= acquire(options);
  return pending;
}

/** The runtime (device, caches, counters) of the initialized backend, for tests and benchmarks. */
export function webgpuRuntime(): GpuRuntime | undefined {
  return runtime;
}
