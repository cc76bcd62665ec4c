/**
 * The WebGPU backend's kernel rule type: given input buffers and the avals and params of one
 * primitive application, record the launches that compute it and return the output buffers.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import type { Params } from "../../core/primitive.ts";
import type { GpuRuntime } from "./runtime.ts";
import { ELEMENT_BYTES } from "./wgsl.ts";

/** One primitive's WebGPU implementation. */
export type GpuRule = (
  rt: GpuRuntime,
  inputs: GPUBuffer[],
  inAvals: ShapedArray[],
  params: Params,
  outAvals: ShapedArray[],
) => GPUBuffer[];

/** A pooled buffer large enough for `aval`. */
export function allocFor(rt: GpuRuntime, aval: ShapedArray): GPUBuffer {
  return rt.alloc(aval.size * ELEMENT_BYTES);
}
