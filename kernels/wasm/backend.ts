/**
 * The wasm backend: arrays live in one WebAssembly linear memory and primitives run on the
 * prebuilt AssemblyScript SIMD kernels (kernels/assembly, embedded in prebuilt.ts). `execute`
 * looks the primitive up in a rule table; primitives without a wasm rule run their reference
 * kernel on copies (see fallback.ts). Importing this module registers the backend as `"wasm"`;
 * select it with `setDefaultBackend("wasm")` or per array with `ConcreteArray.fromHost`.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import {
  type Backend,
  checkHostData,
  type DeviceBuffer,
  registerBackend,
} from "../../core/backend.ts";
import type { TypedArray } from "../../core/dtype.ts";
import type { Params } from "../../core/primitive.ts";
import { nextTask } from "../../core/tasks.ts";
import { contractionRules } from "./contraction.ts";
import { elementwiseRules } from "./elementwise.ts";
import { viaRef } from "./fallback.ts";
import { indexingRules } from "./indexing.ts";
import { linalgRules } from "./linalg.ts";
import { describeForWasm, wasmExecutable } from "./jit_executor.ts";
import type { Jaxpr } from "../../core/jaxpr.ts";
import type { MemoryStats, WasmBuffer } from "./memory.ts";
import { reductionRules } from "./reductions.ts";
import type { WasmRule } from "./rule.ts";
import { wasmRuntime } from "./runtime.ts";
import { structuralRules } from "./structural.ts";

const rules: Record<string, WasmRule> = {
  ...elementwiseRules,
  ...structuralRules,
  ...reductionRules,
  ...contractionRules,
  ...indexingRules,
  ...linalgRules,
};

/** The rule for `name`: a wasm kernel, or the reference kernel on copies. */
function ruleFor(name: string): WasmRule {
  return rules[name] ??= viaRef(name);
}

/** The wasm backend instance. */
export const wasmBackend: Backend = {
  name: "wasm",
  fromHost(data: TypedArray, aval: ShapedArray): DeviceBuffer {
    checkHostData("wasm", data, aval);
    return wasmRuntime().fromHost(data, aval.dtype);
  },
  readSync(buffer: DeviceBuffer, aval: ShapedArray): TypedArray {
    return wasmRuntime().toHost(buffer as WasmBuffer, aval.dtype, aval.size);
  },
  /**
   * Copies the data out, then yields to the event loop once before resolving: garbage-collected
   * arrays release their wasm memory in FinalizationRegistry callbacks, which run only between
   * tasks, so a loop that awaits a read per step keeps its memory bounded.
   */
  async read(buffer: DeviceBuffer, aval: ShapedArray): Promise<TypedArray> {
    const data = wasmRuntime().toHost(buffer as WasmBuffer, aval.dtype, aval.size);
    await nextTask();
    return data;
  },
  execute(
    prim: string,
    inputs: DeviceBuffer[],
    inAvals: ShapedArray[],
    params: Params,
    outAvals: ShapedArray[],
  ): DeviceBuffer[] {
    return ruleFor(prim)(wasmRuntime(), inputs as WasmBuffer[], inAvals, params, outAvals);
  },
  dispose(buffer: DeviceBuffer): void {
    wasmRuntime().dispose(buffer as WasmBuffer);
  },
  compile(jaxpr: Jaxpr, { sync }: { sync: boolean }) {
    return wasmExecutable(jaxpr, wasmBackend, wasmRuntime(), sync ? "sync" : "async");
  },
  describe: describeForWasm,
};

/**
 * Memory usage of the wasm backend (bytes of linear memory, live and free blocks, the peak of
 * live bytes); with `resetPeak`, a new peak starts after this reading.
 */
export function wasmMemoryStats({ resetPeak = false }: { resetPeak?: boolean } = {}): MemoryStats {
  const rt = wasmRuntime();
  const stats = rt.stats();
  if (resetPeak) rt.heap.resetPeak();
  return stats;
}

registerBackend(wasmBackend);
