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
 * @module
 */
import {
  hasSubJaxprs,
  type SubJaxprRunner,
  withSubJaxprRunner,
} from "../../../core/control/sub_programs.ts";
import { simplify } from "../../../core/transforms/simplify.ts";
import { type Array, ConcreteArray } from "../../../core/array.ts";
import type { ShapedArray } from "../../../core/aval.ts";
import type { Backend, CompiledProgram, DeviceBuffer } from "../../../core/backend.ts";
import type { TypedArray } from "../../../core/dtype.ts";
import { AdjointError } from "../../../core/errors.ts";
import { evalJaxpr, type Jaxpr, Literal, type Var } from "../../../core/jaxpr.ts";
import {
  compareKernelsAsync,
  type KernelValues,
  opByOp,
  releaseValues,
} from "../../lowering/check_program.ts";
import { fuse, type Kernel, type KernelProgram, programToString } from "../../lowering/fusion.ts";
import { type MemoryPlan, planMemory } from "../../lowering/memory_plan.ts";
import { verifyProgram } from "../../lowering/verify_program.ts";
import { config } from "../../../core/config.ts";
import type { GpuRule } from "../rule.ts";
import { type BufferRef, type GpuRuntime, GpuView, wholeBuffer } from "../runtime.ts";
import { ELEMENT_BYTES, gpuDType } from "../wgsl.ts";
import { arenaLayout, spillSlots } from "./arena_layout.ts";
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

/** Releases the arena of a compiled program once its function is garbage. */
const arenas = new FinalizationRegistry<{ rt: GpuRuntime; arena: GPUBuffer }>(
  ({ rt, arena }) => rt.release(arena),
);

/** Whether `jaxpr` has control flow (cond, while, scan), which a kernel program does not run. */
function hasControlFlow(jaxpr: Jaxpr): boolean {
  return jaxpr.eqns.some(hasSubJaxprs);
}

/** How many jitted calls on webgpu ran as compiled kernel programs and how many op by op. */
export const gpuJitCallCounts: { compiled: number; interpreted: number } = {
  compiled: 0,
  interpreted: 0,
};

/**
 * Runs the branches and loop bodies of control-flow primitives as compiled kernel programs of
 * their own (made once per sub-jaxpr, simplified as `jit` simplifies): each step of a scan is one
 * program recorded into the current command buffer, with no read back but a while loop's
 * predicate.
 */
function subprograms(ctx: WebGPUContext): SubJaxprRunner {
  const programs = new WeakMap<Jaxpr, CompiledProgram>();
  return (jaxpr, args) => {
    let run = programs.get(jaxpr);
    if (!run) programs.set(jaxpr, run = webgpuExecutable(simplify(jaxpr), ctx));
    // An operand may be an uncommitted array of another backend (a constant the user made).
    return run(args.map((x) => placeOnGpu(x, ctx.backend)));
  };
}

/** What the loop rules need, from the executor's context. */
function loopContext(ctx: WebGPUContext): GpuLoopContext {
  return {
    rt: ctx.rt,
    backend: ctx.backend,
    bufferOf: (storage) => ctx.bufferOf("scan", storage),
    storage: ctx.storage,
    onGpu: (x) => placeOnGpu(x, ctx.backend),
  };
}

/**
 * A function running `jaxpr` on webgpu arrays as a compiled kernel program. Programs over empty
 * arrays are interpreted op by op, and programs with control flow too, their branches and loop
 * bodies as compiled programs and their scans, where the body is one elementwise kernel, as one
 * loop shader (loops.ts); float64 and primitives without a WebGPU kernel are errors.
 */
