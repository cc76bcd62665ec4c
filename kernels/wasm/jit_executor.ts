/**
 * Running jitted programs on the wasm backend. A jaxpr is fused into a kernel program; its fused
 * kernels are generated as AssemblyScript and compiled (in the compile worker, cached on disk)
 * while the program keeps running op by op on the prebuilt kernels; once the module is ready,
 * calls run the kernel program: fused kernels write intermediates into one arena planned
 * statically, other primitives run on the prebuilt kernels. Large fused kernels split their
 * outermost axis over the kernel threads, which run the compiled module too.
 * @module
 */
import { type Array, ConcreteArray } from "../../core/array.ts";
import type { Backend, CompiledProgram } from "../../core/backend.ts";
import type { TypedArray } from "../../core/dtype.ts";
import { type Atom, evalJaxpr, type Jaxpr, type JaxprEqn, Literal, Var } from "../../core/jaxpr.ts";
import type { ImplRule } from "../../core/primitive.ts";
import { type KernelValues, runChecked } from "../lowering/check_program.ts";
import { fuse, type Kernel, type KernelProgram, programToString } from "../lowering/fusion.ts";
import type { LoopKernel } from "../lowering/kernel_ir.ts";
import { lowerKernel } from "../lowering/lower_kernel.ts";
import { byteSize, type MemoryPlan, planMemory } from "../lowering/memory_plan.ts";
import { verifyProgram } from "../lowering/verify_program.ts";
import { config } from "../../core/config.ts";
import { simplify } from "../../core/transforms/simplify.ts";
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
import { fusedScan } from "../lowering/loop_fusion.ts";
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
export const jitCallCounts: { compiled: number; interpreted: number } = {
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
  const interpret = (args: ConcreteArray[]) => {
    jitCallCounts.interpreted++;
    return evalJaxpr(jaxpr, args) as ConcreteArray[];
  };
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
  const consts = lowered.program.jaxpr.consts.map((x) => onWasm(x, backend));
  const run = programRunner(lowered, consts, backend, rt, prefix, mode);
  const results = (args: ConcreteArray[], options?: { check?: boolean }) => {
    const exports = exportsOf();
    if (!exports) return interpret(args);
    jitCallCounts.compiled++;
    if (!options?.check) return run(exports, args);
    const compiled = exports;
    return runChecked(lowered.program, args, (seen) => run(compiled, args, seen));
  };
  for (const c of consts) persistent.add(c);
  return (args, options) => owned(results(args, options), args);
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
 * The loop kernel of a scan (kernels/lowering/loop_fusion.ts) with its params, compiled in
 * `mode`, or `null` where the scan's body has none or nothing compiles.
 */
function compiledLoop(
  p: ScanParams,
  backend: Backend,
  rt: WasmRuntime,
  mode: CompileMode,
): CompiledLoop | null {
  if (!available()) return null;
  const body = simplify(p.jaxpr);
  const loop = fusedScan(p, body);
  if (!loop) return null;
  const source = emitModule([emitLoopKernel(loop, p.reverse, "loop")]);
  const prefix = `loop-${contentHash(source).slice(0, 8)}/`;
  const exportsOf = compiledModule(source, rt, mode, prefix);
  const consts = body.consts.map((x) => onWasm(x, backend));
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
    if (x.backend !== backend) return onWasm(x, backend);
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

/** Runs the kernel program of `c` with the program's constants `consts` (on wasm). */
function programRunner(
  c: Compiled,
  consts: ConcreteArray[],
  backend: Backend,
  rt: WasmRuntime,
  prefix: string,
  mode: CompileMode,
) {
  const sub = subprograms(backend, rt, mode);
  const { program, plan, names, loops } = c;
  const work = new Map(program.kernels.map((k) => [k, splitWork(loops.get(k))]));
  const { jaxpr } = program;
  const arena = plan.arenaBytes ? rt.heap.alloc(plan.arenaBytes).ptr : 0;
  const outputs = new Set(jaxpr.outs.filter((a): a is Var => a instanceof Var));
  const lastUse = new Map<Var, number>();
  program.kernels.forEach((k, i) => k.inputs.forEach((v) => lastUse.set(v, i)));

  /** Runs the program; with `seen`, records there what each kernel read and wrote. */
  return (
    exports: Record<string, CallableFunction>,
    args: ConcreteArray[],
    seen?: KernelValues<TypedArray>[],
  ): ConcreteArray[] => {
    const env = new Map<Var, ConcreteArray>();
    const owned = new Set<Var>();
    jaxpr.constVars.forEach((v, i) => env.set(v, consts[i]));
    jaxpr.inBinders.forEach((v, i) => env.set(v, args[i]));
    const addr = (v: Var): number => {
      const x = env.get(v);
      return x ? (x.buffer as WasmBuffer).ptr : arena + plan.offsets.get(v)!;
    };
    const inArena = (x: ConcreteArray): boolean => {
      const ptr = (x.buffer as WasmBuffer).ptr;
      return ptr >= arena && ptr < arena + plan.arenaBytes;
    };
    const asArray = (v: Var): ConcreteArray =>
      env.get(v) ?? new ConcreteArray(v.aval, borrowed(addr(v), byteSize(v)), backend);
    const read = (a: Atom) => (a instanceof Literal ? onWasm(a.val, backend) : asArray(a));
    const snapshot = seen &&
      ((v: Var) => (env.has(v) || plan.offsets.has(v) ? asArray(v).dataSync() : undefined));
    /**
     * Runs one equation on the prebuilt kernels. A prebuilt kernel may return a view of its
     * operand instead of a copy (a transpose or flip of size-1 axes, a reduction over none, a
     * bitcast); the plan knows only alias kernels' outputs to share storage, so with `ownStorage`
     * a view of the arena is copied out before the arena slot is reused.
     */
    const runOp = (e: JaxprEqn, ownStorage: boolean) => {
      const ins = e.inputs.map(read);
      const outs = e.prim.impl ? runImpl(e, ins, rt, backend, sub) : backend.execute(
        e.prim.name,
        ins.map((x) => x.buffer),
        ins.map((x) => x.aval),
        e.params,
        e.outBinders.map((v) => v.aval),
      );
      e.outBinders.forEach((v, j) => {
        const x = new ConcreteArray(v.aval, outs[j], backend);
        env.set(v, ownStorage && inArena(x) ? copyOut(x, backend, rt) : x);
        owned.add(v);
      });
    };
    program.kernels.forEach((k, i) => {
      const inputs = snapshot && k.inputs.map(snapshot);
      if (k.kind === "fused") {
        for (const v of k.outputs) {
          if (!plan.offsets.has(v)) {
            env.set(v, new ConcreteArray(v.aval, rt.allocFor(v.aval), backend));
            owned.add(v);
          }
        }
        const name = names.get(k)!;
        const ptrs = [...k.inputs.map(addr), ...k.outputs.map(addr)];
        launchFused(rt, k.space!, work.get(k)!, exports[name], prefix + name, ptrs);
      } else if (k.kind === "gemm") {
        const y = runGemmKernel(rt, backend, k, read);
        const out = k.eqns[k.eqns.length - 1].outBinders[0];
        if (y) {
          env.set(out, y);
          owned.add(out);
        } else {
          k.eqns.forEach((e) => runOp(e, true));
          for (const e of k.eqns) {
            for (const v of e.outBinders) if (v !== out) env.get(v)?.[Symbol.dispose]();
          }
        }
      } else runOp(k.eqns[0], k.kind !== "alias");
      if (snapshot) seen![i] = { inputs: inputs!, outputs: k.outputs.map(snapshot) };
      for (const v of k.inputs) {
        if (lastUse.get(v) === i && owned.has(v) && !outputs.has(v)) env.get(v)![Symbol.dispose]();
      }
    });
    // An output in the arena (a reshape of an intermediate) would change at the next call.
    return jaxpr.outs.map((a) => {
      if (a instanceof Literal) return onWasm(a.val, backend);
      const x = asArray(a);
      return inArena(x) ? copyOut(x, backend, rt) : x;
    });
  };
}

/**
 * Runs the branches and loop bodies of control-flow primitives as kernel programs of their own,
 * simplified as `jit` simplifies and compiled (in the program's `mode`) the first time each
 * runs: a jitted program keeps its equations, and so their sub-jaxprs, from call to call.
 */
function subprograms(backend: Backend, rt: WasmRuntime, mode: CompileMode): SubPrograms {
  const programs = new WeakMap<Jaxpr, CompiledProgram>();
  const program = (jaxpr: Jaxpr) => {
    let run = programs.get(jaxpr);
    if (!run) programs.set(jaxpr, run = wasmExecutable(simplify(jaxpr), backend, rt, mode));
    return run;
  };
  const toWasm = (x: ConcreteArray) => onWasm(x, backend);
  const loops = new WeakMap<Jaxpr, Map<boolean, CompiledLoop | null>>();
  const loopKernelOf = (p: ScanParams) => {
    const byDirection = loops.get(p.jaxpr) ?? loops.set(p.jaxpr, new Map()).get(p.jaxpr)!;
    if (!byDirection.has(p.reverse)) {
      byDirection.set(p.reverse, compiledLoop(p, backend, rt, mode));
    }
    return byDirection.get(p.reverse)!;
  };
  return {
    runner: (jaxpr, args) => program(jaxpr)(args as ConcreteArray[]),
    impls: loopImpls({ rt, backend, program, toWasm, loopKernel: loopKernelOf }),
  };
}

/** How a program runs its control-flow primitives' sub-jaxprs. */
interface SubPrograms {
  /** Runs a branch or body as a compiled program of its own. */
  runner: SubJaxprRunner;
  /** Loop primitives run by the executor itself, by name (see loops.ts). */
  impls: Record<string, ImplRule>;
}

/**
 * Runs a primitive with a composite implementation (a control-flow primitive, whose branches and
 * loop bodies run as compiled sub-programs through `sub`, loops by the executor's own rules): the buffers of its results, each a
 * handle of its own, also where a result is one of the inputs (a branch returning its operand).
 */
function runImpl(
  e: JaxprEqn,
  ins: ConcreteArray[],
  rt: WasmRuntime,
  backend: Backend,
  sub: SubPrograms,
) {
  const impl = sub.impls[e.prim.name] ?? e.prim.impl!;
  return withSubJaxprRunner(sub.runner, () => impl(ins, e.params)).map((y) => {
    const x = onWasm(y, backend);
    const buf = rt.share(x.buffer as WasmBuffer);
    if (!ins.includes(x)) x.release("was handed to the kernel program");
    return buf;
  });
}

function onWasm(x: Array, backend: Backend): ConcreteArray {
  const c = x as ConcreteArray;
  if (c.backend === backend) return c;
  const data = c.backend.readSync(c.buffer, c.aval)!;
  return new ConcreteArray(c.aval, backend.fromHost(data.slice(), c.aval), backend);
}

function copyOut(x: ConcreteArray, backend: Backend, rt: WasmRuntime): ConcreteArray {
  const buf = rt.allocFor(x.aval);
  const src = (x.buffer as WasmBuffer).ptr;
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
    render: (loop, reverse) => emitLoopKernel(loop, reverse, "loop"),
  });
  if (loops) shown.loops = loops;
  if (sources) shown["loop assemblyscript"] = sources;
  return shown;
}
