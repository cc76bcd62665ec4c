/**
 * Eager kernels that are one-op programs of the kernel IR over their own shapes (structural
 * primitives: kernels/lowering/one_op_view.ts; reductions: one_op_reduce_axes.ts): rendered as
 * jitted loop kernels are (loop_shader.ts), with their numbers read from the run-time parameters,
 * so that one compiled pipeline serves every shape of the same structure.
 * @module
 */
import { sizeOf } from "../../core/shape.ts";
import type { LoopKernel } from "../lowering/kernel_ir.ts";
import { loopShader, parameters, ShaderBuffers } from "./loop_shader.ts";
import type { BufferRef, GpuRuntime, Kernel } from "./runtime.ts";
import { gpuDType, KernelParams } from "./wgsl.ts";

/**
 * The kernel of loop kernel `lk` and the buffers it binds in order, by index among the inputs
 * then the outputs.
 */
export function oneOpShader(lk: LoopKernel): { kernel: Kernel; bindings: number[] } {
  const dtypes = [...lk.inputs, ...lk.outputs].map((d) => gpuDType("webgpu", d));
  const buffers = new ShaderBuffers<number>(() => undefined, (i) => dtypes[i]);
  const p = new KernelParams();
  const n = lk.inputs.length;
  const shader = loopShader(lk, buffers, (i) => i, (j) => n + j, parameters(p));
  const source = shader.source + p.declare(buffers.bindings.length);
  return {
    kernel: { source, groups: shader.groups, params: p.values },
    bindings: buffers.bindings,
  };
}

/**
 * Records loop kernel `lk` reading `inputs` and writing `outputs`; nothing where its space is
 * empty, but for a reduction, whose outputs still get the identity.
 */
export function runOneOp(
  rt: GpuRuntime,
  lk: LoopKernel,
  inputs: readonly BufferRef[],
  outputs: readonly BufferRef[],
): void {
  if (sizeOf(lk.space) === 0 && !lk.stores.some((s) => s.reduce)) return;
  const { kernel, bindings } = oneOpShader(lk);
  const refs = [...inputs, ...outputs];
  rt.run(kernel, bindings.map((b) => refs[b]));
}