export function webgpuExecutable(jaxpr: Jaxpr, ctx: WebGPUContext): CompiledProgram {
  checkDTypes(jaxpr);
  const loops = hasControlFlow(jaxpr) ? gpuLoopImpls(loopContext(ctx)) : {};
  const interpret = (args: Array[]) => {
    gpuJitCallCounts.interpreted++;
    return evalJaxpr(jaxpr, args, loops) as ConcreteArray[];
  };
  if (hasEmptyArray(jaxpr)) return interpret;
  if (hasControlFlow(jaxpr)) {
    const sub = subprograms(ctx);
    return (args) => withSubJaxprRunner(sub, () => interpret(args));
  }
  const lowered = lowerForWebGPU(jaxpr, ...deviceLimits(ctx.rt));
  for (const k of lowered.program.kernels) if (k.kind === "op") ctx.ruleFor(k.eqns[0].prim.name);
  for (const { shader } of lowered.fused.values()) ctx.rt.prepare(shader.source);
  const run = programRunner(lowered, ctx);
  return (args, options) => {
    gpuJitCallCounts.compiled++;
    return options?.check ? checkedCall(lowered, ctx, run, args) : run(args);
  };
}

/** Comparisons of checked calls still under way; the next read waits for them. */
const pendingChecks = new Set<Promise<void>>();

/**
 * What a read from the backend waits for first: the checks of earlier checked calls still
 * comparing, which reject with the first kernel that differed; `undefined` when there are none.
 */
export function settleChecks(): Promise<void> | undefined {
  if (!pendingChecks.size) return undefined;
  const checks = [...pendingChecks];
  pendingChecks.clear();
  return Promise.all(checks).then(() => {});
}

/** A checked call: the outputs of `run` now, its comparison with op-by-op in `pendingChecks`. */
function checkedCall(
  lowered: WebGPUProgram,
  ctx: WebGPUContext,
  run: Runner,
  args: ConcreteArray[],
): ConcreteArray[] {
  const { jaxpr } = lowered.program;
  const want = opByOp(jaxpr, args);
  const seen: KernelValues<ConcreteArray>[] = [];
  const outs = run(args, seen);
  const read = (x: ConcreteArray) =>
    x.backend === ctx.backend ? ctx.read(x.buffer, x.aval) : x.read();
  const check = compareKernelsAsync(lowered.program, seen, want, read).finally(() => {
    releaseValues(jaxpr, want);
    for (const s of seen) for (const x of [...s.inputs, ...s.outputs]) x?.[Symbol.dispose]();
  });
  check.catch(() => {}); // surfaced by settleChecks, not as an unhandled rejection
  pendingChecks.add(check);
  return outs;
}

/** Runs a program; with `seen`, records there copies of what each kernel read and wrote. */
type Runner = (args: ConcreteArray[], seen?: KernelValues<ConcreteArray>[]) => ConcreteArray[];

