/**
 * The WebGPU backend's kernel rule type: given input buffers and the avals and params of one
 * primitive application, record the launches that compute it and return the output buffers.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import type { Params } from "../../core/primitive.ts";
import type { KernelPrimitiveName } from "../../core/primitives/registry.ts";
import type { ParamsOf, RuleEntry } from "../rule_table.ts";
import type { BufferRef, GpuRuntime } from "./runtime.ts";
import { ELEMENT_BYTES } from "./wgsl.ts";

/** One primitive's WebGPU implementation, given params of type `P`. */
export type GpuRule<P extends Params = Params> = (
  rt: GpuRuntime,
  inputs: BufferRef[],
  inAvals: ShapedArray[],
  params: P,
  outAvals: ShapedArray[],
) => BufferRef[];

/** The WebGPU backend's entry for every kernel primitive: a kernel or a refusal. */
export type GpuRuleTable = {
  readonly [N in KernelPrimitiveName]: RuleEntry<GpuRule<ParamsOf<N>>>;
};

/** Where a result of `aval` goes: a pooled buffer, or the destination a compiled program set. */
export function allocFor(rt: GpuRuntime, aval: ShapedArray): BufferRef {
  return rt.allocOutput(aval.size * ELEMENT_BYTES);
}
