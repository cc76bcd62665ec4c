/**
 * Compiled loops on the WebGPU backend. A jitted program with control flow is interpreted
 * equation by equation, each step of a scan running the body as a compiled kernel program; a
 * scan whose body is one elementwise kernel (kernels/lowering/loop_fusion.ts) runs instead as
 * one loop shader (loop_wgsl.ts) iterating every step per element, its carries in registers:
 * one launch where the per-step loop records one program per step.
 *
 * The carries' results are fresh buffers, first filled with the initial carries and then
 * updated in place by the shader. Where the shader would bind more buffers than the device
 * allows per shader stage, the last slots are copied into an arena buffer around its launch,
 * as a fused kernel's excess operands are. Zero steps launch nothing: the carries come out as
 * they went in and the `ys` are empty.
 * @module
 */
import { type Array, ConcreteArray } from "../../../core/array.ts";
import { ShapedArray } from "../../../core/aval.ts";
import type { Backend, DeviceBuffer } from "../../../core/backend.ts";
import type { ImplRule } from "../../../core/primitive.ts";
import { scanP, type ScanParams } from "../../../core/control/scan.ts";
import { sizeOf } from "../../../core/shape.ts";
import { type FusedScan, type LoopFusionSwitch, loopReads } from "../../lowering/loop_fusion.ts";
import { scanLoops } from "../../lowering/program_executor.ts";
import { type GpuRuntime, GpuView } from "../runtime.ts";
import { ELEMENT_BYTES } from "../wgsl.ts";
import { spillSlots } from "./arena_layout.ts";
import { emitLoopWgsl, type LoopShader, type LoopSlots, loopSlots } from "./loop_wgsl.ts";

/** Loop fusion's switch and counts on webgpu. */
export const gpuLoopFusion: LoopFusionSwitch = { enabled: true, fused: 0, stepwise: 0 };

/** What the loop rules need from the backend. */
export interface GpuLoopContext {
  /** The runtime kernels are recorded on. */
  rt: GpuRuntime;
  /** The WebGPU backend. */
  backend: Backend;
  /** The GPU buffer of a webgpu array's storage. */
  bufferOf(storage: DeviceBuffer): GPUBuffer;
  /** Storage owning a pooled buffer. */
  storage(buffer: GPUBuffer): DeviceBuffer;
  /** `x` as a webgpu array (a copy if it lives on another backend). */
  onGpu(x: Array): ConcreteArray;
}

/** A scan body's fused loop (one direction), slots, consts on the GPU and shaders by length. */
interface GpuLoop {
  loop: FusedScan;
  slots: LoopSlots;
  consts: ConcreteArray[];
  launches: Map<number, LoopLaunch>;
}

/** A loop shader, with the slots it reaches through an arena and that arena's bytes. */
interface LoopLaunch {
  shader: LoopShader;
  spills: Map<number, number>;
  arenaBytes: number;
}

const bytesOf = (aval: ShapedArray) => aval.size * ELEMENT_BYTES;

/** A fresh webgpu array of type `aval`. */
function fresh(ctx: GpuLoopContext, aval: ShapedArray): ConcreteArray {
  return new ConcreteArray(aval, ctx.storage(ctx.rt.alloc(bytesOf(aval))), ctx.backend);
}

/**
 * The shader of `loop` for the steps and direction of `p` on `device`, past its limit of
 * storage buffers per stage reaching the last slots through an arena; `bytes` gives each
 * slot's size.
 */
function loopLaunch(
  loop: FusedScan,
  p: ScanParams,
  bytes: (slot: number) => number,
  device: GPUDevice,
): LoopLaunch {
  const { minStorageBufferOffsetAlignment: align, maxStorageBuffersPerShaderStage: maxBindings } =
    device.limits;
  const shader = emitLoopWgsl(loop, p.length, p.reverse, () => undefined);
  if (shader.bindings.length <= maxBindings) return { shader, spills: new Map(), arenaBytes: 0 };
  const excess = shader.bindings.slice(maxBindings - 1);
  const { offsets, end } = spillSlots(excess, bytes, 0, align);
  const place = (slot: number) => {
    const at = offsets.get(slot);
    return at === undefined ? undefined : at / ELEMENT_BYTES;
  };
  return {
    shader: emitLoopWgsl(loop, p.length, p.reverse, place),
    spills: offsets,
    arenaBytes: end,
  };
}

/** Records the launch of `launch` on the slots' buffers `refs` (inputs read, outputs written). */
function record(ctx: GpuLoopContext, launch: LoopLaunch, refs: GpuView[], written: number[]) {
  const { rt } = ctx;
  const { shader, spills, arenaBytes } = launch;
  const arena = arenaBytes ? rt.alloc(arenaBytes) : null;
  const slot = (s: number) => new GpuView(arena!, spills.get(s)!, refs[s].size);
  for (const s of spills.keys()) rt.copy(refs[s], slot(s), refs[s].size);
  const bound = shader.bindings.map((s) => refs[s]);
  rt.run(
    { source: shader.source, groups: shader.groups, params: [] },
    arena ? [arena, ...bound] : bound,
  );
  for (const s of spills.keys()) if (written.includes(s)) rt.copy(slot(s), refs[s], refs[s].size);
  if (arena) rt.release(arena);
}

/** `scan` as its loop shader, or `null` where its body has no fused loop. */
function runFused(
  ctx: GpuLoopContext,
  fused: GpuLoop | null,
  p: ScanParams,
  args: ConcreteArray[],
): ConcreteArray[] | null {
  if (!gpuLoopFusion.enabled || !fused || sizeOf(fused.loop.body.space) === 0) return null;
  const { loop, slots, consts, launches } = fused;
  const init = args.slice(p.numConsts, p.numConsts + p.numCarry);
  const ins = loopReads(loop, p, args, consts);
  const ys = p.jaxpr.outs.slice(p.numCarry).map((y) =>
    fresh(ctx, new ShapedArray([p.length, ...y.aval.shape], y.aval.dtype))
  );
  const carries = init.map((c) => fresh(ctx, c.aval));
  const bufferOf = (x: ConcreteArray) => ctx.bufferOf(x.buffer);
  init.forEach((c, j) => ctx.rt.copy(bufferOf(c), bufferOf(carries[j]), bytesOf(c.aval)));
  if (p.length > 0) {
    const arrays = [...ins, ...ys, ...carries];
    const refs = arrays.map((x) => new GpuView(bufferOf(x), 0, bytesOf(x.aval)));
    let launch = launches.get(p.length);
    if (!launch) {
      launch = loopLaunch(loop, p, (s) => refs[s].size, ctx.rt.device);
      launches.set(p.length, launch);
    }
    record(ctx, launch, refs, [...slots.ys, ...slots.carries]);
  }
  gpuLoopFusion.fused++;
  return [...carries, ...ys];
}

/**
 * The loop rules of a webgpu program interpreted equation by equation, by primitive name: `scan`
 * as its loop shader where its body has a fused loop (found once per body and direction), else
 * step by step.
 */
export function gpuLoopImpls(ctx: GpuLoopContext): Record<string, ImplRule> {
  const loopOf = scanLoops((loop, _p, consts): GpuLoop => ({
    loop,
    slots: loopSlots(loop),
    consts: consts.map(ctx.onGpu),
    launches: new Map(),
  }));
  const scan: ImplRule<ScanParams> = (args, p) => {
    const ins = (args as Array[]).map(ctx.onGpu);
    const fused = runFused(ctx, loopOf(p), p, ins);
    if (fused) return fused;
    gpuLoopFusion.stepwise++;
    return scanP.impl!(args, p);
  };
  return { scan };
}
