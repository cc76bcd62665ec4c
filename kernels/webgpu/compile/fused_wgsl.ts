/**
 * WGSL code generation for fused kernels: one compute shader per kernel of a jitted program.
 * The kernel is lowered once to a loop kernel of the kernel IR (lower_kernel.ts) and rendered
 * as every loop kernel is (loop_shader.ts: one invocation per point, or per output element of a
 * reduction, serial or a workgroup tree), eager ones included.
 *
 * Shapes are static in a compiled program, so sizes, strides and arena offsets are constants in
 * the source. Values in the program's arena are read through one `array<u32>` binding (bitcast
 * to their type); every other value has a binding of its own.
 * @module
 */
import type { Var } from "../../../core/jaxpr.ts";
import type { Kernel } from "../../lowering/fusion.ts";
import { lowerKernel } from "../../lowering/lower_kernel.ts";
import { CONSTANTS, loopShader, ShaderBuffers } from "../loop_shader.ts";
import { type GpuDType, gpuDType } from "../wgsl.ts";

/** Where a value lives: its element offset in the arena, or `undefined` for a binding of its own. */
export type Placement = (v: Var) => number | undefined;

/** A fused kernel's shader and how to launch it. */
export interface FusedShader {
  /** The WGSL module (entry point `main`). */
  source: string;
  /** Workgroup counts. */
  groups: [number, number, number];
  /** Whether binding 0 is the arena (read and written as `array<u32>`). */
  arena: boolean;
  /** Values bound after the arena, in binding order: read-only inputs, writable outputs. */
  bindings: Var[];
}

const dtypeOf = (v: Var): GpuDType => gpuDType("jit", v.aval.dtype);

/** Emits the compute shader of fused kernel `k`, with values placed by `place`. */
export function emitFusedWgsl(k: Kernel, place: Placement): FusedShader {
  // A float64 value cannot be bound: refused naming jit before anything is rendered.
  [...k.inputs, ...k.outputs].forEach(dtypeOf);
  const lk = lowerKernel(k);
  const buffers = new ShaderBuffers<Var>(place, dtypeOf);
  const shader = loopShader(lk, buffers, (i) => k.inputs[i], (j) => k.outputs[j], CONSTANTS);
  return { ...shader, arena: buffers.arena, bindings: buffers.bindings };
}
