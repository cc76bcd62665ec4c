/**
 * Running jitted programs on the WebGPU backend. Once per program: the jaxpr is fused into a
 * kernel program (with view chains inlined), its intermediates are planned into one arena buffer,
 * each fused kernel becomes a WGSL shader whose pipeline is created up front, and the other
 * primitives ("op" kernels) are bound to the backend's eager kernel rules. Per call: every kernel
 * is recorded into the current command buffer without a submit in between; fused kernels read and
 * write the arena, op kernels read views of it and write their results into it through
 * `withOutputs`; only the program's outputs take buffers from the pool.
 *
 * A program with control flow is interpreted equation by equation instead, its branches and loop
 * bodies run as compiled programs of their own, and a scan whose body is one elementwise kernel
 * as one loop shader (loops.ts).
 *
 * When a fused kernel would bind more buffers than the device allows per shader stage, the excess
 * operands are copied into spill slots after the planned region of the arena (and results copied
 * out) around its launch.
 *
 * A checked call (`jit(f, { check: true })`) copies each kernel's inputs and outputs aside as it
 * records them; since reads are asynchronous, the comparison with op-by-op execution finishes in
 * the background, and the next read from the backend waits for it and throws what it found.
 *
 * The call itself (binding values, running kernels in order, placing constants once, handing
 * out outputs) is the shared executor's (kernels/lowering/program_executor.ts); this module is
 * its WebGPU machine and the lowering it runs.
 * @module
 */
import { hasSubJaxprs, withSubJaxprRunner } from "../../../core/control/sub_programs.ts";
import { ConcreteArray } from "../../../core/array.ts";
import type { ShapedArray } from "../../../core/aval.ts";
import type { Backend, CompiledProgram, DeviceBuffer } from "../../../core/backend.ts";
import type { TypedArray } from "../../../core/dtype.ts";
import type { Jaxpr, Var } from "../../../core/jaxpr.ts";
import { runCheckedAsync } from "../../lowering/check_program.ts";
import { fuse, type Kernel, type KernelProgram, programToString } from "../../lowering/fusion.ts";
import { type MemoryPlan, planMemory } from "../../lowering/memory_plan.ts";
import {
  type CallCounts,
  interpreter,
  type KernelMachine,
  placeConstants,
  placeOn,
  programCalls,
  programRunner,
  subPrograms,
} from "../../lowering/program_executor.ts";
import { verifyProgram } from "../../lowering/verify_program.ts";
import { config } from "../../../core/config.ts";
import type { GpuRule } from "../rule.ts";
import { type BufferRef, type GpuRuntime, GpuView, wholeBuffer } from "../runtime.ts";
import { ELEMENT_BYTES, gpuDType } from "../wgsl.ts";
import { arenaLayout, spillSlots } from "./arena_layout.ts";
import { describeLoops } from "../../lowering/describe_loops.ts";
import { emitLoopWgsl } from "./loop_wgsl.ts";
import { emitFusedWgsl, type FusedShader } from "./fused_wgsl.ts";
import { type GpuLoopContext, gpuLoopImpls } from "./loops.ts";

/** What the executor needs from the WebGPU backend. */
export interface WebGPUContext {
  /** The runtime kernels are recorded on. */
  rt: GpuRuntime;
  /** The backend the arrays belong to. */
  backend: Backend;
  /** The eager kernel rule of a primitive, or an error naming it. */
  ruleFor(prim: string): GpuRule;
  /** The buffer of a live webgpu array's storage, or an error naming `op`. */
  bufferOf(op: string, storage: DeviceBuffer): GPUBuffer;
  /** Storage owning a pooled buffer. */
  storage(buffer: GPUBuffer): DeviceBuffer;
  /** Reads a webgpu array's storage without waiting for checks (`settleChecks`). */
  read(storage: DeviceBuffer, aval: ShapedArray): Promise<TypedArray>;
}

/** A fused kernel's shader, with the operands it reaches through spill slots. */
export interface FusedLaunch {
  /** The WGSL kernel and the values it binds. */
  shader: FusedShader;
  /** Operands copied into the arena before the launch, with their byte offsets there. */
  spillIn: [Var, number][];
  /** Results copied out of the arena after the launch. */
  spillOut: [Var, number][];
}

/** A program lowered for WebGPU: kernels, arena layout and shaders. */
export interface WebGPUProgram {
  /** The kernel program (view chains inlined). */
  program: KernelProgram;
  /** The memory plan it was placed from. */
  plan: MemoryPlan;
  /** GPU byte offset in the arena of each planned value. */
  offsets: Map<Var, number>;
  /** Arena bytes, spill slots included. */
  arenaBytes: number;
  /** The launch of each fused kernel. */
  fused: Map<Kernel, FusedLaunch>;
}

const bytesOf = (v: Var) => v.aval.size * ELEMENT_BYTES;

/** The storage a value uses: itself, or the value a chain of reshapes aliases. */
function rootOf(plan: MemoryPlan, v: Var): Var {
  let r = v;
  while (plan.aliases.has(r)) r = plan.aliases.get(r)!;
  return r;
}

