/**
 * Running jitted programs on the wasm backend. A jaxpr is fused into a kernel program; its fused
 * kernels are generated as AssemblyScript and compiled (in the compile worker, cached on disk)
 * while the program keeps running op by op on the prebuilt kernels; once the module is ready,
 * calls run the kernel program: fused kernels write intermediates into one arena planned
 * statically, other primitives run on the prebuilt kernels. Large fused kernels split their
 * outermost axis over the kernel threads, which run the compiled module too. The call itself
 * (binding values, running kernels in order, placing constants once, freeing intermediates,
 * handing out outputs) is the shared executor's (kernels/lowering/program_executor.ts); this
 * module is its wasm machine, the compiled module and the loops' kernels.
 * @module
 */
import { type Array, ConcreteArray } from "../../core/array.ts";
import type { Backend, CompiledProgram } from "../../core/backend.ts";
import type { TypedArray } from "../../core/dtype.ts";
import { type Jaxpr, type JaxprEqn, Literal, type Var } from "../../core/jaxpr.ts";
import type { ImplRule } from "../../core/primitive.ts";
import { runChecked } from "../lowering/check_program.ts";
import { fuse, type Kernel, type KernelProgram, programToString } from "../lowering/fusion.ts";
import type { LoopKernel } from "../lowering/kernel_ir.ts";
import { lowerKernel } from "../lowering/lower_kernel.ts";
import { byteSize, type MemoryPlan, planMemory } from "../lowering/memory_plan.ts";
import {
  type CallCounts,
  interpreter,
  type KernelCall,
  type KernelMachine,
  placeConstants,
  placeOn,
  programCalls,
  programRunner,
  scanLoops,
  subPrograms,
} from "../lowering/program_executor.ts";
import { verifyProgram } from "../lowering/verify_program.ts";
import { config } from "../../core/config.ts";
import {
  hasSubJaxprs,
  type SubJaxprRunner,
  withSubJaxprRunner,
} from "../../core/control/sub_programs.ts";
import { sizeOf } from "../../core/shape.ts";
import {
  available,
  compile,
  COMPILE_OPTIONS,
  compileSync,
  contentHash,
  reportCompileFailure,
} from "./compiler.ts";
import { elementCost, emitFusedModule, emitModule, splittable } from "./fused_codegen.ts";
import { emitLoopKernel } from "./loop_codegen.ts";
import { type CompiledLoop, loopImpls } from "./loops.ts";
import type { FusedScan } from "../lowering/loop_fusion.ts";
import { describeLoops } from "../lowering/describe_loops.ts";
import type { ScanParams } from "../../core/control/scan.ts";
import { runGemmKernel } from "./jit_gemm.ts";
import { Block, MAX_PAGES, WasmBuffer } from "./memory.ts";
import { ELEMENT_BYTES, JIT_STATIC_BYTES, type WasmRuntime } from "./runtime.ts";
import { splitRange } from "./split.ts";
import { MAX_ARGS } from "./thread_protocol.ts";

/** When a jitted program waits for its compiled kernels. */
export type CompileMode = "async" | "sync";

/** How many jitted calls ran as compiled kernel programs and how many op by op. */
export const jitCallCounts: CallCounts = {
  compiled: 0,
  interpreted: 0,
};

interface Compiled {
  program: KernelProgram;
  plan: MemoryPlan;
  names: Map<Kernel, string>;
  /** The loop kernel of each fused kernel. */
  loops: Map<Kernel, LoopKernel>;
  source: string;
}

/** The kernel program and the AssemblyScript generated for a jaxpr. */
export function lowerForWasm(jaxpr: Jaxpr): Compiled {
  const program = fuse(jaxpr, { gemmEpilogues: true });
  const names = new Map<Kernel, string>();
  program.kernels.forEach((k, i) => k.kind === "fused" && names.set(k, `k${i}`));
  const loops = new Map([...names.keys()].map((k) => [k, lowerKernel(k)]));
  const byName = new Map([...names].map(([k, n]) => [n, loops.get(k)!]));
  const plan = planMemory(program);
  if (config.verifyPrograms) verifyProgram(program, plan);
  return { program, plan, names, loops, source: emitFusedModule(byName) };
}

/**
 * Options the generated module is compiled with, on top of the compiler's defaults: a shared
 * memory import when the runtime's memory is shared.
 */
function moduleOptions(rt: WasmRuntime): Record<string, unknown> {
  const base = { memoryBase: rt.jitStaticBase, use: ["abort="] };
  if (!rt.heap.shared) return base;
  const enable = [...(COMPILE_OPTIONS.enable as string[]), "threads"];
  return { ...base, sharedMemory: true, maximumMemory: MAX_PAGES, enable };
}

