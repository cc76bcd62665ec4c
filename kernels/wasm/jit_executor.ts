/**
 * Running jitted programs on the wasm backend. A jaxpr is fused into a kernel program; its fused
 * kernels are generated as AssemblyScript and compiled (in the compile worker, cached on disk)
 * while the program keeps running op by op on the prebuilt kernels; once the module is ready,
 * calls run the kernel program: fused kernels write intermediates into one arena planned
 * statically, other primitives run on the prebuilt kernels.
 * @module
 */
import { type Array, ConcreteArray } from "../../core/array.ts";
import type { Backend } from "../../core/backend.ts";
import { evalJaxpr, type Jaxpr, Literal, Var } from "../../core/jaxpr.ts";
import { fuse, type Kernel, type KernelProgram, programToString } from "../lowering/fusion.ts";
import { byteSize, type MemoryPlan, planMemory } from "../lowering/memory_plan.ts";
import { available, compile, COMPILE_OPTIONS, compileSync } from "./compiler.ts";
import { emitFusedModule } from "./fused_codegen.ts";
import { Block, MAX_PAGES, WasmBuffer } from "./memory.ts";
import { ELEMENT_BYTES, JIT_STATIC_BYTES, type WasmRuntime } from "./runtime.ts";

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
  source: string;
}

/** The kernel program and the AssemblyScript generated for a jaxpr. */
export function lowerForWasm(jaxpr: Jaxpr): Compiled {
  const program = fuse(jaxpr);
  const names = new Map<Kernel, string>();
  program.kernels.forEach((k, i) => k.kind === "fused" && names.set(k, `k${i}`));
  const byName = new Map([...names].map(([k, n]) => [n, k]));
  return { program, plan: planMemory(program), names, source: emitFusedModule(byName) };
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
 * (immediately in `"sync"` mode), then as a compiled kernel program.
 */
export function wasmExecutable(
  jaxpr: Jaxpr,
  backend: Backend,
  rt: WasmRuntime,
  mode: CompileMode = "async",
): (args: ConcreteArray[]) => ConcreteArray[] {
  const lowered = lowerForWasm(jaxpr);
  const interpret = (args: ConcreteArray[]) => {
    jitCallCounts.interpreted++;
    return evalJaxpr(jaxpr, args) as ConcreteArray[];
  };
  if (lowered.names.size === 0 || !available()) return interpret;
  let exports: Record<string, CallableFunction> | null = null;
  const instantiate = (binary: Uint8Array) => {
    const module = new WebAssembly.Module(binary as BufferSource);
    const inst = new WebAssembly.Instance(module, { env: { memory: rt.heap.memory } });
    const e = inst.exports as Record<string, CallableFunction>;
    if ((e.heap_base() as number) > rt.jitStaticBase + JIT_STATIC_BYTES) return;
    exports = e;
  };
  const options = moduleOptions(rt);
  if (mode === "sync") instantiate(compileSync(lowered.source, options));
  else compile(lowered.source, options).then(instantiate, () => {});
  const run = programRunner(lowered, backend, rt);
  return (args) => {
    if (!exports) return interpret(args);
    jitCallCounts.compiled++;
    return run(exports, args);
  };
}

function programRunner(c: Compiled, backend: Backend, rt: WasmRuntime) {
  const { program, plan, names } = c;
  const { jaxpr } = program;
  const arena = plan.arenaBytes ? rt.heap.alloc(plan.arenaBytes).ptr : 0;
  const consts = jaxpr.consts.map((x) => onWasm(x, backend));
  const outputs = new Set(jaxpr.outs.filter((a): a is Var => a instanceof Var));
  const lastUse = new Map<Var, number>();
  program.kernels.forEach((k, i) => k.inputs.forEach((v) => lastUse.set(v, i)));

  return (exports: Record<string, CallableFunction>, args: ConcreteArray[]): ConcreteArray[] => {
    const env = new Map<Var, ConcreteArray>();
    const owned = new Set<Var>();
    jaxpr.constVars.forEach((v, i) => env.set(v, consts[i]));
    jaxpr.inBinders.forEach((v, i) => env.set(v, args[i]));
    const addr = (v: Var): number => {
      const x = env.get(v);
      return x ? (x.buffer as WasmBuffer).ptr : arena + plan.offsets.get(v)!;
    };
    const asArray = (v: Var): ConcreteArray =>
      env.get(v) ?? new ConcreteArray(v.aval, borrowed(addr(v), byteSize(v)), backend);
    program.kernels.forEach((k, i) => {
      if (k.kind === "fused") {
        for (const v of k.outputs) {
          if (!plan.offsets.has(v)) {
            env.set(v, new ConcreteArray(v.aval, rt.allocFor(v.aval), backend));
            owned.add(v);
          }
        }
        exports[names.get(k)!](...k.inputs.map(addr), ...k.outputs.map(addr));
      } else {
        const e = k.eqns[0];
        const ins = e.inputs.map((
          a,
        ) => (a instanceof Literal ? onWasm(a.val, backend) : asArray(a)));
        const outs = backend.execute(
          e.prim.name,
          ins.map((x) => x.buffer),
          ins.map((x) => x.aval),
          e.params,
          e.outBinders.map((v) => v.aval),
        );
        e.outBinders.forEach((v, j) => {
          env.set(v, new ConcreteArray(v.aval, outs[j], backend));
          owned.add(v);
        });
      }
      for (const v of k.inputs) {
        if (lastUse.get(v) === i && owned.has(v) && !outputs.has(v)) env.get(v)![Symbol.dispose]();
      }
    });
    return jaxpr.outs.map((a) => {
      if (a instanceof Literal) return onWasm(a.val, backend);
      const x = env.get(a);
      if (x && (owned.has(a) || !plan.offsets.has(a))) return x;
      return copyOut(asArray(a), backend, rt);
    });
  };
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

/** What `jit(f).lower(...)` shows for the wasm backend. */
export function describeForWasm(jaxpr: Jaxpr): Record<string, string> {
  const c = lowerForWasm(jaxpr);
  return { program: programToString(c.program), assemblyscript: c.source };
}