/**
 * Lowers `jaxpr` for a device with the given storage offset alignment and per-stage binding limit.
 */
export function lowerForWebGPU(jaxpr: Jaxpr, align: number, maxBindings: number): WebGPUProgram {
  const program = fuse(jaxpr);
  const plan = planMemory(program);
  if (config.verifyPrograms) verifyProgram(program, plan);
  const layout = arenaLayout(plan, align);
  const arenaElement = (v: Var) => {
    const at = layout.offsets.get(rootOf(plan, v));
    return at === undefined ? undefined : at / ELEMENT_BYTES;
  };
  let arenaBytes = layout.bytes;
  const fused = new Map<Kernel, FusedLaunch>();
  for (const k of program.kernels) {
    if (k.kind !== "fused") continue;
    let shader = emitFusedWgsl(k, arenaElement);
    let spills = new Map<Var, number>();
    const excess = shader.bindings.length + 1 - maxBindings;
    if (shader.bindings.length + (shader.arena ? 1 : 0) > maxBindings) {
      const slots = spillSlots(shader.bindings.slice(-excess), bytesOf, layout.bytes, align);
      spills = slots.offsets;
      arenaBytes = Math.max(arenaBytes, slots.end);
      shader = emitFusedWgsl(k, (v) => {
        const spill = spills.get(v);
        return spill === undefined ? arenaElement(v) : spill / ELEMENT_BYTES;
      });
    }
    const written = new Set(k.outputs);
    const slots = [...spills];
    fused.set(k, {
      shader,
      spillIn: slots.filter(([v]) => !written.has(v)),
      spillOut: slots.filter(([v]) => written.has(v)),
    });
  }
  return { program, plan, offsets: layout.offsets, arenaBytes, fused };
}

/** Refuses float64 (and any other dtype WGSL lacks), naming the primitive that uses it. */
function checkDTypes(jaxpr: Jaxpr): void {
  for (const v of [...jaxpr.constVars, ...jaxpr.inBinders]) gpuDType("jit", v.aval.dtype);
  for (const e of jaxpr.eqns) {
    for (const a of [...e.inputs, ...e.outBinders]) gpuDType(e.prim.name, a.aval.dtype);
  }
}

const hasEmptyArray = (jaxpr: Jaxpr) =>
  [...jaxpr.inBinders, ...jaxpr.eqns.flatMap((e) => e.outBinders)].some((v) => v.aval.size === 0);

/** Device limits a lowering depends on. */
function deviceLimits(rt: GpuRuntime): [number, number] {
  const { minStorageBufferOffsetAlignment, maxStorageBuffersPerShaderStage } = rt.device.limits;
  return [minStorageBufferOffsetAlignment, maxStorageBuffersPerShaderStage];
}

/** Releases the arena of a compiled program once its machine is garbage. */
const arenas = new FinalizationRegistry<{ rt: GpuRuntime; arena: GPUBuffer }>(
  ({ rt, arena }) => rt.release(arena),
);

/** Whether `jaxpr` has control flow (cond, while, scan), which a kernel program does not run. */
function hasControlFlow(jaxpr: Jaxpr): boolean {
  return jaxpr.eqns.some(hasSubJaxprs);
}

/** How many jitted calls on webgpu ran as compiled kernel programs and how many op by op. */
export const gpuJitCallCounts: CallCounts = {
  compiled: 0,
  interpreted: 0,
};

/** What the loop rules need, from the executor's context. */
function loopContext(ctx: WebGPUContext): GpuLoopContext {
  return {
    rt: ctx.rt,
    backend: ctx.backend,
    bufferOf: (storage) => ctx.bufferOf("scan", storage),
    storage: ctx.storage,
    onGpu: (x) => placeOn(ctx.backend, x),
  };
}

/**
 * A function running `jaxpr` on webgpu arrays as a compiled kernel program. Programs over empty
 * arrays are interpreted op by op, and programs with control flow too, their branches and loop
 * bodies as compiled programs (each step of a scan one program recorded into the current
 * command buffer, with no read back but a while loop's predicate) and their scans, where the
 * body is one elementwise kernel, as one loop shader (loops.ts); float64 and primitives without
 * a WebGPU kernel are errors.
 */
export function webgpuExecutable(jaxpr: Jaxpr, ctx: WebGPUContext): CompiledProgram {
  checkDTypes(jaxpr);
  const loops = hasControlFlow(jaxpr) ? gpuLoopImpls(loopContext(ctx)) : {};
  const interpret = interpreter(jaxpr, gpuJitCallCounts, loops);
  if (hasEmptyArray(jaxpr)) return interpret;
  if (hasControlFlow(jaxpr)) {
    const { runner } = subPrograms((body) => webgpuExecutable(body, ctx), ctx.backend);
    return (args) => withSubJaxprRunner(runner, () => interpret(args));
  }
  const lowered = lowerForWebGPU(jaxpr, ...deviceLimits(ctx.rt));
  const { program } = lowered;
  for (const k of program.kernels) if (k.kind === "op") ctx.ruleFor(k.eqns[0].prim.name);
  for (const { shader } of lowered.fused.values()) ctx.rt.prepare(shader.source);
  const run = programRunner(
    program,
    placeConstants(program, ctx.backend),
    gpuMachine(lowered, ctx),
  );
  const read = (x: ConcreteArray) =>
    x.backend === ctx.backend ? ctx.read(x.buffer, x.aval) : x.read();
  return programCalls({
    program,
    counts: gpuJitCallCounts,
    interpret,
    runner: () => run,
    checked: (program, args, run) => runCheckedAsync(program, args, run, read),
  });
}