/** A view of arena memory as a buffer the prebuilt kernels can read (never released). */
function borrowed(ptr: number, bytes: number): WasmBuffer {
  const b = new Block(ptr, bytes);
  b.refs = Infinity;
  return new WasmBuffer(b);
}

/**
 * A function running `jaxpr` on wasm arrays: op by op until its fused kernels are compiled
 * (immediately in `"sync"` mode), then as a compiled kernel program, checked against op-by-op
 * execution when a call asks for it.
 */
export function wasmExecutable(
  jaxpr: Jaxpr,
  backend: Backend,
  rt: WasmRuntime,
  mode: CompileMode = "async",
): CompiledProgram {
  const lowered = lowerForWasm(jaxpr);
  const interpret = interpreter(jaxpr, jitCallCounts);
  const compiles = lowered.names.size > 0;
  // Without fused kernels there is nothing to compile: gemm kernels run on the prebuilt module.
  // Nor for loops and branches: the executor runs them, their bodies compiled.
  const hasGemm = lowered.program.kernels.some((k) => k.kind === "gemm");
  const runsItself = hasGemm || jaxpr.eqns.some(hasSubJaxprs);
  // Inputs, constants and literals of the program outlive a call: results that are one of them
  // are handed out as handles of their own (interpreted results too: a loop frees each step's).
  const persistent = new Set<Array>(jaxpr.consts);
  for (const a of jaxpr.outs) if (a instanceof Literal) persistent.add(a.val);
  const owned = (outs: ConcreteArray[], args: ConcreteArray[]) =>
    ownedResults(outs, args, persistent, rt, backend);
  if (compiles ? !available() : !runsItself) return (args) => owned(interpret(args), args);
  // Names the module's kernels in thread tasks (and in a worker's failure report).
  const prefix = compiles ? `jit-${contentHash(lowered.source).slice(0, 8)}/` : "";
  const exportsOf = compiles ? compiledModule(lowered.source, rt, mode, prefix) : () => ({});
  const placed = placeConstants(lowered.program, backend);
  const machine = wasmMachine(lowered, backend, rt, prefix, mode, exportsOf);
  const run = programRunner(lowered.program, placed, machine);
  const calls = programCalls({
    program: lowered.program,
    counts: jitCallCounts,
    interpret,
    runner: () => (exportsOf() ? run : null),
    checked: runChecked,
  });
  for (const x of [...placed.consts, ...placed.literals.values()]) persistent.add(x);
  return (args, options) => owned(calls(args, options), args);
}

/** The exports of a compiled module. */
type Exports = Record<string, CallableFunction>;

/**
 * The module compiled from `source` (at once in `"sync"` mode, else in the compile worker), as a
 * getter of its exports: `null` until they are ready, and for good where its static data does not
 * fit the region kept for it. Thread tasks name its kernels `prefix` + name.
 */
function compiledModule(
  source: string,
  rt: WasmRuntime,
  mode: CompileMode,
  prefix: string,
): () => Exports | null {
  let exports: Exports | null = null;
  const instantiate = (binary: Uint8Array) => {
    const module = new WebAssembly.Module(binary as BufferSource);
    const inst = new WebAssembly.Instance(module, { env: { memory: rt.heap.memory } });
    const e = inst.exports as Exports;
    if ((e.heap_base() as number) > rt.jitStaticBase + JIT_STATIC_BYTES) return;
    rt.pool?.addModule(module, prefix);
    exports = e;
  };
  const options = moduleOptions(rt);
  if (mode === "sync") instantiate(compileSync(source, options));
  else compile(source, options).then(instantiate, reportCompileFailure);
  return () => exports;
}

/**
 * The loop kernel of scan `p`, whose body is the fused `loop` with constants `bodyConsts`,
 * compiled in `mode`; `null` where nothing compiles.
 */
function compiledLoop(
  loop: FusedScan,
  p: ScanParams,
  bodyConsts: Array[],
  backend: Backend,
  rt: WasmRuntime,
  mode: CompileMode,
): CompiledLoop | null {
  if (!available()) return null;
  const source = emitModule([emitLoopKernel(loop, p.reverse, "loop")]);
  const prefix = `loop-${contentHash(source).slice(0, 8)}/`;
  const exportsOf = compiledModule(source, rt, mode, prefix);
  const consts = bodyConsts.map((x) => placeOn(backend, x));
  const work = splitWork(loop.body);
  const kernel = () => {
    const fn = exportsOf()?.loop;
    if (!fn) return null;
    return (addresses: number[], steps: number) =>
      launchFused(rt, loop.body.space, work * steps, fn, `${prefix}loop`, [...addresses, steps]);
  };
  return { loop, consts, kernel };
}