function programRunner(lowered: WebGPUProgram, ctx: WebGPUContext): Runner {
  const { program, plan, offsets, arenaBytes, fused } = lowered;
  const { rt, backend } = ctx;
  const { jaxpr } = program;
  const arena = arenaBytes ? rt.alloc(arenaBytes) : null;
  const views = new Map<Var, GpuView>();
  for (const [v, at] of offsets) views.set(v, new GpuView(arena!, at, bytesOf(v)));
  const onGpu = (x: Array) => placeOnGpu(x, backend);
  const consts = jaxpr.consts.map(onGpu);
  const literals = new Map<Literal, ConcreteArray>();
  for (const k of program.kernels) {
    if (k.kind !== "op") continue;
    for (const a of k.eqns[0].inputs) if (a instanceof Literal) literals.set(a, onGpu(a.val));
  }
  const bufferOf = (x: ConcreteArray) => ctx.bufferOf("jit", x.buffer);
  const root = (v: Var) => rootOf(plan, v);

  const run: Runner = (args, seen) =>
    rt.batch(() => {
      const env = new Map<Var, BufferRef>();
      jaxpr.constVars.forEach((v, i) => env.set(v, bufferOf(consts[i])));
      jaxpr.inBinders.forEach((v, i) => env.set(v, bufferOf(args[i])));
      const produced = new Map<Var, GPUBuffer>();
      const ref = (v: Var): BufferRef => {
        const r = root(v);
        const at = views.get(r) ?? env.get(r);
        if (!at) throw new AdjointError("jit", `internal: no storage for a value of ${v.aval}`);
        return at;
      };
      const spill = (v: Var, at: number) => new GpuView(arena!, at, bytesOf(v));
      const snapshot = seen && ((v: Var) => {
        const copy = rt.alloc(bytesOf(v));
        rt.copy(ref(v), copy, bytesOf(v));
        return new ConcreteArray(v.aval, ctx.storage(copy), backend);
      });
      /** Records kernel `k`. */
      const launch = (k: Kernel) => {
        if (k.kind === "fused") {
          const { shader, spillIn, spillOut } = fused.get(k)!;
          for (const v of k.outputs) {
            if (views.has(v)) continue;
            const buf = rt.alloc(bytesOf(v));
            env.set(v, buf);
            produced.set(v, buf);
          }
          for (const [v, at] of spillIn) rt.copy(ref(v), spill(v, at), bytesOf(v));
          const bound = shader.bindings.map(ref);
          rt.run(
            { source: shader.source, groups: shader.groups, params: [] },
            shader.arena ? [arena!, ...bound] : bound,
          );
          for (const [v, at] of spillOut) rt.copy(spill(v, at), ref(v), bytesOf(v));
          return;
        }
        const e = k.eqns[0];
        const ins = e.inputs.map((
          a,
        ) => (a instanceof Literal ? bufferOf(literals.get(a)!) : ref(a)));
        const outs = rt.withOutputs(
          e.outBinders.map((v) => views.get(v)),
          () =>
            ctx.ruleFor(e.prim.name)(
              rt,
              ins,
              e.inputs.map((a) => a.aval),
              e.params,
              e.outBinders.map((v) => v.aval),
            ),
        );
        e.outBinders.forEach((v, j) => {
          if (views.has(v)) return;
          const buf = wholeBuffer(e.prim.name, outs[j]);
          if (k.outputs.includes(v)) {
            env.set(v, buf);
            produced.set(v, buf);
          } else rt.release(buf);
        });
      };
      program.kernels.forEach((k, i) => {
        if (k.kind === "alias") return;
        const inputs = snapshot && k.inputs.map(snapshot);
        launch(k);
        if (snapshot) seen![i] = { inputs: inputs!, outputs: k.outputs.map(snapshot) };
      });
      const results = new Map<Var, ConcreteArray>();
      return jaxpr.outs.map((a) => {
        if (a instanceof Literal) return onGpu(a.val);
        const arg = jaxpr.inBinders.indexOf(a);
        if (arg >= 0) return args[arg];
        const c = jaxpr.constVars.indexOf(a);
        if (c >= 0) return consts[c];
        let out = results.get(a);
        if (!out) {
          let buf = produced.get(a);
          if (!buf) {
            buf = rt.alloc(bytesOf(a));
            rt.copy(ref(a), buf, bytesOf(a));
          }
          out = new ConcreteArray(a.aval, ctx.storage(buf), backend);
          results.set(a, out);
        }
        return out;
      });
    });
  if (arena) arenas.register(run, { rt, arena });
  return run;
}

/** `x` as a webgpu array: itself, or a copy of a synchronously readable array of another backend. */
function placeOnGpu(x: Array, backend: Backend): ConcreteArray {
  const c = x as ConcreteArray;
  if (c.backend === backend) return c;
  const data = c.backend.readSync(c.buffer, c.aval);
  if (!data) {
    throw new AdjointError(
      "jit",
      `a constant on the ${c.backend.name} backend cannot be read synchronously to move it to ` +
        `webgpu; create it on webgpu or move it first with toBackend`,
    );
  }
  return new ConcreteArray(c.aval, backend.fromHost(data.slice(), c.aval), backend);
}

/** What `jit(f).lower(...)` shows on the WebGPU backend: the kernel program and its shaders. */
export function describeForWebGPU(jaxpr: Jaxpr, rt: GpuRuntime): Record<string, string> {
  checkDTypes(jaxpr);
  const { program, fused } = lowerForWebGPU(jaxpr, ...deviceLimits(rt));
  const wgsl = program.kernels.flatMap((k, i) => {
    const launch = fused.get(k);
    return launch ? [`// k${i}\n${launch.shader.source}`] : [];
  });
  return { program: programToString(program), wgsl: wgsl.join("\n") };
}