/**
 * How a kernel program runs on WebGPU: values are buffers or views of the arena; a call records
 * every kernel into the current command buffer. Fused kernels read and write the arena (their
 * excess operands copied through spill slots around the launch); op kernels read views of it
 * and write their results into it through `withOutputs`; only the program's outputs and results
 * outside the plan take buffers from the pool. A checked call records copies of the values.
 */
function gpuMachine(
  lowered: WebGPUProgram,
  ctx: WebGPUContext,
): KernelMachine<BufferRef, ConcreteArray> {
  const { offsets, arenaBytes, fused } = lowered;
  const { rt, backend } = ctx;
  const arena = arenaBytes ? rt.alloc(arenaBytes) : null;
  const views = new Map<Var, GpuView>();
  for (const [v, at] of offsets) views.set(v, new GpuView(arena!, at, bytesOf(v)));
  const spill = (v: Var, at: number) => new GpuView(arena!, at, bytesOf(v));
  const copied = (v: Var, from: BufferRef) => {
    const copy = rt.alloc(bytesOf(v));
    rt.copy(from, copy, bytesOf(v));
    return copy;
  };
  const machine: KernelMachine<BufferRef, ConcreteArray> = {
    storageOf: (x) => ctx.bufferOf("jit", x.buffer),
    planned: (v) => views.get(v),
    rules: {
      fused(k, call) {
        const { shader, spillIn, spillOut } = fused.get(k)!;
        for (const v of k.outputs) if (!views.has(v)) call.bind(v, rt.alloc(bytesOf(v)), true);
        for (const [v, at] of spillIn) rt.copy(call.ref(v), spill(v, at), bytesOf(v));
        const bound = shader.bindings.map(call.ref);
        rt.run(
          { source: shader.source, groups: shader.groups, params: [] },
          shader.arena ? [arena!, ...bound] : bound,
        );
        for (const [v, at] of spillOut) rt.copy(spill(v, at), call.ref(v), bytesOf(v));
      },
      op(k, call) {
        const e = k.eqns[0];
        const outs = rt.withOutputs(
          e.outBinders.map((v) => views.get(v)),
          () =>
            ctx.ruleFor(e.prim.name)(
              rt,
              e.inputs.map(call.operand),
              e.inputs.map((a) => a.aval),
              e.params,
              e.outBinders.map((v) => v.aval),
            ),
        );
        e.outBinders.forEach((v, j) => {
          if (views.has(v)) return;
          const buf = wholeBuffer(e.prim.name, outs[j]);
          if (k.outputs.includes(v)) call.bind(v, buf, true);
          else rt.release(buf);
        });
      },
      alias(k, call) {
        const e = k.eqns[0];
        call.bind(e.outBinders[0], call.ref(e.inputs[0] as Var), false);
      },
    },
    snapshot: (v, at) => new ConcreteArray(v.aval, ctx.storage(copied(v, at)), backend),
    result(v, at, fresh) {
      const buf = fresh ? wholeBuffer("jit", at) : copied(v, at);
      return new ConcreteArray(v.aval, ctx.storage(buf), backend);
    },
    call: (run) => rt.batch(run),
  };
  if (arena) arenas.register(machine, { rt, arena });
  return machine;
}

/**
 * What `jit(f).lower(...)` shows on the WebGPU backend: the kernel program and its shaders, and
 * where it has loops or branches, what each runs (`loops`) and the shaders of its loop kernels
 * (`loop wgsl`).
 */
export function describeForWebGPU(jaxpr: Jaxpr, rt: GpuRuntime): Record<string, string> {
  checkDTypes(jaxpr);
  const limits = deviceLimits(rt);
  const { program, fused } = lowerForWebGPU(jaxpr, ...limits);
  const wgsl = program.kernels.flatMap((k, i) => {
    const launch = fused.get(k);
    return launch ? [`// k${i}\n${launch.shader.source}`] : [];
  });
  const shown: Record<string, string> = {
    program: programToString(program),
    wgsl: wgsl.join("\n"),
  };
  const { loops, sources } = describeLoops(program, {
    program: (body) => lowerForWebGPU(body, ...limits).program,
    render: (loop, p) => emitLoopWgsl(loop, p.length, p.reverse, () => undefined).source,
  });
  if (loops) shown.loops = loops;
  if (sources) shown["loop wgsl"] = sources;
  return shown;
}