/**
 * The results of a call as handles the caller owns: a result that is an input or a constant or
 * literal of the program (values that outlive the call), or that repeats an earlier result,
 * becomes a new handle on the same memory, so that freeing one result never frees another value.
 */
function ownedResults(
  outs: ConcreteArray[],
  args: ConcreteArray[],
  persistent: ReadonlySet<Array>,
  rt: WasmRuntime,
  backend: Backend,
): ConcreteArray[] {
  const seen = new Set<ConcreteArray>(args);
  return outs.map((x) => {
    if (x.backend !== backend) return placeOn(backend, x);
    const shared = seen.has(x) || persistent.has(x);
    seen.add(x);
    return shared ? new ConcreteArray(x.aval, rt.share(x.buffer as WasmBuffer), backend) : x;
  });
}

/**
 * Work (elements times `elementCost`) from which a fused kernel is split over threads: a launch
 * costs 4-6 us (bench/thread_launch.ts), about what a thread spends on 2^15 cheap elements.
 */
const FUSED_PARALLEL_MIN = 1 << 16;

/**
 * Elements per split point of a one-axis space: ranges start on whole cache lines, so the vector
 * loop runs the same lanes and threads never write the same line.
 */
const SPLIT_ALIGN = 16;

/** Work of a fused kernel's loop kernel if threads may split it (see `splittable`), else 0. */
function splitWork(loop: LoopKernel | undefined): number {
  return loop && splittable(loop) ? sizeOf(loop.space) * elementCost(loop) : 0;
}

/**
 * Runs fused kernel `fn` (the task name `kernel`) on the addresses `ptrs`: over disjoint ranges
 * of its outermost axis, one per thread, when its split `work` is large enough.
 */
function launchFused(
  rt: WasmRuntime,
  space: readonly number[],
  work: number,
  fn: CallableFunction,
  kernel: string,
  ptrs: number[],
): void {
  const n = space.length ? space[0] : 1;
  const threads = ptrs.length + 2 <= MAX_ARGS ? rt.threads() : 1;
  const align = space.length === 1 ? SPLIT_ALIGN : 1;
  const parts = splitRange(n, work, threads, align, FUSED_PARALLEL_MIN);
  if (parts.length === 1) {
    fn(...ptrs, 0, n);
    return;
  }
  const tasks = parts.map(([lo, hi]) => ({ kernel, args: [...ptrs, lo, hi] }));
  rt.pool!.run(tasks, (t) => fn(...t.args));
}

/** The address of a wasm array's memory. */
const ptrOf = (x: ConcreteArray) => (x.buffer as WasmBuffer).ptr;

/**
 * How the kernel program of `c` runs on wasm: values are wasm arrays, planned ones views of the
 * arena; fused kernels are the module's exports (`exportsOf`, ready before the program runs),
 * gemm kernels run on the prebuilt module, other primitives on the prebuilt kernels, and
 * intermediates outside the arena are freed after their last read.
 */
function wasmMachine(
  c: Compiled,
  backend: Backend,
  rt: WasmRuntime,
  prefix: string,
  mode: CompileMode,
  exportsOf: () => Exports | null,
): KernelMachine<ConcreteArray, TypedArray> {
  const flow = controlFlow(backend, rt, mode);
  const { program, plan, names, loops } = c;
  const work = new Map(program.kernels.map((k) => [k, splitWork(loops.get(k))]));
  const arena = plan.arenaBytes ? rt.heap.alloc(plan.arenaBytes).ptr : 0;
  const planned = new Map(
    [...plan.offsets].map((
      [v, at],
    ) => [v, new ConcreteArray(v.aval, borrowed(arena + at, byteSize(v)), backend)]),
  );
  const inArena = (x: ConcreteArray): boolean => {
    const ptr = ptrOf(x);
    return ptr >= arena && ptr < arena + plan.arenaBytes;
  };
  const fresh = (v: Var, call: KernelCall<ConcreteArray>) =>
    call.bind(v, new ConcreteArray(v.aval, rt.allocFor(v.aval), backend), true);
  /**
   * Runs one equation on the prebuilt kernels. A prebuilt kernel may return a view of its
   * operand instead of a copy (a transpose or flip of size-1 axes, a reduction over none, a
   * bitcast); the plan knows only alias kernels' outputs to share storage, so with `ownStorage`
   * a view of the arena is copied out before the arena slot is reused.
   */
  const runOp = (e: JaxprEqn, call: KernelCall<ConcreteArray>, ownStorage: boolean) => {
    const ins = e.inputs.map(call.operand);
    const outs = e.prim.impl ? runImpl(e, ins, rt, backend, flow) : backend.execute(
      e.prim.name,
      ins.map((x) => x.buffer),
      ins.map((x) => x.aval),
      e.params,
      e.outBinders.map((v) => v.aval),
    );
    e.outBinders.forEach((v, j) => {
      const x = new ConcreteArray(v.aval, outs[j], backend);
      call.bind(v, ownStorage && inArena(x) ? copyOut(x, backend, rt) : x, true);
    });
  };
  return {
    storageOf: (x) => x,
    planned: (v) => planned.get(v),
    rules: {
      fused(k, call) {
        for (const v of k.outputs) if (!plan.offsets.has(v)) fresh(v, call);
        const name = names.get(k)!;
        const ptrs = [...k.inputs, ...k.outputs].map((v) => ptrOf(call.ref(v)));
        launchFused(rt, k.space!, work.get(k)!, exportsOf()![name], prefix + name, ptrs);
      },
      gemm(k, call) {
        const y = runGemmKernel(rt, backend, k, call.operand);
        const out = k.eqns[k.eqns.length - 1].outBinders[0];
        if (y) return call.bind(out, y, true);
        k.eqns.forEach((e) => runOp(e, call, true));
        for (const e of k.eqns) {
          for (const v of e.outBinders) if (v !== out) call.ref(v)[Symbol.dispose]();
        }
      },
      op: (k, call) => runOp(k.eqns[0], call, true),
      alias: (k, call) => runOp(k.eqns[0], call, false),
    },
    snapshot: (_v, x) => x.dataSync(),
    // An output in the arena (a reshape of an intermediate) would change at the next call.
    result: (_v, x) => (inArena(x) ? copyOut(x, backend, rt) : x),
    release: (x) => x[Symbol.dispose](),
    call: (run) => run(),
  };
}

/**
 * Runs the branches and loop bodies of control-flow primitives as kernel programs of their own,
 * simplified as `jit` simplifies and compiled (in the program's `mode`) the first time each
 * runs, and scans with a loop kernel as that kernel.
 */
function controlFlow(backend: Backend, rt: WasmRuntime, mode: CompileMode): ControlFlow {
  const sub = subPrograms((jaxpr) => wasmExecutable(jaxpr, backend, rt, mode), backend);
  const loopKernel = scanLoops((loop, p, consts) =>
    compiledLoop(loop, p, consts, backend, rt, mode)
  );
  const toWasm = (x: ConcreteArray) => placeOn(backend, x);
  return {
    runner: sub.runner,
    impls: loopImpls({ rt, backend, program: sub.program, toWasm, loopKernel }),
  };
}

/** How a program runs its control-flow primitives' sub-jaxprs. */
interface ControlFlow {
  /** Runs a branch or body as a compiled program of its own. */
  runner: SubJaxprRunner;
  /** Loop primitives run by the executor itself, by name (see loops.ts). */
  impls: Record<string, ImplRule>;
}

/**
 * Runs a primitive with a composite implementation (a control-flow primitive, whose branches and
 * loop bodies run as compiled sub-programs through `flow`, loops by the executor's own rules):
 * the buffers of its results, each a handle of its own, also where a result is one of the inputs
 * (a branch returning its operand).
 */
function runImpl(
  e: JaxprEqn,
  ins: ConcreteArray[],
  rt: WasmRuntime,
  backend: Backend,
  flow: ControlFlow,
) {
  const impl = flow.impls[e.prim.name] ?? e.prim.impl!;
  return withSubJaxprRunner(flow.runner, () => impl(ins, e.params)).map((y) => {
    const x = placeOn(backend, y);
    const buf = rt.share(x.buffer as WasmBuffer);
    if (!ins.includes(x)) x.release("was handed to the kernel program");
    return buf;
  });
}

function copyOut(x: ConcreteArray, backend: Backend, rt: WasmRuntime): ConcreteArray {
  const buf = rt.allocFor(x.aval);
  const src = ptrOf(x);
  rt.heap.u8.copyWithin(buf.ptr, src, src + x.size * ELEMENT_BYTES[x.dtype]);
  return new ConcreteArray(x.aval, buf, backend);
}

/**
 * What `jit(f).lower(...)` shows for the wasm backend: the kernel program and its AssemblyScript,
 * and where it has loops or branches, what each runs (`loops`) and the AssemblyScript of its loop
 * kernels (`loop assemblyscript`).
 */
export function describeForWasm(jaxpr: Jaxpr): Record<string, string> {
  const c = lowerForWasm(jaxpr);
  const shown: Record<string, string> = {
    program: programToString(c.program),
    assemblyscript: c.source,
  };
  const { loops, sources } = describeLoops(c.program, {
    program: (body) => lowerForWasm(body).program,
    render: (loop, p) => emitLoopKernel(loop, p.reverse, "loop"),
  });
  if (loops) shown.loops = loops;
  if (sources) shown["loop assemblyscript"] = sources;
  return shown;
}
